/**
 * DOC: how the region commands find root decoders — the bus loop of
 * create_region_validate_config() and region_action() (cxl/region.c): every bus passing the -b
 * filter, its root port's decoders in id order, filtered by -d.
 */

import { cxlDecoders } from '../lib/decoder.ts';
import { cxlBuses } from '../lib/port.ts';
import type { CxlCtx, CxlDecoder } from '../lib/types.ts';
import { busFilter, decoderFilter } from './filter.ts';

/** The root decoders of the buses passing `bus`, that pass `decoder`, in walk order. */
export function rootDecoders(
  ctx: CxlCtx,
  bus: string | undefined,
  decoder: string | undefined,
): CxlDecoder[] {
  const out: CxlDecoder[] = [];
  for (const b of cxlBuses(ctx)) {
    if (!busFilter(b, bus)) continue;
    if (b.type !== 'root') continue;
    for (const d of cxlDecoders(b)) if (decoderFilter(d, decoder)) out.push(d);
  }
  return out;
}

/** The first root decoder matching `decoder` on a bus matching `bus`. */
export function findRootDecoder(
  ctx: CxlCtx,
  bus: string | undefined,
  decoder: string | undefined,
): CxlDecoder | undefined {
  return rootDecoders(ctx, bus, decoder)[0];
}
