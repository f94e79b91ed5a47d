/**
 * DOC: pci_enable_device() (drivers/pci/pci.c do_pci_enable_device() →
 * pcibios_enable_device() → drivers/pci/setup-res.c pci_enable_resources()).
 *
 * A driver enabling its function turns on Memory Space decode for every assigned memory BAR and
 * I/O Space decode for every assigned I/O BAR. When that changes the Command register the PCI
 * core says so, "enabling device (%04x -> %04x)" — on arm64 `virt`, whose UEFI firmware leaves
 * functions without a UEFI driver disabled (the latest-arm64 capture: "cxl_pci 0000:c2:00.0:
 * enabling device (0000 -> 0002)"); on q35 SeaBIOS already enabled them and nothing is logged.
 */
import type { PciDev } from './pci-dev.ts';

const PCI_COMMAND = 0x04;
const PCI_COMMAND_IO = 0x1;
const PCI_COMMAND_MEMORY = 0x2;
const PCI_BASE_ADDRESS_0 = 0x10;

const hex4 = (v: number) => v.toString(16).padStart(4, '0');

/** pci_enable_device() of an endpoint (type 0 header: six BARs). */
export function pciEnableDevice(pdev: PciDev): void {
  const old = pdev.cfgRead(PCI_COMMAND, 2);
  let cmd = old;
  for (let i = 0; i < 6; i++) {
    const v = pdev.cfgRead(PCI_BASE_ADDRESS_0 + 4 * i, 4) >>> 0;
    const io = (v & 1) === 1;
    const mem64 = !io && ((v >>> 1) & 3) === 2;
    const hi = mem64 ? pdev.cfgRead(PCI_BASE_ADDRESS_0 + 4 * (i + 1), 4) >>> 0 : 0;
    const addr = io ? v & ~0x3 : (v & ~0xf) >>> 0;
    if (addr !== 0 || hi !== 0) cmd |= io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
    if (mem64) i++;
  }
  if (cmd === old) return;
  pdev.info(`enabling device (${hex4(old)} -> ${hex4(cmd)})`);
  pdev.cfgWrite(PCI_COMMAND, 2, cmd);
}
