/**
 * DOC: a booted machine — emulated platform + guest kernel + its /sys.
 *
 * `bootMachine()` builds the platform from the topology (hw/platform.ts), starts a kernel and
 * runs the guest drivers' probes in a synchronous, deterministic order (drivers/boot.ts), and
 * exposes the guest's /sys as a {@link SysfsView}. Everything a CLI command needs is here.
 */
import type { Platform } from './hw/platform.ts';
import type { VmmOptions } from './hw/vmm/index.ts';
import type { Kernel } from './kernel/kernel.ts';
import type { CxlMemIoctl } from './ndctl/lib/ioctl.ts';
import type { Profile } from './profile.ts';
import type { SysfsView } from './sysfs/view.ts';
import type { Topology } from './topology/model.ts';

/** Options for one boot. */
export interface BootOptions {
  profile: Profile;
  /** Dynamic debug on for drivers/cxl (dev_dbg lines recorded in dmesg). */
  dyndbg?: boolean;
  /**
   * Kernel config options set beyond the distribution kernel's (names without CONFIG_), e.g.
   * 'CXL_REGION_INVALIDATION_TEST'. Default: none.
   */
  kconfig?: readonly string[];
  /** Test hook: mutate the CEDT bytes before the guest sees them. */
  mutateCedt?: (bytes: Uint8Array) => Uint8Array;
  /** The VMM's vfio-cxl options: placement mode and host-device descriptions (docs/vfio-cxl.md). */
  vfio?: VmmOptions;
}

/** A booted machine. */
export interface Machine {
  readonly topology: Topology;
  readonly profile: Profile;
  readonly kernel: Kernel;
  readonly sysfs: SysfsView;
  /** The memdev ioctls (/dev/cxl/memN), backed by the kernel's mailbox driver. */
  readonly ioctl: CxlMemIoctl;
  /**
   * The emulated hardware (absent on hand-built test machines): for the data path
   * (`cxlsim mem`), routing (`cxlsim translate`) and inspection — never used by drivers.
   */
  readonly platform?: Platform;
  /** A fresh guest on the same hardware (`cxlsim reboot`); absent when not supported. */
  reboot?(opts?: { dyndbg?: boolean }): Machine;
  /**
   * QEMU `device_add` of a vfio-pci function (`cxlsim device-add`), then the guest's hotplug
   * handling. @throws QemuError / Errno with the machine unchanged
   */
  deviceAdd?(spec: string): void;
}
