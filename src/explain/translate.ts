/**
 * DOC: one address, two views — what the *hardware* does with an HPA (the platform's decode
 * through the CFMWS and the committed HDM decoders, hw/memory/route.ts, QEMU cxl-host.c) and
 * what the *driver* says about it (core/region.c region_offset_to_dpa_result() via
 * cxlRegionHpaToDpa, and cxl_dpa_to_hpa() via cxlDpaToHpa), and whether they agree.
 *
 * Results are plain data (bigint addresses); rendering is the CLI's. Nothing here changes the
 * machine except the kernel's own messages the translation functions log on failure.
 */
import { pciName } from '../bus/index.ts';
import { CxlRootDecoder } from '../drivers/cxl/core/decoder.ts';
import { CxlMemdev } from '../drivers/cxl/core/memdev.ts';
import {
  type CxlRegion,
  cxlDpaToHpa,
  cxlRegionHpaToDpa,
  isCxlRegion,
} from '../drivers/cxl/core/region/index.ts';
import { cxledToMemdev } from '../drivers/cxl/core/region/region.ts';
import { ULLONG_MAX } from '../drivers/cxl/core/region/translate.ts';
import { PciDev } from '../drivers/pci/pci-dev.ts';
import type { BelowPortModel, Type2Model, Type3Model } from '../hw/dev/model.ts';
import type { Platform } from '../hw/platform.ts';
import type { Device } from '../kernel/device.ts';
import { Errno } from '../kernel/errno.ts';
import type { Machine } from '../machine.ts';

/** One step of the hardware decode. */
export interface Hop {
  kind: 'window' | 'host-bridge' | 'switch' | 'endpoint';
  /** Topology id (QEMU id=) of the component; for the window "CFMWS n". */
  id: string;
  /** Guest name when there is one (root decoder, memdev). */
  guest?: string;
  /** HDM decoder index used (undefined: passthrough). */
  decoder?: number;
  /** Window: interleave position; host bridge / switch: port number chosen. */
  position?: number;
  port?: number;
  /** Endpoint: PCI function and DPA. */
  bdf?: string;
  dpa?: bigint;
}

/** The hardware's decode of one HPA. */
export interface HardwareView {
  ok: boolean;
  hops: Hop[];
  /** Where and why decoding stopped. */
  stop?: { at: string; reason: string };
  /** Endpoint PCI function, memdev and DPA when decoded. */
  bdf?: string;
  memdev?: string;
  dpa?: bigint;
}

/** The driver's translation. */
export interface DriverView {
  ok: boolean;
  rootDecoder?: string;
  region?: string;
  /** Region state number and HPA range. */
  state?: number;
  range?: { start: bigint; end: bigint };
  ways?: number;
  granularity?: number;
  arithmetic?: 'modulo' | 'xor';
  position?: number;
  memdev?: string;
  decoder?: string;
  dpa?: bigint;
  hpa?: bigint;
  /** Why there is no translation. */
  reason?: string;
}

/** Both views of one address and the verdict. */
export interface TranslateReport {
  hpa?: bigint;
  /** For a DPA query: the memdev and DPA asked about. */
  query?: { memdev: string; dpa: bigint };
  hardware: HardwareView;
  driver: DriverView;
  agree: boolean;
  /** What differs, when they disagree. */
  disagreement?: string;
}

const cxlDevices = (m: Machine) => m.kernel.buses.get('cxl')?.devices ?? [];

/**
 * The "SSSS:BB:DD.F" address of a memdev's parent PCI function (a cxl_test mock function is
 * named as the mock's platform device, not pci_name()); its name when it is not PCI.
 */
function pciDevName(p: Device | undefined): string {
  return p instanceof PciDev ? pciName(p.segment, p.busNr, p.devfn) : (p?.name ?? '');
}

/** The memdev whose PCI device is at `bdf`. */
function memdevByBdf(m: Machine, bdf: string): CxlMemdev | undefined {
  return cxlDevices(m).find(
    (d): d is CxlMemdev => d instanceof CxlMemdev && pciDevName(d.parent) === bdf,
  );
}

/** The hardware decode of `hpa` as hops (platform inspection only). */
export function hardwareView(m: Machine, platform: Platform, hpa: bigint): HardwareView {
  const r = platform.routeHpa(hpa);
  const hops: Hop[] = [];
  const view: HardwareView = { ok: r.ok, hops };
  if (r.stop) view.stop = r.stop;
  if (r.window === undefined) return view;
  const rd = cxlDevices(m).find(
    (d): d is CxlRootDecoder =>
      d instanceof CxlRootDecoder && hpa >= d.hpaRange.start && hpa <= d.hpaRange.end,
  );
  hops.push({
    kind: 'window',
    id: `CFMWS ${r.window}`,
    ...(rd ? { guest: rd.name } : {}),
    ...(r.position !== undefined ? { position: r.position } : {}),
  });
  const hb = platform.hostBridges.find((h) => h.id === r.hostBridgeId);
  if (!hb) return view;
  const decOf = (id: string) => r.decoders.find((d) => d.component === id)?.decoder;
  const hbHop: Hop = { kind: 'host-bridge', id: hb.id };
  const hbDec = decOf(hb.id);
  if (hbDec !== undefined) hbHop.decoder = hbDec;
  if (r.ports[0] !== undefined) hbHop.port = r.ports[0];
  hops.push(hbHop);
  let below: BelowPortModel | undefined = hb.rootPorts.find((p) => p.port === r.ports[0])?.child;
  for (let i = 1; below?.kind === 'switch'; i++) {
    const sw = below;
    const hop: Hop = { kind: 'switch', id: sw.topo.id };
    const d = decOf(sw.topo.id);
    if (d !== undefined) hop.decoder = d;
    const port = r.ports[i];
    if (port === undefined) {
      hops.push(hop);
      return view;
    }
    hop.port = port;
    hops.push(hop);
    below = sw.dsps.find((x) => x.port === port)?.child;
  }
  if (below && r.endpoint !== undefined) {
    const hop: Hop = { kind: 'endpoint', id: below.topo.id, bdf: r.endpoint };
    const md = memdevByBdf(m, r.endpoint);
    if (md) hop.guest = md.name;
    const d = decOf(below.topo.id);
    if (d !== undefined) hop.decoder = d;
    if (r.dpa !== undefined) hop.dpa = r.dpa;
    hops.push(hop);
    view.bdf = r.endpoint;
    if (md) view.memdev = md.name;
    if (r.dpa !== undefined) view.dpa = r.dpa;
  }
  return view;
}

/** Regions of the machine whose HPA range holds `hpa` (committed first). */
function regionsAt(m: Machine, hpa: bigint): CxlRegion[] {
  return cxlDevices(m)
    .filter(
      (d): d is CxlRegion =>
        isCxlRegion(d) &&
        d.registered &&
        !!d.params.res &&
        hpa >= d.params.res.start &&
        hpa <= d.params.res.end,
    )
    .sort((a, b) => b.params.state - a.params.state);
}

/** The region fields every driver view shows. */
function regionFields(r: CxlRegion): DriverView {
  const v: DriverView = {
    ok: false,
    rootDecoder: r.cxlrd.name,
    region: r.name,
    state: r.params.state,
    ways: r.params.interleaveWays,
    granularity: r.params.interleaveGranularity,
    arithmetic: r.cxlrd.arithmetic,
  };
  if (r.params.res) v.range = { ...r.params.res };
  return v;
}

/** The driver's view of `hpa`: the region holding it and region_offset_to_dpa_result(). */
export function driverView(m: Machine, hpa: bigint): DriverView {
  const r = regionsAt(m, hpa)[0];
  if (!r) return { ok: false, reason: 'no region of the driver maps this HPA' };
  const v = regionFields(r);
  if (r.params.nrTargets !== r.params.interleaveWays) {
    v.reason = `${r.name} has ${r.params.nrTargets} of ${r.params.interleaveWays} targets`;
    return v;
  }
  const res = cxlRegionHpaToDpa(r, hpa);
  if (!res) {
    v.reason = `${r.name}: the region driver cannot translate this HPA`;
    return v;
  }
  return {
    ...v,
    ok: true,
    position: res.pos,
    memdev: res.cxlmd.name,
    decoder: res.cxled.name,
    dpa: res.dpa,
  };
}

/** Both views of an HPA. @throws EOPNOTSUPP when the machine has no platform */
export function translateHpa(m: Machine, hpa: bigint): TranslateReport {
  if (!m.platform) throw new Errno('EOPNOTSUPP', 'this machine has no emulated platform');
  const hardware = hardwareView(m, m.platform, hpa);
  const driver = driverView(m, hpa);
  return { hpa, hardware, driver, ...verdict(hardware, driver) };
}

/** Agreement of the two views (both say nothing, or the same memdev and DPA). */
function verdict(hw: HardwareView, drv: DriverView): { agree: boolean; disagreement?: string } {
  if (!hw.ok && !drv.ok) return { agree: true };
  if (hw.ok && !drv.ok)
    return {
      agree: false,
      disagreement: `the hardware decodes it to ${hw.memdev ?? hw.bdf} DPA 0x${hw.dpa?.toString(16)}, but ${drv.reason ?? 'the driver does not'}`,
    };
  if (!hw.ok && drv.ok)
    return {
      agree: false,
      disagreement: `the driver maps it to ${drv.memdev} DPA 0x${drv.dpa?.toString(16)}, but the hardware does not decode it (${hw.stop?.reason ?? 'unknown'})`,
    };
  if (hw.memdev !== drv.memdev || hw.dpa !== drv.dpa)
    return {
      agree: false,
      disagreement: `hardware: ${hw.memdev ?? hw.bdf} DPA 0x${hw.dpa?.toString(16)}; driver: ${drv.memdev} DPA 0x${drv.dpa?.toString(16)}`,
    };
  return { agree: true };
}

/** The type-3 / type-2 model whose function is `bdf`. */
function endpointModel(platform: Platform, bdf: string): Type3Model | Type2Model | undefined {
  const f = platform.functions().get(bdf);
  const d = f?.device;
  return d && (d.kind === 'type3' || d.kind === 'type2') ? d : undefined;
}

/**
 * The HPA the hardware reaches `memdev`'s `dpa` at: the endpoint's committed decoder mapping
 * the DPA, tried at every interleave position, keeping the HPA whose full decode comes back.
 */
export function hardwareDpaToHpa(platform: Platform, bdf: string, dpa: bigint): bigint | undefined {
  const hdm = endpointModel(platform, bdf)?.component.hdm;
  if (!hdm) return undefined;
  for (let n = 0; n < hdm.decoderCount; n++) {
    const s = hdm.snapshot(n);
    if (!s.committed) break;
    const ways = s.eiw < 8 ? 1 << s.eiw : 3 << (s.eiw - 8);
    for (let pos = 0; pos < ways; pos++) {
      const hpa = hdm.dpaToHpa(dpa, pos);
      if (hpa === undefined) continue;
      const r = platform.routeHpa(hpa);
      if (r.ok && r.endpoint === bdf && r.dpa === dpa) return hpa;
    }
  }
  return undefined;
}

/**
 * Both views of `memdev`'s `dpa`: the driver's cxl_dpa_to_hpa() in the region whose endpoint
 * decoder holds the DPA, and the HPA the hardware reaches it at.
 * @throws ENODEV no such memdev; EOPNOTSUPP no platform
 */
export function translateDpa(m: Machine, memdev: string, dpa: bigint): TranslateReport {
  const platform = m.platform;
  if (!platform) throw new Errno('EOPNOTSUPP', 'this machine has no emulated platform');
  const md = cxlDevices(m).find((d): d is CxlMemdev => d instanceof CxlMemdev && d.name === memdev);
  if (!md) throw new Errno('ENODEV', `no memdev ${memdev}`);
  const bdf = pciDevName(md.parent);
  const query = { memdev, dpa };
  const hwHpa = hardwareDpaToHpa(platform, bdf, dpa);
  const hardware: HardwareView =
    hwHpa === undefined
      ? {
          ok: false,
          hops: [],
          stop: { at: bdf, reason: 'no committed HDM decoder path reaches this DPA' },
        }
      : hardwareView(m, platform, hwHpa);
  let driver: DriverView = {
    ok: false,
    reason: `no region of ${memdev} holds DPA 0x${dpa.toString(16)}`,
  };
  for (const r of cxlDevices(m).filter(isCxlRegion)) {
    const t = r.params.targets
      .slice(0, r.params.interleaveWays)
      .find(
        (x) => x?.dpaRes && cxledToMemdev(x) === md && dpa >= x.dpaRes.start && dpa <= x.dpaRes.end,
      );
    if (!t) continue;
    driver = { ...regionFields(r), position: t.pos, memdev, decoder: t.name, dpa };
    const hpa = cxlDpaToHpa(r, md, dpa);
    if (hpa === ULLONG_MAX) driver.reason = 'cxl_dpa_to_hpa() gives no address';
    else driver = { ...driver, ok: true, hpa };
    break;
  }
  let v = verdictDpa(hwHpa, driver);
  if (v.agree && hwHpa !== undefined && hardware.memdev !== memdev)
    v = {
      agree: false,
      disagreement: `the hardware path ends at ${hardware.memdev ?? hardware.bdf}`,
    };
  return {
    ...(hwHpa !== undefined ? { hpa: hwHpa } : driver.hpa !== undefined ? { hpa: driver.hpa } : {}),
    query,
    hardware,
    driver,
    ...v,
  };
}

function verdictDpa(
  hw: bigint | undefined,
  drv: DriverView,
): { agree: boolean; disagreement?: string } {
  if (hw === undefined && !drv.ok) return { agree: true };
  if (hw !== undefined && !drv.ok)
    return {
      agree: false,
      disagreement: `the hardware reaches it at HPA 0x${hw.toString(16)}, but ${drv.reason ?? 'the driver does not'}`,
    };
  if (hw === undefined)
    return {
      agree: false,
      disagreement: `the driver says HPA 0x${drv.hpa?.toString(16)}, but no committed decoder path reaches it`,
    };
  if (hw !== drv.hpa)
    return {
      agree: false,
      disagreement: `hardware: HPA 0x${hw.toString(16)}; driver: HPA 0x${drv.hpa?.toString(16)}`,
    };
  return { agree: true };
}

/** "0x…" of a bigint. */
export const hex = (v: bigint) => `0x${v.toString(16)}`;

/** Human-readable report. */
export function renderTranslate(r: TranslateReport): string {
  const out: string[] = [];
  if (r.query) out.push(`${r.query.memdev} DPA ${hex(r.query.dpa)}`);
  else if (r.hpa !== undefined) out.push(`HPA ${hex(r.hpa)}`);
  out.push('hardware (committed HDM decoders):');
  if (r.hardware.ok || r.hardware.hops.length) {
    if (r.query && r.hpa !== undefined) out.push(`  HPA         ${hex(r.hpa)}`);
    for (const h of r.hardware.hops) out.push(`  ${renderHop(h)}`);
  }
  if (!r.hardware.ok)
    out.push(`  not decoded at ${r.hardware.stop?.at ?? '?'}: ${r.hardware.stop?.reason ?? '?'}`);
  out.push('driver (region translation):');
  const d = r.driver;
  if (d.region) {
    const range = d.range ? ` [${hex(d.range.start)}-${hex(d.range.end)}]` : '';
    out.push(
      `  region      ${d.region} in ${d.rootDecoder}${range} ${d.ways}-way ${d.granularity} B ${d.arithmetic} (state ${d.state})`,
    );
  }
  if (d.ok) {
    if (r.query && d.hpa !== undefined) out.push(`  HPA         ${hex(d.hpa)}`);
    out.push(`  position    ${d.position}`);
    out.push(`  memdev      ${d.memdev} (${d.decoder})`);
    out.push(`  DPA         ${d.dpa === undefined ? '?' : hex(d.dpa)}`);
  } else out.push(`  ${d.reason ?? 'no translation'}`);
  out.push(r.agree ? 'agree: yes' : `agree: NO — ${r.disagreement ?? ''}`);
  return `${out.join('\n')}\n`;
}

function renderHop(h: Hop): string {
  const dec =
    h.decoder !== undefined
      ? `HDM decoder ${h.decoder}`
      : h.port === undefined && h.kind !== 'endpoint'
        ? 'HDM decoders'
        : 'passthrough';
  const to = (what: string) => (h.port === undefined ? '✗' : `${what} ${h.port}`);
  switch (h.kind) {
    case 'window':
      return `window      ${h.id}${h.guest ? ` (${h.guest})` : ''} → position ${h.position}`;
    case 'host-bridge':
      return `host bridge ${h.id}  ${dec} → ${to('root port')}`;
    case 'switch':
      return `switch      ${h.id}  ${dec} → ${to('downstream port')}`;
    case 'endpoint':
      return `endpoint    ${h.id} ${h.bdf}${h.guest ? ` (${h.guest})` : ''}  ${h.dpa === undefined ? 'HDM decoders → ✗' : `${dec} → DPA ${hex(h.dpa)}`}`;
  }
}

/** JSON-safe copy (bigints as "0x…" strings). */
export function toJson(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? hex(v) : v)));
}
