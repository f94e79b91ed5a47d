/**
 * DOC: finding the CXL pieces of a physical function from the host (vfio_cxl_core.c
 * vfio_cxl_create_device_state(), vfio_cxl_setup_regs(); drivers/cxl/core/regs.c
 * cxl_find_regblock(), cxl_probe_component_regs(); core/hdm.c cxl_get_hdm_info()).
 *
 * All through {@link HostFunction}: config reads for the DVSECs, BAR reads for the component
 * register block (CXL r4.0 §8.1.3, §8.1.9, §8.2.4). Offsets are bytes.
 */
import { Errno } from '../../kernel/errno.ts';
import type { HostFunction } from './host.ts';
import {
  CAP_CACHE_CAPABLE,
  CAP_MEM_CAPABLE,
  CM_CAP_HDR_CAP_ID,
  CM_CAP_ID_HDM,
  CXL_CM_OFFSET,
  CXL_COMPONENT_REG_BLOCK_SIZE,
  DVSEC,
  DVSEC_FLEXBUS_PORT,
  DVSEC_REG_LOCATOR,
  HDM_CAP_DECODER_COUNT_MASK,
  PCI_CLASS_MEMORY_CXL,
  PCI_EXT_CAP_ID_DVSEC,
  PCI_VENDOR_ID_CXL,
  RANGE_MEM_ACTIVE,
  RANGE_MEM_INFO_VALID,
} from './regs.ts';

/** pci_find_dvsec_capability(host, PCI_VENDOR_ID_CXL, id): config offset or 0. */
export function findDvsec(host: HostFunction, id: number): number {
  let pos = 0x100;
  for (let ttl = 480; pos >= 0x100 && ttl > 0; ttl--) {
    const hdr = host.cfgRead(pos, 4) >>> 0;
    if (hdr === 0 || hdr === 0xffffffff) return 0;
    if ((hdr & 0xffff) === PCI_EXT_CAP_ID_DVSEC) {
      const h1 = host.cfgRead(pos + DVSEC.HEADER1, 4);
      if ((h1 & 0xffff) === PCI_VENDOR_ID_CXL && host.cfgRead(pos + DVSEC.HEADER2, 2) === id)
        return pos;
    }
    pos = (hdr >>> 20) & 0xffc;
  }
  return 0;
}

/** DVSEC Header 1 length field (PCI_DVSEC_HEADER1_LEN): bytes. */
export function dvsecLength(host: HostFunction, dvsec: number): number {
  return (host.cfgRead(dvsec + DVSEC.HEADER1, 4) >>> 20) & 0xfff;
}

/** pcie_is_cxl(): the function has a Flex Bus Port DVSEC (a CXL link). */
export function pcieIsCxl(host: HostFunction): boolean {
  return findDvsec(host, DVSEC_FLEXBUS_PORT) !== 0;
}

/** What vfio_cxl_create_device_state() keeps. */
export interface CxlDeviceState {
  dvsec: number;
  dvsecLength: number;
  cacheCapable: boolean;
}

/**
 * vfio_cxl_create_device_state(): only vendor devices — Mem_Capable set and class not
 * PCI_CLASS_MEMORY_CXL (type-3 expanders belong to cxl_pci).
 * @throws ENODEV not a device this variant handles (silent: plain vfio-pci)
 */
export function createDeviceState(host: HostFunction, dvsec: number): CxlDeviceState {
  const cap = host.cfgRead(dvsec + DVSEC.CAP, 2);
  const classCode = host.cfgRead(0x08, 4) >>> 8;
  if (!(cap & CAP_MEM_CAPABLE) || classCode >>> 8 === PCI_CLASS_MEMORY_CXL)
    throw new Errno('ENODEV', undefined, host.bdf);
  return {
    dvsec,
    dvsecLength: dvsecLength(host, dvsec),
    cacheCapable: (cap & CAP_CACHE_CAPABLE) !== 0,
  };
}

/** Where the component registers and the HDM capability are (vfio_cxl_setup_regs()). */
export interface CxlRegMap {
  /** BAR holding the component register block and the block's offset in it. */
  bar: number;
  offset: number;
  /** CXL_COMPONENT_REG_BLOCK_SIZE. */
  size: number;
  /** HDM capability offset relative to the CXL.mem area (hdm_reg_offset). */
  hdmOffset: number;
  /** HDM capability bytes (0x10 + 0x20 × count) and decoder count. */
  hdmSize: number;
  hdmCount: number;
}

/**
 * cxl_find_regblock(COMPONENT) + cxl_probe_component_regs() + cxl_get_hdm_info().
 * @throws ENXIO no Register Locator; ENODEV no component block / no HDM capability
 */
export function setupRegs(host: HostFunction): CxlRegMap {
  const loc = findDvsec(host, DVSEC_REG_LOCATOR);
  if (!loc) throw new Errno('ENXIO', undefined, host.bdf);
  const len = dvsecLength(host, loc);
  let found: { bar: number; offset: number } | undefined;
  for (let at = loc + 0x0c; at + 8 <= loc + len; at += 8) {
    const lo = host.cfgRead(at, 4) >>> 0;
    const hi = host.cfgRead(at + 4, 4) >>> 0;
    if (((lo >>> 8) & 0xff) !== 1) continue;
    const bar = lo & 0x7;
    const offset = hi * 2 ** 32 + (lo & 0xffff0000);
    if (BigInt(offset) > host.barLength(bar)) continue;
    found = { bar, offset };
    break;
  }
  if (!found) throw new Errno('ENODEV', undefined, host.bdf);
  const cm = (off: number) => host.barRead32(found.bar, found.offset + CXL_CM_OFFSET + off) >>> 0;
  const hdr = cm(0);
  if ((hdr & 0xffff) !== CM_CAP_HDR_CAP_ID) throw new Errno('ENODEV', undefined, host.bdf);
  const count = hdr >>> 24;
  let hdmOffset: number | undefined;
  for (let i = 1; i <= count; i++) {
    const h = cm(4 * i);
    if ((h & 0xffff) === CM_CAP_ID_HDM) hdmOffset = h >>> 20;
  }
  if (hdmOffset === undefined) throw new Errno('ENODEV', undefined, host.bdf);
  const field = cm(hdmOffset) & HDM_CAP_DECODER_COUNT_MASK;
  const hdmCount = field ? field * 2 : 1;
  return {
    bar: found.bar,
    offset: found.offset,
    size: CXL_COMPONENT_REG_BLOCK_SIZE,
    hdmOffset,
    hdmSize: 0x10 + 0x20 * hdmCount,
    hdmCount,
  };
}

/** cxl_await_range_active(): Range 1 Memory_Info_Valid and Memory_Active (no waiting here). */
export function rangeActive(host: HostFunction, dvsec: number): boolean {
  const lo = host.cfgRead(dvsec + DVSEC.RANGE1_SIZE_LO, 4);
  return (lo & RANGE_MEM_INFO_VALID) !== 0 && (lo & RANGE_MEM_ACTIVE) !== 0;
}
