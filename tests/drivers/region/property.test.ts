/**
 * Property: random region requests (root window, type, ways, granularity, memdevs in random
 * order, size), made with ndctl's sysfs writes on the default topology with four HDM decoders
 * per component and 1 GiB ram + 1 GiB pmem per device, either succeed or fail with an errno —
 * a refused write leaves the CXL tree byte-identical (except a refused `dpa_size`, which frees
 * the old allocation first, and a target write whose final target setup fails, which the kernel
 * leaves attached). After every request: HPA ranges are disjoint
 * inside each window, DPA reservations disjoint inside each memdev, each port's enabled decoders
 * are exactly 0…commit_end with ascending HPA, and every committed region's decoders are
 * committed in the HDM registers. Tearing everything down (last region first) returns every
 * decoder to disabled, every decoder out of every region and every DPA free. Runs: CXLSIM_PROP_RUNS (default 8).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BootedMachine } from '../../../src/boot.ts';
import {
  CxlDecoder,
  CxlEndpointDecoder,
  CxlRootDecoder,
} from '../../../src/drivers/cxl/core/decoder.ts';
import { CxlPort } from '../../../src/drivers/cxl/core/port.ts';
import { CXL_CONFIG_COMMIT, isCxlRegion } from '../../../src/drivers/cxl/core/region/region.ts';
import { CTRL_COMMITTED, hdmBaseHigh, hdmBaseLow, hdmCtrl } from '../../../src/drivers/cxl/cxl.ts';
import type { ErrnoName } from '../../../src/kernel/errno.ts';
import { dumpSysfs } from '../../../src/sysfs/dump.ts';
import { bootReshaped, memdevs, ndctlCreateRegion, sysw } from './helpers.ts';

const RUNS = Number(process.env.CXLSIM_PROP_RUNS ?? 8);
const GiB = 1n << 30n;
const ROOT0 = 'devices/platform/ACPI0017:00/root0';

const devices = (m: BootedMachine) => m.kernel.buses.get('cxl')?.devices ?? [];

/** A write that must leave the tree unchanged when refused. */
function checkedWrite(m: BootedMachine, path: string, value: string): 'ok' | ErrnoName {
  const before = dumpSysfs(m.sysfs, [ROOT0]);
  const rc = sysw(m, path, value);
  if (rc === 'ok' || path.endsWith('/dpa_size')) return rc;
  // cxl_region_attach(): when the last target arrives and cxl_region_setup_targets() fails, the
  // kernel returns the error with the target still attached and the switch decoders' computed
  // ig/iw left in place (cxl_port_reset_targets() only resets the range) — not side-effect free.
  if (/\/target\d+$/.test(path) && String(m.sysfs.read(path)).trim() === value.trim()) return rc;
  expect(dumpSysfs(m.sysfs, [ROOT0]), `${path} <- ${value}: ${rc}`).toBe(before);
  return rc;
}

/** The invariants listed in the DOC block. */
function checkInvariants(m: BootedMachine): void {
  for (const rd of devices(m).filter((d): d is CxlRootDecoder => d instanceof CxlRootDecoder)) {
    const rs = rd.children.filter(isCxlRegion).flatMap((r) => (r.params.res ? [r.params.res] : []));
    for (const [i, a] of rs.entries()) {
      expect(a.start >= rd.hpaRange.start && a.end <= rd.hpaRange.end).toBe(true);
      for (const b of rs.slice(i + 1)) expect(a.end < b.start || b.end < a.start).toBe(true);
    }
  }
  for (const port of devices(m).filter((d): d is CxlPort => d instanceof CxlPort && !d.isRoot)) {
    const decs = port.decoders();
    const enabled = decs.filter((d) => d.enabled);
    expect(enabled.map((d) => d.id)).toEqual(decs.slice(0, port.commitEnd + 1).map((d) => d.id));
    for (let i = 1; i < enabled.length; i++) {
      expect(
        (enabled[i] as CxlDecoder).hpaRange.start > (enabled[i - 1] as CxlDecoder).hpaRange.end,
      ).toBe(true);
    }
    if (port.isEndpoint) {
      const res = decs
        .filter(
          (d): d is CxlEndpointDecoder => d instanceof CxlEndpointDecoder && d.dpaRes !== undefined,
        )
        .map((d) => ({ s: (d.dpaRes?.start ?? 0n) - d.skip, e: d.dpaRes?.end ?? 0n }));
      for (const [i, a] of res.entries())
        for (const b of res.slice(i + 1)) expect(a.e < b.s || b.e < a.s).toBe(true);
    }
  }
  const mmio = m.platform.bus.mmio;
  for (const r of devices(m).filter(isCxlRegion)) {
    if (r.params.state !== CXL_CONFIG_COMMIT) continue;
    for (const t of r.params.targets.slice(0, r.params.interleaveWays)) {
      for (let p: CxlPort | undefined = t?.port; p && !p.isRoot; p = p.parentPort()) {
        const d = p.decoders().find((x) => x.region === r);
        const hdm = p.hdm;
        if (!d || !hdm || d.passthrough) continue;
        const at = (o: number) => hdm.base + BigInt(o);
        expect(mmio.read32(at(hdmCtrl(d.id))) & CTRL_COMMITTED, d.name).toBe(CTRL_COMMITTED);
        const base =
          (BigInt(mmio.read32(at(hdmBaseHigh(d.id))) >>> 0) << 32n) |
          BigInt(mmio.read32(at(hdmBaseLow(d.id))) >>> 0);
        expect(base).toBe(d.hpaRange.start);
      }
    }
  }
}

const request = fc.record({
  root: fc.nat({ max: 7 }),
  ram: fc.boolean(),
  ways: fc.constantFrom(1, 2, 4),
  granularity: fc.constantFrom(256, 512, 1024, 2048, 4096, 8192, 16384),
  order: fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5, maxLength: 5 }),
  perWay: fc.constantFrom(0x10000000n, 0x20000000n),
});

for (const profile of ['latest', 'debian-12'] as const) {
  describe(`random region requests (${profile})`, () => {
    it('succeed with the invariants or fail leaving the tree unchanged; teardown is complete', () => {
      fc.assert(
        fc.property(fc.array(request, { minLength: 1, maxLength: 4 }), (reqs) => {
          const m = bootReshaped(
            profile,
            { volatileSize: GiB, persistentSize: GiB, decoders: 4 },
            false,
          );
          const mds = memdevs(m);
          const roots = devices(m).filter((d): d is CxlRootDecoder => d instanceof CxlRootDecoder);
          const made: string[] = [];
          for (const q of reqs) {
            const root = roots[q.root % roots.length] as CxlRootDecoder;
            const type = q.ram && profile === 'latest' ? 'ram' : 'pmem';
            const pick = q.order.slice(0, q.ways).map((i) => mds[i] as string);
            const gran = root.interleaveWays > 1 ? root.interleaveGranularity : q.granularity;
            let r: ReturnType<typeof ndctlCreateRegion>;
            try {
              r = ndctlCreateRegion(
                m,
                root.name,
                pick,
                { granularity: gran, type, size: q.perWay * BigInt(q.ways) },
                checkedWrite,
              );
            } catch (e) {
              // ndctl's own refusal (no free endpoint decoder): nothing was written
              expect(String(e)).toMatch(/could not get a free decoder/);
              continue;
            }
            if (!r.failed) made.push(r.region);
            checkInvariants(m);
          }
          // tear down (last region first): de-commit, clear targets, delete; then free every DPA
          for (const name of [...made].reverse()) {
            const r = devices(m).find((d) => d.name === name);
            if (!isCxlRegion(r)) throw new Error(name);
            const R = `bus/cxl/devices/${name}`;
            expect(sysw(m, `${R}/commit`, '0')).toBe('ok');
            for (let i = 0; i < r.params.interleaveWays; i++)
              expect(sysw(m, `${R}/target${i}`, '')).toBe('ok');
            expect(sysw(m, `bus/cxl/devices/${r.cxlrd.name}/delete_region`, name)).toBe('ok');
          }
          for (const d of devices(m)) {
            if (d instanceof CxlDecoder && !(d instanceof CxlRootDecoder))
              expect(d.enabled, d.name).toBe(false);
            if (d instanceof CxlDecoder) expect(d.region, d.name).toBeUndefined();
          }
          // allocations free highest decoder first
          const eps = devices(m).filter(
            (d): d is CxlEndpointDecoder => d instanceof CxlEndpointDecoder,
          );
          for (const d of eps.sort((a, b) => b.id - a.id))
            expect(sysw(m, `bus/cxl/devices/${d.name}/dpa_size`, '0'), d.name).toBe('ok');
          expect(devices(m).filter(isCxlRegion)).toEqual([]);
        }),
        { numRuns: RUNS },
      );
    });
  });
}
