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
 * boundary ("unaligned MOD3": host bridges select on the absolute HPA, endpoints on the region
 * offset) are translated as the kernel's search does it — every candidate HPA the endpoint
 * decode maps to the DPA is routed through the region's decoders and the one reaching the
 * endpoint wins.
 */
import { SZ_256M } from '../../cxl.ts';
import { type CxlDecoder, CxlEndpointDecoder, type CxlRootDecoder } from '../decoder.ts';
import type { CxlMemdev } from '../memdev.ts';
import type { CxlPort } from '../port.ts';
import { type CxlRegion, cxledToMemdev, cxlRrLoad } from './region.ts';

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

/** Target index a decoder selects for `hpa` (modulo; the root decoder also XOR). */
function selectTarget(d: CxlDecoder, hpa: bigint, root?: CxlRootDecoder): number {
  const iw = d.interleaveWays;
  if (iw === 1) return 0;
  const sel = hpa >> BigInt(Math.log2(d.interleaveGranularity));
  if (root && root.arithmetic === 'xor') {
    const k = iw % 3 === 0 ? Math.log2(iw / 3) : Math.log2(iw);
    let n = 0;
    for (let i = 0; i < k; i++) {
      let v = 0n;
      for (let x = hpa & (root.xormaps[i] ?? 0n); x; x >>= 1n) v ^= x & 1n;
      n |= Number(v) << i;
    }
    if (iw % 3 === 0) n |= Number((sel >> BigInt(k)) % 3n) << k;
    return n;
  }
  return (iw & (iw - 1)) === 0 ? Number(sel & BigInt(iw - 1)) : Number(sel % BigInt(iw));
}

/**
 * The endpoint decoder an HPA of the region reaches through the region's root, host-bridge and
 * switch decoders (the decode the hardware does), or undefined.
 */
export function cxlRegionRoute(cxlr: CxlRegion, hpa: bigint): CxlEndpointDecoder | undefined {
  const cxlrd = cxlr.cxlrd;
  let dport = cxlrd.targets[selectTarget(cxlrd, hpa, cxlrd)];
  for (let depth = 0; dport && depth < 16; depth++) {
    const below: CxlPort | undefined = dport.port.childPorts().find((c) => c.parentDport === dport);
    if (!below) return undefined;
    const d = cxlRrLoad(below, cxlr)?.decoder;
    if (!d) return undefined;
    if (d instanceof CxlEndpointDecoder) return d;
    dport = (d as CxlDecoder & { targets: (typeof dport)[] }).targets[selectTarget(d, hpa)];
  }
  return undefined;
}

/** The unaligned-MOD3 search: the candidate HPA (one per position) that routes to `cxled`. */
function searchDpaToHpa(cxlr: CxlRegion, cxled: CxlEndpointDecoder, dpaOffset: bigint): bigint {
  const p = cxlr.params;
  const res = p.res as { start: bigint; end: bigint };
  const { eiw, eig } = regionEnc(cxlr);
  for (let pos = 0; pos < p.interleaveWays; pos++) {
    const off = cxlCalculateHpaOffset(dpaOffset, pos, eiw, eig);
    if (off === ULLONG_MAX) continue;
    const hpa = res.start + off;
    if (hpa <= res.end && cxlRegionRoute(cxlr, hpa) === cxled) return hpa;
  }
  cxlr.dbg(
    `fail dpa:0x${(dpaOffset + (cxled.dpaRes?.start ?? 0n)).toString(16)} region:${fmtRegion(res)} pos:${cxled.pos}`,
  );
  return ULLONG_MAX;
}

const fmtRegion = (r: { start: bigint; end: bigint }) =>
  `[mem 0x${r.start.toString(16)}-0x${r.end.toString(16)} flags 0x200]`;

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
    const hpa = searchDpaToHpa(cxlr, cxled, dpa - cxled.dpaRes.start);
    return hpa === ULLONG_MAX ? hpa : hpa + p.cacheSize;
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
    const cxled = cxlRegionRoute(cxlr, hpa);
    if (!cxled?.dpaRes) {
      cxlr.err('ENXIO', `failed to resolve HPA 0x${hpa.toString(16)} in unaligned MOD3 region`);
      return undefined;
    }
    const { eiw, eig } = regionEnc(cxlr);
    const dpa = cxled.dpaRes.start + cxlCalculateDpaOffset(offset - p.cacheSize, eiw, eig);
    return { cxled, cxlmd: cxledToMemdev(cxled), dpa, pos: cxled.pos };
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
