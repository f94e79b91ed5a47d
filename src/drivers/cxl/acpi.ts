/**
 * DOC: the cxl_acpi driver (drivers/cxl/acpi.c cxl_acpi_probe): the CXL root from ACPI0017,
 * one root dport per ACPI0016 host bridge with a CHBS (dport id = _UID), one root decoder per
 * valid CFMWS (`decoder0.N`), one `portN` per CXL 2.0 host bridge, and the nvdimm bridge.
 *
 * A bad CFMWS is logged and skipped; it never fails the probe. Messages follow the profile's
 * kernel (6.1 vs later wording, as the captures and cedt.md show).
 */

import { driverProbe } from '../../kernel/dd.ts';
import type { Device } from '../../kernel/device.ts';
import { Errno } from '../../kernel/errno.ts';
import { copiedWeakMap } from '../../kernel/graph-copy.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { memregionAlloc } from '../../kernel/memregion.ts';
import type { AcpiDevice, AcpiScan } from '../acpi/scan.ts';
import {
  ACPI_CEDT_TYPE_CFMWS,
  ACPI_CEDT_TYPE_CHBS,
  ACPI_CEDT_TYPE_CXIMS,
  acpiTableParseCedt,
  readCfmws,
  readChbs,
  readCxims,
} from '../acpi/tables.ts';
import { env } from '../env.ts';
import { devmCxlAddDport, devmCxlAddPort } from './core/add-port.ts';
import { CxlRootDecoder, frozenRange } from './core/decoder.ts';
import { rootDecoderAttrGroups } from './core/decoder-sysfs.ts';
import type { CxlPort } from './core/port.ts';
import { cxlRegionRootDecoderAttrs } from './core/region/sysfs.ts';
import { sharedGroups } from './core/sysfs-common.ts';
import {
  CXL_DECODER_F_ENABLE,
  CXL_DECODER_F_LOCK,
  CXL_DECODER_F_PMEM,
  CXL_DECODER_F_RAM,
  CXL_DECODER_F_TYPE2,
  CXL_DECODER_F_TYPE3,
  CXL_DECODER_MIN_GRANULARITY,
  eigToGranularity,
  eiwToWays,
  SZ_256M,
} from './cxl.ts';
import { cxlAcpiDriver } from './drivers.ts';
import { CXL_KVER, cxlKver } from './kver.ts';
import { devmCxlAddNvdimmBridge } from './pmem.ts';

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** The root decoder's groups with the region driver's create/delete attributes (region.c). */
const ROOT_DECODER_GROUPS = sharedGroups<CxlRootDecoder>(() => [
  ...rootDecoderAttrGroups(),
  { attrs: cxlRegionRootDecoderAttrs },
]);
/** cfmws_to_decoder_flags(). */
export function cfmwsToDecoderFlags(restrictions: number): number {
  let flags = CXL_DECODER_F_ENABLE;
  if (restrictions & 0x01) flags |= CXL_DECODER_F_TYPE2;
  if (restrictions & 0x02) flags |= CXL_DECODER_F_TYPE3;
  if (restrictions & 0x04) flags |= CXL_DECODER_F_RAM;
  if (restrictions & 0x08) flags |= CXL_DECODER_F_PMEM;
  if (restrictions & 0x10) flags |= CXL_DECODER_F_LOCK;
  return flags;
}

/** State of one probe: resources already claimed and the window counter. */
interface ParseCtx {
  host: Device;
  root: CxlPort;
  id: number;
  windows: { start: bigint; end: bigint }[];
}

/**
 * cxl_acpi_cfmws_verify().
 * @throws EINVAL with the kernel's message (logged on the ACPI0017 device)
 */
function cfmwsVerify(ctx: ParseCtx, c: ReturnType<typeof readCfmws>, length: number): void {
  const e = env(ctx.host);
  if (c.arithmetic !== 0 && !(e.since(CXL_KVER.cfmwsXorArithmetic) && c.arithmetic === 1)) {
    throw ctx.host.err(
      'EINVAL',
      e.since(CXL_KVER.cfmwsXorArithmetic)
        ? `CFMWS Unknown Interleave Arithmetic: ${c.arithmetic}`
        : 'CFMWS Unsupported Interleave Arithmetic',
    );
  }
  if (c.baseHpa % SZ_256M !== 0n) throw ctx.host.err('EINVAL', 'CFMWS Base HPA not 256MB aligned');
  if (c.windowSize % SZ_256M !== 0n)
    throw ctx.host.err('EINVAL', 'CFMWS Window Size not 256MB aligned');
  let ways: number;
  try {
    ways = eiwToWays(c.eniw);
  } catch {
    throw ctx.host.err('EINVAL', `CFMWS Interleave Ways (${c.eniw}) invalid`);
  }
  const expected = 0x24 + 4 * ways;
  if (length < expected)
    throw ctx.host.err('EINVAL', `CFMWS length ${length} less than expected ${expected}`);
  if (length > expected) ctx.host.dbg(`CFMWS length ${length} greater than expected ${expected}`);
}

/** __cxl_parse_cfmws(): one root decoder; throws on failure (the caller logs and goes on). */
function parseCfmws(
  ctx: ParseCtx,
  c: ReturnType<typeof readCfmws>,
  length: number,
  cxims: ReturnType<typeof readCxims>[],
): CxlRootDecoder {
  cfmwsVerify(ctx, c, length);
  const ways = eiwToWays(c.eniw);
  let ig = eigToGranularity(c.hbig);
  const start = c.baseHpa;
  const end = c.baseHpa + c.windowSize - 1n;
  const resName = `CXL Window ${ctx.id++}`;
  if (ctx.windows.some((w) => start <= w.end && end >= w.start))
    throw new Errno('EBUSY', 'window overlaps another window');
  const port = ctx.root;
  const id = port.decoderIda.alloc();
  const cxlrd = new CxlRootDecoder(port, id, ways);
  cxlrd.setGroups(ROOT_DECODER_GROUPS());
  cxlrd.resName = resName;
  cxlrd.flags = cfmwsToDecoderFlags(c.restrictions);
  cxlrd.targetType = 'expander';
  cxlrd.hpaRange = frozenRange(start, end);
  cxlrd.interleaveWays = ways;
  if (ways === 1) ig = CXL_DECODER_MIN_GRANULARITY;
  cxlrd.interleaveGranularity = ig;
  cxlrd.arithmetic = c.arithmetic === 1 ? 'xor' : 'modulo';
  if (cxlrd.arithmetic === 'xor' && ways !== 1 && ways !== 3) {
    const need = Math.log2(ways % 3 === 0 ? ways / 3 : ways);
    let found = false;
    for (const x of cxims) {
      let g: number;
      try {
        g = eigToGranularity(x.hbig);
      } catch (err) {
        port.decoderIda.free(id);
        throw err;
      }
      if (g !== ig) continue;
      if (x.xormaps.length < need) {
        ctx.host.dbg(`CXIMS nr_xormaps[${x.xormaps.length}] expected[${need}]`);
        port.decoderIda.free(id);
        throw new Errno('ENXIO', 'CXIMS too few maps');
      }
      cxlrd.xormaps = x.xormaps.slice(0, need);
      found = true;
    }
    if (!found) {
      port.decoderIda.free(id);
      throw ctx.host.err('EINVAL', `No CXIMS for HBIG ${c.hbig}`);
    }
  }
  if (env(ctx.host).since(CXL_KVER.rootDecoderQosClass)) cxlrd.qosClass = c.qtgId;
  cxlrd.targetMap = c.targets.slice(0, ways);
  for (let i = 0; i < ways; i++) {
    const dport = port.findDport(cxlrd.targetMap[i] ?? -1);
    if (!dport && !env(ctx.host).since(CXL_KVER.rootTargetMissingDportTolerated)) {
      port.decoderIda.free(id);
      throw new Errno('ENXIO', 'missing root dport');
    }
    cxlrd.targets[i] = dport;
  }
  cxlrd.regionId = memregionAlloc(ctx.host.ctx);
  cxlrd.add();
  ctx.windows.push({ start, end });
  return cxlrd;
}

/**
 * The device a host bridge's root dport is registered for: from {@link CXL_KVER.hostBridgePciDev}
 * (6.3) `pci_root->bus->bridge`, the `pciSSSS:BB` device (root0/dportN → ../../../pci0000:0c in
 * the 6.12 and 7.3 captures); before, the ACPI0016 device (6.1 capture). Under
 * tools/testing/cxl (an ACPI0017 companion registered by a mock platform driver) the
 * to_cxl_host_bridge() and acpi_pci_find_root() mocks hand cxl_acpi the host bridge's own device
 * (`cxl_host_bridge.N`) on every version, the same device that becomes the port's uport.
 */
function hostBridgeDportDev(kernel: Kernel, scan: AcpiScan, hb: AcpiDevice): Device {
  const mock = scan.cxlRoot?.acpi.node.platformDevice !== undefined;
  const pciDev = mock || cxlKver(kernel, 'hostBridgePciDev');
  return pciDev && hb.physical ? hb.physical : hb.dev;
}

/** add_host_bridge_dport(): one root dport per ACPI0016 host bridge with a usable CHBS. */
function addHostBridgeDport(
  kernel: Kernel,
  host: Device,
  root: CxlPort,
  hb: AcpiDevice,
  dportDev: Device,
): void {
  const uid = hb.node.uid;
  if (uid === undefined) {
    throw hb.dev.err('ENODEV', 'unable to retrieve _UID');
  }
  if (env(kernel).since(CXL_KVER.uidFoundDbg)) hb.dev.dbg(`UID found: ${uid}`);
  let chbs: ReturnType<typeof readChbs> | undefined;
  const e = env(kernel);
  acpiTableParseCedt(kernel, ACPI_CEDT_TYPE_CHBS, (s) => {
    const c = readChbs(s);
    if (chbs || c.uid !== uid) return;
    if (c.cxlVersion === 0 && c.length !== 0x2000n) return;
    if (c.cxlVersion === 1 && c.length !== 0x10000n && e.since(CXL_KVER.chbsCxl2LengthCheck))
      return;
    if (c.base === 0n) return;
    chbs = c;
  });
  if (!chbs) {
    hb.dev.warn(`No CHBS found for Host Bridge (UID ${uid})`);
    return;
  }
  const dport = devmCxlAddDport(host, root, dportDev, uid, chbs.base);
  chbsByDport.set(dport.dport, chbs);
}

const chbsByDport = copiedWeakMap<Device, ReturnType<typeof readChbs>>();

/** add_host_bridge_uport(): the host bridge's `portN`, probed by cxl_port. */
function addHostBridgeUport(host: Device, root: CxlPort, hb: AcpiDevice, dportDev: Device): void {
  const dport = root.findDportByDev(dportDev);
  if (!dport) {
    host.dbg('host bridge expected and not found');
    return;
  }
  const chbs = chbsByDport.get(dportDev);
  const info = cxlKver(host, 'hostSupportsCxlInfo');
  if (chbs?.cxlVersion !== 1) {
    if (chbs?.cxlVersion === 0) (info ? dportDev : hb.dev).info('host supports CXL (restricted)');
    return;
  }
  hb.dev.dbg(`host-bridge: ${hb.dev.name}`);
  const port = devmCxlAddPort(
    hb.dev,
    // the uport is the device the root dport was registered for (hostBridgeDportDev(): the
    // ACPI0016 device before 6.3, the PCI host bridge after, cxl_test's cxl_host_bridge.N always)
    dportDev,
    chbs.base,
    dport,
    'switch',
    root,
    hb.physical,
  );
  if (info && port.registered) dportDev.info('host supports CXL');
}

/**
 * cxl_acpi_probe().
 * @throws ENXIO when the CEDT cannot be parsed at all (no root is then left behind)
 */
export function cxlAcpiProbe(kernel: Kernel, scan: AcpiScan): CxlPort | undefined {
  const cr = scan.cxlRoot;
  if (!cr) return undefined;
  const host = cr.pdev;
  let root: CxlPort | undefined;
  driverProbe(host, cxlAcpiDriver, () => {
    root = devmCxlAddPort(host, host, undefined, undefined, 'root', host);
    const r = root;
    const hbs = scan.devices.filter((d) => d.node.hid === 'ACPI0016' && d.pciRoot);
    for (const hb of hbs)
      addHostBridgeDport(kernel, host, r, hb, hostBridgeDportDev(kernel, scan, hb));
    const cxims: ReturnType<typeof readCxims>[] = [];
    acpiTableParseCedt(kernel, ACPI_CEDT_TYPE_CXIMS, (s) => cxims.push(readCxims(s)));
    const ctx: ParseCtx = { host, root: r, id: 0, windows: [] };
    const e = env(kernel);
    const rc = acpiTableParseCedt(kernel, ACPI_CEDT_TYPE_CFMWS, (s) => {
      const c = readCfmws(s);
      try {
        const cxlrd = parseCfmws(ctx, c, s.length, cxims);
        const rng = `[${hex(cxlrd.hpaRange.start)} - ${hex(cxlrd.hpaRange.end)}]`;
        if (e.since(CXL_KVER.cfmwsDecodeRangeMsgs)) host.dbg(`decode range: node: -1 range ${rng}`);
        else host.dbg(`add: ${cxlrd.name} node: -1 range ${rng}`);
      } catch (err) {
        const end = c.baseHpa + c.windowSize - 1n;
        if (e.since(CXL_KVER.cfmwsDecodeRangeMsgs))
          host.err(
            'EINVAL',
            `Failed to add decode range: [${hex(c.baseHpa)} - ${hex(end)}] (${err instanceof Errno ? err.errno : -22})`,
          );
        else host.err('EINVAL', `Failed to add decode range [${hex(c.baseHpa)} - ${hex(end)}]`);
      }
    });
    if (rc < 0) {
      r.del();
      throw host.err('ENXIO', 'no CEDT');
    }
    for (const hb of hbs) addHostBridgeUport(host, r, hb, hostBridgeDportDev(kernel, scan, hb));
    if (r.decoders().some((d) => (d.flags & CXL_DECODER_F_PMEM) !== 0))
      devmCxlAddNvdimmBridge(host, r);
  });
  return root;
}
