/**
 * DOC: libcxl's region operations (cxl/lib/libcxl.c cxl_decoder_create_pmem_region(),
 * cxl_region_set_*(), cxl_region_decode_commit/reset(), cxl_region_enable/disable/delete(),
 * cxl_region_get_target_decoder()).
 *
 * Each setter writes one attribute in libcxl's format ("%u\n", "%#llx\n", the unparsed uuid, the
 * bare decoder name) and on success updates the cached field, so that the region JSON printed
 * after creation shows what was written (resource is the only value re-read, on enable).
 */
import { hexAlt, strtoull, U64_MAX } from '../util/cstr.ts';
import { decoderByName } from './decoder.ts';
import { cxlRegions, regionIsEnabled, regionName } from './region.ts';
import { readAttr } from './sysfs.ts';
import { negErrno, strerrorRc, utilBind, utilUnbind, writeAttr } from './sysfs-write.ts';
import { type CxlDecoder, type CxlRegion, DECODE_STATE, devname } from './types.ts';

const log = (r: CxlRegion, fn: string, msg: string): void => r.ctx.out.log('libcxl', fn, msg);

/** cxl_region_set_size(): "%#llx\n". */
export function regionSetSize(r: CxlRegion, size: bigint): number {
  if (size === 0n) return negErrno('EINVAL'); // "cannot use %s to delete a region" is dbg
  const rc = writeAttr(r.ctx, `${r.devPath}/size`, `${hexAlt(size)}\n`);
  if (rc < 0) return rc;
  r.size = size;
  return 0;
}

/** cxl_region_set_uuid(): the 36-character uuid_unparse() text, no newline. */
export function regionSetUuid(r: CxlRegion, uuid: string): number {
  return writeAttr(r.ctx, `${r.devPath}/uuid`, uuid);
}

/** cxl_region_set_interleave_ways(): "%u\n". */
export function regionSetInterleaveWays(r: CxlRegion, ways: number): number {
  const rc = writeAttr(r.ctx, `${r.devPath}/interleave_ways`, `${ways >>> 0}\n`);
  if (rc < 0) return rc;
  r.interleaveWays = ways >>> 0;
  return 0;
}

/** cxl_region_set_interleave_granularity(): "%u\n". */
export function regionSetInterleaveGranularity(r: CxlRegion, granularity: number): number {
  const rc = writeAttr(r.ctx, `${r.devPath}/interleave_granularity`, `${granularity >>> 0}\n`);
  if (rc < 0) return rc;
  r.interleaveGranularity = granularity >>> 0;
  return 0;
}

/** region_write_target(): the decoder's name, or "" to clear the position. */
function regionWriteTarget(
  r: CxlRegion,
  position: number,
  decoder: CxlDecoder | undefined,
): number {
  const name = decoder ? devname(decoder.devPath) : '';
  return writeAttr(r.ctx, `${r.devPath}/target${position}`, name);
}

/** cxl_region_set_target() */
export function regionSetTarget(r: CxlRegion, position: number, decoder: CxlDecoder): number {
  return regionWriteTarget(r, position, decoder);
}

/** cxl_region_clear_target(): refused on an enabled region. */
export function regionClearTarget(r: CxlRegion, position: number): number {
  const name = regionName(r);
  if (regionIsEnabled(r)) {
    log(r, 'cxl_region_clear_target', `${name}: can't clear targets on an active region\n`);
    return negErrno('EBUSY');
  }
  const rc = regionWriteTarget(r, position, undefined);
  if (rc) {
    log(
      r,
      'cxl_region_clear_target',
      `${name}: error clearing target${position}: ${strerrorRc(rc)}\n`,
    );
    return rc;
  }
  return 0;
}

/** set_region_decode(): "%d\n" of the new decode state to `commit`. */
function setRegionDecode(r: CxlRegion, state: number): number {
  const rc = writeAttr(r.ctx, `${r.devPath}/commit`, `${state}\n`);
  if (rc < 0) return rc;
  r.decodeState = state;
  return 0;
}

/** cxl_region_decode_commit() */
export function regionDecodeCommit(r: CxlRegion): number {
  return setRegionDecode(r, DECODE_STATE.COMMIT);
}

/** cxl_region_decode_reset() */
export function regionDecodeReset(r: CxlRegion): number {
  return setRegionDecode(r, DECODE_STATE.RESET);
}

/** cxl_region_enable(): bind, check the driver link, refresh `resource`. */
export function regionEnable(r: CxlRegion): number {
  const name = regionName(r);
  if (regionIsEnabled(r)) return 0;
  utilBind(r.ctx, name);
  if (!regionIsEnabled(r)) {
    log(r, 'cxl_region_enable', `${name}: failed to enable\n`);
    return negErrno('ENXIO');
  }
  const res = readAttr(r.ctx, `${r.devPath}/resource`);
  const start = typeof res === 'string' ? strtoull(res) : U64_MAX;
  if (start < U64_MAX) r.start = start;
  return 0;
}

/** cxl_region_disable(): unbind, then check the driver link is gone. */
export function regionDisable(r: CxlRegion): number {
  utilUnbind(r.ctx, r.devPath);
  if (regionIsEnabled(r)) {
    log(r, 'cxl_region_disable', `${regionName(r)}: failed to disable\n`);
    return negErrno('EBUSY');
  }
  return 0;
}

/** cxl_region_delete_name(): the name to the root decoder's delete_region. */
export function regionDeleteName(d: CxlDecoder, name: string): number {
  const rc = writeAttr(d.ctx, `${d.devPath}/delete_region`, name);
  if (rc !== 0) {
    d.ctx.out.log('libcxl', 'cxl_region_delete_name', `error deleting region: ${strerrorRc(rc)}\n`);
    return rc;
  }
  return 0;
}

/** cxl_region_delete(): refused while enabled; drops the region from the decoder's list. */
export function regionDelete(r: CxlRegion): number {
  if (regionIsEnabled(r)) return negErrno('EBUSY');
  const rc = regionDeleteName(r.decoder, regionName(r));
  if (rc !== 0) return rc;
  const d = r.decoder;
  d.regionsInit = false;
  const at = d.regions.indexOf(r);
  if (at >= 0) d.regions.splice(at, 1);
  return 0;
}

/**
 * cxl_decoder_create_region(): reads create_{pmem,ram}_region (the next free name), writes it
 * back and re-scans the decoder's regions to find it.
 */
export function decoderCreateRegion(d: CxlDecoder, mode: 'pmem' | 'ram'): CxlRegion | undefined {
  const ctx = d.ctx;
  const fn = ctx.ndctl === '85' ? 'cxl_decoder_create_region' : 'cxl_decoder_create_pmem_region';
  const path = `${d.devPath}/create_${mode}_region`;
  const buf = readAttr(ctx, path);
  if (typeof buf !== 'string') {
    ctx.out.log('libcxl', fn, `failed to read new region name: ${buf.message}\n`);
    return undefined;
  }
  const rc = writeAttr(ctx, path, buf);
  if (rc < 0) {
    ctx.out.log('libcxl', fn, `failed to write new region name: ${strerrorRc(rc)}\n`);
    return undefined;
  }
  d.regionsInit = false;
  const found = cxlRegions(d).find((r) => regionName(r) === buf);
  if (found) return found;
  ctx.out.log('libcxl', fn, 'failed to add new region to libcxl\n');
  regionDeleteName(d, buf);
  return undefined;
}

/** cxl_region_get_target_decoder(): the decoder named by target<position>. */
export function regionTargetDecoder(r: CxlRegion, position: number): CxlDecoder | undefined {
  const name = regionName(r);
  const buf = readAttr(r.ctx, `${r.devPath}/target${position}`);
  if (typeof buf !== 'string') {
    log(
      r,
      'cxl_region_get_target_decoder',
      `${name}: error reading target${position}: ${buf.message}\n`,
    );
    return undefined;
  }
  const d = decoderByName(r.ctx, buf);
  if (!d) {
    log(
      r,
      'cxl_region_get_target_decoder',
      `${name}: error locating decoder for target${position}\n`,
    );
    return undefined;
  }
  return d;
}
