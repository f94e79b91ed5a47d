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

/**
 * Kernel versions modelled: upstream releases, and named distribution variants
 * ({@link KERNEL_VARIANTS}) spelled `<upstream base>-<name the source gives itself>`.
 */
export type KernelVersion = '6.1' | '6.12' | '7.3' | '7.0-nvidia-bos';

/** A distribution kernel modelled as its upstream base plus documented differences. */
export interface KernelVariant {
  /** Upstream release the tree is built on ("MAJOR.MINOR"); every `since()` compares this. */
  base: string;
  /** What the source calls itself (debian changelog package and version, tree). */
  source: string;
  /** The differences from `base` the model applies, each with its evidence (empty: none found). */
  differences: readonly string[];
}

/**
 * The named kernel variants. `7.0-nvidia-bos`: NVIDIA's Ubuntu kernel with the CXL type-2
 * series and vfio-cxl (`debian.nvidia-bos/changelog`: "linux-nvidia-bos (7.0.0-2017.17)
 * resolute", tree NVIDIA/NV-Kernels `26.04_linux-nvidia-bos`, Makefile 7.0; the kernel PR #448
 * booted `7.0.0-2008-nvidia-bos-64k`). Its drivers/cxl region assembly was read
 * (core/region.c at 043e4174: find_pos_and_ways(), match_switch_decoder_by_range(),
 * cxl_region_attach(), attach_target(); core/hdm.c at 017d76d5: devm_cxl_add_passthrough_decoder())
 * and is upstream v7.0's: a passthrough host-bridge decoder keeps the empty range until a region
 * is activated, so a firmware-committed endpoint below it is not auto-assembled there either
 * (docs/vfio-cxl.md §6). No difference from v7.0 is modelled because none was found.
 */
export const KERNEL_VARIANTS: Readonly<Record<string, KernelVariant>> = {
  '7.0-nvidia-bos': {
    base: '7.0',
    source: 'linux-nvidia-bos 7.0.0-2017.17 (NVIDIA/NV-Kernels 26.04_linux-nvidia-bos)',
    differences: [],
  },
};
/** QEMU versions modelled. */
export type QemuVersion = '7.2' | '10.0' | '11.1';
/**
 * ndctl versions modelled: the three stacks' releases (76.1, 81, 85) and the upstream releases
 * between 76.1 and 81 (77 … 80), which follow src/ndctl/versions.ts (`NDCTL_SINCE`) dated from
 * ndctl's git tags. 82 … 84 are not accepted: the table cannot tell them from 85.
 */
export type NdctlVersion = '76.1' | '77' | '78' | '79' | '80' | '81' | '85';

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
  '7.0-nvidia-bos': '7.0-nvidia-bos',
  'nvidia-bos': '7.0-nvidia-bos',
};

/** Every kernel version `--kernel` accepts, as stored in a profile. */
export const KERNEL_VERSIONS: readonly KernelVersion[] = [...new Set(Object.values(KERNELS))];

/** The upstream release a kernel version is, or is built on ("MAJOR.MINOR"). */
export function kernelBase(k: KernelVersion): string {
  return KERNEL_VARIANTS[k]?.base ?? k;
}
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
  '77': '77',
  '78': '78',
  '79': '79',
  '80': '80',
  '81': '81',
  '85': '85',
  latest: '85',
};

/** Every ndctl version `--ndctl` accepts, as stored in a profile. */
export const NDCTL_VERSIONS: readonly NdctlVersion[] = [...new Set(Object.values(NDCTLS))];

/** The distinct versions of a version table, oldest first (numeric compare: 6.1 < 6.12 < 7.0). */
function knownVersions<T>(table: Record<string, T>): string[] {
  const nums = (v: string) => v.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  return [...new Set(Object.values(table).map(String))].sort((a, b) => {
    const [x, y] = [nums(a), nums(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++)
      if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return a.localeCompare(b);
  });
}

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
        // the versions themselves, oldest first, then `latest` (aliases such as '76' not listed)
        `unknown ${what} version '${v}' (known: ${[...knownVersions(table), 'latest'].join(', ')})`,
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

/**
 * True when the profile's kernel is `v` or newer (versions compare numerically: 6.12 > 6.1; a
 * variant compares as its upstream base, {@link kernelBase}).
 */
export function kernelAtLeast(p: Profile, v: string): boolean {
  return versionNumber(kernelBase(p.kernel)) >= versionNumber(v);
}

/** "MAJOR.MINOR" as MAJOR*100+MINOR, memoized (version checks run per sysfs attribute show). */
const versionNumbers = new Map<string, number>();
function versionNumber(s: string): number {
  let n = versionNumbers.get(s);
  if (n === undefined) {
    const [a = '0', b = '0'] = s.split('.');
    n = Number(a) * 100 + Number(b);
    if (versionNumbers.size < 256) versionNumbers.set(s, n);
  }
  return n;
}

/**
 * True when QEMU `q` is release `v` or newer ("MAJOR.MINOR", compared as numbers: 10.0 > 7.2).
 * Every QEMU version table (topology properties, hw/qemu-compat.ts, the mailbox's command
 * table) compares through this.
 */
export function qemuAtLeast(q: QemuVersion, v: string): boolean {
  return versionNumber(q) >= versionNumber(v);
}

/** Same for the ABI `since` strings of sysfs-abi.json ("v6.8"). */
export function attrVisibleSince(p: Profile, since: string | undefined): boolean {
  if (!since) return true;
  return kernelAtLeast(p, since.replace(/^v/, ''));
}
