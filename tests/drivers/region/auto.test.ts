/**
 * Auto-assembly of firmware-committed decoders (latest; Linux 6.1 has none): cxl_test's
 * pre-committed 2-way ram region (endpoint decoder 0 of the two memdevs below the first switch,
 * that switch's and host bridge 0's decoder 0) becomes region0 — COMMIT without a single HDM
 * register write, positions from the switch target list, bound with its dax_region — and an
 * endpoint committed without its upstream decoders fails with the kernel's mapping error.
 */
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../../src/boot.ts';
import { CxlEndpointDecoder, CxlRootDecoder } from '../../../src/drivers/cxl/core/decoder.ts';
import { CxlPort } from '../../../src/drivers/cxl/core/port.ts';
import { cxlEndpointAutoAssemble } from '../../../src/drivers/cxl/core/region/index.ts';
import {
  CXL_CONFIG_COMMIT,
  CXL_REGION_F_AUTO,
  isCxlRegion,
} from '../../../src/drivers/cxl/core/region/region.ts';
import { CTRL_COMMITTED, hdmBaseLow, hdmCtrl } from '../../../src/drivers/cxl/cxl.ts';
import { resolveProfile } from '../../../src/profile.ts';
import { hexll } from '../../../src/sysfs/format.ts';
import { getPreset } from '../../../src/topology/presets/index.ts';
import { B, logSince } from './helpers.ts';

/** Runs discover_region for every endpoint port not yet assembled (when boot did not). */
function assembleAll(m: ReturnType<typeof bootMachine>): void {
  for (const d of m.kernel.buses.get('cxl')?.devices ?? []) {
    if (!(d instanceof CxlPort) || !d.isEndpoint) continue;
    if (d.decoders().some((x) => x.region)) continue;
    cxlEndpointAutoAssemble(d);
  }
}

describe('auto-assembly (latest)', () => {
  it("assembles cxl_test's pre-committed region from the firmware programming", () => {
    const profile = resolveProfile('latest');
    const m = bootMachine(getPreset('cxl_test', profile.qemu), { profile, dyndbg: true });
    const auto = (m.kernel.buses.get('cxl')?.devices ?? []).filter(
      (d): d is CxlEndpointDecoder =>
        d instanceof CxlEndpointDecoder && d.state === 'auto' && d.enabled,
    );
    expect(auto.length).toBe(2);
    assembleAll(m);
    const r = auto[0]?.region;
    if (!isCxlRegion(r)) throw new Error('not assembled');
    expect(r.name).toBe('region0');
    expect(r.parent).toBeInstanceOf(CxlRootDecoder);
    expect(r.flags & CXL_REGION_F_AUTO).toBe(CXL_REGION_F_AUTO);
    expect(r.params.state).toBe(CXL_CONFIG_COMMIT);
    const read = (a: string) => (m.sysfs.read(`${B}/region0/${a}`) as string).trim();
    expect([
      read('mode'),
      read('interleave_ways'),
      read('interleave_granularity'),
      read('size'),
      read('commit'),
    ]).toEqual(['ram', '2', '4096', '0x20000000', '1']);
    // positions follow the switch decoder's firmware target list
    const sw = auto[0]?.port.parentPort();
    const swDec = sw?.decoders().find((d) => d.region === r) as unknown as {
      targets: { portId: number }[];
    };
    const byDport = (e: CxlEndpointDecoder) =>
      swDec.targets.indexOf(e.port.parentDport as unknown as { portId: number });
    const want = [...auto].sort((a, b) => byDport(a) - byDport(b)).map((d) => d.name);
    for (const d of [...auto, swDec as unknown as CxlEndpointDecoder]) {
      const hdm = d.port.hdm;
      if (!hdm) throw new Error('no hdm');
      const ctrl = m.platform.bus.mmio.read32(hdm.base + BigInt(hdmCtrl(d.id))) >>> 0;
      expect(ctrl & CTRL_COMMITTED).toBe(CTRL_COMMITTED);
      const base = BigInt(m.platform.bus.mmio.read32(hdm.base + BigInt(hdmBaseLow(d.id))) >>> 0);
      expect(base).toBe(d.hpaRange.start & 0xffffffffn);
    }
    expect([read('target0'), read('target1')]).toEqual(want);
    expect(r.driver?.name).toBe('cxl_region');
    expect(m.sysfs.readdir(`${B}/region0`)).toContain('dax_region0');
    expect((m.sysfs.read(`${B}/decoder0.0/create_ram_region`) as string).trim()).not.toBe(
      'region0',
    );
  });

  it('an endpoint committed without its upstream decoders is not assembled: "failed to find decoder mapping"', () => {
    const profile = resolveProfile('latest');
    const probe = bootMachine(getPreset('default', profile.qemu), { profile });
    const md = probe.kernel.buses.get('cxl')?.devices.find((d) => d.name === 'mem0');
    const ep = (md as unknown as { endpoint: CxlPort }).endpoint;
    const top = ep.parentPort() as CxlPort;
    const window = top
      .root()
      .decoders()
      .find(
        (d): d is CxlRootDecoder =>
          d instanceof CxlRootDecoder && d.interleaveWays === 1 && d.targets[0] === top.parentDport,
      );
    if (!window) throw new Error('no 1-way window');
    const t = getPreset('default', profile.qemu);
    const base = window.hpaRange.start;
    const size = 0x10000000n;
    // mem0's device: the first type-3 device below a root port, in creation order
    for (const hb of t.hostBridges)
      for (const rp of hb.rootPorts)
        if (
          rp.child?.kind === 'type3' &&
          !rp.child.committed &&
          rp.child.serial === (md as unknown as { cxlds: { serial: bigint } }).cxlds.serial
        ) {
          rp.child.committed = [{ index: 0, base, size, ways: 1, granularity: 256 }];
        }
    const m = bootMachine(t, { profile, dyndbg: true });
    const lines = logSince(m, 0);
    const end = base + size - 1n;
    const region = `region${window.regionId}`;
    const cxled = ep.decoders()[0]?.name ?? '';
    const i = lines.indexOf(
      `<3>cxl_mem mem0: failed to find decoder mapping ${hexll(base)}-${hexll(end)}`,
    );
    expect(i).toBeGreaterThan(0);
    expect(lines[i - 1]).toBe(
      `<7>cxl_pci ${md?.parent?.name}: mem0:${cxled}: __construct_region ${region} res: [mem 0x${base.toString(16)}-0x${end.toString(16)} flags 0x200] iw: 1 ig: 256`,
    );
    expect(lines[i + 1]).toBe(`<7>cxl ${region}: region sort failed`);
    const r = m.kernel.buses.get('cxl')?.devices.find((d) => d.name === region);
    expect(isCxlRegion(r) && r.params.state).toBe(1);
    expect(isCxlRegion(r) && r.driver).toBeFalsy();
  });
});
