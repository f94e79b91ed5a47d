/**
 * DOC: HDM decoder arithmetic — encodings and the decode math of CXL 3.1 §8.2.4.20.
 *
 * Encoded values are `eiw`/`eig` (the IW/IG fields of a decoder's control register); decoded
 * ones are `ways` and `granularity` (bytes). Addresses are bigint bytes.
 *
 * Target selection (switch / host bridge decoders, §8.2.4.20.13, reference/cedt.md §6): the
 * interleave position of an HPA is `(HPA >> (8 + eig)) mod ways` on the *absolute* HPA — for
 * power-of-two ways that is the bit field [eig+8, eig+8+eiw); for 3/6/12 ways it is the modulo.
 * Device decode (kernel cxl_calculate_dpa_offset(), QEMU cxl_type3_dpa()): the DPA offset keeps
 * HPA offset bits [eig+7:0] and replaces the upper part by its quotient by `ways`.
 */
import type { HdmCaps } from '../../topology/model.ts';

/** IW field → ways (CXL 3.1 §8.2.4.20.7): 0..4 → 1..16, 8/9/10 → 3/6/12; undefined if reserved. */
export function eiwToWays(eiw: number): number | undefined {
  if (eiw >= 0 && eiw <= 4) return 1 << eiw;
  if (eiw >= 8 && eiw <= 10) return 3 << (eiw - 8);
  return undefined;
}

/** ways → IW field; undefined when the spec has no encoding (kernel ways_to_eiw()). */
export function waysToEiw(ways: number): number | undefined {
  for (const eiw of [0, 1, 2, 3, 4, 8, 9, 10]) if (eiwToWays(eiw) === ways) return eiw;
  return undefined;
}

/** IG field → bytes (256 << eig, eig 0..6); undefined if reserved (kernel eig_to_granularity()). */
export function eigToGranularity(eig: number): number | undefined {
  return eig >= 0 && eig <= 6 ? 256 << eig : undefined;
}

/** bytes → IG field; undefined unless a power of two in 256..16384 (granularity_to_eig()). */
export function granularityToEig(granularity: number): number | undefined {
  for (let eig = 0; eig <= 6; eig++) if (256 << eig === granularity) return eig;
  return undefined;
}

/** Decoder Count field → decoders (CXL 3.1 Table 8-120; QEMU cxl_decoder_count_dec()). */
export function decoderCountFromField(f: number): number | undefined {
  const table = [1, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32];
  return table[f];
}

/** decoders → Decoder Count field (QEMU cxl_decoder_count_enc()); undefined if not encodable. */
export function decoderCountToField(count: number): number | undefined {
  for (let f = 0; f <= 12; f++) if (decoderCountFromField(f) === count) return f;
  return undefined;
}

/**
 * HPA bits a component can interleave on (kernel parse_hdm_decoder_caps()): bits 11:8 when
 * A11to8 capable, bits 14:12 when A14to12 capable.
 */
export function interleaveAddressMask(caps: Pick<HdmCaps, 'a11to8' | 'a14to12'>): number {
  return (caps.a11to8 ? 0xf00 : 0) | (caps.a14to12 ? 0x7000 : 0);
}

/** Ways this component supports: {1,2,4,8} ∪ {3,6,12 if bit 11} ∪ {16 if bit 12}. */
export function waysCapable(caps: Pick<HdmCaps, 'iw3612' | 'iw16'>, ways: number): boolean {
  if ([1, 2, 4, 8].includes(ways)) return true;
  if ([3, 6, 12].includes(ways)) return caps.iw3612;
  return ways === 16 && caps.iw16;
}

/**
 * Why `ways` at `granularity` cannot be decoded by a component with these caps, or undefined
 * when it can (kernel check_interleave_cap(), reference/registers.md §6.5): the ways must be
 * capable and every HPA selection bit [eig+8 .. hi] must be an interleave-capable address bit.
 */
export function interleaveCapProblem(
  caps: HdmCaps,
  ways: number,
  granularity: number,
): string | undefined {
  const eiw = waysToEiw(ways);
  const eig = granularityToEig(granularity);
  if (eiw === undefined) return `interleave ways ${ways} not encodable`;
  if (eig === undefined) return `interleave granularity ${granularity} not encodable`;
  if (!waysCapable(caps, ways)) return `${ways}-way interleave not supported`;
  if (eiw === 0 || eiw === 8) return undefined;
  const hi = eiw < 8 ? eiw + eig + 7 : eiw + eig - 1;
  const mask = interleaveAddressMask(caps);
  for (let b = eig + 8; b <= hi; b++) {
    if (b > 14 || (mask & (1 << b)) === 0) return `address bit ${b} is not interleave capable`;
  }
  return undefined;
}

/** Interleave position (0..ways-1) of an absolute HPA in a `ways`-way set of `granularity` bytes. */
export function interleavePosition(hpa: bigint, ways: number, granularity: number): number {
  return Number((hpa / BigInt(granularity)) % BigInt(ways));
}

/**
 * Device decode: DPA offset within the decoder's DPA range for an HPA offset (HPA − base),
 * CXL 3.1 §8.2.4.20.13. Equal to QEMU's masks for 2^n ways and its `/ 3` for 3/6/12 ways.
 */
export function hpaOffsetToDpaOffset(hpaOffset: bigint, ways: number, granularity: number): bigint {
  const g = BigInt(granularity);
  return (hpaOffset / g / BigInt(ways)) * g + (hpaOffset % g);
}

/**
 * Inverse of the device decode for the member at interleave `position`: the HPA that maps to
 * `dpaOffset` in a decoder at `base`. Chunk k of the device is the k-th chunk of the set whose
 * absolute position is `position`.
 */
export function dpaOffsetToHpa(
  dpaOffset: bigint,
  d: { base: bigint; ways: number; granularity: number; position: number },
): bigint {
  const g = BigInt(d.granularity);
  const w = BigInt(d.ways);
  const k = dpaOffset / g;
  const baseChunk = d.base / g;
  const shift = (((BigInt(d.position) - baseChunk) % w) + w) % w;
  return d.base + (k * w + shift) * g + (dpaOffset % g);
}
