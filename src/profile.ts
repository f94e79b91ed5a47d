/**
 * DOC: stack profiles — which kernel, QEMU and ndctl the simulated guest runs.
 *
 * The guest view depends on all three: the kernel decides attributes and behaviour (6.1 adds a
 * passthrough decoder for any single-dport port; later kernels read the HDM registers), QEMU
 * decides device defaults and accepted options (7.2: one HDM decoder per component, `memdev`
 * only), ndctl decides `cxl list` keys and messages. `debian-12` is the stack of the kernel
 * captures (Linux 6.1, QEMU 7.2, ndctl 76.1); `debian-13` is Linux 6.12, QEMU 10.0, ndctl 81; `latest`
 * (the default) is Linux 7.3, QEMU 11.1, ndctl 85. Each has real captures
 * (../shared/kernel-captures*). Every modelled difference is listed, with its evidence, in
 * docs/profiles.md.
 */
import { Errno } from './kernel/errno.ts';

/** Kernel versions modelled. */
export type KernelVersion = '6.1' | '6.12' | '7.3';
/** QEMU versions modelled. */
export type QemuVersion = '7.2' | '10.0' | '11.1';
/** ndctl versions modelled. */
export type NdctlVersion = '76.1' | '81' | '85';

/** A consistent stack. */
export interface Profile {
  name: string;
  kernel: KernelVersion;
  qemu: QemuVersion;
  ndctl: NdctlVersion;
}

/** The named profiles. */
export const PROFILES: Record<string, Profile> = {
  'debian-12': { name: 'debian-12', kernel: '6.1', qemu: '7.2', ndctl: '76.1' },
  'debian-13': { name: 'debian-13', kernel: '6.12', qemu: '10.0', ndctl: '81' },
  latest: { name: 'latest', kernel: '7.3', qemu: '11.1', ndctl: '85' },
};

/** Default profile when none is given. */
export const DEFAULT_PROFILE = 'latest';

const KERNELS: Record<string, KernelVersion> = {
  '6.1': '6.1',
  '6.12': '6.12',
  '7.3': '7.3',
  latest: '7.3',
};
const QEMUS: Record<string, QemuVersion> = {
  '7.2': '7.2',
  '10.0': '10.0',
  '10': '10.0',
  '11.1': '11.1',
  '11': '11.1',
  latest: '11.1',
};
const NDCTLS: Record<string, NdctlVersion> = {
  '76.1': '76.1',
  '76': '76.1',
  '81': '81',
  '85': '85',
  latest: '85',
};

/**
 * Resolves `--profile` and the per-part overrides into a Profile.
 * @throws EINVAL for an unknown profile or version ("unknown profile 'x' (known: debian-12, latest)").
 */
export function resolveProfile(
  name: string | undefined,
  over: { kernel?: string; qemuVersion?: string; ndctl?: string } = {},
): Profile {
  const base = PROFILES[name ?? DEFAULT_PROFILE];
  if (!base)
    throw new Errno(
      'EINVAL',
      `unknown profile '${name}' (known: ${Object.keys(PROFILES).join(', ')})`,
    );
  const pick = <T>(table: Record<string, T>, v: string | undefined, what: string, dflt: T): T => {
    if (v === undefined) return dflt;
    const r = table[v];
    if (r === undefined)
      throw new Errno(
        'EINVAL',
        `unknown ${what} version '${v}' (known: ${Object.keys(table).join(', ')})`,
      );
    return r;
  };
  const p: Profile = {
    name: base.name,
    kernel: pick(KERNELS, over.kernel, 'kernel', base.kernel),
    qemu: pick(QEMUS, over.qemuVersion, 'QEMU', base.qemu),
    ndctl: pick(NDCTLS, over.ndctl, 'ndctl', base.ndctl),
  };
  if (p.kernel !== base.kernel || p.qemu !== base.qemu || p.ndctl !== base.ndctl) p.name = 'custom';
  return p;
}

/** True when the profile's kernel is `v` or newer (versions compare numerically: 6.12 > 6.1). */
export function kernelAtLeast(p: Profile, v: string): boolean {
  const n = (s: string) => {
    const [a = '0', b = '0'] = s.split('.');
    return Number(a) * 100 + Number(b);
  };
  return n(p.kernel) >= n(v);
}

/**
 * True when QEMU `q` is release `v` or newer ("MAJOR.MINOR", compared as numbers: 10.0 > 7.2).
 * Every QEMU version table (topology properties, hw/qemu-compat.ts, the mailbox's command
 * table) compares through this.
 */
export function qemuAtLeast(q: QemuVersion, v: string): boolean {
  const n = (s: string) => {
    const [a = '0', b = '0'] = s.split('.');
    return Number(a) * 100 + Number(b);
  };
  return n(q) >= n(v);
}

/** Same for the ABI `since` strings of sysfs-abi.json ("v6.8"). */
export function attrVisibleSince(p: Profile, since: string | undefined): boolean {
  if (!since) return true;
  return kernelAtLeast(p, since.replace(/^v/, ''));
}
