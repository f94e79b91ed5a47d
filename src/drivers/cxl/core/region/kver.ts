/**
 * DOC: which kernel behaviour the region driver follows.
 *
 * Two kernels are modelled: the `debian-12` profile's Linux 6.1 (6.1.192 with Debian's stable
 * backports, as the kernel captures show it) and v7.0-rc (reference/region-driver.md). Each
 * switch below names the first version modelled with the newer behaviour; only the two ends are
 * verified, versions in between are the best reading of the upstream history.
 */
import type { Device } from '../../../../kernel/device.ts';
import { env } from '../../../env.ts';

/** Kernel-behaviour switches of the region driver. */
export const REGION_KVER = {
  /**
   * commit_store() on a decoder without HDM registers: only a single-target switch (passthrough)
   * decoder goes on, others fail "->commit() is required" (6.1: nothing to program, no check).
   */
  commitWithoutHdmChecked: '6.3',
  /** Auto-assembly of firmware-committed decoders (cxl_add_to_region), create_ram_region, `mode`. */
  autoAssembly: '6.3',
  /** cxl_port_setup_targets derives ig = parent_ig × parent_iw (6.1: next free address bit). */
  igMultiply: '6.3',
  /** cxl_dpa_set_part / partition array (6.1: cxl_dpa_set_mode with ram/pmem resources). */
  partitions: '6.15',
  /** Decoder pick: only decoder commit_end + 1 is eligible (6.1: lowest free decoder). */
  commitOrderPick: '6.12',
  /** check_interleave_cap() at attach and at port setup. */
  interleaveCap: '6.11',
  /** Region attach checks reordered (target count check, validate_position) and the
   *  "failed to attach %s to %s: %d" warning; "%s region mode: %d mismatch" wording. */
  attachV7: '6.19',
  /** CXL_REGION_F_LOCK, the `locked` attribute, -EPERM de-commit. */
  regionLock: '7.0',
  /** Region sort self-test dbg after a manual region completes. */
  posSelfTest: '6.8',
  /** dev_err "failed to find %s:%s in target list of %s". */
  posTargetListErr: '6.16',
  /** "HPA allocation error (%ld) for size:%pap in %s %pr" (6.1: "failed to allocate HPA: %ld"). */
  hpaAllocMsg: '6.9',
  /**
   * cxl_region_invalidate_memregion() before commit/de-commit: refused (WARN, -ENXIO) when the
   * CPU cannot invalidate its caches (x86 guests with the CPUID hypervisor bit). 6.1 has none:
   * the debian-12 captures commit regions on QEMU's default CPU; 6.12 and 7.3 refuse
   * (stacks/{debian-13,latest}/minimal-hypervisor).
   */
  invalidateMemregion: '6.2',
  /**
   * Wording after 6.12, seen in the latest (7.3) failures capture; the first version in between
   * was not read, 7.3 is the first modelled: "HPA allocation error (%pe)" (symbolic errno,
   * "-ERANGE"), the sort self-test's "target->pos:%d", and no "changing target node" debug line
   * from the pmem region probe.
   */
  dbgWording73: '7.3',
  /** dax_cxl makes the dax region and device `daxZ.0` of a ram region when dax_regionZ binds
   *  (drivers/dax/cxl.c, with create_ram_region in 6.3); latest volatile capture. */
  daxDevice: '6.3',
  /** Switch decoder target overflow check at port attach. */
  targetOverflow: '6.5',
} as const;

/** True when the device's kernel has the behaviour `k`. */
export function kver(dev: Device, k: keyof typeof REGION_KVER): boolean {
  return env(dev).since(REGION_KVER[k]);
}
