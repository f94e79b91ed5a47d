/**
 * DOC: booting a machine — the platform is built, a kernel is started and the guest drivers
 * probe in the order a synchronous boot would run them:
 *
 *  1. ACPI namespace scan; PCI root buses scanned and their functions registered
 *     (pcieport binds to PCIe ports);
 *  2. cxl_acpi binds to ACPI0017: root0, root dports, root decoders, host-bridge ports
 *     (cxl_port probes each as it is added), the nvdimm bridge;
 *  3. cxl_pci binds to every CXL memory device in PCI device order (cxl_mock_mem to the
 *     cxl_test mock's `cxl_mem.N`): mailbox, IDENTIFY, memN — cxl_mem probes each memdev as
 *     it is added (switch ports, endpointN);
 *  4. cxl_pmem binds the nvdimm bridge and the pmemN nvdimms.
 *
 * Device numbers (memN, portN, endpointN) are therefore a deterministic function of the
 * topology, unlike on a real kernel where probing is asynchronous.
 *
 * bootMachine() = buildPlatform() (QEMU's part) + bootGuest() (the kernel's); a reboot runs
 * bootGuest() again on the same platform, so hardware state survives it.
 */

import { acpiScan } from './drivers/acpi/scan.ts';
import { cxlAccelAttachAll, cxlAccelDriver, pciehpHotAdd } from './drivers/cxl/accel.ts';
import { cxlAcpiProbe } from './drivers/cxl/acpi.ts';
import { cxlBusHooks } from './drivers/cxl/core/bind.ts';
import { cxlDebugfs } from './drivers/cxl/core/debugfs.ts';
import { memdevIoctl } from './drivers/cxl/core/ioctl.ts';
import { cxlRegionDriver } from './drivers/cxl/core/region/probe.ts';
import { cxlTracefs } from './drivers/cxl/core/tracefs.ts';
import {
  cxlAcpiDriver,
  cxlBusDrivers,
  cxlPciDriver,
  pcieportDriver,
} from './drivers/cxl/drivers.ts';
import { cxlMemDriver } from './drivers/cxl/mem.ts';
import { cxlMockMemAttachAll, cxlMockMemDriver } from './drivers/cxl/mock-mem.ts';
import { cxlPciAttachAll } from './drivers/cxl/pci.ts';
import { cxlPmemAttachAll } from './drivers/cxl/pmem.ts';
import { cxlPortDriver } from './drivers/cxl/port.ts';
import { attachEnv } from './drivers/env.ts';
import {
  PCI_EXP_TYPE_DOWNSTREAM,
  PCI_EXP_TYPE_ROOT_PORT,
  PCI_EXP_TYPE_UPSTREAM,
} from './drivers/pci/pci-dev.ts';
import { pciFunctions } from './drivers/pci/probe.ts';
import { buildPlatform, type Platform } from './hw/platform.ts';
import { rebuildable } from './kernel/graph-copy.ts';
import { Kernel } from './kernel/kernel.ts';
import { parseModuleArgs } from './kernel/params.ts';
import type { BootOptions, Machine } from './machine.ts';
import type { CxlMemIoctl } from './ndctl/lib/ioctl.ts';
import { createSysfs } from './sysfs/tree.ts';
import type { SysfsView } from './sysfs/view.ts';
import type { Topology } from './topology/model.ts';
import { cxlTestParams } from './topology/presets/cxl-test-kver.ts';

/** A booted machine plus the platform behind it (for inspection commands). */
export interface BootedMachine extends Machine {
  readonly platform: Platform;
  /** A fresh guest on the same platform (hardware state kept): see {@link bootGuest}. */
  reboot(opts?: { dyndbg?: boolean }): BootedMachine;
}

/**
 * Builds the platform from `topology` and boots the guest on it.
 * Never throws for guest-side failures: those are logged in dmesg as the kernel logs them.
 * @throws EINVAL for what QEMU or the VMM would refuse (buildPlatform)
 */
export function bootMachine(topology: Topology, opts: BootOptions): BootedMachine {
  const platform = buildPlatform(topology, opts.profile, {
    ...(opts.mutateCedt ? { mutateCedt: opts.mutateCedt } : {}),
    ...(opts.vfio ? { vmm: opts.vfio } : {}),
  });
  return bootGuest(platform, opts);
}

/**
 * Boots a fresh guest kernel on an existing platform. The platform is used as it stands:
 * HDM decoders committed earlier (by firmware, or by a previous guest before a reboot) are
 * seen as firmware-committed, and device memory, LSA and mailbox state are whatever the
 * hardware holds. `opts.mutateCedt` is ignored (the CEDT is built with the platform).
 */
export function bootGuest(platform: Platform, opts: BootOptions): BootedMachine {
  const kernel = new Kernel();
  kernel.log.dyndbg = opts.dyndbg ?? false;
  // tools/testing/cxl requires CONFIG_CXL_REGION_INVALIDATION_TEST: a cxl_test kernel has it
  const kconfig = opts.kconfig ?? (platform.topology.mock ? ['CXL_REGION_INVALIDATION_TEST'] : []);
  const guest = attachEnv(kernel, platform.bus, opts.profile, kconfig);
  // `modprobe cxl_test ARGS`: the module's load, before its init builds the mock platform
  const { mock, mockArgs } = platform.topology;
  if (mock && mockArgs)
    parseModuleArgs(kernel.log, 'cxl_test', cxlTestParams(opts.profile.kernel), mockArgs);
  const drivers = [cxlAcpiDriver, cxlPciDriver, cxlAccelDriver, pcieportDriver];
  // tools/testing/cxl: cxl_test loads cxl_mock_mem, the platform driver of its memdevs
  if (platform.topology.mock) drivers.push(cxlMockMemDriver);
  for (const d of [
    ...drivers,
    cxlPortDriver,
    cxlMemDriver,
    ...cxlBusDrivers(guest.since, cxlRegionDriver),
  ])
    kernel.registerDriver(d);
  const scan = acpiScan(kernel);
  for (const pdev of pciFunctions(kernel)) {
    // the cxl_test mock's ports are platform devices: no port service driver binds them
    if (pdev.bus !== 'pci') continue;
    const t = pdev.pcieType();
    if (
      t === PCI_EXP_TYPE_ROOT_PORT ||
      t === PCI_EXP_TYPE_UPSTREAM ||
      t === PCI_EXP_TYPE_DOWNSTREAM
    )
      pdev.driver = pcieportDriver;
  }
  cxlAcpiProbe(kernel, scan);
  cxlPciAttachAll(kernel);
  cxlMockMemAttachAll(kernel);
  cxlAccelAttachAll(kernel);
  cxlPmemAttachAll(kernel.buses.get('cxl')?.devices ?? []);
  return new GuestMachine(platform, opts, kernel);
}

/** The guest's /sys over `kernel` (made again over the copied kernel in a copy of the machine). */
function guestSysfs(kernel: Kernel): SysfsView {
  // debugfs's top level once the cxl bus is there (its entries read the kernel when looked
  // up; the bus is never unregistered): not made again for each access below it
  let debugfsTop: ReturnType<typeof cxlDebugfs> | undefined;
  return createSysfs(kernel, {
    ...cxlBusHooks(),
    tracefs: cxlTracefs(kernel),
    debugfs: () => {
      if (debugfsTop?.size) return debugfsTop;
      debugfsTop = cxlDebugfs(kernel);
      return debugfsTop;
    },
  });
}

/** The {@link BootedMachine} of {@link bootGuest}. */
class GuestMachine implements BootedMachine {
  readonly topology: Topology;
  readonly profile: BootOptions['profile'];
  readonly kernel: Kernel;
  readonly sysfs: SysfsView;
  readonly ioctl: CxlMemIoctl;
  readonly platform: Platform;
  private readonly opts: BootOptions;

  constructor(platform: Platform, opts: BootOptions, kernel: Kernel) {
    this.topology = platform.topology;
    this.profile = opts.profile;
    this.kernel = kernel;
    this.sysfs = rebuildable(guestSysfs, kernel);
    this.ioctl = rebuildable(memdevIoctl, kernel);
    this.platform = platform;
    this.opts = opts;
  }

  reboot(o?: { dyndbg?: boolean }): BootedMachine {
    return bootGuest(this.platform, { ...this.opts, dyndbg: o?.dyndbg ?? this.kernel.log.dyndbg });
  }

  deviceAdd(spec: string): void {
    pciehpHotAdd(this.kernel, this.platform.deviceAdd(spec).port);
  }
}
