/**
 * DOC: what every guest driver needs besides its device: the bus accessors (the platform as
 * the kernel sees it) and the profile (which kernel version's behaviour to follow).
 */
import type { HostBus } from '../bus/index.ts';
import type { KernelContext } from '../kernel/device.ts';
import { copiedWeakMap } from '../kernel/graph-copy.ts';
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
  /** Kernel config options set beyond the distribution kernel's (names without CONFIG_). */
  kconfig: ReadonlySet<string>;
}

const envs = copiedWeakMap<KernelContext, GuestEnv>();

/** Kernel-version switches of the driver core (drivers/base), first version with each. */
export const DRIVER_CORE_KVER = {
  /** call_driver_probe(): dev_err "probe with driver %s failed with error %d" (was a pr_warn
   *  "%s: probe of %s failed with error %d"), v6.10. */
  probeFailDevErr: '6.10',
} as const;

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
    since: (v) => kernelAtLeast(profile, v),
    kconfig: new Set(kconfig),
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
