/**
 * DOC: what every guest driver needs besides its device: the bus accessors (the platform as
 * the kernel sees it) and the profile (which kernel version's behaviour to follow).
 */
import type { HostBus } from '../bus/index.ts';
import type { KernelContext } from '../kernel/device.ts';
import { copiedWeakMap, rebuildable } from '../kernel/graph-copy.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { Profile } from '../profile.ts';
import { kernelAtLeast } from '../profile.ts';

/** Guest environment of one booted kernel. */
export interface GuestEnv {
  kernel: Kernel;
  hw: HostBus;
  profile: Profile;
  /** Kernel ≥ v (e.g. '6.3'). */
  since(v: string): boolean;
  /**
   * Kernel config options that change what the guest shows (names without CONFIG_): the
   * distribution kernel's for the guest's architecture ({@link DISTRO_KCONFIG}) plus the
   * options a boot adds (e.g. CXL_REGION_INVALIDATION_TEST for a cxl_test kernel).
   */
  kconfig: ReadonlySet<string>;
}

const envs = copiedWeakMap<KernelContext, GuestEnv>();

/** Kernel-version switches of the driver core (drivers/base), first version with each. */
export const DRIVER_CORE_KVER = {
  /** call_driver_probe(): dev_err "probe with driver %s failed with error %d" (was a pr_warn
   *  "%s: probe of %s failed with error %d"), v6.10. */
  probeFailDevErr: '6.10',
} as const;

/**
 * Options of the profile's distribution kernel (Debian's linux-image-*-amd64 / -arm64) that
 * cxlsim models, per guest architecture. Evidence is in the captures, not in a config file:
 * - `FW_LOADER_USER_HELPER`: the firmware class's dev_uevent (firmware_uevent(),
 *   drivers/base/firmware_loader/sysfs.c) exists only with it, so `memN/firmware/memN/uevent`
 *   reads FIRMWARE=/TIMEOUT=/ASYNC= on the amd64 7.3.4 captures and reads empty on the arm64
 *   7.3.4 capture of the same Debian kernel version.
 */
export const DISTRO_KCONFIG: Readonly<Record<'x86' | 'arm64', readonly string[]>> = {
  x86: ['FW_LOADER_USER_HELPER'],
  arm64: [],
};

/** `GuestEnv.since` of a profile (made again over the copied profile in a copy of the machine). */
function sinceOf(profile: Profile): (v: string) => boolean {
  return (v) => kernelAtLeast(profile, v);
}

/** Binds an environment to a kernel (done once at boot). */
export function attachEnv(
  kernel: Kernel,
  hw: HostBus,
  profile: Profile,
  kconfig: readonly string[] = [],
): GuestEnv {
  const e: GuestEnv = {
    kernel,
    hw,
    profile,
    since: rebuildable(sinceOf, profile),
    kconfig: new Set([...DISTRO_KCONFIG[hw.cpu.arch], ...kconfig]),
  };
  envs.set(kernel, e);
  kernel.probeFailDevErr = kernelAtLeast(profile, DRIVER_CORE_KVER.probeFailDevErr);
  return e;
}

/** The environment of the kernel a device lives in. */
export function env(ctx: KernelContext | { ctx: KernelContext }): GuestEnv {
  const k = 'ctx' in ctx ? ctx.ctx : ctx;
  const e = envs.get(k);
  if (!e) throw new Error('guest environment not attached');
  return e;
}
