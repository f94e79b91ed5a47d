/**
 * DOC: PCI enumeration (drivers/pci/probe.c pci_scan_child_bus, pci_bus_add_devices).
 *
 * For each PCI host bridge the ACPI namespace declares (_SEG/_BBN), the root bus is scanned
 * devfn by devfn through config reads (vendor id 0xffff = absent; function 0's header type bit 7
 * = multi-function); bridges are followed through their secondary bus number as the firmware
 * programmed it. Devices are registered as the kernel does: all functions of a bus first, then
 * each bridge's subtree — which is the order drivers later attach in.
 */
import type { Attribute, AttributeGroup, Device } from '../../kernel/device.ts';
import { copiedWeakMap } from '../../kernel/graph-copy.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { env } from '../env.ts';
import { platformDevAttrs } from '../platform.ts';
import { PciDev } from './pci-dev.ts';

/** A scanned root bus: its host bridge device (`pci0000:BB`) and top-level functions. */
export interface PciRootBus {
  segment: number;
  bus: number;
  hostBridge: Device;
  functions: PciDev[];
}

/** The bus numbers the PCI core knows, per kernel and segment (pci_find_bus()). */
const knownBuses = copiedWeakMap<Kernel, Set<number>>();

function busKnown(kernel: Kernel, segment: number, bus: number): boolean {
  return knownBuses.get(kernel)?.has(segment * 0x100 + bus) ?? false;
}

function noteBus(kernel: Kernel, segment: number, bus: number): void {
  let set = knownBuses.get(kernel);
  if (!set) {
    set = new Set();
    knownBuses.set(kernel, set);
  }
  set.add(segment * 0x100 + bus);
}

/**
 * pci_scan_child_bus(): creates (not yet registers) the functions on `bus` and below.
 * A bridge whose secondary bus already exists (pci_scan_bridge_extend(): "the bus might
 * already exist … reachable through more than one bridge") reuses it: its functions were
 * found before and are not created again — so a root port whose secondary number is another
 * host bridge's root bus adds nothing, and no function is counted twice.
 */
function scanBus(
  kernel: Kernel,
  parent: Device,
  segment: number,
  bus: number,
  depth: number,
): PciDev[] {
  const found: PciDev[] = [];
  if (depth > 32) return found;
  const cfg = env(kernel).hw.pci;
  for (let slot = 0; slot < 32; slot++) {
    for (let fn = 0; fn < 8; fn++) {
      const devfn = (slot << 3) | fn;
      // pci_bus_read_dev_vendor_id(): an absent function costs one config read, no pci_dev
      const vendor = cfg.read(segment, bus, devfn, 0, 2);
      if (vendor === 0xffff || vendor === 0) {
        if (fn === 0) break;
        continue;
      }
      const mockName = env(kernel).hw.mock?.deviceName(segment, bus, devfn);
      const probe = new PciDev(
        kernel,
        parent,
        segment,
        bus,
        devfn,
        mockName,
        mockName === undefined ? 'pci' : 'platform',
      );
      probe.vendor = vendor;
      probe.device = probe.cfgRead(2, 2);
      const cr = probe.cfgRead(8, 4) >>> 0;
      probe.revision = cr & 0xff;
      probe.classCode = cr >>> 8;
      probe.headerType = probe.cfgRead(0x0e, 1);
      if (probe.isBridge) {
        probe.secondary = probe.cfgRead(0x19, 1);
        probe.subordinate = probe.cfgRead(0x1a, 1);
      }
      if (mockName === undefined) pciDevAttrs(probe);
      else platformDevAttrs(probe);
      found.push(probe);
      if (fn === 0 && !(probe.headerType & 0x80)) break;
    }
  }
  for (const d of found) {
    if (d.isBridge && d.secondary > bus && !busKnown(kernel, segment, d.secondary)) {
      noteBus(kernel, segment, d.secondary);
      const sub = scanBus(kernel, d, segment, d.secondary, depth + 1);
      if (sub.length) d.below = [...d.below, ...sub];
    }
  }
  return found;
}

const hex = (n: number, w: number) => `0x${n.toString(16).padStart(w, '0')}\n`;

/** The PCI function's sysfs attributes (drivers/pci/pci-sysfs.c, the subset cxlsim models). */
const PCI_DEV_ATTRS: readonly Attribute<PciDev>[] = Object.freeze([
  { name: 'vendor', mode: 0o444, show: (d) => hex(d.vendor, 4) },
  { name: 'device', mode: 0o444, show: (d) => hex(d.device, 4) },
  { name: 'class', mode: 0o444, show: (d) => hex(d.classCode, 6) },
  { name: 'revision', mode: 0o444, show: (d) => hex(d.revision, 2) },
  { name: 'config', mode: 0o644, read: (d) => d.configBytes() },
]);
/** Bridges add their bus numbers. */
const PCI_BRIDGE_ATTRS: readonly Attribute<PciDev>[] = Object.freeze([
  ...PCI_DEV_ATTRS,
  { name: 'secondary_bus_number', mode: 0o444, show: (d) => `${d.secondary}\n` },
  { name: 'subordinate_bus_number', mode: 0o444, show: (d) => `${d.subordinate}\n` },
]);

/** The groups of those tables: module-level constants, shared by every function and every copy. */
const PCI_DEV_GROUP = Object.freeze({ attrs: PCI_DEV_ATTRS }) as unknown as AttributeGroup;
const PCI_BRIDGE_GROUP = Object.freeze({ attrs: PCI_BRIDGE_ATTRS }) as unknown as AttributeGroup;

/**
 * The group lists of a function and of a bridge: frozen, shared by every function and by copies
 * of the machine (a driver that adds a group gives the device a new list).
 */
const PCI_DEV_GROUPS = Object.freeze([PCI_DEV_GROUP]) as AttributeGroup[];
const PCI_BRIDGE_GROUPS = Object.freeze([PCI_BRIDGE_GROUP]) as AttributeGroup[];

/**
 * Attaches pci-sysfs's attribute group (pci_dev_groups: vendor, device, class, revision, config;
 * a bridge's bus numbers too) to a function, shared by every function and copy; a function
 * found by a scan or hot-added (pciehp) gets it before device_add().
 */
export function pciDevAttrs(d: PciDev): void {
  d.groups = d.groups.length
    ? [...d.groups, d.isBridge ? PCI_BRIDGE_GROUP : PCI_DEV_GROUP]
    : d.isBridge
      ? PCI_BRIDGE_GROUPS
      : PCI_DEV_GROUPS;
}

/** pci_bus_add_devices(): registers a bus's functions, then each bridge's subtree. */
function addDevices(list: PciDev[]): void {
  for (const d of list) d.add();
  for (const d of list) addDevices(d.below);
}

/**
 * Scans one host bridge's root bus. `hostBridge` is the `pciSSSS:BB` device (created and
 * registered here as a bus-less root device). On the cxl_test mock platform the bridge is the
 * mock's platform device `cxl_host_bridge.N` below `platform` (tools/testing/cxl/test/cxl.c
 * cxl_test_init(): platform_device_alloc("cxl_host_bridge", i)), and each function below it
 * is named as the mock's platform device in its place (cxl_root_port.N, cxl_switch_uport.N,
 * cxl_switch_dport.N, cxl_mem.N): the same tree of parents, the names libcxl reports as
 * `host`, `parent_dport` and targets. The bridge links to itself as cxl_test_init() links it
 * (`physical_node`, the RCH `firmware_node`), which libcxl's cxl_dport_maps_memdev() follows.
 * They are platform devices as in the kernel: on the `platform` bus (/sys/bus/platform/devices,
 * `subsystem`), with the platform bus's attributes (modalias `platform:<name>`,
 * driver_override, power/) and no PCI attributes. Inside cxlsim they keep the PCI core's
 * object (config space and MMIO through the bus accessors are how its drivers reach the mock's
 * emulated hardware), so nothing of them is listed under /sys/bus/pci.
 */
export function pciScanRootBus(
  kernel: Kernel,
  segment: number,
  bus: number,
  platform?: Device,
): PciRootBus {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const mock = env(kernel).hw.mock?.hostBridge(segment, bus);
  const hostBridge =
    mock !== undefined
      ? kernel.device(mock.name, platform, 'platform')
      : kernel.device(`pci${h(segment, 4)}:${h(bus, 2)}`);
  if (mock) platformDevAttrs(hostBridge);
  hostBridge.add();
  if (mock) hostBridge.links.set(mock.selfLink, hostBridge);
  // pci_create_root_bus() refuses a bus number already known ("bus already known", -EEXIST)
  if (busKnown(kernel, segment, bus)) return { segment, bus, hostBridge, functions: [] };
  noteBus(kernel, segment, bus);
  const functions = scanBus(kernel, hostBridge, segment, bus, 0);
  addDevices(functions);
  return { segment, bus, hostBridge, functions };
}

/**
 * Every registered PCI function below a root bus, in registration order: those on the `pci`
 * bus, then the cxl_test mock's platform devices that stand in their place.
 */
export function pciFunctions(kernel: Kernel): PciDev[] {
  const on = (bus: string) =>
    (kernel.buses.get(bus)?.devices ?? []).filter((d): d is PciDev => d instanceof PciDev);
  return [...on('pci'), ...on('platform')];
}
