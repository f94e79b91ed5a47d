/**
 * DOC: the spec's rules for committing an HDM decoder (CXL 3.1 §8.2.4.20.7 / .20.12 / .20.13).
 *
 * QEMU itself checks none of this (hw/cxl/cxl-component-utils.c dumb_hdm_handler() sets
 * COMMITTED on every write of COMMIT=1, reference/qemu-cxl.md §5); a strict
 * {@link HdmDecoderBlock} runs {@link commitProblem} and answers ERR_NOT_COMMITTED instead, the
 * way real hardware does. The kernel then sees "-EIO" from cxl_decoder_commit().
 */
import type { HdmCaps } from '../../topology/model.ts';
import { SZ_256M } from './bits.ts';
import { eigToGranularity, eiwToWays, interleaveCapProblem } from './hdm-math.ts';

/** One decoder as the commit rules see it (register values decoded). */
export interface DecoderSnapshot {
  base: bigint;
  size: bigint;
  /** DPA skip (device decoders); 0 for switch decoders. */
  skip: bigint;
  eiw: number;
  eig: number;
  committed: boolean;
}

/** What the block is: 'switch' (host bridge / USP / root port: target list) or 'device' (DPA skip). */
export type HdmRole = 'switch' | 'device';

/**
 * The reason decoder `index` may not be committed with the values in `decoders[index]`, or
 * undefined when the spec allows it:
 * - decoder n−1 not committed (decoders commit in order, §8.2.4.20.12);
 * - IW/IG reserved encodings, ways the block cannot do (caps bits 11/12, target count for
 *   switches) or selection bits outside the interleave-capable address bits (bits 8/9);
 * - size not a multiple of 256 MiB × ways; base below the end of decoder n−1 (HPA ranges must
 *   increase with the index) or beyond 2^64;
 * - device decoders: DPA past `dpaLimit` bytes (Σ skip + size/ways over decoders 0..n).
 */
export function commitProblem(
  decoders: readonly DecoderSnapshot[],
  index: number,
  caps: HdmCaps,
  role: HdmRole,
  dpaLimit?: bigint,
): string | undefined {
  const d = decoders[index];
  if (!d) return `no decoder ${index}`;
  const prev = index > 0 ? decoders[index - 1] : undefined;
  if (prev && !prev.committed) return `decoder ${index - 1} is not committed (out-of-order commit)`;
  const ways = eiwToWays(d.eiw);
  if (ways === undefined) return `reserved interleave ways encoding ${d.eiw}`;
  const granularity = eigToGranularity(d.eig);
  if (granularity === undefined) return `reserved interleave granularity encoding ${d.eig}`;
  if (role === 'switch' && ways > caps.targetCount)
    return `${ways}-way interleave exceeds the target count ${caps.targetCount}`;
  const cap = interleaveCapProblem(caps, ways, granularity);
  if (cap) return cap;
  if (d.size % (SZ_256M * BigInt(ways)) !== 0n)
    return `size 0x${d.size.toString(16)} is not a multiple of 256 MiB x ${ways}`;
  if (d.base + d.size > 1n << 64n) return 'HPA range wraps past 2^64';
  if (prev && d.base < prev.base + prev.size)
    return `HPA range starts below the end of decoder ${index - 1}`;
  if (role === 'device' && dpaLimit !== undefined) {
    let end = 0n;
    for (let i = 0; i <= index; i++) {
      const x = decoders[i];
      const w = x ? eiwToWays(x.eiw) : undefined;
      if (!x || w === undefined) return `decoder ${i} has reserved interleave ways`;
      end += x.skip + x.size / BigInt(w);
    }
    if (end > dpaLimit) return `DPA range ends at 0x${end.toString(16)}, past the device capacity`;
  }
  return undefined;
}
