/**
 * `reboot`: a fresh guest on the same platform. What the previous guest committed stays in the
 * HDM registers (the kernel does not tear regions down on its way out), device memory and the
 * LSA keep their contents. Linux ≥ 6.3 finds the committed decoders at enumeration and
 * auto-assembles the same region (drivers/cxl/port.c discover_region); Linux 6.1 leaves them
 * alone, so the hardware decodes addresses no region of the driver maps — `translate` flags it.
 */
import { describe, expect, it } from 'vitest';
import type { BootedMachine } from '../../src/boot.ts';
import { type CxlRegion, isCxlRegion } from '../../src/drivers/cxl/core/region/index.ts';
import { CXL_CONFIG_COMMIT } from '../../src/drivers/cxl/core/region/region.ts';
import { translateHpa } from '../../src/explain/translate.ts';
import { CXL_MEM_COMMAND_ID } from '../../src/ndctl/lib/ioctl.ts';
import { resolveProfile } from '../../src/profile.ts';
import { getPreset } from '../../src/topology/presets/index.ts';
import { boot, cxl, memdevsBySerial, pattern } from './helpers.ts';

const regions = (m: BootedMachine) =>
  (m.kernel.buses.get('cxl')?.devices ?? []).filter(isCxlRegion);

/** The default preset with a 2-way region in the cross-host-bridge window, data stored in it. */
function withRegion(profile: string) {
  const m = boot(getPreset('default', resolveProfile(profile).qemu), profile, true);
  const bySerial = memdevsBySerial(m);
  // decoder0.1 interleaves cxl.0 then cxl.1: sn3 sits below cxl.0, sn4 below cxl.1
  const order = [bySerial.get(3n), bySerial.get(4n)] as string[];
  const r = cxl(m, 'create-region', '-m', '-d', 'decoder0.1', '-w', '2', '-g', '4096', ...order);
  expect(r.stderr).toContain('created 1 region');
  const region = regions(m)[0] as CxlRegion;
  const res = region.params.res as { start: bigint; end: bigint };
  const hpas = [0n, 0x1000n, 0x12345670n, res.end - res.start - 15n].map((o) => res.start + o);
  for (const h of hpas) expect(m.platform.bus.mem.write(h, pattern(h, 16))).toBe(true);
  return { m, order, region, res, hpas };
}

describe('reboot keeps the hardware and re-runs the guest', () => {
  it('latest: the committed region is auto-assembled again, data and LSA survive', () => {
    const { m, order, region, res, hpas } = withRegion('latest');
    const lsa = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const set = new Uint8Array(8 + lsa.length);
    set.set(lsa, 8);
    expect(
      m.ioctl.send(order[0] as string, {
        id: CXL_MEM_COMMAND_ID.SET_LSA,
        payload: set,
        sizeOut: 0,
      }),
    ).toMatchObject({ retval: 0 });
    const before = hpas.map((h) => translateHpa(m, h));

    const m2 = m.reboot();
    expect(m2.platform).toBe(m.platform);
    expect(m2.kernel).not.toBe(m.kernel);
    expect(m2.kernel.log.lines[0]?.time).toBe(m.kernel.log.lines[0]?.time);
    const rs = regions(m2);
    expect(rs.length).toBe(1);
    const r = rs[0] as CxlRegion;
    expect(r.params.state).toBe(CXL_CONFIG_COMMIT);
    expect(r.driver?.name).toBe('cxl_region');
    expect(r.params.res).toEqual(res);
    expect([r.mode, r.params.interleaveWays, r.params.interleaveGranularity]).toEqual([
      region.mode,
      2,
      4096,
    ]);
    expect(r.params.targets.slice(0, 2).map((t) => t?.port.uportDev.name)).toEqual(order);
    expect(m2.kernel.log.lines.some((l) => l.text.includes('__construct_region'))).toBe(true);
    for (const [i, h] of hpas.entries()) {
      expect(m2.platform.bus.mem.read(h, 16).data).toEqual(pattern(h, 16));
      const t = translateHpa(m2, h);
      expect(t.agree, t.disagreement).toBe(true);
      expect([t.driver.memdev, t.driver.dpa]).toEqual([
        before[i]?.driver.memdev,
        before[i]?.driver.dpa,
      ]);
    }
    const get = new Uint8Array(8);
    new DataView(get.buffer).setUint32(4, lsa.length, true);
    const got = m2.ioctl.send(order[0] as string, {
      id: CXL_MEM_COMMAND_ID.GET_LSA,
      payload: get,
      sizeOut: lsa.length,
    });
    expect(got).toMatchObject({ retval: 0, out: lsa });
    // the auto-assembled region can be destroyed like any other; the next boot finds nothing
    expect(cxl(m2, 'destroy-region', '-f', r.name).stderr).toContain('destroyed 1 region');
    const m3 = m2.reboot();
    expect(regions(m3)).toEqual([]);
    expect(m3.platform.routeHpa(res.start).ok).toBe(false);
  });

  it('debian-12 (Linux 6.1): no auto-assembly; the hardware still decodes, translate flags it', () => {
    const { m, res, hpas } = withRegion('debian-12');
    const m2 = m.reboot();
    expect(regions(m2)).toEqual([]);
    for (const h of hpas) {
      expect(m2.platform.bus.mem.read(h, 16)).toEqual({ ok: true, data: pattern(h, 16) });
      const t = translateHpa(m2, h);
      expect(t.hardware.ok).toBe(true);
      expect(t.driver.ok).toBe(false);
      expect(t.agree).toBe(false);
      expect(t.disagreement).toMatch(
        /^the hardware decodes it to mem\d+ DPA 0x[0-9a-f]+, but no region of the driver maps this HPA$/,
      );
    }
    expect(m2.platform.routeHpa(res.start).ok).toBe(true);
  });
});
