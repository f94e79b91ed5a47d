/**
 * cxlsim/invariants sees what it claims to: each invariant holds on a machine with committed
 * regions and reports a violation (on the right device) once the state it checks is broken
 * behind the kernel's back — so a green property run means the checks ran, not that they
 * cannot fail.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { bootSync } from '../../src/api/boot.ts';
import type { Machine } from '../../src/api/machine.ts';
import { CxlEndpointDecoder } from '../../src/drivers/cxl/core/decoder.ts';
import { CxlPort } from '../../src/drivers/cxl/core/port.ts';
import { isCxlRegion } from '../../src/drivers/cxl/core/region/region.ts';
import { CXL_DECODER_F_ENABLE, hdmCtrl } from '../../src/drivers/cxl/cxl.ts';
import { Errno } from '../../src/kernel/errno.ts';
import { caseArb, regionRequestArb, topologyArb } from '../../src/prop/arbitraries.ts';
import { runCase } from '../../src/prop/case.ts';
import { breakInvariantForTest, checkInvariants } from '../../src/prop/invariants.ts';
import { createRegionArgv, resolveRequest } from '../../src/prop/request.ts';
import {
  CheckedWriter,
  checkedWrite,
  checkTeardown,
  cxlTreeFingerprint,
} from '../../src/prop/writes.ts';

/** The default preset with a committed 2-way region (decoder0.1: both host bridges). */
function withRegion(): Machine {
  const m = bootSync({ preset: 'default' });
  const r = m.ndctl([
    'create-region',
    '-m',
    '-d',
    'decoder0.1',
    '-w',
    '2',
    '-g',
    '4096',
    'mem2',
    'mem0',
  ]);
  expect(r.code, r.stderr).toBe(0);
  return m;
}
const devs = (m: Machine) => m.raw.kernel.buses.get('cxl')?.devices ?? [];
const names = (m: Machine) => checkInvariants(m).map((v) => `${v.invariant} ${v.device}`);

describe('invariants', () => {
  afterEach(() => breakInvariantForTest(undefined));

  it('hold on a machine with a committed region', () => {
    const m = withRegion();
    expect(devs(m).filter(isCxlRegion)).toHaveLength(1);
    expect(checkInvariants(m)).toEqual([]);
  });

  it('hw-committed and data-roundtrip: an HDM decoder de-committed behind the driver', () => {
    const m = withRegion();
    const ep = devs(m).find(
      (d): d is CxlEndpointDecoder => d instanceof CxlEndpointDecoder && d.region !== undefined,
    );
    const hdm = ep?.port.hdm;
    if (!ep || !hdm) throw new Error('no endpoint decoder in the region');
    const mmio = m.raw.platform.bus.mmio;
    mmio.write32(hdm.base + BigInt(hdmCtrl(ep.id)), 0);
    const v = names(m);
    expect(v).toContain(`hw-committed ${ep.name}`);
    expect(v.some((x) => x.startsWith('data-roundtrip region'))).toBe(true);
  });

  it('hw-committed: an HDM base that differs from the driver', () => {
    const m = withRegion();
    const ep = devs(m).find(
      (d): d is CxlEndpointDecoder => d instanceof CxlEndpointDecoder && d.region !== undefined,
    );
    if (!ep) throw new Error('no endpoint decoder');
    ep.hpaRange = { start: ep.hpaRange.start + 0x10000000n, end: ep.hpaRange.end + 0x10000000n };
    expect(names(m)).toContain(`hw-committed ${ep.name}`);
  });

  it('hpa-disjoint: two regions of a window that overlap', () => {
    const m = withRegion();
    const r0 = devs(m).find(isCxlRegion);
    m.ndctl(['create-region', '-m', '-d', 'decoder0.0', '-w', '1', 'mem1']);
    const r1 = devs(m)
      .filter(isCxlRegion)
      .find((r) => r !== r0);
    if (!r0?.params.res) throw new Error('no region');
    const root = r0.cxlrd;
    // move region0's range outside its window
    r0.params.res = { start: root.hpaRange.end - 0x1000n, end: root.hpaRange.end + 0x1000n };
    expect(names(m)).toContain(`hpa-disjoint ${r0.name}`);
    void r1;
  });

  it('dpa-disjoint and commit-order: overlapping DPA, a decoder enabled out of order', () => {
    const m = bootSync({
      topology: fc.sample(topologyArb({ qemu: false }), { seed: 7, numRuns: 1 })[0] as never,
    });
    const ep = devs(m).find(
      (d): d is CxlPort => d instanceof CxlPort && d.isEndpoint && d.decoders().length > 1,
    );
    if (!ep) throw new Error('no endpoint with two decoders');
    const [d0, d1] = ep.decoders() as CxlEndpointDecoder[];
    if (!d0 || !d1) throw new Error('decoders');
    d0.dpaRes = { start: 0n, end: 0xfffffffn };
    d1.dpaRes = { start: 0x8000000n, end: 0x17ffffffn };
    d1.flags |= CXL_DECODER_F_ENABLE; // enabled without decoder 0
    const v = names(m);
    expect(v).toContain(`dpa-disjoint ${d0.name}`);
    expect(v).toContain(`commit-order ${ep.name}`);
  });

  it('refused-write: a refused write is checked against the tree; the fingerprint sees changes', () => {
    const m = withRegion();
    const before = cxlTreeFingerprint(m);
    // the region withRegion() made (its number follows the ida, not always region0)
    const region = m.sysfs.ls('bus/cxl/devices').find((d) => d.startsWith('region')) as string;
    const r = checkedWrite(m, `bus/cxl/devices/${region}/interleave_ways`, '4\n');
    // refused by interleave_ways_store() on a committed region, not by a missing file
    expect(r.result).toMatch(/EBUSY/);
    expect(r.violations).toEqual([]);
    expect(cxlTreeFingerprint(m)).toBe(before);
    m.ndctl(['destroy-region', '-f', 'all']);
    expect(cxlTreeFingerprint(m)).not.toBe(before);
    breakInvariantForTest('refused-write', () => true);
    expect(
      checkedWrite(m, 'bus/cxl/devices/decoder0.0/delete_region', 'region9\n').violations,
    ).toHaveLength(1);
  });

  it('refused-write in a sequence (CheckedWriter): a refused write that changed the tree is caught', () => {
    const m = withRegion();
    const region = m.sysfs.ls('bus/cxl/devices').find((d) => d.startsWith('region')) as string;
    const w = new CheckedWriter(m);
    const ok = w.write(`bus/cxl/devices/${region}/interleave_ways`, '4\n');
    expect(ok.result).not.toBe('ok');
    expect(ok.violations).toEqual([]);
    // the fingerprint a refused write left unchanged is the tree's
    expect(w.fingerprint()).toBe(cxlTreeFingerprint(m));
    // a store that changes the tree and then fails (behind the kernel's back)
    const real = m.sysfs.write;
    Object.assign(m.sysfs, {
      write(path: string, value: string) {
        Object.assign(m.sysfs, { write: real });
        real(`bus/cxl/devices/${region}/commit`, '0\n');
        throw new Errno('EINVAL', `${path} ${value}`);
      },
    });
    const bad = w.write(`bus/cxl/devices/${region}/interleave_granularity`, '256\n');
    expect(bad.result).toBe('EINVAL');
    expect(bad.violations.map((v) => v.invariant)).toEqual(['refused-write']);
    expect(w.fingerprint()).toBe(cxlTreeFingerprint(m));
    // exempt: dpa_size (no fingerprint needed)
    expect(w.write('bus/cxl/devices/decoder3.0/dpa_size', 'x\n').violations).toEqual([]);
  });

  it('teardown: leaves no region, every decoder disabled, every DPA free', () => {
    const m = withRegion();
    expect(checkTeardown(m)).toEqual([]);
    expect(devs(m).filter(isCxlRegion)).toEqual([]);
    expect(
      devs(m).filter((d) => d instanceof CxlEndpointDecoder && d.dpaRes !== undefined),
    ).toEqual([]);
  });

  it('the test hook breaks one invariant and the case runner reports it', () => {
    const m = bootSync({ preset: 'default' });
    breakInvariantForTest('hw-committed');
    const c = {
      requests: [
        {
          mode: 'ndctl' as const,
          req: { root: 1, type: 'pmem' as const, ways: 2, granularity: 4096, picks: [2, 0] },
        },
      ],
    };
    const r = runCase(m.clone(), c);
    expect(r.violations.map((v) => v.invariant)).toEqual(['hw-committed']);
  });
});

describe('arbitraries', () => {
  it('topologies boot, QEMU-expressible ones with QEMU decoder counts, with 1..16 memdevs', () => {
    fc.assert(
      fc.property(topologyArb({ qemu: false }), (t) => {
        const m = bootSync({ topology: t });
        const n = (m.list(['-M']) as unknown[]).length;
        expect(n).toBeGreaterThanOrEqual(1);
        expect(n).toBeLessThanOrEqual(16);
      }),
      { numRuns: 6 },
    );
  });

  it('requests resolve to ndctl argv naming existing decoders and memdevs; cases run', () => {
    const m = bootSync({ preset: 'default' });
    fc.assert(
      fc.property(regionRequestArb(), caseArb(), (q, c) => {
        const r = resolveRequest(m, q);
        if (!r) throw new Error('unresolved');
        const argv = createRegionArgv(r);
        expect(m.sysfs.stat(`bus/cxl/devices/${r.root}`)).toBeDefined();
        for (const md of r.memdevs) expect(argv).toContain(md);
        expect(new Set(r.memdevs).size).toBe(r.memdevs.length);
        expect(runCase(m.clone(), c).violations).toEqual([]);
      }),
      { numRuns: 6 },
    );
  });
});
