/**
 * DOC: libcxl regions and their mappings (cxl/lib/libcxl.c add_cxl_region(),
 * cxl_regions_init(), cxl_mappings_init() and accessors).
 *
 * Only root decoders have regions: the regionN entries of the decoder's directory, kept sorted by
 * HPA start (list_add_sorted; equal starts keep readdir order). A region's mappings come from its
 * target0..target<ways-1> attributes, each looked up by decoder name over the whole topology and
 * prepended, so they run from the highest position down.
 *
 * Writes: the region operations (cxl/lib/libcxl.c cxl_decoder_create_pmem_region(),
 * cxl_region_set_*(), cxl_region_decode_commit/reset(), cxl_region_enable/disable/delete(),
 * cxl_region_get_target_decoder()).
 *
 * Each setter writes one attribute in libcxl's format ("%u\n", "%#llx\n", the unparsed uuid, the
 * bare decoder name) and on success updates the cached field, so that the region JSON printed
 * after creation shows what was written (resource is the only value re-read, on enable).
 */
import { hexAlt, strtoull, toU32, U64_MAX } from '../util/cstr.ts';
import { ndctlHas } from '../versions.ts';
import { decoderByName } from './decoder.ts';
import {
  deviceParse,
  isDriverBound,
  negErrno,
  readAttr,
  readAttrAt,
  strerrorRc,
  utilBind,
  utilUnbind,
  writeAttr,
} from './sysfs.ts';
import {
  type CxlDecoder,
  type CxlMapping,
  type CxlRegion,
  DECODE_STATE,
  DECODER_MODE,
  type DecoderMode,
  devname,
  type RegionLocked,
} from './types.ts';

/** UUID text as uuid_parse() accepts it (36 characters, hyphens at 8/13/18/23). */
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** cxl_decoder_mode_from_ident() (85) */
function modeFromIdent(s: string): DecoderMode {
  if (s === 'ram' || s === 'volatile') return DECODER_MODE.RAM;
  if (s === 'pmem') return DECODER_MODE.PMEM;
  return DECODER_MODE.NONE;
}

/** add_cxl_region(): undefined when uuid is unreadable or not a UUID. */
function addRegion(decoder: CxlDecoder, id: number, base: string): CxlRegion | undefined {
  const ctx = decoder.ctx;
  const attr = (name: string): string | Error => readAttrAt(ctx, base, name);
  const modeAttr = ndctlHas(ctx.ndctl, 'regionType');
  const lockedAttr = ndctlHas(ctx.ndctl, 'regionLocked');
  const size = attr('size');
  const cache = ndctlHas(ctx.ndctl, 'regionExtendedLinearCache')
    ? attr('extended_linear_cache_size')
    : undefined;
  const resource = attr('resource');
  const res = typeof resource === 'string' ? strtoull(resource) : U64_MAX;
  const uuid = attr('uuid');
  if (typeof uuid !== 'string') return undefined;
  if (uuid.length > 0 && !UUID.test(uuid)) return undefined;
  const ig = attr('interleave_granularity');
  const iw = attr('interleave_ways');
  const commit = attr('commit');
  let mode: DecoderMode = DECODER_MODE.NONE;
  let locked: RegionLocked = 'unknown';
  if (modeAttr) {
    const m = attr('mode');
    if (typeof m === 'string') mode = modeFromIdent(m);
  }
  if (lockedAttr) {
    const l = attr('locked');
    if (typeof l === 'string') locked = strtoull(l) !== 0n ? 'locked' : 'unlocked';
  }
  return {
    decoder,
    ctx,
    id,
    devPath: base,
    start: res < U64_MAX ? res : 0n,
    size: typeof size === 'string' ? strtoull(size) : U64_MAX,
    cacheSize: typeof cache === 'string' ? strtoull(cache) : 0n,
    mode,
    locked,
    interleaveGranularity: typeof ig === 'string' ? toU32(strtoull(ig)) : 0xffffffff,
    interleaveWays: typeof iw === 'string' ? toU32(strtoull(iw)) : 0xffffffff,
    decodeState:
      typeof commit === 'string'
        ? Number(BigInt.asIntN(32, strtoull(commit)))
        : DECODE_STATE.UNKNOWN,
    mappings: undefined,
  };
}

/** cxl_region_foreach(): a root decoder's regions sorted by start (none for other decoders). */
export function cxlRegions(decoder: CxlDecoder): CxlRegion[] {
  if (decoder.regionsInit || decoder.port.type !== 'root') return decoder.regions;
  decoder.regionsInit = true;
  const list = decoder.regions;
  deviceParse(decoder.ctx, decoder.devPath, 'region', (id, base) => {
    const r = addRegion(decoder, id, base);
    if (!r) return undefined;
    const dup = list.findIndex((x) => x.id === r.id);
    if (dup >= 0) list.splice(dup, 1); // the older copy goes to stale_regions
    const at = list.findIndex((x) => r.start < x.start);
    if (at < 0) list.push(r);
    else list.splice(at, 0, r);
    return r;
  });
  return list;
}

/** cxl_region_get_devname() */
export function regionName(r: CxlRegion): string {
  return devname(r.devPath);
}

/** cxl_region_is_enabled(): the region's driver link exists. */
export function regionIsEnabled(r: CxlRegion): boolean {
  return isDriverBound(r.ctx, r.devPath);
}

/** Iterations of the targetN loop we are willing to run for an absurd interleave_ways. */
const MAX_MAPPING_LOOP = 256;

/** cxl_mapping_foreach(): positions ways-1 … 0 that name a known decoder. */
export function cxlMappings(r: CxlRegion): CxlMapping[] {
  if (r.mappings) return r.mappings;
  const list: CxlMapping[] = [];
  r.mappings = list;
  const name = regionName(r);
  const ways = Math.min(r.interleaveWays, MAX_MAPPING_LOOP);
  for (let i = 0; i < ways; i++) {
    const target = readAttr(r.ctx, `${r.devPath}/target${i}`);
    if (typeof target !== 'string') {
      r.ctx.out.log('libcxl', 'cxl_mappings_init', `${name}: failed to read target${i}\n`);
      continue;
    }
    const decoder = decoderByName(r.ctx, target);
    if (!decoder) {
      r.ctx.out.log(
        'libcxl',
        'cxl_mappings_init',
        `${name} target${i}: ${target} lookup failure\n`,
      );
      continue;
    }
    list.unshift({ region: r, decoder, position: i });
  }
  return list;
}

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
  const fn = ndctlHas(ctx.ndctl, 'ramRegions')
    ? 'cxl_decoder_create_region'
    : 'cxl_decoder_create_pmem_region';
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
