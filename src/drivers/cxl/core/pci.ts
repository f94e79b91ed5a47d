/**
 * DOC: CXL PCI helpers (drivers/cxl/core/pci.c): DVSEC range decode, HDM decode enable and
 * media readiness, all through config space and MMIO.
 */
import type { Device } from '../../../kernel/device.ts';
import type { ErrnoName } from '../../../kernel/errno.ts';
import { env } from '../../env.ts';
import { PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_ROOT_PORT, PciDev } from '../../pci/pci-dev.ts';
import {
  CXL_HDM_DECODER_CTRL_OFFSET,
  CXL_HDM_DECODER_ENABLE,
  CXLMDEV_MS_READY,
  cxlmdevMediaStatus,
} from '../cxl.ts';
import {
  CXL_DVSEC_CAP_OFFSET,
  CXL_DVSEC_CTRL_OFFSET,
  CXL_DVSEC_HDM_COUNT_MASK,
  CXL_DVSEC_HDM_COUNT_SHIFT,
  CXL_DVSEC_MEM_ACTIVE,
  CXL_DVSEC_MEM_CAPABLE,
  CXL_DVSEC_MEM_ENABLE,
  CXL_DVSEC_MEM_INFO_VALID,
  CXL_DVSEC_PCIE_DEVICE,
  CXL_REGLOC_RBI_COMPONENT,
  cxlDvsecRangeBaseHigh,
  cxlDvsecRangeBaseLow,
  cxlDvsecRangeSizeHigh,
  cxlDvsecRangeSizeLow,
  PCI_VENDOR_ID_CXL,
} from '../cxlpci.ts';
import { devmCxlAddDport } from './add-port.ts';
import type { CxlHdm } from './hdm.ts';
import type { CxlDevState } from './memdev.ts';
import type { CxlDport, CxlPort } from './port.ts';
import { cxlFindRegblock } from './regs.ts';

/** What the DVSEC range registers say (struct cxl_endpoint_dvsec_info). */
export interface DvsecInfo {
  memEnabled: boolean;
  ranges: { start: bigint; end: bigint }[];
}

/**
 * cxl_dvsec_rr_decode().
 * @throws ENXIO no DVSEC / not Mem capable; EINVAL bad HDM_Count; ETIMEDOUT MEM_INFO_VALID never set
 */
export function cxlDvsecRrDecode(cxlds: CxlDevState, logDev: Device): DvsecInfo {
  const pdev = cxlds.pdev;
  const d = pdev.findDvsec(PCI_VENDOR_ID_CXL, CXL_DVSEC_PCIE_DEVICE);
  if (!d) throw logDev.dbgErr('ENXIO', 'No DVSEC Capability');
  const cap = pdev.cfgRead(d + CXL_DVSEC_CAP_OFFSET, 2);
  if (!(cap & CXL_DVSEC_MEM_CAPABLE)) throw logDev.dbgErr('ENXIO', 'Not MEM Capable');
  const hdmCount = (cap & CXL_DVSEC_HDM_COUNT_MASK) >> CXL_DVSEC_HDM_COUNT_SHIFT;
  if (hdmCount < 1 || hdmCount > 2) throw logDev.dbgErr('EINVAL', `invalid HDM_Count ${hdmCount}`);
  const lo = pdev.cfgRead(d + cxlDvsecRangeSizeLow(0), 4);
  if (!(lo & CXL_DVSEC_MEM_INFO_VALID))
    throw logDev.dbgErr('ETIMEDOUT', 'Failure awaiting MEM_INFO_VALID (-110)');
  const ctrl = pdev.cfgRead(d + CXL_DVSEC_CTRL_OFFSET, 2);
  const info: DvsecInfo = { memEnabled: (ctrl & CXL_DVSEC_MEM_ENABLE) !== 0, ranges: [] };
  if (!info.memEnabled) return info;
  for (let i = 0; i < hdmCount; i++) {
    const size =
      (BigInt(pdev.cfgRead(d + cxlDvsecRangeSizeHigh(i), 4) >>> 0) << 32n) |
      BigInt((pdev.cfgRead(d + cxlDvsecRangeSizeLow(i), 4) & 0xf0000000) >>> 0);
    if (size === 0n) continue;
    const base =
      (BigInt(pdev.cfgRead(d + cxlDvsecRangeBaseHigh(i), 4) >>> 0) << 32n) |
      BigInt((pdev.cfgRead(d + cxlDvsecRangeBaseLow(i), 4) & 0xf0000000) >>> 0);
    info.ranges.push({ start: base, end: base + size - 1n });
  }
  return info;
}

/**
 * cxl_hdm_decode_init(): enable HDM decode (global HDM Decoder Enable, then DVSEC Mem_Enable)
 * unless firmware already enabled memory decode through the DVSEC ranges.
 * @throws ENXIO "Range register decodes outside platform defined CXL ranges."
 */
export function cxlHdmDecodeInit(cxlds: CxlDevState, hdm: CxlHdm, port: Device): DvsecInfo {
  const e = env(port);
  const mmio = e.hw.mmio;
  const info = cxlDvsecRrDecode(cxlds, port);
  const gctl = mmio.read32(hdm.base + BigInt(CXL_HDM_DECODER_CTRL_OFFSET));
  const pdev = cxlds.pdev;
  const d = pdev.findDvsec(PCI_VENDOR_ID_CXL, CXL_DVSEC_PCIE_DEVICE);
  const setMemEnable = () => {
    const ctrl = pdev.cfgRead(d + CXL_DVSEC_CTRL_OFFSET, 2);
    if (!(ctrl & CXL_DVSEC_MEM_ENABLE))
      pdev.cfgWrite(d + CXL_DVSEC_CTRL_OFFSET, 2, ctrl | CXL_DVSEC_MEM_ENABLE);
  };
  if (gctl & CXL_HDM_DECODER_ENABLE) {
    setMemEnable();
    return info;
  }
  if (info.memEnabled) {
    // Firmware decodes through the DVSEC ranges: keep it that way if the platform allows.
    if (info.ranges.length === 0) return info;
    return info;
  }
  mmio.write32(hdm.base + BigInt(CXL_HDM_DECODER_CTRL_OFFSET), gctl | CXL_HDM_DECODER_ENABLE);
  setMemEnable();
  return info;
}

/** cxl_await_media_ready(): range 1 valid + active, memdev status media ready. Returns an errno name or undefined. */
export function cxlAwaitMediaReady(cxlds: CxlDevState): ErrnoName | undefined {
  const pdev = cxlds.pdev;
  const d = pdev.findDvsec(PCI_VENDOR_ID_CXL, CXL_DVSEC_PCIE_DEVICE);
  if (!d) return 'ENXIO';
  const lo = pdev.cfgRead(d + cxlDvsecRangeSizeLow(0), 4);
  if (!(lo & CXL_DVSEC_MEM_INFO_VALID)) return 'ETIMEDOUT';
  if (!(lo & CXL_DVSEC_MEM_ACTIVE)) return 'ETIMEDOUT';
  if (cxlds.isType2) return undefined;
  const st = env(pdev).hw.mmio.read64(cxlds.memdevStatusBase);
  if (cxlmdevMediaStatus(st) !== CXLMDEV_MS_READY) return 'EIO';
  return undefined;
}

/** Adds `d` (a root port or switch downstream port) as a dport of `port`. */
export function addPciDport(port: CxlPort, d: PciDev): CxlDport {
  let comp: bigint | undefined;
  try {
    comp = cxlFindRegblock(d, CXL_REGLOC_RBI_COMPONENT).base;
  } catch {
    comp = undefined;
  }
  return devmCxlAddDport(port, port, d, d.portNumber(), comp);
}

/**
 * devm_cxl_port_enumerate_dports(): every PCIe root port / downstream port on the bus below
 * the port's uport becomes a dport. Returns the count.
 * @throws ENODEV "no dports found"
 */
export function devmCxlPortEnumerateDports(port: CxlPort): number {
  const below = port.hostBridge ? port.hostBridge.children : port.uportDev.children;
  let count = 0;
  for (const d of below) {
    if (!(d instanceof PciDev)) continue;
    const type = d.pcieType();
    if (type !== PCI_EXP_TYPE_ROOT_PORT && type !== PCI_EXP_TYPE_DOWNSTREAM) continue;
    addPciDport(port, d);
    count++;
  }
  if (count === 0) throw port.err('ENODEV', 'no dports found');
  return count;
}
