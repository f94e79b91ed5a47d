/**
 * DOC: a `number` fast path for HPA → (position, DPA) of a committed region — the same
 * arithmetic as region_offset_to_dpa_result() (translate.ts: cxl_apply_xor_maps,
 * cxl_calculate_position, cxl_calculate_dpa_offset; CXL 3.1 §8.2.4.20.13, §9.18.1.4) on
 * IEEE doubles instead of bigint, for bulk translation (benchmarks, scans).
 *
 * Exact while every address is below 2^53 (Number.MAX_SAFE_INTEGER): the translator is only
 * compiled for regions that end below it, have no extended linear cache and are not
 * "unaligned MOD3" (those need the routing search); anything else gets `undefined` and the
 * bigint path applies. XOR maps are applied on the 32-bit halves of the address, in map order
 * as cxl_do_xormap_calc() does. Addresses and DPAs are bytes.
 */
import type { CxlEndpointDecoder } from '../decoder.ts';
import { type CxlRegion, cxledToMemdev } from './region.ts';
import { regionIsUnalignedMod3 } from './translate.ts';

/** 2^32. */
const TWO32 = 4294967296;

/** XOR maps used per host-bridge ways (hbiw_to_nr_maps). */
const MAPS_NEEDED: Record<number, number> = { 1: 0, 2: 1, 3: 0, 4: 2, 6: 1, 8: 3, 12: 2, 16: 4 };

/** Result slot of {@link RegionTranslator.translate} (reused, no allocation per call). */
export interface FastDpa {
  /** Interleave position. */
  pos: number;
  /** DPA on the member at `pos` (bytes). */
  dpa: number;
}

/** A compiled translator for one region. */
export interface RegionTranslator {
  /** First and last HPA of the region. */
  readonly start: number;
  readonly end: number;
  /** Endpoint decoders by position. */
  readonly targets: readonly CxlEndpointDecoder[];
  /** Memdev names by position. */
  readonly memdevs: readonly string[];
  /** HPA → (pos, DPA) into `out`; false when outside the region. */
  translate(hpa: number, out: FastDpa): boolean;
}

/** Parity of a 32-bit value. */
function parity32(v: number): number {
  let x = v ^ (v >>> 16);
  x ^= x >>> 8;
  x ^= x >>> 4;
  return (0x6996 >>> (x & 0xf)) & 1;
}

/** Lowest set bit of a bigint (map ≠ 0). */
function lowestBit(m: bigint): number {
  let p = 0;
  while (((m >> BigInt(p)) & 1n) === 0n) p++;
  return p;
}

/**
 * Compiles the fast translator of a region whose every position has an endpoint with DPA.
 * @returns undefined when the region is not eligible (see the DOC block)
 */
export function compileRegionTranslator(cxlr: CxlRegion): RegionTranslator | undefined {
  const p = cxlr.params;
  const res = p.res;
  if (!res || p.cacheSize !== 0n || res.end >= BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  if (regionIsUnalignedMod3(cxlr)) return undefined;
  const ways = p.interleaveWays;
  const gran = p.interleaveGranularity;
  const targets: CxlEndpointDecoder[] = [];
  for (let i = 0; i < ways; i++) {
    const t = p.targets.slice(0, ways).find((x) => x?.pos === i);
    if (!t?.dpaRes || t.dpaRes.end >= BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    targets.push(t);
  }
  const dpaStart = Float64Array.from(targets.map((t) => Number(t.dpaRes?.start ?? 0n)));
  const start = Number(res.start);
  const end = Number(res.end);
  const cxlrd = cxlr.cxlrd;
  const rw = cxlrd.interleaveWays;
  const xor = cxlrd.arithmetic === 'xor' && rw !== 1 && rw !== 3;
  const need = MAPS_NEEDED[rw] ?? 0;
  if (xor && cxlrd.xormaps.length < need) return undefined;
  const maps = xor ? cxlrd.xormaps.slice(0, need).filter((m) => m !== 0n) : [];
  const mLo = Int32Array.from(maps.map((m) => Number(m & 0xffffffffn) | 0));
  const mHi = Int32Array.from(maps.map((m) => Number((m >> 32n) & 0x1fffffn) | 0));
  const bit = Int32Array.from(maps.map(lowestBit));
  const nMaps = maps.length;
  const translate = (hpa: number, out: FastDpa): boolean => {
    if (!(hpa >= start && hpa <= end)) return false;
    let h = hpa;
    if (nMaps) {
      let lo = h >>> 0;
      let hi = (h - lo) / TWO32;
      for (let i = 0; i < nMaps; i++) {
        const v = parity32((lo & (mLo[i] as number)) ^ (hi & (mHi[i] as number)));
        const b = bit[i] as number;
        if (b < 32) lo = ((lo & ~(1 << b)) | (v << b)) >>> 0;
        else hi = (hi & ~(1 << (b - 32))) | (v << (b - 32));
      }
      h = hi * TWO32 + lo;
    }
    const off = h - start;
    const g = Math.floor(off / gran);
    const pos = g % ways;
    out.pos = pos;
    out.dpa = (dpaStart[pos] as number) + Math.floor(g / ways) * gran + (off - g * gran);
    return true;
  };
  return { start, end, targets, memdevs: targets.map((t) => cxledToMemdev(t).name), translate };
}
