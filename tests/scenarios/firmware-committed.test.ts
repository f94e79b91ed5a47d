/**
 * Topology files with firmware-committed HDM decoders (PreCommittedDecoder; the platform
 * programs and commits them before the guest runs), booted on `latest` (auto-assembly is
 * Linux ≥ 6.3: drivers/cxl/port.c discover_region → core/region.c cxl_add_to_region).
 *
 * bios-2way.yaml: host bridge decoder 0 2-way (targets root ports 0, 1) and both endpoints'
 * decoder 0 2-way at the same 512 MiB. It auto-assembles with positions taken from the
 * firmware target list, and data lands where the spec's decode puts it. Each broken variant
 * fails with the kernel's messages (format strings of core/region.c, on the device the kernel
 * logs them on): mismatched ways (find_pos_and_ways "failed to find %s:%s in target list of
 * %s"), mismatched granularity (cxl_port_setup_targets "expected … / got …"), mismatched
 * range and "all endpoints at one HPA" ("failed to find decoder mapping %#llx-%#llx", -ENXIO,
 * dev_err on the endpoint port's uport, the memdev), a range outside every window
 * (cxl_add_to_region "%s:%s no CXL window for range %#llx:%#llx").
 */
import { describe, expect, it } from 'vitest';
import type { BootedMachine } from '../../src/boot.ts';
import { CxlEndpointDecoder } from '../../src/drivers/cxl/core/decoder.ts';
import { CxlPort } from '../../src/drivers/cxl/core/port.ts';
import { type CxlRegion, isCxlRegion } from '../../src/drivers/cxl/core/region/index.ts';
import {
  CXL_CONFIG_COMMIT,
  CXL_CONFIG_INTERLEAVE_ACTIVE,
} from '../../src/drivers/cxl/core/region/region.ts';
import type { PreCommittedDecoder, Topology, Type3Dev } from '../../src/topology/model.ts';
import { boot, checkStore, hx, linesSince, loadTopology, memdevsBySerial } from './helpers.ts';

const GRAN = 512n;

/** The host bridge's and the two endpoints' firmware decoders of bios-2way.yaml. */
function decoders(t: Topology): {
  hb: PreCommittedDecoder;
  eps: PreCommittedDecoder[];
  devs: Type3Dev[];
} {
  const hbt = t.hostBridges[0];
  const devs = (hbt?.rootPorts ?? []).map((rp) => rp.child as Type3Dev);
  const hb = hbt?.committed?.[0];
  if (!hb) throw new Error('bios-2way.yaml: no host bridge decoder');
  return { hb, eps: devs.map((d) => d.committed?.[0] as PreCommittedDecoder), devs };
}

/** Names the kernel uses in its messages, looked up on the booted machine. */
function names(m: BootedMachine) {
  const bySerial = memdevsBySerial(m);
  const mem = (serial: bigint) => bySerial.get(serial) as string;
  const endpoint = (memdev: string) => {
    const md = m.kernel.buses.get('cxl')?.devices.find((d) => d.name === memdev) as unknown as {
      endpoint: { name: string };
    };
    return md.endpoint.name;
  };
  const rootPortBdf = (id: string) =>
    [...m.platform.functions()].find(([, f]) => f.id === id)?.[0] as string;
  const hbDecoder = (m.kernel.buses.get('cxl')?.devices ?? []).find((d) =>
    /^decoder1\.0$/.test(d.name),
  )?.name as string;
  return { mem, endpoint, rootPortBdf, hbDecoder };
}

const regions = (m: BootedMachine) =>
  (m.kernel.buses.get('cxl')?.devices ?? []).filter(isCxlRegion);

describe('BIOS-committed 2-way region (latest)', () => {
  for (const swap of [false, true]) {
    it(`auto-assembles at boot with the firmware's positions${swap ? ' (target list swapped)' : ''}`, () => {
      const t = loadTopology('bios-2way');
      const { hb, eps, devs } = decoders(t);
      if (swap) hb.targets = [...(hb.targets ?? [])].reverse();
      const m = boot(t);
      const n = names(m);
      const rs = regions(m);
      expect(rs.length).toBe(1);
      const r = rs[0] as CxlRegion;
      const ep0 = eps[0] as PreCommittedDecoder;
      expect(r.params.state).toBe(CXL_CONFIG_COMMIT);
      expect(r.driver?.name).toBe('cxl_region');
      expect(r.mode).toBe('ram');
      expect(r.params.res).toEqual({ start: ep0.base, end: ep0.base + ep0.size - 1n });
      expect([r.params.interleaveWays, r.params.interleaveGranularity]).toEqual([
        ep0.ways,
        ep0.granularity,
      ]);
      // position i = the device below the root port named at target i of the host bridge decoder
      const byPort = new Map(
        t.hostBridges[0]?.rootPorts.map((rp, i) => [rp.port, devs[i] as Type3Dev]),
      );
      const order = (hb.targets ?? []).map((p) => n.mem(byPort.get(p)?.serial as bigint));
      expect(r.params.targets.slice(0, 2).map((x) => x?.port.uportDev.name)).toEqual(order);
      // data lands where the spec's decode of the firmware programming puts it
      for (let i = 0; i < 64; i++) {
        const hpa = ep0.base + BigInt(i * 97 + 13) * 64n;
        const off = hpa - ep0.base;
        const pos = Number((off / GRAN) % 2n);
        checkStore(m, hpa, order[pos] as string, (off / (GRAN * 2n)) * GRAN + (off % GRAN));
      }
    });
  }
});

describe('firmware decoders the kernel will not assemble (latest)', () => {
  /** Boots a broken variant; returns the machine, its names and the kernel lines. */
  function variant(f: (d: ReturnType<typeof decoders>) => void) {
    const t = loadTopology('bios-2way');
    const d = decoders(t);
    f(d);
    const m = boot(t);
    return { m, n: names(m), lines: linesSince(m), d, t };
  }
  const range = (d: PreCommittedDecoder) => `${hx(d.base)}-${hx(d.base + d.size - 1n)}`;
  const notCommitted = (m: BootedMachine) => {
    const rs = regions(m);
    expect(rs.length).toBe(1);
    expect(rs[0]?.params.state).toBe(CXL_CONFIG_INTERLEAVE_ACTIVE);
    expect(rs[0]?.driver).toBeFalsy();
  };

  it('mismatched ways: the second endpoint is not in the 1-way host bridge target list', () => {
    const { m, n, lines } = variant(({ hb }) => Object.assign(hb, { ways: 1, targets: [0] }));
    const mb = n.mem(0xbn);
    const want = `<3>cxl_mem ${mb}: failed to find ${n.endpoint(mb)}:${n.rootPortBdf('rp1')} in target list of ${n.hbDecoder}`;
    const i = lines.indexOf(want);
    expect(i, lines.join('\n')).toBeGreaterThan(0);
    expect(lines[i + 1]).toBe('<7>cxl region0: region sort failed');
    notCommitted(m);
  });

  it('mismatched granularity: cxl_port_setup_targets expected / got', () => {
    const { m, lines, d } = variant(({ hb }) => Object.assign(hb, { granularity: 1024 }));
    const ep = d.eps[0] as PreCommittedDecoder;
    const res = `[mem ${hx(ep.base)}-${hx(ep.base + ep.size - 1n)} flags 0x200]`;
    const hbPort = (m.kernel.buses.get('cxl')?.devices ?? []).find(
      (x): x is CxlPort => x instanceof CxlPort && x.parentPort()?.isRoot === true,
    );
    const port = `${hbPort?.uportDev.name}:${hbPort?.name}`;
    const i = lines.indexOf(
      `<3>cxl region0: ${port} cxl_port_setup_targets expected iw: 2 ig: 512 ${res}`,
    );
    expect(i, lines.join('\n')).toBeGreaterThan(0);
    expect(lines[i + 1]).toBe(
      `<3>cxl region0: ${port} cxl_port_setup_targets got iw: 2 ig: 1024 state: enabled ${hx(ep.base)}:${hx(ep.base + ep.size - 1n)}`,
    );
    notCommitted(m);
  });

  it('mismatched range: "failed to find decoder mapping" on each memdev, -ENXIO', () => {
    const { m, n, lines, d } = variant(({ hb }) =>
      Object.assign(hb, { base: hb.base + 0x20000000n }),
    );
    const ep = d.eps[0] as PreCommittedDecoder;
    const want = [n.mem(0xan), n.mem(0xbn)].map(
      (md) => `<3>cxl_mem ${md}: failed to find decoder mapping ${range(ep)}`,
    );
    const i = lines.indexOf(want[0] as string);
    expect(i, lines.join('\n')).toBeGreaterThan(0);
    expect(lines.slice(i, i + 3)).toEqual([...want, '<7>cxl region0: region sort failed']);
    notCommitted(m);
  });

  it('all endpoints at one HPA (each x1 at the same base): mapping error on the first, the second is refused', () => {
    const { m, n, lines, d } = variant(({ eps }) => {
      for (const e of eps) Object.assign(e, { ways: 1, size: 0x10000000n });
    });
    const ep = d.eps[0] as PreCommittedDecoder;
    const ma = n.mem(0xan);
    const i = lines.indexOf(`<3>cxl_mem ${ma}: failed to find decoder mapping ${range(ep)}`);
    expect(i, lines.join('\n')).toBeGreaterThan(0);
    expect(lines[i + 1]).toBe('<7>cxl region0: region sort failed');
    // the second endpoint reaches the region (same range) once it is full: cxl_region_attach
    expect(lines.slice(i + 2)).toContain('<7>cxl region0: region already has 1 endpoints');
    notCommitted(m);
    // the hardware still decodes the firmware's programming: both devices answer the same HPAs
    expect(m.platform.routeHpa(ep.base).ok).toBe(true);
  });

  it('a range outside every window: "no CXL window for range", on the PCI device', () => {
    const { m, n, lines, d } = variant(({ hb, eps }) => {
      for (const x of [hb, ...eps]) x.base += 0x100000000n;
    });
    const ep = d.eps[0] as PreCommittedDecoder;
    for (const serial of [0xan, 0xbn]) {
      const md = n.mem(serial);
      const dev = m.kernel.buses.get('cxl')?.devices.find((x) => x.name === md);
      const cxled = (m.kernel.buses.get('cxl')?.devices ?? []).find(
        (x): x is CxlEndpointDecoder =>
          x instanceof CxlEndpointDecoder && x.port.uportDev === dev && x.id === 0,
      );
      const i = lines.indexOf(
        `<3>cxl_pci ${dev?.parent?.name}: ${md}:${cxled?.name} no CXL window for range ${hx(ep.base)}:${hx(ep.base + ep.size - 1n)}`,
      );
      expect(i, lines.join('\n')).toBeGreaterThan(0);
      expect(lines[i + 1]).toBe(`<7>cxl ${cxled?.name}: failed to add to region: ${range(ep)}`);
    }
    expect(regions(m)).toEqual([]);
  });
});
