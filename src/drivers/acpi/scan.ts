/**
 * DOC: ACPI namespace enumeration (drivers/acpi/scan.c) and the platform devices it creates.
 *
 * Each namespace device becomes `/sys/devices/LNXSYSTM:00/LNXSYBUS:00/<HID>:<NN>` (NN counts
 * instances of one HID in namespace order), on the `acpi` bus. PCI host bridges (ACPI0016 /
 * PNP0A08) get their PCI root bus scanned and a `physical_node` link to `pciSSSS:BB`; the
 * ACPI0017 CXL root gets a platform device `platform/ACPI0017:00` that cxl_acpi binds to
 * (`platform/cxl_acpi.0` when a mock platform registers it, as tools/testing/cxl does).
 */
import type { AcpiNode } from '../../bus/index.ts';
import type { Device } from '../../kernel/device.ts';
import { thunk } from '../../kernel/graph-copy.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { env } from '../env.ts';
import { type PciRootBus, pciScanRootBus } from '../pci/probe.ts';

/** An ACPI device object (`struct acpi_device`). */
export interface AcpiDevice {
  node: AcpiNode;
  dev: Device;
  /** The physical device bound to it (pci host bridge or platform device). */
  physical?: Device;
  pciRoot?: PciRootBus;
}

/** Result of the ACPI scan. */
export interface AcpiScan {
  devices: AcpiDevice[];
  /** `platform` root device. */
  platform: Device;
  /** ACPI0017 platform device, if the namespace has one. */
  cxlRoot?: { acpi: AcpiDevice; pdev: Device };
}

const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');

/** acpi_bus_scan() + acpi_pci_root_add() + acpi_create_platform_device(). */
export function acpiScan(kernel: Kernel): AcpiScan {
  const hw = env(kernel).hw;
  const sys = kernel.device('LNXSYSTM:00', undefined, 'acpi').add();
  const sb = kernel.device('LNXSYBUS:00', sys, 'acpi').add();
  const platform = kernel.device('platform').add();
  const counts = new Map<string, number>();
  const devices: AcpiDevice[] = [];
  let cxlRoot: AcpiScan['cxlRoot'];
  for (const node of hw.acpi.devices()) {
    const n = counts.get(node.hid) ?? 0;
    counts.set(node.hid, n + 1);
    const dev = kernel.device(`${node.hid}:${hex(n, 2)}`, sb, 'acpi').add();
    const ad: AcpiDevice = { node, dev };
    devices.push(ad);
    if (node.pciRoot) {
      ad.pciRoot = pciScanRootBus(kernel, node.pciRoot.segment, node.pciRoot.bus, platform);
      ad.physical = ad.pciRoot.hostBridge;
    } else if (node.hid === 'ACPI0017') {
      const pdev = kernel.device(node.platformDevice ?? dev.name, platform, 'platform').add();
      ad.physical = pdev;
      cxlRoot = { acpi: ad, pdev };
    }
    const phys = ad.physical;
    if (phys) {
      // acpi_bind_one(): physical_node on the ACPI device, firmware_node on its physical twin
      // (not for a mock platform device with a companion set by hand, as tools/testing/cxl's)
      dev.links.set('physical_node', phys);
      // (nor for the cxl_test mock's host bridges, whose companions are never bound either)
      const mockHb = node.pciRoot && hw.mock?.hostBridge(node.pciRoot.segment, node.pciRoot.bus);
      if (node.platformDevice === undefined && !mockHb) phys.links.set('firmware_node', dev);
    }
    acpiAttrs(ad);
  }
  return { devices, platform, cxlRoot };
}

/** What the ACPI device attribute `name` of node `n` reads (drivers/acpi/device_sysfs.c). */
function acpiShow(n: AcpiNode, name: string): string {
  switch (name) {
    case 'hid':
      return `${n.hid}\n`;
    case 'path':
      return `${n.path}\n`;
    case 'modalias':
      return `acpi:${n.hid}:${n.cid.map((c) => `${c}:`).join('')}\n`;
    case 'uid':
      return `${n.uid}\n`;
    case 'adr':
      return `0x${hex(n.adr ?? 0, 8)}\n`;
    default:
      return `${n.sta}\n`;
  }
}

/** The uevent variables of an ACPI device: its MODALIAS. */
function modaliasVars(modalias: string): [string, string][] {
  return [['MODALIAS', modalias]];
}

/** The ACPI node's sysfs attributes (hid, uid, path, adr, modalias, status). */
function acpiAttrs(ad: AcpiDevice): void {
  const n = ad.node;
  const modalias = `acpi:${n.hid}:${n.cid.map((c) => `${c}:`).join('')}\n`;
  const attr = (name: string) => ({ name, mode: 0o444, show: thunk(acpiShow, n, name) });
  const attrs = [attr('hid'), attr('path'), attr('modalias')];
  if (n.uid !== undefined) attrs.push(attr('uid'));
  if (n.adr !== undefined) attrs.push(attr('adr'));
  if (n.sta !== undefined) attrs.push(attr('status'));
  ad.dev.groups.push({ attrs }, { name: 'power', attrs: [] });
  ad.dev.ueventVars = thunk(modaliasVars, modalias.trim());
}
