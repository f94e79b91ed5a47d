/**
 * DOC: register block discovery (drivers/cxl/core/regs.c).
 *
 * `cxlProbeComponentRegs` walks the CXL.cachemem capability array of a component register
 * block (CXL 3.1 §8.2.4) and records where the HDM decoder (and RAS) capabilities are;
 * `cxlProbeDeviceRegs` walks the device capabilities array (§8.2.8.1); `cxlFindRegblock`
 * reads the Register Locator DVSEC (§8.1.9) of a PCI function and turns BAR index + offset
 * into an HPA, reading the BAR from config space as the PCI core assigned it.
 */
import type { Device } from '../../../kernel/device.ts';
import { Errno } from '../../../kernel/errno.ts';
import { env } from '../../env.ts';
import type { PciDev } from '../../pci/pci-dev.ts';
import {
  CM_CAP_HDR_ARRAY_SIZE_SHIFT,
  CM_CAP_HDR_CAP_ID,
  CM_CAP_HDR_CAP_ID_MASK,
  CXL_CM_CAP_CAP_ID_HDM,
  CXL_CM_CAP_CAP_ID_RAS,
  CXL_CM_CAP_PTR_SHIFT,
  CXL_CM_OFFSET,
  CXLDEV_CAP_CAP_ID_DEVICE_STATUS,
  CXLDEV_CAP_CAP_ID_MEMDEV,
  CXLDEV_CAP_CAP_ID_PRIMARY_MAILBOX,
  CXLDEV_CAP_CAP_ID_SECONDARY_MAILBOX,
} from '../cxl.ts';
import {
  CXL_DVSEC_REG_LOCATOR,
  CXL_DVSEC_REG_LOCATOR_BIR_MASK,
  CXL_DVSEC_REG_LOCATOR_BLOCK_ID_MASK,
  CXL_DVSEC_REG_LOCATOR_BLOCK_ID_SHIFT,
  CXL_DVSEC_REG_LOCATOR_BLOCK_OFF_LOW_MASK,
  CXL_DVSEC_REG_LOCATOR_BLOCK1_OFFSET,
  PCI_VENDOR_ID_CXL,
} from '../cxlpci.ts';
import { CXL_KVER } from '../kver.ts';

/** Offsets (from the component block base) of the capabilities found. */
export interface ComponentMap {
  hdm?: { offset: number };
  ras?: { offset: number };
}

/**
 * cxl_probe_component_regs(): reads the capability array at base + 0x1000.
 * Logs "found HDM decoder capability (0x%x)" etc. on `dev`; the printed value is the
 * capability pointer relative to the CXL.cachemem area.
 */
export function cxlProbeComponentRegs(dev: Device, base: bigint): ComponentMap {
  const e = env(dev);
  const mmio = e.hw.mmio;
  const map: ComponentMap = {};
  const hdr = mmio.read32(base + BigInt(CXL_CM_OFFSET));
  if ((hdr & CM_CAP_HDR_CAP_ID_MASK) !== CM_CAP_HDR_CAP_ID) {
    dev.err('ENXIO', "Couldn't locate the CXL.cache and CXL.mem capability array header.");
    return map;
  }
  const cap_count = hdr >>> CM_CAP_HDR_ARRAY_SIZE_SHIFT;
  for (let cap = 1; cap <= cap_count; cap++) {
    const h = mmio.read32(base + BigInt(CXL_CM_OFFSET + cap * 4));
    const id = h & 0xffff;
    const offset = h >>> CXL_CM_CAP_PTR_SHIFT;
    if (id === CXL_CM_CAP_CAP_ID_HDM) {
      dev.dbg(`found HDM decoder capability (0x${offset.toString(16)})`);
      map.hdm = { offset: CXL_CM_OFFSET + offset };
    } else if (id === CXL_CM_CAP_CAP_ID_RAS && e.since(CXL_KVER.rasCapability)) {
      dev.dbg(`found RAS capability (0x${offset.toString(16)})`);
      map.ras = { offset: CXL_CM_OFFSET + offset };
    } else {
      dev.dbg(`Unknown CM cap ID: ${id} (0x${offset.toString(16)})`);
    }
  }
  return map;
}

/** Offsets (from the device register block base) of the device capabilities. */
export interface DeviceMap {
  status?: number;
  mbox?: number;
  memdev?: number;
}

/** cxl_probe_device_regs(): device capabilities array (CXL 3.1 §8.2.8.1). */
export function cxlProbeDeviceRegs(dev: Device, base: bigint): DeviceMap {
  const mmio = env(dev).hw.mmio;
  const map: DeviceMap = {};
  const cap_array = mmio.read64(base);
  if (Number(cap_array & 0xffffn) !== 0) return map;
  const count = Number((cap_array >> 32n) & 0xffffn);
  for (let cap = 1; cap <= count; cap++) {
    const at = base + BigInt(cap * 0x10);
    const id = mmio.read32(at) & 0xffff;
    const offset = mmio.read32(at + 4n);
    const hex = `0x${offset.toString(16)}`;
    switch (id) {
      case CXLDEV_CAP_CAP_ID_DEVICE_STATUS:
        dev.dbg(`found Status capability (${hex})`);
        map.status = offset;
        break;
      case CXLDEV_CAP_CAP_ID_PRIMARY_MAILBOX:
        dev.dbg(`found Mailbox capability (${hex})`);
        map.mbox = offset;
        break;
      case CXLDEV_CAP_CAP_ID_SECONDARY_MAILBOX:
        dev.dbg(`found Secondary Mailbox capability (${hex})`);
        break;
      case CXLDEV_CAP_CAP_ID_MEMDEV:
        dev.dbg(`found Memory Device capability (${hex})`);
        map.memdev = offset;
        break;
      default:
        if (id >= 0x8000) dev.dbg(`Vendor cap ID: 0x${id.toString(16)} offset: ${hex}`);
        else dev.dbg(`Unknown cap ID: 0x${id.toString(16)} (${hex})`);
    }
  }
  return map;
}

/** A located register block: HPA of the block and its BAR/offset. */
export interface RegBlock {
  base: bigint;
  bar: number;
  offset: bigint;
}

/**
 * cxl_find_regblock(): the first Register Locator entry of type `type`.
 * @throws ENXIO no Register Locator DVSEC; ENODEV no entry of that type
 */
export function cxlFindRegblock(pdev: PciDev, type: number): RegBlock {
  const pos = pdev.findDvsec(PCI_VENDOR_ID_CXL, CXL_DVSEC_REG_LOCATOR);
  if (!pos) throw new Errno('ENXIO', 'no register locator', pdev.name);
  const hdr1 = pdev.cfgRead(pos + 4, 4);
  const len = (hdr1 >>> 20) & 0xfff;
  const n = Math.floor((len - CXL_DVSEC_REG_LOCATOR_BLOCK1_OFFSET) / 8);
  for (let i = 0; i < n; i++) {
    const at = pos + CXL_DVSEC_REG_LOCATOR_BLOCK1_OFFSET + i * 8;
    const lo = pdev.cfgRead(at, 4);
    const hi = pdev.cfgRead(at + 4, 4);
    const bar = lo & CXL_DVSEC_REG_LOCATOR_BIR_MASK;
    const id = (lo & CXL_DVSEC_REG_LOCATOR_BLOCK_ID_MASK) >>> CXL_DVSEC_REG_LOCATOR_BLOCK_ID_SHIFT;
    const offset =
      (BigInt(hi) << 32n) | BigInt((lo & CXL_DVSEC_REG_LOCATOR_BLOCK_OFF_LOW_MASK) >>> 0);
    if (id !== type) continue;
    const barBase = pdev.barStart(bar);
    return { base: barBase + offset, bar, offset };
  }
  throw new Errno('ENODEV', 'register block not found', pdev.name);
}
