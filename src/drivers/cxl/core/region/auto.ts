/**
 * DOC: auto-assembly of regions from firmware-committed decoders (core/region.c
 * cxl_add_to_region, construct_region, cxl_region_attach_auto; drivers/cxl/port.c
 * discover_region). Linux 6.3 and later only; 6.1 leaves committed decoders alone.
 *
 * After an endpoint port's decoders are enumerated, each enabled AUTO endpoint decoder joins the
 * region whose resource equals its HPA range in the root decoder whose window contains it (the
 * region is constructed on first sight with the decoder's ways/granularity). Members are staged
 * until every way has arrived; then positions are computed from the topology, every member is
 * attached on its ports (switch decoders are the firmware's, matched by range), the firmware
 * programming is validated and the region is COMMIT without touching hardware, and bound.
 */
import { Errno } from '../../../../kernel/errno.ts';
import { hexll } from '../../../../sysfs/format.ts';
import { CXL_DECODER_F_ENABLE } from '../../cxl.ts';
import { CxlEndpointDecoder, CxlRootDecoder } from '../decoder.ts';
import type { CxlPort } from '../port.ts';
import { cxlRegionAttach, cxlRegionAttachPosition } from './attach.ts';
import { createRegionDevice } from './create.ts';
import { windowBusy } from './hpa.ts';
import { kver } from './kver.ts';
import { cxlRegionSortTargets } from './position.ts';
import { cxlRegionBind } from './probe.ts';
import {
  CXL_CONFIG_COMMIT,
  CXL_CONFIG_INTERLEAVE_ACTIVE,
  CXL_REGION_F_AUTO,
  type CxlRegion,
  cxledToMemdev,
  fmtRes,
  isCxlRegion,
} from './region.ts';
import { cxlRegionSetupTargets } from './targets.ts';

/**
 * cxl_region_attach_auto(): stage an auto member at the next free slot; when all have arrived,
 * sort, attach every position and validate the firmware setup (state → COMMIT).
 * @throws EINVAL not an AUTO decoder / explicit position; ENXIO full, sort or setup failure
 */
export function cxlRegionAttachAuto(cxlr: CxlRegion, cxled: CxlEndpointDecoder, pos: number): void {
  const p = cxlr.params;
  if (cxled.state !== 'auto')
    throw cxlr.err('EINVAL', `${cxled.name}: unable to add decoder to autodetected region`);
  if (pos >= 0) throw cxlr.dbgErr('EINVAL', `${cxled.name}: expected auto position, not ${pos}`);
  if (p.nrTargets >= p.interleaveWays)
    throw cxlr.err('ENXIO', `${cxled.name}: no more target slots available`);
  p.targets[p.nrTargets] = cxled;
  cxled.pos = p.nrTargets;
  p.nrTargets++;
  if (p.nrTargets < p.interleaveWays) return;
  if (!cxlRegionSortTargets(cxlr)) throw new Errno('ENXIO', 'region sort failed', cxlr.name);
  for (let i = 0; i < p.nrTargets; i++) {
    const t = p.targets[i];
    if (t) cxlRegionAttachPosition(cxlr, t, i);
  }
  cxlRegionSetupTargets(cxlr);
  p.state = CXL_CONFIG_COMMIT;
}

/**
 * construct_region(): an empty AUTO region covering `cxled`'s range, with its ways/granularity.
 * @throws the create errno ("failed assign region"); EBUSY "autodiscovery interrupted"
 */
function constructRegion(cxlrd: CxlRootDecoder, cxled: CxlEndpointDecoder): CxlRegion {
  const cxlmd = cxledToMemdev(cxled);
  const host = cxlmd.parent ?? cxlmd;
  const mode = cxled.mode === 'ram' ? 'ram' : 'pmem';
  let cxlr: CxlRegion;
  try {
    // v7.0 __create_region(..., cxled->cxld.target_type): a type-2 endpoint makes a DEVMEM region.
    cxlr = createRegionDevice(cxlrd, mode, cxlrd.regionId, cxled.targetType);
  } catch (e) {
    const rc = e instanceof Errno ? e.errno : -22;
    throw host.err(
      e instanceof Errno ? e.code : 'EINVAL',
      `${cxlmd.name}:${cxled.name}: construct_region failed assign region: ${rc}`,
    );
  }
  const p = cxlr.params;
  if (p.state >= CXL_CONFIG_INTERLEAVE_ACTIVE) {
    throw host.err(
      'EBUSY',
      `${cxlmd.name}:${cxled.name}: __construct_region autodiscovery interrupted`,
    );
  }
  cxlr.flags |= CXL_REGION_F_AUTO;
  const res = { start: cxled.hpaRange.start, end: cxled.hpaRange.end };
  const clash = windowBusy(cxlrd).some((b) => b.start <= res.end && b.end >= res.start);
  if (clash)
    host.warn(
      `${cxlmd.name}:${cxled.name}: __construct_region ${cxlr.name} cannot insert resource`,
    );
  p.res = res;
  p.resInserted = !clash;
  p.interleaveWays = cxled.interleaveWays;
  p.interleaveGranularity = cxled.interleaveGranularity;
  p.state = CXL_CONFIG_INTERLEAVE_ACTIVE;
  host.dbg(
    `${cxlmd.name}:${cxled.name}: __construct_region ${cxlr.name} res: ${fmtRes(res)} iw: ${p.interleaveWays} ig: ${p.interleaveGranularity}`,
  );
  return cxlr;
}

/**
 * cxl_add_to_region(): join (or construct) the auto region for `cxled`, bind it once complete.
 * @throws ENXIO no CXL window for the range; construct_region's errors
 */
export function cxlAddToRegion(root: CxlPort, cxled: CxlEndpointDecoder): void {
  const cxlmd = cxledToMemdev(cxled);
  const host = cxlmd.parent ?? cxlmd;
  const r = cxled.hpaRange;
  const cxlrd = root
    .decoders()
    .find(
      (d): d is CxlRootDecoder =>
        d instanceof CxlRootDecoder && d.hpaRange.start <= r.start && d.hpaRange.end >= r.end,
    );
  if (!cxlrd)
    throw host.err(
      'ENXIO',
      `${cxlmd.name}:${cxled.name} no CXL window for range ${hexll(r.start)}:${hexll(r.end)}`,
    );
  let cxlr = cxlrd.children.find(
    (c): c is CxlRegion =>
      isCxlRegion(c) &&
      c.registered &&
      c.params.res?.start === r.start &&
      c.params.res?.end === r.end,
  );
  if (!cxlr) cxlr = constructRegion(cxlrd, cxled);
  try {
    cxlRegionAttach(cxlr, cxled, -1);
  } catch (e) {
    // attach_target() failures are not propagated by cxl_add_to_region; since v6.19
    // attach_target() itself warns on the decoder's port ("failed to attach %s to %s: %d").
    if (e instanceof Errno && kver(cxlr, 'attachV7'))
      cxled.port.warn(`failed to attach ${cxled.name} to ${cxlr.name}: ${e.errno}`);
  }
  if (cxlr.params.state === CXL_CONFIG_COMMIT) {
    try {
      cxlRegionBind(cxlr);
    } catch (e) {
      if (e instanceof Errno && e.code !== 'ENXIO' && e.code !== 'ENODEV') {
        cxlr.err(
          e.code,
          `failed to enable, range: ${cxlr.params.res ? fmtRes(cxlr.params.res) : ''}`,
        );
      }
    }
  }
}

/**
 * discover_region() for every endpoint decoder of a freshly probed endpoint port: enabled AUTO
 * decoders are added to their region; failures are only logged ("failed to add to region").
 * Call at the end of the endpoint port probe. No-op on kernels without auto-assembly.
 */
export function cxlEndpointAutoAssemble(endpointPort: CxlPort): void {
  if (!kver(endpointPort, 'autoAssembly')) return;
  const root = endpointPort.root();
  for (const d of endpointPort.decoders()) {
    if (!(d instanceof CxlEndpointDecoder)) continue;
    if ((d.flags & CXL_DECODER_F_ENABLE) === 0 || d.state !== 'auto') continue;
    try {
      cxlAddToRegion(root, d);
    } catch {
      d.dbg(`failed to add to region: ${hexll(d.hpaRange.start)}-${hexll(d.hpaRange.end)}`);
    }
  }
}
