/**
 * DOC: DPA ↔ HPA translation for a region (core/region.c cxl_calculate_hpa_offset,
 * cxl_calculate_dpa_offset, cxl_calculate_position, cxl_dpa_to_hpa,
 * region_offset_to_dpa_result; core/acpi.c cxl_do_xormap_calc / cxl_apply_xor_maps;
 * CXL 3.1 §8.2.4.20.13 device decode, §9.18.1.4 XOR interleave math).
 *
 * The pure functions work on encoded region ways/granularity (eiw/eig) and offsets in bytes;
 * invalid parameters give ULLONG_MAX, as the kernel returns. The region wrappers add the region
 * base, the XOR maps of the root decoder (they only move the host-bridge selector bits) and the
 * kernel's sanity checks. Regions under 3/6/12-way windows that start off a `root_ways × 256 MiB`
 * boundary ("unaligned MOD3") are not translated (the kernel's search algorithm is not modelled).
 */
import { SZ_256M } from '../../cxl.ts';
import type { CxlEndpointDecoder, CxlRootDecoder } from '../decoder.ts';
import type { CxlMemdev } from '../memdev.ts';
import { type CxlRegion, cxledToMemdev } from './region.ts';

/** ULLONG_MAX: the kernel's "no translation". */
export const ULLONG_MAX = (1n << 64n) - 1n;

/** GENMASK_ULL(h, l). */
const genmask = (h: number, l: number): bigint =>
  h < l ? 0n : ((1n << BigInt(h - l + 1)) - 1n) << BigInt(l);

/** Ways for an encoded IW, undefined when reserved. */
function eiwWays(eiw: number): number | undefined {
  if (eiw >= 0 && eiw <= 4) return 1 << eiw;
  if (eiw >= 8 && eiw <= 10) return 3 << (eiw - 8);
  return undefined;
}

/** cxl_validate_translation_params(): eiw ∈ {0..4, 8..10}, eig ∈ 0..6, 0 ≤ pos < ways. */
export function cxlValidateTranslationParams(eiw: number, eig: number, pos: number): boolean {
  const ways = eiwWays(eiw);
  if (ways === undefined) return false;
  if (!Number.isInteger(eig) || eig < 0 || eig > 6) return false;
  return Number.isInteger(pos) && pos >= 0 && pos < ways;
}

/**
 * cxl_calculate_hpa_offset(): the HPA offset (from the region base) of DPA offset `dpaOffset`
 * on the device at position `pos`. ULLONG_MAX for invalid parameters.
 */
export function cxlCalculateHpaOffset(
  dpaOffset: bigint,
  pos: number,
  eiw: number,
  eig: number,
): bigint {
  if (!cxlValidateTranslationParams(eiw, eig, pos)) return ULLONG_MAX;
  const g = BigInt(eig + 8);
  const low = dpaOffset & genmask(eig + 7, 0);
  const upper = dpaOffset & genmask(51, eig + 8);
  let hpa: bigint;
  if (eiw < 8) hpa = (upper << BigInt(eiw)) | (BigInt(pos) << g);
  else hpa = ((((upper >> g) * 3n) << BigInt(eiw - 8)) + BigInt(pos)) << g;
  return BigInt.asUintN(64, hpa | low);
}

/** cxl_calculate_position(): the device position an HPA offset selects. */
export function cxlCalculatePosition(hpaOffset: bigint, eiw: number, eig: number): number {
  if (eiw === 0) return 0;
  const sel = hpaOffset >> BigInt(eig + 8);
  if (eiw < 8) return Number(sel & ((1n << BigInt(eiw)) - 1n));
  return Number(sel % BigInt(eiwWays(eiw) ?? 1));
}

/** cxl_calculate_dpa_offset(): the DPA offset an HPA offset reaches on its device. */
export function cxlCalculateDpaOffset(hpaOffset: bigint, eiw: number, eig: number): bigint {
  const low = hpaOffset & genmask(eig + 7, 0);
  if (eiw < 8) return ((hpaOffset & ~genmask(eig + eiw + 7, 0)) >> BigInt(eiw)) | low;
  return (((hpaOffset >> BigInt(eig + eiw)) / 3n) << BigInt(eig + 8)) | low;
}

/** XOR maps needed per host-bridge ways (hbiw_to_nr_maps). */
const MAPS_NEEDED: Record<number, number> = { 1: 0, 2: 1, 3: 0, 4: 2, 6: 1, 8: 3, 12: 2, 16: 4 };

/**
 * cxl_do_xormap_calc(): for each map, its lowest set bit becomes the parity of addr & map.
 * Involutive when no map's lowest bit lies in another map. ULLONG_MAX for bad ways / too few maps.
 */
export function cxlDoXormapCalc(xormaps: readonly bigint[], addr: bigint, hbiw: number): bigint {
  const need = MAPS_NEEDED[hbiw];
  if (need === undefined || need > xormaps.length) return ULLONG_MAX;
  let a = addr;
  for (const m of xormaps.slice(0, need)) {
    if (m === 0n) continue;
    let p = 0n;
    while (((m >> p) & 1n) === 0n) p++;
    let v = 0n;
    for (let x = a & m; x; x >>= 1n) v ^= x & 1n;
    a = (a & ~(1n << p)) | (v << p);
  }
  return a;
}

/** cxl_apply_xor_maps(): identity for modulo windows and 1/3-way XOR windows. */
export function cxlApplyXorMaps(cxlrd: CxlRootDecoder, addr: bigint): bigint {
  const w = cxlrd.interleaveWays;
  if (cxlrd.arithmetic !== 'xor' || w === 1 || w === 3) return addr;
  return cxlDoXormapCalc(cxlrd.xormaps, addr, w);
}

/** Encoded region ways/granularity. */
function regionEnc(cxlr: CxlRegion): { eiw: number; eig: number } {
  const w = cxlr.params.interleaveWays;
  const eiw = (w & (w - 1)) === 0 ? Math.log2(w) : Math.log2(w / 3) + 8;
  return { eiw, eig: Math.log2(cxlr.params.interleaveGranularity) - 8 };
}

/** region_is_unaligned_mod3(): 3/6/12-way root and a base off the root_ways × 256 MiB grid. */
export function regionIsUnalignedMod3(cxlr: CxlRegion): boolean {
  const rw = cxlr.cxlrd.interleaveWays;
  const res = cxlr.params.res;
  if ((rw & (rw - 1)) === 0 || !res) return false;
  return res.start % (BigInt(rw) * SZ_256M) !== 0n;
}

/**
 * cxl_dpa_to_hpa(): the HPA at which `cxlmd`'s DPA `dpa` appears in the region.
 * @returns ULLONG_MAX when the memdev is not a target, the decoder has no DPA, the region is
 *   unaligned MOD3, or the result falls outside the region / its expected chunk
 */
export function cxlDpaToHpa(cxlr: CxlRegion, cxlmd: CxlMemdev, dpa: bigint): bigint {
  const p = cxlr.params;
  const cxled = p.targets.slice(0, p.interleaveWays).find((t) => t && cxledToMemdev(t) === cxlmd);
  if (!cxled?.dpaRes || !p.res) return ULLONG_MAX;
  if (regionIsUnalignedMod3(cxlr)) {
    cxlr.dbg(`not supported for region ways:${p.interleaveWays}`);
    return ULLONG_MAX;
  }
  const { eiw, eig } = regionEnc(cxlr);
  const off = cxlCalculateHpaOffset(dpa - cxled.dpaRes.start, cxled.pos, eiw, eig);
  if (off === ULLONG_MAX) return ULLONG_MAX;
  const xor = cxlr.cxlrd.arithmetic === 'xor';
  let hpa = off + p.res.start + p.cacheSize;
  if (xor) hpa = cxlApplyXorMaps(cxlr.cxlrd, hpa);
  if (hpa < p.res.start || hpa > p.res.end) {
    cxlr.dbg(`Addr trans fail: hpa 0x${hpa.toString(16)} not in region`);
    return ULLONG_MAX;
  }
  if (!xor) {
    const gran = BigInt(p.interleaveGranularity);
    const chunk = (hpa - p.res.start) % (gran * BigInt(p.interleaveWays));
    const pos = BigInt(cxled.pos);
    if (chunk < pos * gran || chunk >= (pos + 1n) * gran) {
      cxlr.dbg(`Addr trans fail: hpa 0x${hpa.toString(16)} not in expected chunk`);
      return ULLONG_MAX;
    }
  }
  return hpa;
}

/** Where an HPA of a region lands. */
export interface DpaResult {
  cxled: CxlEndpointDecoder;
  cxlmd: CxlMemdev;
  dpa: bigint;
  pos: number;
}

/**
 * region_offset_to_dpa_result() for an absolute `hpa`: the endpoint and DPA behind it.
 * @returns undefined (after the kernel's message) when outside the region or unresolvable
 */
export function cxlRegionHpaToDpa(cxlr: CxlRegion, hpa: bigint): DpaResult | undefined {
  const p = cxlr.params;
  if (!p.res) return undefined;
  const size = p.res.end - p.res.start + 1n;
  const offset = hpa - p.res.start;
  const pad = (v: bigint) => `0x${v.toString(16).padStart(16, '0')}`;
  if (offset < 0n || offset >= size) {
    cxlr.err(
      'ENXIO',
      `Offset 0x${BigInt.asUintN(64, offset).toString(16)} exceeds region size ${pad(size)}`,
    );
    return undefined;
  }
  if (offset < p.cacheSize) {
    cxlr.err(
      'ENXIO',
      `Offset 0x${offset.toString(16)} is within extended linear cache ${pad(p.cacheSize)}`,
    );
    return undefined;
  }
  if (regionIsUnalignedMod3(cxlr)) {
    cxlr.dbg(`not supported for region ways:${p.interleaveWays}`);
    return undefined;
  }
  let hpaOffset = offset - p.cacheSize;
  if (cxlr.cxlrd.arithmetic === 'xor') {
    const h = cxlApplyXorMaps(cxlr.cxlrd, p.res.start + hpaOffset);
    if (h === ULLONG_MAX) {
      cxlr.dbg(`HPA not found for ${cxlr.name} offset 0x${offset.toString(16)}`);
      return undefined;
    }
    hpaOffset = h - p.res.start;
  }
  const { eiw, eig } = regionEnc(cxlr);
  const pos = cxlCalculatePosition(hpaOffset, eiw, eig);
  if (pos >= p.interleaveWays) {
    cxlr.dbg(`Invalid position ${pos} for ${p.interleaveWays} targets`);
    return undefined;
  }
  const dpaOffset = cxlCalculateDpaOffset(hpaOffset, eiw, eig);
  const cxled = p.targets.slice(0, p.interleaveWays).find((t) => t && t.pos === pos);
  if (!cxled?.dpaRes) {
    cxlr.err('ENXIO', `No device found for position ${pos}`);
    return undefined;
  }
  return { cxled, cxlmd: cxledToMemdev(cxled), dpa: cxled.dpaRes.start + dpaOffset, pos };
}
