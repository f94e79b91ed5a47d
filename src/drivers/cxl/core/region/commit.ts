/**
 * DOC: committing and resetting a region's decoders (core/region.c commit_store,
 * cxl_region_decode_commit, cxl_region_decode_reset, commit_decoder).
 *
 * Commit walks positions 0…n−1 and, for each, the ports bottom-up (endpoint decoder, switch
 * decoders, host-bridge decoder); decoders already enabled by an earlier position are skipped by
 * the HDM commit itself. A failure resets that position's chain (from the failing port down)
 * plus its endpoint decoder, then every earlier position. Reset walks positions n−1…0, each
 * top-down (host bridge → switches → endpoint). Passthrough decoders have no registers: 6.1
 * skips them, later kernels accept them only with a single target.
 *
 * From 6.2 commit_store() first has the CPU drop its caches of the region's address range
 * (cxl_region_invalidate_memregion): a guest whose CPU cannot (x86 with the CPUID hypervisor
 * bit, QEMU's default) gets a WARN and -ENXIO for both commit and de-commit, unless the kernel
 * was built with CONFIG_CXL_REGION_INVALIDATION_TEST.
 */

import type { KernelContext } from '../../../../kernel/device.ts';
import { Errno } from '../../../../kernel/errno.ts';
import { copiedWeakMap } from '../../../../kernel/graph-copy.ts';
import { kstrtobool } from '../../../../sysfs/format.ts';
import { cpuCacheHasInvalidateMemregion } from '../../../arch/memregion.ts';
import { env } from '../../../env.ts';
import { type CxlDecoder, CxlSwitchDecoder } from '../decoder.ts';
import { cxlDecoderCommit, cxlDecoderReset, hasHdmRegisters } from '../hdm-commit.ts';
import type { CxlPort } from '../port.ts';
import { kver } from './kver.ts';
import { cxlRegionUnbind } from './probe.ts';
import {
  CXL_CONFIG_ACTIVE,
  CXL_CONFIG_COMMIT,
  CXL_CONFIG_RESET_PENDING,
  CXL_REGION_F_LOCK,
  CXL_REGION_F_NEEDS_RESET,
  type CxlRegion,
  cxlEpLoad,
  cxledToMemdev,
  cxlRrLoad,
} from './region.ts';
import { portsBottomUp, portsTopDown } from './targets.ts';

/** decoder->reset when it has one. */
function resetDecoder(cxld: CxlDecoder | undefined): void {
  if (cxld && hasHdmRegisters(cxld)) cxlDecoderReset(cxld);
}

/**
 * commit_decoder(): decoder->commit, or (later kernels) a passthrough switch decoder with at
 * most one target, which needs none.
 * @throws cxlDecoderCommit's errno; ENXIO "->commit() is required"
 */
function commitDecoder(cxlr: CxlRegion, cxld: CxlDecoder): void {
  if (hasHdmRegisters(cxld)) {
    cxlDecoderCommit(cxld);
    return;
  }
  if (!kver(cxlr, 'commitWithoutHdmChecked')) return;
  if (!(cxld instanceof CxlSwitchDecoder) || cxld.nrTargets > 1) {
    cxld.warn('->commit() is required');
    throw new Errno('ENXIO', '->commit() is required', cxld.name);
  }
}

/**
 * cxl_region_decode_reset(): positions count−1…0, each top-down then its endpoint decoder.
 * Skipped entirely for a locked region.
 */
export function cxlRegionDecodeReset(cxlr: CxlRegion, count: number): void {
  const p = cxlr.params;
  if (cxlr.flags & CXL_REGION_F_LOCK) return;
  const v7 = kver(cxlr, 'regionLock');
  for (let i = count - 1; i >= 0; i--) {
    const cxled = p.targets[i];
    if (!cxled) continue;
    for (const port of portsTopDown(cxled)) {
      resetDecoder(cxlRrLoad(port, cxlr)?.decoder);
      if (v7) cxlr.flags |= CXL_REGION_F_NEEDS_RESET;
    }
    resetDecoder(cxled);
    if (v7) cxlr.flags |= CXL_REGION_F_NEEDS_RESET;
  }
  cxlr.flags &= ~CXL_REGION_F_NEEDS_RESET;
}

/**
 * cxl_region_decode_commit(): commit every position bottom-up; on failure undo.
 * @throws the failing decoder's errno
 */
export function cxlRegionDecodeCommit(cxlr: CxlRegion): void {
  const p = cxlr.params;
  for (let i = 0; i < p.nrTargets; i++) {
    const cxled = p.targets[i];
    if (!cxled) continue;
    let failedAt: CxlPort | undefined;
    let err: unknown;
    for (const port of portsBottomUp(cxled)) {
      const cxld = cxlRrLoad(port, cxlr)?.decoder;
      if (!cxld) continue;
      try {
        commitDecoder(cxlr, cxld);
      } catch (e) {
        failedAt = port;
        err = e;
        break;
      }
    }
    if (failedAt) {
      const cxlmd = cxledToMemdev(cxled);
      for (let iter: CxlPort | undefined = failedAt; iter; ) {
        const ep = cxlEpLoad(iter, cxlmd);
        if (!ep) break;
        resetDecoder(cxlRrLoad(iter, cxlr)?.decoder);
        iter = ep.next;
      }
      resetDecoder(cxled);
      cxlRegionDecodeReset(cxlr, i);
      throw err;
    }
  }
}

/** Kernels that already printed the dev_info_once() bypass notice. */
const bypassNoticed = copiedWeakMap<KernelContext, true>();

/**
 * cxl_region_invalidate_memregion() (6.2+): cpu_cache_invalidate_memregion(IORES_DESC_CXL) when
 * the CPU can; else, with CONFIG_CXL_REGION_INVALIDATION_TEST, dev_info_once "Bypassing
 * cpu_cache_invalidate_memregion() for testing!" and go on; else dev_WARN "Failed to
 * synchronize CPU cache state" on the region.
 * @throws ENXIO the CPU cannot invalidate its caches (x86 guest with the hypervisor bit)
 */
export function cxlRegionInvalidateMemregion(cxlr: CxlRegion): void {
  if (!kver(cxlr, 'invalidateMemregion')) return;
  const e = env(cxlr);
  if (cpuCacheHasInvalidateMemregion(e.hw.cpu)) return;
  if (e.kconfig.has('CXL_REGION_INVALIDATION_TEST')) {
    if (!bypassNoticed.has(cxlr.ctx)) {
      bypassNoticed.set(cxlr.ctx, true);
      cxlr.info('Bypassing cpu_cache_invalidate_memregion() for testing!');
    }
    return;
  }
  cxlr.devWarn('Failed to synchronize CPU cache state', { check: 'commit', errno: 'ENXIO' });
  throw new Errno('ENXIO', 'Failed to synchronize CPU cache state', cxlr.name);
}

/**
 * commit_store(): true commits the region's decoders (ACTIVE → COMMIT); false unbinds the
 * region driver and resets them (COMMIT → ACTIVE). Writing the current state is a no-op.
 * @throws EINVAL parse; ENXIO not all targets attached, or the CPU cannot invalidate its caches
 *   (cxlRegionInvalidateMemregion); EPERM de-commit of a locked region; the HDM commit's
 *   EBUSY / EIO / ETIMEDOUT
 */
export function commitStore(cxlr: CxlRegion, buf: string): void {
  const commit = kstrtobool(buf);
  const p = cxlr.params;
  if (commit && p.state >= CXL_CONFIG_COMMIT) return;
  if (!commit && p.state < CXL_CONFIG_COMMIT) return;
  if (commit && p.state < CXL_CONFIG_ACTIVE) throw new Errno('ENXIO', undefined, cxlr.name);
  if (!commit && cxlr.flags & CXL_REGION_F_LOCK) throw new Errno('EPERM', undefined, cxlr.name);
  cxlRegionInvalidateMemregion(cxlr);
  if (commit) {
    cxlRegionDecodeCommit(cxlr);
    p.state = CXL_CONFIG_COMMIT;
    return;
  }
  p.state = CXL_CONFIG_RESET_PENDING;
  cxlRegionUnbind(cxlr);
  if (p.state === CXL_CONFIG_RESET_PENDING) {
    cxlRegionDecodeReset(cxlr, p.interleaveWays);
    p.state = CXL_CONFIG_ACTIVE;
  }
}

/** `commit` show: 1 once committed. */
export function commitShow(cxlr: CxlRegion): string {
  return cxlr.params.state >= CXL_CONFIG_COMMIT ? '1' : '0';
}
