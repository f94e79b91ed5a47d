/**
 * DOC: HPA allocation for a region inside its root decoder's window (core/region.c alloc_hpa,
 * free_hpa; kernel/resource.c alloc_free_mem_region).
 *
 * The window's busy ranges are the resources of the regions below the root decoder. A new
 * region takes the lowest 256 MiB-aligned free slot (first fit, ascending); no room is
 * -ERANGE, as get_free_mem_region() returns it. Addresses and sizes are bytes (HPA).
 */
import { Errno } from '../../../../kernel/errno.ts';
import { hexll, pa } from '../../../../sysfs/format.ts';
import { SZ_256M } from '../../cxl.ts';
import type { CxlRootDecoder, HpaRange } from '../decoder.ts';
import { kver } from './kver.ts';
import {
  CXL_CONFIG_ACTIVE,
  CXL_CONFIG_IDLE,
  CXL_CONFIG_INTERLEAVE_ACTIVE,
  type CxlRegion,
  fmtRes,
  isCxlRegion,
  NULL_UUID,
} from './region.ts';

/** The inserted region resources of a window, ascending. */
export function windowBusy(cxlrd: CxlRootDecoder): HpaRange[] {
  const out: HpaRange[] = [];
  for (const c of cxlrd.children) {
    if (isCxlRegion(c) && c.params.res && c.params.resInserted) out.push(c.params.res);
  }
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/**
 * alloc_free_mem_region(): lowest `align`-aligned [addr, addr + size) inside `window` that
 * overlaps no `busy` range. Pure.
 * @returns the allocated inclusive range, or undefined when there is no room
 */
export function allocFreeMemRegion(
  window: HpaRange,
  busy: readonly HpaRange[],
  size: bigint,
  align: bigint,
): HpaRange | undefined {
  if (size <= 0n) return undefined;
  let addr = ((window.start + align - 1n) / align) * align;
  while (addr + size - 1n <= window.end) {
    const end = addr + size - 1n;
    const hit = busy.find((b) => b.start <= end && b.end >= addr);
    if (!hit) return { start: addr, end };
    addr = ((hit.end + 1n + align - 1n) / align) * align;
  }
  return undefined;
}

/**
 * alloc_hpa(): reserve `size` bytes of HPA for the region and move it to INTERLEAVE_ACTIVE.
 * @throws EBUSY already allocated with another size / state past IDLE
 * @throws ENXIO ways, granularity (or a pmem region's uuid) not set yet
 * @throws EINVAL size not a multiple of 256 MiB × ways
 * @throws ERANGE no free slot in the window
 */
export function allocHpa(cxlr: CxlRegion, size: bigint): void {
  const p = cxlr.params;
  const cxlrd = cxlr.cxlrd;
  if (p.res && p.res.end - p.res.start + 1n === size) return;
  if (p.res) throw new Errno('EBUSY', undefined, cxlr.name);
  if (p.state >= CXL_CONFIG_INTERLEAVE_ACTIVE) throw new Errno('EBUSY', undefined, cxlr.name);
  if (
    !p.interleaveWays ||
    !p.interleaveGranularity ||
    (cxlr.mode === 'pmem' && p.uuid === NULL_UUID)
  ) {
    throw new Errno('ENXIO', undefined, cxlr.name);
  }
  if (size % (SZ_256M * BigInt(p.interleaveWays)) !== 0n)
    throw new Errno('EINVAL', undefined, cxlr.name);
  const res = allocFreeMemRegion(cxlrd.hpaRange, windowBusy(cxlrd), size, SZ_256M);
  if (!res) {
    if (kver(cxlr, 'hpaAllocMsg')) {
      throw cxlr.dbgErr(
        'ERANGE',
        `HPA allocation error (${kver(cxlr, 'dbgWording73') ? '-ERANGE' : '-34'}) for size:${pa(size)} in ${cxlrd.resName} ${fmtRes(cxlrd.hpaRange)}`,
        { check: 'hpa', device: cxlrd.name, args: { size: pa(size) } },
      );
    }
    throw cxlr.dbgErr('ERANGE', 'failed to allocate HPA: -34', {
      check: 'hpa',
      device: cxlrd.name,
      args: { size: pa(size) },
    });
  }
  p.res = res;
  p.resInserted = true;
  p.state = CXL_CONFIG_INTERLEAVE_ACTIVE;
}

/** cxl_region_iomem_release(): drop the HPA resource. */
export function cxlRegionIomemRelease(cxlr: CxlRegion): void {
  cxlr.params.res = undefined;
  cxlr.params.resInserted = false;
}

/**
 * free_hpa(): release the HPA and go back to IDLE.
 * @throws EBUSY once every target is attached (state ACTIVE or later)
 */
export function freeHpa(cxlr: CxlRegion): void {
  const p = cxlr.params;
  if (!p.res) return;
  if (p.state >= CXL_CONFIG_ACTIVE) throw new Errno('EBUSY', undefined, cxlr.name);
  cxlRegionIomemRelease(cxlr);
  p.state = CXL_CONFIG_IDLE;
}

/** `size` show: the resource size, "%#llx". */
export function regionSize(cxlr: CxlRegion): string {
  const r = cxlr.params.res;
  return hexll(r ? r.end - r.start + 1n : 0n);
}
