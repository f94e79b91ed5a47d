/**
 * Golden decode test: the 4-way region of kernel-captures/interleave/03-region-4way (two host
 * bridges, a switch, four QEMU 7.2 type-3 devices). Every HDM decoder is programmed through
 * MMIO with the values the kernel committed (from the capture's sysfs), and HPAs of the region
 * are routed window → host bridge → (switch) → endpoint. The endpoint reached must be the
 * region's target at the HPA's interleave position, at the DPA the region layout implies.
 */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ComponentRegisters,
  createComponentRegisters,
} from '../../../src/hw/regs/component.ts';
import { parseSysfsTxt } from '../../helpers/sysfs-txt.ts';
import { COMMITTED, hdmOffset, programDecoder } from './hdm-driver.ts';

const FIX = new URL('../../../sysfs-fixtures/interleave/03-region-4way/', import.meta.url);
const entries = parseSysfsTxt(readFileSync(new URL('sysfs.txt', FIX), 'utf8'));
const files = new Map(
  entries.filter((e) => e.kind === 'F').map((e) => [e.path, e.body.join('\n')]),
);
const links = new Map(
  entries
    .filter((e) => e.kind === 'L')
    .map((e) => [e.path, posix.join(posix.dirname(e.path), e.rest[0] ?? '')]),
);
const ROOT = 'devices/platform/ACPI0017:00/root0';
const val = (p: string) => {
  const v = files.get(p);
  if (v === undefined) throw new Error(`capture has no ${p}`);
  return v;
};
const big = (p: string) => BigInt(val(p));
const num = (p: string) => Number(val(p));
const EIW: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3, 16: 4, 3: 8, 6: 9, 12: 10 };
const eig = (g: number) => Math.log2(g) - 8;

interface Port {
  path: string;
  uport: string;
  dports: Map<number, string>;
  regs: ComponentRegisters;
  endpoint: boolean;
}

/** Every cxl port below root0, with a component block programmed from its decoder's sysfs. */
function buildPorts(): Port[] {
  const dirs = entries
    .filter(
      (e) => e.kind === 'D' && /\/(port|endpoint)\d+$/.test(e.path) && e.path.startsWith(ROOT),
    )
    .map((e) => e.path);
  return dirs.map((path) => {
    const endpoint = /endpoint\d+$/.test(path);
    const uport = links.get(`${path}/uport`) ?? '';
    const dports = new Map<number, string>();
    for (const [l, t] of links) {
      const m = /^(.*)\/dport(\d+)$/.exec(l);
      if (m && m[1] === path) dports.set(Number(m[2]), t);
    }
    const kind = endpoint ? 'type3' : uport.includes('ACPI0016') ? 'host-bridge' : 'usp';
    const regs = createComponentRegisters(kind, undefined, { qemu: '7.2' });
    const id = /(\d+)$/.exec(path)?.[1];
    const dec = `${path}/decoder${id}.0`;
    if (big(`${dec}/size`) > 0n) {
      const ways = num(`${dec}/interleave_ways`);
      const p = {
        base: big(`${dec}/start`),
        size: big(`${dec}/size`),
        eiw: EIW[ways] ?? -1,
        eig: eig(num(`${dec}/interleave_granularity`)),
        ...(endpoint
          ? { skip: big(`${dec}/dpa_resource`) }
          : { targets: val(`${dec}/target_list`).split(',').map(Number) }),
      };
      expect(programDecoder(regs, hdmOffset(regs), 0, p) & COMMITTED).toBe(COMMITTED);
    }
    return { path, uport, dports, regs, endpoint };
  });
}

describe('HDM decode against the 4-way region of the interleave capture', () => {
  const ports = buildPorts();
  const region = `${ROOT}/decoder0.1/region1`;
  const rStart = big(`${region}/resource`);
  const rSize = big(`${region}/size`);
  const rWays = num(`${region}/interleave_ways`);
  const rGran = BigInt(num(`${region}/interleave_granularity`));
  const win = `${ROOT}/decoder0.1`;
  const wWays = num(`${win}/interleave_ways`);
  const wGran = BigInt(num(`${win}/interleave_granularity`));
  const wTargets = val(`${win}/target_list`).split(',').map(Number);
  /** Endpoint port of each region position (targetN → decoderE.0 → endpointE). */
  const byPos = Array.from({ length: rWays }, (_, i) => {
    const dec = val(`${region}/target${i}`);
    const ep = ports.find(
      (p) => p.endpoint && p.path.endsWith(`/endpoint${/^decoder(\d+)\./.exec(dec)?.[1]}`),
    );
    if (!ep) throw new Error(`no endpoint for ${dec}`);
    return ep;
  });

  /** The platform's job (QEMU cxl_cfmws_find_device): window, host bridge, switch, endpoint. */
  function route(hpa: bigint): { ep: Port; dpa: bigint } | undefined {
    const uid = wTargets[Number((hpa / wGran) % BigInt(wWays))];
    const acpi = links.get(`${ROOT}/dport${uid}`);
    let port = ports.find((p) => p.uport === acpi);
    for (let depth = 0; port && depth < 4; depth++) {
      const t = port.regs.hdm?.decodeToTarget(hpa);
      if (!t) return undefined;
      const below = port.dports.get(t.target) ?? '';
      const sw = ports.find((p) => !p.endpoint && posix.dirname(p.uport) === below);
      if (sw) {
        port = sw;
        continue;
      }
      const ep = ports.find((p) => p.endpoint && posix.dirname(posix.dirname(p.uport)) === below);
      const d = ep?.regs.hdm?.decodeToDpa(hpa);
      return ep && d ? { ep, dpa: d.dpa } : undefined;
    }
    return undefined;
  }

  it('the capture describes what this test needs (4-way region, 2-way window, a switch)', () => {
    expect(rWays).toBe(4);
    expect(wWays).toBe(2);
    expect(ports.filter((p) => !p.endpoint && !p.uport.includes('ACPI0016'))).toHaveLength(1);
  });

  it('the first 16 granules go to target0..3 in turn at consecutive DPAs', () => {
    for (let k = 0n; k < 16n; k++) {
      const got = route(rStart + k * rGran + 0x40n);
      expect(got?.ep.path).toBe(byPos[Number(k % 4n)]?.path);
      expect(got?.dpa).toBe((k / 4n) * rGran + 0x40n);
    }
  });

  it('any HPA of the region reaches the target at its position, at the DPA the layout implies', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: rSize - 1n }), (off) => {
        const got = route(rStart + off);
        const pos = Number((off / rGran) % BigInt(rWays));
        const ep = byPos[pos] as Port;
        const dpaBase = big(`${ep.path}/decoder${/(\d+)$/.exec(ep.path)?.[1]}.0/dpa_resource`);
        expect(got?.ep.path).toBe(ep.path);
        expect(got?.dpa).toBe(dpaBase + (off / (rGran * BigInt(rWays))) * rGran + (off % rGran));
      }),
      { numRuns: 500 },
    );
  });

  it('HPAs outside the region decode nowhere below the host bridges', () => {
    expect(route(rStart - 1n)).toBeUndefined();
    expect(route(rStart + rSize)).toBeUndefined();
  });
});
