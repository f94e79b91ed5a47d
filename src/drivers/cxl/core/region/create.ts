/**
 * DOC: region creation and deletion (core/region.c create_pmem_region_store,
 * create_ram_region_store, __create_region, devm_cxl_add_region, delete_region_store,
 * unregister_region, cxl_region_release).
 *
 * The root decoder caches the next region id (read back from create_*_region). Writing that
 * name creates `regionZ` below the root decoder and pre-allocates the next id from the shared
 * memregion IDA; a stale name is -EBUSY. Device registration runs the bus's probe attempt at
 * once (the region driver refuses: "config state: 0"). Deleting detaches every position,
 * releases the HPA and returns the id: to the root decoder's cache when lower than the cached
 * one (which is then freed), else to the IDA.
 */
import { Errno } from '../../../../kernel/errno.ts';
import { rebuildable } from '../../../../kernel/graph-copy.ts';
import { memregionAlloc, memregionFree } from '../../../../kernel/memregion.ts';
import { cstr } from '../../../../sysfs/format.ts';
import { CXL_DECODER_F_LOCK, type DecoderTargetType } from '../../cxl.ts';
import type { CxlRootDecoder } from '../decoder.ts';
import type { CxlMemdev } from '../memdev.ts';
import { detachTarget } from './attach.ts';
import { cxlRegionIomemRelease } from './hpa.ts';
import { kver } from './kver.ts';
import { cxlRegionUnbind } from './probe.ts';
import { CXL_REGION_F_LOCK, CxlRegion, isCxlRegion, type RegionMode } from './region.ts';
import { cxlDpaToHpa } from './translate.ts';

/**
 * sscanf(buf, "region%d\n", &id): the literal "region", optional white space and sign, digits.
 * @returns the id, or undefined when no number converts
 */
export function scanRegionName(buf: string): number | undefined {
  const m = /^region\s*([+-]?\d+)/.exec(cstr(buf));
  if (!m) return undefined;
  const v = Number.parseInt(m[1] as string, 10);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** A region's DPA → HPA translation (its `dpaToHpa`), made again in a copy. */
function dpaToHpaOf(cxlr: CxlRegion): (cxlmd: CxlMemdev, dpa: bigint) => bigint {
  return (cxlmd, dpa) => cxlDpaToHpa(cxlr, cxlmd, dpa);
}

/**
 * __create_region() + devm_cxl_add_region(): take the cached id `id`, pre-allocate the next,
 * register `regionZ` (which triggers the driver's probe attempt) and log "%s: created %s" on
 * the root port's uport. `type` is the region's decoder type: sysfs-created regions are
 * always host-only memory; v7.0 auto-assembly passes the endpoint decoder's (type-2
 * accelerators: device memory).
 * @throws EBUSY `id` is not the cached id any more
 */
export function createRegionDevice(
  cxlrd: CxlRootDecoder,
  mode: RegionMode,
  id: number,
  type: DecoderTargetType = 'expander',
): CxlRegion {
  const next = memregionAlloc(cxlrd.ctx);
  if (cxlrd.regionId !== id) {
    memregionFree(cxlrd.ctx, next);
    throw new Errno('EBUSY', undefined, cxlrd.name);
  }
  cxlrd.regionId = next;
  const cxlr = new CxlRegion(cxlrd, id, mode, type);
  cxlr.dpaToHpa = rebuildable(dpaToHpaOf, cxlr);
  if (kver(cxlr, 'regionLock') && cxlrd.flags & CXL_DECODER_F_LOCK) cxlr.flags |= CXL_REGION_F_LOCK;
  cxlr.add(); // bus_probe_device(): cxl_region tries it (refused until committed)
  cxlrd.port.uportDev.dbg(`${cxlrd.name}: created ${cxlr.name}`);
  return cxlr;
}

/**
 * create_pmem_region / create_ram_region store.
 * @throws EINVAL the name does not scan as "region%d"; EBUSY stale id
 */
export function createRegionStore(cxlrd: CxlRootDecoder, mode: RegionMode, buf: string): void {
  const id = scanRegionName(buf);
  if (id === undefined) throw new Errno('EINVAL', undefined, cxlrd.name);
  createRegionDevice(cxlrd, mode, id);
}

/** cxl_region_release(): give the id back (to the root decoder's cache when lower). */
function cxlRegionRelease(cxlr: CxlRegion): void {
  const cxlrd = cxlr.cxlrd;
  const cached = cxlrd.regionId;
  if (cxlr.id < cached) {
    cxlrd.regionId = cxlr.id;
    memregionFree(cxlr.ctx, cached);
    return;
  }
  memregionFree(cxlr.ctx, cxlr.id);
}

/**
 * unregister_region(): device_del (the driver is released first), detach every position,
 * release the HPA, release the id.
 */
export function unregisterRegion(cxlr: CxlRegion): void {
  cxlRegionUnbind(cxlr);
  cxlr.del();
  for (let i = 0; i < cxlr.params.interleaveWays; i++) {
    try {
      detachTarget(cxlr, i);
    } catch {
      // detach_target() errors are ignored on unregister
    }
  }
  cxlRegionIomemRelease(cxlr);
  cxlRegionRelease(cxlr);
}

/**
 * delete_region store: the named child region of this root decoder (trailing newline ignored).
 * @throws ENODEV no such region below the root decoder
 */
export function deleteRegionStore(cxlrd: CxlRootDecoder, raw: string): void {
  const buf = cstr(raw);
  const name = buf.endsWith('\n') ? buf.slice(0, -1) : buf;
  const cxlr = cxlrd.children.find(
    (c): c is CxlRegion => isCxlRegion(c) && c.registered && c.name === name,
  );
  if (!cxlr) throw new Errno('ENODEV', undefined, cxlrd.name);
  unregisterRegion(cxlr);
}
