/**
 * DOC: the cxl_pci driver (drivers/cxl/pci.c cxl_pci_probe) for CXL memory devices
 * (PCI class 0x050210).
 *
 * Maps the device registers (Register Locator block id 3) and the component registers (id 1),
 * creates the DOE mailboxes, sets up the mailbox, enumerates the CEL, identifies the device,
 * lays out the DPA partitions and registers `memN` — then the `pmemN` nvdimm when the device
 * has persistent capacity.
 */

import { driverProbe } from '../../kernel/dd.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { env } from '../env.ts';
import { pciEnableDevice } from '../pci/enable.ts';
import type { PciDev } from '../pci/pci-dev.ts';
import { pciFunctions } from '../pci/probe.ts';
import { doeMailboxes } from './core/cdat.ts';
import { cxlEventConfig, cxlSetTimestamp } from './core/events.ts';
import { cxlDevStateIdentify, cxlEnumerateCmds, cxlMemCreateRangeInfo } from './core/mbox.ts';
import {
  type CxlDevState,
  type CxlMemdev,
  devmCxlAddMemdev,
  devmCxlSetupFwUpload,
} from './core/memdev.ts';
import { cxlPciSetupMboxIrq } from './core/pci-sanitize.ts';
import { cxlFindRegblock, cxlProbeComponentRegs, cxlProbeDeviceRegs } from './core/regs.ts';
import {
  CXLDEV_MBOX_CAP_PAYLOAD_SIZE_MASK,
  CXLDEV_MBOX_CAPS_OFFSET,
  CXLMDEV_MBOX_IF_READY,
} from './cxl.ts';
import { CXL_REGLOC_RBI_COMPONENT, CXL_REGLOC_RBI_MEMDEV } from './cxlpci.ts';
import { cxlPciDriver } from './drivers.ts';
import { cxlKver } from './kver.ts';
import { devmCxlAddNvdimm } from './pmem.ts';

/** PCI class code of a CXL memory device (CXL 2.0 §8.1.12.1). */
export const PCI_CLASS_MEMORY_CXL = 0x050210;

/**
 * cxl_pci_setup_mailbox(): mailbox ready, payload size, the background-command interrupt or
 * sanitize polling (core/pci-sanitize.ts, kernel ≥ 6.5).
 * @throws ETIMEDOUT mailbox not ready; ENXIO "Mailbox is too small (%zub)"
 */
function cxlPciSetupMailbox(cxlds: CxlDevState): void {
  const mmio = env(cxlds.pdev).hw.mmio;
  const st = mmio.read64(cxlds.memdevStatusBase);
  if (!(st & CXLMDEV_MBOX_IF_READY))
    throw cxlds.pdev.err('ETIMEDOUT', 'timeout awaiting mailbox ready, device state ');
  cxlds.pdev.dbg('Doorbell wait took 0ms');
  const caps = mmio.read32(cxlds.mboxBase + BigInt(CXLDEV_MBOX_CAPS_OFFSET));
  cxlds.payloadSize = Math.min(1 << (caps & CXLDEV_MBOX_CAP_PAYLOAD_SIZE_MASK), 1 << 20);
  if (cxlds.payloadSize < 256)
    throw cxlds.pdev.err('ENXIO', `Mailbox is too small (${cxlds.payloadSize}b)`);
  cxlds.pdev.dbg(`Mailbox payload sized ${cxlds.payloadSize}`);
  cxlPciSetupMboxIrq(cxlds, caps);
}

/**
 * cxl_pci_probe().
 * @throws ENXIO / ENODEV register blocks missing, mailbox failures
 */
export function cxlPciProbe(pdev: PciDev): CxlMemdev {
  const dev = pdev;
  pciEnableDevice(pdev); // pcim_enable_device()
  const memdevBlock = cxlFindRegblock(pdev, CXL_REGLOC_RBI_MEMDEV);
  dev.dbg(
    `Mapped CXL Memory Device resource bar ${memdevBlock.bar} @ 0x${memdevBlock.offset.toString(16).padStart(16, '0')}`,
  );
  const dmap = cxlProbeDeviceRegs(dev, memdevBlock.base);
  if (dmap.mbox === undefined || dmap.memdev === undefined)
    throw dev.err('ENXIO', 'registers not found: mbox/memdev');
  dev.dbg('Probing device registers...');
  dev.dbg('Probing device registers...');
  let componentBase: bigint | undefined;
  try {
    const comp = cxlFindRegblock(pdev, CXL_REGLOC_RBI_COMPONENT);
    dev.dbg(
      `Mapped CXL Memory Device resource bar ${comp.bar} @ 0x${comp.offset.toString(16).padStart(16, '0')}`,
    );
    cxlProbeComponentRegs(dev, comp.base);
    dev.dbg('Set up component registers');
    componentBase = comp.base;
  } catch {
    dev.warn('No component registers (-19)');
  }
  for (const off of doeMailboxes(pdev)) dev.dbg(`Created DOE mailbox @${off.toString(16)}`);
  const cxlds: CxlDevState = {
    pdev,
    mboxBase: memdevBlock.base + BigInt(dmap.mbox),
    memdevStatusBase: memdevBlock.base + BigInt(dmap.memdev),
    ...(dmap.status !== undefined ? { statusBase: memdevBlock.base + BigInt(dmap.status) } : {}),
    componentBase,
    payloadSize: 0,
    fwRevision: '',
    totalBytes: 0n,
    volatileOnlyBytes: 0n,
    persistentOnlyBytes: 0n,
    partitionAlignBytes: 0n,
    lsaSize: 0,
    serial: pdev.serialNumber(),
    ram: { start: 0n, size: 0n },
    pmem: { start: 0n, size: 0n },
    enabledCmds: new Set(),
    isType2: false,
  };
  cxlPciSetupMailbox(cxlds);
  cxlEnumerateCmds(cxlds);
  cxlSetTimestamp(cxlds);
  cxlDevStateIdentify(cxlds);
  cxlMemCreateRangeInfo(cxlds);
  const cxlmd = devmCxlAddMemdev(pdev, cxlds);
  // 6.1: the nvdimm is registered here; later kernels do it in cxl_mem_probe() (mem.ts)
  if (cxlds.pmem.size > 0n && !cxlKver(pdev, 'nvdimmInMemProbe')) devmCxlAddNvdimm(pdev, cxlmd);
  devmCxlSetupFwUpload(cxlmd);
  cxlEventConfig(cxlmd);
  return cxlmd;
}

/**
 * Binds cxl_pci to every CXL memory device function, in PCI device order (driver_attach). The
 * cxl_test mock's memdevs are platform devices, for cxl_mock_mem (./mock-mem.ts).
 */
export function cxlPciAttachAll(kernel: Kernel): void {
  for (const pdev of pciFunctions(kernel)) {
    if (pdev.bus !== 'pci' || pdev.classCode !== PCI_CLASS_MEMORY_CXL || pdev.driver) continue;
    driverProbe(pdev, cxlPciDriver, () => {
      cxlPciProbe(pdev);
    });
  }
}
