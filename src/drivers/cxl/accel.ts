/**
 * DOC: a minimal guest accelerator driver for CXL type-2 functions (what a GPU driver does with
 * Linux v7.0's type-2 API: devm_cxl_dev_state_create(CXL_DEVTYPE_DEVMEM), cxl_pci_setup_regs(),
 * cxl_await_range_active(), cxl_set_capacity(), devm_cxl_add_memdev(cxlds, NULL),
 * cxl_get_committed_decoder(); the sfc driver and vfio_cxl_core.c follow the same steps).
 *
 * Linux v7.0 and later only (earlier kernels have no mailbox-less memdev for accelerators: the
 * function stays without a CXL driver). It binds PCI functions that carry the PCIe DVSEC for
 * CXL Devices with Mem_Capable set and are not class-code memory devices (those are
 * cxl_pci's), and sees them only through that DVSEC, the Register Locator and the component registers' HDM decoders. The memdev it adds has
 * no mailbox: capacity comes from DVSEC Range 1 (one RAM partition from DPA 0), media readiness
 * from Memory_Active. cxl_mem then adds the endpoint port, whose firmware-committed decoder 0
 * (the VMM's, locked) is auto-assembled into a region (core/region/auto.ts). The probe fails
 * when a committed decoder ended up without a region (the accelerator cannot use its memory).
 *
 * {@link pciehpHotAdd} is the guest's side of a hot-add below a root or downstream port
 * (pciehp: pci_scan_slot(), pci_assign_unassigned_bridge_resources(), pci_bus_add_devices(),
 * driver attach), kept here until the PCI core models hotplug.
 */

import { driverProbe } from '../../kernel/dd.ts';
import type { Driver } from '../../kernel/device.ts';
import { Errno } from '../../kernel/errno.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { hexll } from '../../sysfs/format.ts';
import { env } from '../env.ts';
import { PciDev } from '../pci/pci-dev.ts';
import { pciDevAttrs, pciFunctions } from '../pci/probe.ts';
import { CxlEndpointDecoder } from './core/decoder.ts';
import type { CxlDevState, CxlMemdev } from './core/memdev.ts';
import { devmCxlAddMemdev } from './core/memdev.ts';
import { cxlFindRegblock, cxlProbeComponentRegs } from './core/regs.ts';
import { CXL_DECODER_F_ENABLE } from './cxl.ts';
import {
  CXL_DVSEC_CAP_OFFSET,
  CXL_DVSEC_MEM_ACTIVE,
  CXL_DVSEC_MEM_CAPABLE,
  CXL_DVSEC_MEM_INFO_VALID,
  CXL_DVSEC_PCIE_DEVICE,
  CXL_REGLOC_RBI_COMPONENT,
  cxlDvsecRangeSizeHigh,
  cxlDvsecRangeSizeLow,
  PCI_VENDOR_ID_CXL,
} from './cxlpci.ts';
import { CXL_KVER } from './kver.ts';
import { PCI_CLASS_MEMORY_CXL } from './pci.ts';
import { devmCxlAddNvdimm } from './pmem.ts';

/** The accelerator driver (a GPU driver's CXL part, reduced). */
export const cxlAccelDriver: Driver = { name: 'cxl_accel', bus: 'pci' };

/** True for a function this driver binds: CXL Device DVSEC, Mem_Capable, not class memory. */
export function isCxlAccelerator(pdev: PciDev): boolean {
  if (pdev.classCode === PCI_CLASS_MEMORY_CXL || pdev.isBridge) return false;
  const d = pdev.findDvsec(PCI_VENDOR_ID_CXL, CXL_DVSEC_PCIE_DEVICE);
  return d !== 0 && (pdev.cfgRead(d + CXL_DVSEC_CAP_OFFSET, 2) & CXL_DVSEC_MEM_CAPABLE) !== 0;
}

/**
 * The accelerator's CXL probe.
 * @throws ENODEV no CXL.mem DVSEC; ENXIO no component registers; ETIMEDOUT media not active;
 *   ENXIO a committed decoder without a region
 */
export function cxlAccelProbe(pdev: PciDev): CxlMemdev {
  const d = pdev.findDvsec(PCI_VENDOR_ID_CXL, CXL_DVSEC_PCIE_DEVICE);
  if (!d) throw pdev.dbgErr('ENODEV', 'No DVSEC Capability');
  const comp = cxlFindRegblock(pdev, CXL_REGLOC_RBI_COMPONENT);
  pdev.dbg(
    `Mapped CXL component registers bar ${comp.bar} @ 0x${comp.offset.toString(16).padStart(16, '0')}`,
  );
  cxlProbeComponentRegs(pdev, comp.base);
  const lo = pdev.cfgRead(d + cxlDvsecRangeSizeLow(0), 4) >>> 0;
  if (!(lo & CXL_DVSEC_MEM_INFO_VALID) || !(lo & CXL_DVSEC_MEM_ACTIVE))
    throw pdev.err('ETIMEDOUT', 'timeout awaiting memory active');
  const capacity =
    (BigInt(pdev.cfgRead(d + cxlDvsecRangeSizeHigh(0), 4) >>> 0) << 32n) |
    BigInt((lo & 0xf0000000) >>> 0);
  const cxlds: CxlDevState = {
    pdev,
    mboxBase: 0n,
    memdevStatusBase: 0n,
    componentBase: comp.base,
    payloadSize: 0,
    fwRevision: '',
    totalBytes: capacity,
    volatileOnlyBytes: capacity,
    persistentOnlyBytes: 0n,
    partitionAlignBytes: 0n,
    lsaSize: 0,
    serial: pdev.serialNumber(),
    ram: { start: 0n, size: capacity },
    pmem: { start: 0n, size: 0n },
    enabledCmds: new Set(),
    isType2: true,
  };
  const cxlmd = devmCxlAddMemdev(pdev, cxlds);
  if (cxlds.pmem.size > 0n) devmCxlAddNvdimm(pdev, cxlmd);
  pdev.driverData = cxlmd; // the accelerator driver's private data: its memdev
  // cxl_get_committed_decoder(): the endpoint's enabled decoder and the region it joined.
  const cxled = cxlmd.endpoint
    ?.decoders()
    .find(
      (x): x is CxlEndpointDecoder =>
        x instanceof CxlEndpointDecoder && (x.flags & CXL_DECODER_F_ENABLE) !== 0,
    );
  if (!cxled) {
    pdev.dbg(`cxlsim: ${cxlmd.name}: no committed decoder: device memory not mapped`);
    return cxlmd;
  }
  const r = cxled.hpaRange;
  // No kernel prints a line here: the driver's probe returns -ENXIO, which the driver core
  // logs only at debug level ("probe of … rejects match -6", drivers/base/dd.c).
  if (!cxled.region)
    throw new Errno(
      'ENXIO',
      `cxlsim: ${cxlmd.name}:${cxled.name} committed ${hexll(r.start)}-${hexll(r.end)} without a region`,
      pdev.name,
    );
  pdev.dbg(
    `cxlsim: ${cxlmd.name}: CXL region ${cxled.region.name} HPA ${hexll(r.start)} size ${(r.end - r.start + 1n) >> 20n} MB`,
  );
  return cxlmd;
}

/** Kernels with the type-2 API the driver uses (devm_cxl_add_memdev() without a mailbox). */
export const ACCEL_API_SINCE = CXL_KVER.accelApi;

/** Binds the accelerator driver to every matching, unbound function in PCI order (v7.0+). */
export function cxlAccelAttachAll(kernel: Kernel): void {
  if (!env(kernel).since(ACCEL_API_SINCE)) return;
  for (const pdev of pciFunctions(kernel)) {
    if (pdev.driver || !isCxlAccelerator(pdev)) continue;
    driverProbe(pdev, cxlAccelDriver, () => {
      cxlAccelProbe(pdev);
    });
  }
}

/** The end of the highest memory range decoded by any function or bridge window (bytes). */
function mmioTop(kernel: Kernel): bigint {
  let top = 0n;
  for (const p of pciFunctions(kernel)) {
    for (let i = 0; i < 6; i++) {
      const lo = p.cfgRead(0x10 + 4 * i, 4) >>> 0;
      if (lo & 1) continue;
      const is64 = ((lo >>> 1) & 3) === 2;
      const base = p.barStart(i);
      p.cfgWrite(0x10 + 4 * i, 4, 0xffffffff);
      const sz = ~(p.cfgRead(0x10 + 4 * i, 4) & ~0xf) >>> 0;
      p.cfgWrite(0x10 + 4 * i, 4, lo);
      if (base && sz) top = base + BigInt(sz) + 1n > top ? base + BigInt(sz) + 1n : top;
      if (is64) i++;
      if (p.isBridge && i >= 1) break;
    }
    if (p.isBridge) {
      const limit = (BigInt(p.cfgRead(0x22, 2) & 0xfff0) << 16n) | 0xfffffn;
      if (limit + 1n > top && (p.cfgRead(0x20, 2) & 0xfff0) <= (p.cfgRead(0x22, 2) & 0xfff0))
        top = limit + 1n;
    }
  }
  return top;
}

/**
 * pciehp hot-add below the port at `port` (config address): scan slot 0 function 0, give its
 * memory BARs space above everything already decoded (and open the port's memory window over
 * it), enable it, register it and attach the accelerator driver.
 * @returns the new function, or undefined when nothing answers in the slot
 */
export function pciehpHotAdd(
  kernel: Kernel,
  port: { segment: number; bus: number; devfn: number },
): PciDev | undefined {
  const bridge = pciFunctions(kernel).find(
    (p) => p.segment === port.segment && p.busNr === port.bus && p.devfn === port.devfn,
  );
  if (!bridge) return undefined;
  const bus = bridge.cfgRead(0x19, 1);
  const pdev = new PciDev(kernel, bridge, port.segment, bus, 0);
  pdev.vendor = pdev.cfgRead(0, 2);
  if (pdev.vendor === 0xffff) return undefined;
  pdev.device = pdev.cfgRead(2, 2);
  const cr = pdev.cfgRead(8, 4) >>> 0;
  pdev.revision = cr & 0xff;
  pdev.classCode = cr >>> 8;
  pdev.headerType = pdev.cfgRead(0x0e, 1);
  pdev.dbg(
    `[${pdev.vendor.toString(16).padStart(4, '0')}:${pdev.device.toString(16).padStart(4, '0')}] type 00 class 0x${pdev.classCode.toString(16).padStart(6, '0')} PCIe Endpoint`,
  );
  // pci_assign_unassigned_bridge_resources(): 1 MiB aligned space above every decoded range.
  let next = ((mmioTop(kernel) + 0xfffffn) / 0x100000n) * 0x100000n;
  const start = next;
  for (let i = 0; i < 6; i++) {
    const off = 0x10 + 4 * i;
    const lo = pdev.cfgRead(off, 4) >>> 0;
    pdev.cfgWrite(off, 4, 0xffffffff);
    const mask = pdev.cfgRead(off, 4) >>> 0;
    const is64 = ((lo >>> 1) & 3) === 2;
    let size = 0n;
    if (mask && !(mask & 1)) {
      let m = BigInt((mask & ~0xf) >>> 0);
      if (is64) {
        pdev.cfgWrite(off + 4, 4, 0xffffffff);
        m |= BigInt(pdev.cfgRead(off + 4, 4) >>> 0) << 32n;
      } else m |= 0xffffffff00000000n;
      size = (~m & 0xffffffffffffffffn) + 1n;
    }
    if (size > 0n) {
      next = ((next + size - 1n) / size) * size;
      pdev.cfgWrite(off, 4, Number(next & 0xffffffffn));
      if (is64) pdev.cfgWrite(off + 4, 4, Number(next >> 32n));
      pdev.dbg(
        `BAR ${i} [mem 0x${next.toString(16)}-0x${(next + size - 1n).toString(16)}${is64 ? ' 64bit' : ''}]: assigned`,
      );
      next += size;
    } else pdev.cfgWrite(off, 4, lo);
    if (is64) i++;
  }
  const end = next > start ? ((next + 0xfffffn) / 0x100000n) * 0x100000n - 1n : start - 1n;
  if (next > start && end < 1n << 32n) {
    bridge.cfgWrite(0x20, 2, Number((start >> 16n) & 0xfff0n));
    bridge.cfgWrite(0x22, 2, Number((end >> 16n) & 0xfff0n));
  }
  pdev.cfgWrite(0x04, 2, pdev.cfgRead(0x04, 2) | 0x6);
  bridge.below = [...bridge.below, pdev];
  pciDevAttrs(pdev);
  pdev.add();
  if (isCxlAccelerator(pdev) && env(kernel).since(ACCEL_API_SINCE))
    driverProbe(pdev, cxlAccelDriver, () => {
      cxlAccelProbe(pdev);
    });
  return pdev;
}
