/**
 * DOC: interleave positions from the decode topology (core/region.c cxl_calc_interleave_pos,
 * find_pos_and_ways, cxl_region_sort_targets).
 *
 * Walking from the endpoint port up, each parent port's decoder mapping the region range
 * (root decoders: whose window contains it) gives this port's index in its target list and its
 * ways: `pos = pos × parent_ways + parent_index`. The root-level index ends up least
 * significant — consecutive granules alternate host bridges first.
 */
import { hexll } from '../../../../sysfs/format.ts';
import {
  type CxlEndpointDecoder,
  CxlRootDecoder,
  CxlSwitchDecoder,
  type HpaRange,
} from '../decoder.ts';
import type { CxlPort } from '../port.ts';
import { kver } from './kver.ts';
import { type CxlRegion, cxledToMemdev } from './region.ts';

/** The parent port's decoder mapping `range` (match_switch_decoder_by_range). */
function decoderMapping(
  parent: CxlPort,
  range: HpaRange,
): CxlSwitchDecoder | CxlRootDecoder | undefined {
  for (const d of parent.decoders()) {
    if (d instanceof CxlRootDecoder) {
      if (d.hpaRange.start <= range.start && d.hpaRange.end >= range.end) return d;
    } else if (
      d instanceof CxlSwitchDecoder &&
      d.hpaRange.start === range.start &&
      d.hpaRange.end === range.end
    )
      return d;
  }
  return undefined;
}

/**
 * find_pos_and_ways(): this port's index in the parent decoder's target list, and its ways.
 * @returns undefined (after the kernel's dev_err on the port's uport) when not found
 */
function findPosAndWays(port: CxlPort, range: HpaRange): { pos: number; ways: number } | undefined {
  const parent = port.parentPort();
  if (!parent) return undefined;
  const cxlsd = decoderMapping(parent, range);
  if (!cxlsd) {
    port.uportDev.err(
      'ENXIO',
      `failed to find decoder mapping ${hexll(range.start)}-${hexll(range.end)}`,
    );
    return undefined;
  }
  const ways = cxlsd.interleaveWays;
  for (let i = 0; i < ways; i++) if (cxlsd.targets[i] === port.parentDport) return { pos: i, ways };
  if (kver(port, 'posTargetListErr')) {
    port.uportDev.err(
      'ENXIO',
      `failed to find ${port.name}:${port.parentDport?.dport.name ?? ''} in target list of ${cxlsd.name}`,
    );
  }
  return undefined;
}

/**
 * cxl_calc_interleave_pos(): the endpoint decoder's position in the region mapping its range.
 * @returns the position, or -6 (-ENXIO) when the topology does not map it
 */
export function cxlCalcInterleavePos(cxled: CxlEndpointDecoder): number {
  const port = cxled.port;
  const range = cxled.hpaRange;
  let pos = 0;
  for (let iter: CxlPort | undefined = port; iter && !iter.isRoot; iter = iter.parentPort()) {
    const r = findPosAndWays(iter, range);
    if (!r) return -6;
    pos = pos * r.ways + r.pos;
  }
  const cxlmd = cxledToMemdev(cxled);
  cxlmd.dbg(
    `decoder:${cxled.name} parent:${cxlmd.parent?.name ?? ''} port:${port.name} range:${hexll(range.start)}-${hexll(range.end)} pos:${pos}`,
  );
  return pos;
}

/**
 * cxl_region_sort_targets(): compute every staged target's position and order the targets by
 * it ("region sort successful" / "failed").
 * @returns false when some position could not be computed
 */
export function cxlRegionSortTargets(cxlr: CxlRegion): boolean {
  const p = cxlr.params;
  let ok = true;
  const staged = p.targets
    .slice(0, p.nrTargets)
    .filter((t): t is CxlEndpointDecoder => t !== undefined);
  for (const t of staged) {
    t.pos = cxlCalcInterleavePos(t);
    if (t.pos < 0) ok = false;
  }
  staged.sort((a, b) => a.pos - b.pos);
  staged.forEach((t, i) => {
    p.targets[i] = t;
  });
  cxlr.dbg(`region sort ${ok ? 'successful' : 'failed'}`);
  return ok;
}
