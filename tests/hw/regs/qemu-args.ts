/** Test helper: the cxl-type3 devices of a capture's host/qemu-args.txt as topology Type3Devs. */
import { readFileSync } from 'node:fs';
import type { Type3Dev } from '../../../src/topology/model.ts';

const UNITS: Record<string, bigint> = { K: 1n << 10n, M: 1n << 20n, G: 1n << 30n, T: 1n << 40n };

function size(s: string): bigint {
  const m = /^(\d+)([KMGT]?)$/.exec(s);
  if (!m) throw new Error(`bad size ${s}`);
  return BigInt(m[1] ?? '0') * (UNITS[m[2] ?? ''] ?? 1n);
}

function kv(arg: string): Map<string, string> {
  return new Map(arg.split(',').map((p) => [p.split('=')[0] ?? '', p.slice(p.indexOf('=') + 1)]));
}

/** QEMU 7.2 `-device cxl-type3,memdev=…,lsa=…,sn=…` (memdev = persistent). */
export function type3Devices(url: URL): Type3Dev[] {
  const args = readFileSync(url, 'utf8').split('\n');
  const backends = new Map<string, bigint>();
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-object' && args[i + 1]?.startsWith('memory-backend')) {
      const o = kv(args[i + 1] ?? '');
      backends.set(o.get('id') ?? '', size(o.get('size') ?? '0'));
    }
  }
  const out: Type3Dev[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== '-device' || !args[i + 1]?.startsWith('cxl-type3')) continue;
    const d = kv(args[i + 1] ?? '');
    out.push({
      kind: 'type3',
      id: d.get('id') ?? '',
      serial: d.has('sn') ? BigInt(d.get('sn') ?? '0') : undefined,
      volatileSize: 0n,
      persistentSize: backends.get(d.get('memdev') ?? '') ?? 0n,
      lsaSize: backends.get(d.get('lsa') ?? '') ?? 0n,
    });
  }
  return out;
}
