/**
 * `Machine.clone()` and `snapshot()`/`restore()`: a copy behaves exactly like a fresh boot of the
 * same input with the same operations replayed (same /sys dump, dmesg, `cxl list -vvv`, HDM
 * registers and region data after any further random requests on both), and changing a copy
 * leaves the original byte-identical (property tests over random cases of region requests).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootSync, restore } from '../../src/api/boot.ts';
import type { Machine } from '../../src/api/machine.ts';
import { CxlPort } from '../../src/drivers/cxl/core/port.ts';
import { isCxlRegion } from '../../src/drivers/cxl/core/region/region.ts';
import { caseArb } from '../../src/prop/arbitraries.ts';
import { runCase } from '../../src/prop/case.ts';
import { dumpSysfs } from '../../src/sysfs/dump.ts';

const RUNS = Number(process.env.CXLSIM_PROP_RUNS ?? 8);

/** Everything observable: /sys, dmesg, cxl list -vvv, HDM registers, bytes of every region. */
function view(m: Machine): string {
  const devs = m.raw.kernel.buses.get('cxl')?.devices ?? [];
  const mmio = m.raw.platform.bus.mmio;
  const regs: string[] = [];
  for (const p of devs)
    if (p instanceof CxlPort && p.hdm)
      for (let o = 0; o < 0x10 + 0x20 * p.hdm.decoderCount; o += 4)
        regs.push((mmio.read32(p.hdm.base + BigInt(o)) >>> 0).toString(16));
  const data: string[] = [];
  for (const r of devs)
    if (isCxlRegion(r) && r.params.res)
      data.push(
        Buffer.from(m.raw.platform.bus.mem.read(r.params.res.start, 64).data).toString('hex'),
      );
  return [
    dumpSysfs(m.raw.sysfs),
    m.dmesg({ raw: true }).join('\n'),
    JSON.stringify(m.list(['-vvv'])),
    regs.join(','),
    data.join(','),
  ].join('\n@@\n');
}

/** Runs a case and stores a pattern at the start of every committed region. */
function act(m: Machine, c: Parameters<typeof runCase>[1]): void {
  runCase(m, c, []);
  for (const r of m.raw.kernel.buses.get('cxl')?.devices ?? [])
    if (isCxlRegion(r) && r.params.res && r.params.state === 4)
      m.mem.write(r.params.res.start, Uint8Array.from([1, 2, 3, r.id]));
}

describe('Machine.clone()', () => {
  const base = bootSync({ preset: 'default' }, { profile: 'latest' });
  const cases = caseArb({ maxRequests: 2, modes: ['ndctl', 'sysfs'] });

  it('is a fresh boot with the same operations, and stays so after more requests on both', () => {
    fc.assert(
      fc.property(cases, cases, (c1, c2) => {
        const m = base.clone();
        act(m, c1);
        const copy = m.clone();
        const fresh = restore(JSON.parse(JSON.stringify(m.snapshot())));
        expect(copy.ops()).toEqual(m.ops());
        expect(view(copy)).toBe(view(fresh));
        act(copy, c2);
        act(fresh, c2);
        expect(view(copy)).toBe(view(fresh));
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('changing a copy leaves the original byte-identical', () => {
    fc.assert(
      fc.property(cases, cases, (c1, c2) => {
        const m = base.clone();
        act(m, c1);
        const before = view(m);
        const ops = m.ops().length;
        const copy = m.clone();
        act(copy, c2);
        copy.ndctl(['destroy-region', '-f', 'all']);
        copy.reboot();
        expect(view(m)).toBe(before);
        expect(m.ops()).toHaveLength(ops);
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  /** Every writable attribute directly in a cxl device's directory (not uevent), by path. */
  const writable = (m: Machine): string[] => {
    const out: string[] = [];
    for (const d of m.sysfs.ls('/sys/bus/cxl/devices'))
      for (const f of m.sysfs.ls(`/sys/bus/cxl/devices/${d}`)) {
        const p = `bus/cxl/devices/${d}/${f}`;
        const st = m.sysfs.stat(p);
        if (st?.kind === 'file' && st.mode & 0o200 && !st.binary && f !== 'uevent') out.push(p);
      }
    return out;
  };
  const VALUES = ['0\n', '1\n', '\n', '256\n', '4096\n', '0x10000000\n', 'pmem\n', 'ram\n'];
  const NAMES = ['region0\n', 'mem0\n', 'decoder2.0\n', 'decoder3.0\n', 'decoder4.0\n'];
  /** Random raw /sys writes: [attribute index, value index] pairs (resolved per machine). */
  const writesArb = fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 14 });
  /** Applies `ws` to `m` (refused writes are part of the sequence); the results in order. */
  const applyWrites = (m: Machine, ws: [number, number][]): string[] =>
    ws.map(([a, v]) => {
      const attrs = writable(m);
      const path = attrs[a % attrs.length] as string;
      const values = [...VALUES, ...NAMES];
      const value = values[v % values.length] as string;
      try {
        m.sysfs.write(path, value);
        return `${path} ok`;
      } catch (e) {
        return `${path} ${(e as { code?: string }).code ?? 'error'}`;
      }
    });

  it('random raw /sys write sequences: a copy is the fresh boot with those writes, both ways, and the original stays', () => {
    expect(writable(base).length).toBeGreaterThan(30);
    fc.assert(
      fc.property(writesArb, writesArb, (w1, w2) => {
        const m = base.clone();
        applyWrites(m, w1);
        const before = view(m);
        const copy = m.clone();
        const fresh = restore(JSON.parse(JSON.stringify(m.snapshot())));
        expect(view(copy)).toBe(view(fresh));
        expect(applyWrites(copy, w2)).toEqual(applyWrites(fresh, w2));
        expect(view(copy)).toBe(view(fresh));
        expect(view(m)).toBe(before);
        // and the other way round: the original moves on, the copy of the copy stays
        const again = copy.clone();
        const copyView = view(copy);
        applyWrites(copy, w1);
        expect(view(again)).toBe(copyView);
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('a snapshot is plain data (JSON round trip) and a bad one is refused', () => {
    const s = base.snapshot();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(() => restore({ ...s, format: 'x' as 'cxlsim-machine' })).toThrow(
      /not a cxlsim machine snapshot/,
    );
  });
});
