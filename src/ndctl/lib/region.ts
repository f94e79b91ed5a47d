/**
 * DOC: libcxl regions and their mappings (cxl/lib/libcxl.c add_cxl_region(),
 * cxl_regions_init(), cxl_mappings_init() and accessors).
 *
 * Only root decoders have regions: the regionN entries of the decoder's directory, kept sorted by
 * HPA start (list_add_sorted; equal starts keep readdir order). A region's mappings come from its
 * target0..target<ways-1> attributes, each looked up by decoder name over the whole topology and
 * prepended, so they run from the highest position down.
 */
import { strtoull, toU32, U64_MAX } from '../util/cstr.ts';
import { ndctlHas } from '../versions.ts';
import { decoderByName } from './decoder.ts';
import { deviceParse, isEnabledPath, readAttr, readAttrAt } from './sysfs.ts';
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
  return isEnabledPath(r.ctx, `${r.devPath}/driver`);
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
