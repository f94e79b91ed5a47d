/**
 * DOC: attaching endpoint decoders to a region (core/region.c cxl_region_attach,
 * cxl_region_validate_position, cxl_region_attach_position, cxl_region_detach,
 * cxl_decoder_kill_region, attach_target, detach_target, store_targetN).
 *
 * An attach validates the endpoint decoder against the region (mode, state, position,
 * host-bridge routing, type, DPA size), then takes or extends a region reference on each port
 * from the endpoint up (port-ref.ts). When the last position
 * arrives the switch decoders are set up in software (targets.ts) and the region becomes ACTIVE.
 * Checks and messages follow 6.1 (captures) or v7.0 per kver.ts.
 */
import { Errno } from '../../../../kernel/errno.ts';
import { cstr, hexll, sysfsStreq } from '../../../../sysfs/format.ts';
import { env } from '../../../env.ts';
import type { DecoderTargetType } from '../../cxl.ts';
import { type CxlEndpointDecoder, frozenRange, IDLE_RANGE, isEndpointDecoder } from '../decoder.ts';
import { cxlRegionAttachAuto } from './auto.ts';
import { cxlRegionDecodeReset } from './commit.ts';
import { kver } from './kver.ts';
import { attachPorts, cxlPortDetachRegion } from './port-ref.ts';
import { cxlCalcInterleavePos } from './position.ts';
import { cxlRegionUnbind } from './probe.ts';
import {
  CXL_CONFIG_ACTIVE,
  CXL_CONFIG_INTERLEAVE_ACTIVE,
  CXL_REGION_F_AUTO,
  type CxlRegion,
  cxledToMemdev,
  hostBridgeDport,
} from './region.ts';
import {
  checkInterleaveCap,
  cxlRegionSetupTargets,
  cxlRegionTeardownTargets,
  portsBottomUp,
} from './targets.ts';

/** enum cxl_decoder_type numbers ("type mismatch: %d vs %d"). */
const typeNumber = (t: DecoderTargetType) => (t === 'accelerator' ? 2 : 3);

/** Decoder mode numbers as "region mode: %d mismatch" prints them. */
function modeNumber(cxlr: CxlRegion, m: string): number {
  if (kver(cxlr, 'partitions')) return m === 'ram' ? 0 : m === 'pmem' ? 1 : -1;
  return ({ none: 0, ram: 1, pmem: 2, mixed: 3, dead: 4 } as Record<string, number>)[m] ?? 0;
}

/**
 * Checks on an occupied / duplicate position (cxl_region_validate_position).
 * @returns true when the same decoder already sits at `pos` (6.1: a no-op success)
 */
function validatePosition(cxlr: CxlRegion, cxled: CxlEndpointDecoder, pos: number): boolean {
  const p = cxlr.params;
  const cxlmd = cxledToMemdev(cxled);
  if (pos < 0 || pos >= p.interleaveWays)
    throw cxlr.dbgErr('ENXIO', `position ${pos} out of range ${p.interleaveWays}`);
  if (p.targets[pos] === cxled) return true;
  const at = p.targets[pos];
  if (at)
    throw cxlr.dbgErr(
      'EBUSY',
      `position ${pos} already assigned to ${cxledToMemdev(at).name}:${at.name}`,
      { check: 'duplicate', device: cxledToMemdev(at).name, args: { pos } },
    );
  for (let i = 0; i < p.interleaveWays; i++) {
    const t = p.targets[i];
    if (t && cxledToMemdev(t) === cxlmd) {
      throw cxlr.dbgErr(
        'EBUSY',
        `${cxlmd.name} already specified at position ${pos} via: ${t.name}`,
        { check: 'duplicate', device: cxlmd.name, args: { pos } },
      );
    }
  }
  return false;
}

/** The common endpoint checks after the position checks (target, type, DPA, size). */
function checkEndpoint(cxlr: CxlRegion, cxled: CxlEndpointDecoder, v7: boolean): void {
  const p = cxlr.params;
  const cxlmd = cxledToMemdev(cxled);
  const cxlrd = cxlr.cxlrd;
  if (!hostBridgeDport(cxled, cxlrd.port))
    throw cxlr.dbgErr('ENXIO', `${cxlmd.name}:${cxled.name} invalid target for ${cxlrd.name}`, {
      check: 'host-bridge',
      device: cxlmd.name,
    });
  if (cxled.targetType !== cxlr.type) {
    throw cxlr.dbgErr(
      'ENXIO',
      `${cxlmd.name}:${cxled.name} type mismatch: ${typeNumber(cxled.targetType)} vs ${typeNumber(cxlr.type)}`,
    );
  }
  if (!cxled.dpaRes)
    throw cxlr.dbgErr('ENXIO', `${cxlmd.name}:${cxled.name}: missing DPA allocation.`, {
      check: 'dpa',
      device: cxlmd.name,
    });
  const dpaSize = cxled.dpaRes.end - cxled.dpaRes.start + 1n;
  const res = p.res as { start: bigint; end: bigint };
  const regionSize = res.end - res.start + 1n;
  if (dpaSize * BigInt(p.interleaveWays) + p.cacheSize !== regionSize) {
    const msg = v7
      ? `${cxlmd.name}:${cxled.name}-size-${hexll(dpaSize)} * ways-${p.interleaveWays} + cache-${hexll(p.cacheSize)} != region-size-${hexll(regionSize)}`
      : `${cxlmd.name}:${cxled.name}: decoder-size-${hexll(dpaSize)} * ways-${p.interleaveWays} != region-size-${hexll(regionSize)}`;
    throw cxlr.dbgErr('EINVAL', msg, {
      check: 'dpa',
      device: cxlmd.name,
      args: { dpaSize: hexll(dpaSize) },
    });
  }
}

/** The root decoder's target for `pos` must be the endpoint's host bridge (cxl_hb_modulo). */
function checkRootTarget(cxlr: CxlRegion, cxled: CxlEndpointDecoder, pos: number): void {
  const cxlrd = cxlr.cxlrd;
  const iw = cxlrd.interleaveWays;
  if (cxlrd.targets[iw === 1 ? 0 : pos % iw] !== hostBridgeDport(cxled, cxlrd.port)) {
    const cxlmd = cxledToMemdev(cxled);
    throw cxlr.dbgErr(
      'ENXIO',
      `${cxlmd.name}:${cxled.name} invalid target position for ${cxlrd.name}`,
      { check: 'position', device: cxlmd.name, args: { pos } },
    );
  }
}

/** Finish a manual attach: record the position, set up targets when full (then ACTIVE). */
function placeTarget(cxlr: CxlRegion, cxled: CxlEndpointDecoder, pos: number, v7: boolean): void {
  const p = cxlr.params;
  p.targets[pos] = cxled;
  cxled.pos = pos;
  p.nrTargets++;
  if (p.nrTargets === p.interleaveWays) {
    try {
      cxlRegionSetupTargets(cxlr);
    } catch (e) {
      if (!v7) {
        p.nrTargets--;
        cxled.pos = -1;
        p.targets[pos] = undefined;
        for (const port of portsBottomUp(cxled)) cxlPortDetachRegion(port, cxlr, cxled);
      }
      throw e;
    }
    p.state = CXL_CONFIG_ACTIVE;
  }
  const res = p.res as { start: bigint; end: bigint };
  cxled.interleaveWays = p.interleaveWays;
  cxled.interleaveGranularity = p.interleaveGranularity;
  cxled.hpaRange = frozenRange(res.start, res.end);
  if (p.nrTargets !== p.interleaveWays || !kver(cxlr, 'posSelfTest')) return;
  for (let i = 0; i < p.nrTargets; i++) {
    const t = p.targets[i];
    if (!t) continue;
    const testPos = cxlCalcInterleavePos(t);
    const what = kver(cxlr, 'dbgWording73') ? 'target->pos' : 'cxled->pos';
    t.dbg(
      `Test cxl_calc_interleave_pos(): ${testPos === t.pos ? 'success' : 'fail'} test_pos:${testPos} ${what}:${t.pos}`,
    );
  }
}

/**
 * cxl_region_attach(): attach `cxled` at `pos` (-1 for auto regions).
 * @throws the first failing check's errno (see the DOC block and region-driver.md §3.7)
 */
export function cxlRegionAttach(cxlr: CxlRegion, cxled: CxlEndpointDecoder, pos: number): void {
  const p = cxlr.params;
  const v7 = kver(cxlr, 'attachV7');
  if (
    kver(cxlr, 'interleaveCap') &&
    !checkInterleaveCap(cxled, p.interleaveWays, p.interleaveGranularity)
  ) {
    throw cxlr.dbgErr(
      'ENXIO',
      `${cxled.name} iw: ${p.interleaveWays} ig: ${p.interleaveGranularity} is not supported`,
      { check: 'interleave-cap', device: cxled.name },
    );
  }
  // v7.0: a decoder without a partition (part < 0) is reported as dead.
  if (v7 && (cxled.mode === 'dead' || cxled.mode === 'none'))
    throw cxlr.dbgErr('ENODEV', `${cxled.name} dead`, { check: 'dpa-mode', device: cxled.name });
  if (cxled.mode !== cxlr.mode) {
    if (v7)
      throw cxlr.dbgErr(
        'EINVAL',
        `${cxled.name} region mode: ${modeNumber(cxlr, cxlr.mode)} mismatch`,
        { check: 'dpa-mode', device: cxled.name },
      );
    throw cxlr.dbgErr(
      'EINVAL',
      `${cxled.name} region mode: ${modeNumber(cxlr, cxlr.mode)} mismatch: ${modeNumber(cxlr, cxled.mode)}`,
      { check: 'dpa-mode', device: cxled.name },
    );
  }
  // (6.1 checks CXL_DECODER_DEAD here; a dead decoder already failed the mode check above.)
  if (p.state > CXL_CONFIG_INTERLEAVE_ACTIVE) throw cxlr.dbgErr('EBUSY', 'region already active');
  if (p.state < CXL_CONFIG_INTERLEAVE_ACTIVE)
    throw cxlr.dbgErr('ENXIO', 'interleave config missing');
  if (!v7) {
    // 6.3+ (region autodiscovery): an AUTO region's members take cxl_region_attach_auto()'s
    // path after the member-count and endpoint checks, without a position (pos = -1) to
    // validate; only manual attaches keep the 6.1 check order below.
    if (kver(cxlr, 'autoAssembly') && cxlr.flags & CXL_REGION_F_AUTO) {
      if (p.nrTargets >= p.interleaveWays)
        throw cxlr.dbgErr('EINVAL', `region already has ${p.nrTargets} endpoints`);
      checkEndpoint(cxlr, cxled, false);
      cxlRegionAttachAuto(cxlr, cxled, pos);
      return;
    }
    if (validatePosition(cxlr, cxled, pos)) return;
    checkEndpointV61(cxlr, cxled, pos);
    attachPorts(cxlr, cxled, pos);
    placeTarget(cxlr, cxled, pos, false);
    return;
  }
  if (p.nrTargets >= p.interleaveWays)
    throw cxlr.dbgErr('EINVAL', `region already has ${p.nrTargets} endpoints`);
  checkEndpoint(cxlr, cxled, true);
  if (cxlr.flags & CXL_REGION_F_AUTO) {
    cxlRegionAttachAuto(cxlr, cxled, pos);
    return;
  }
  validatePosition(cxlr, cxled, pos);
  checkRootTarget(cxlr, cxled, pos);
  attachPorts(cxlr, cxled, pos);
  placeTarget(cxlr, cxled, pos, true);
}

/** 6.1 order: invalid target, target position, type, DPA, size. */
function checkEndpointV61(cxlr: CxlRegion, cxled: CxlEndpointDecoder, pos: number): void {
  const cxlmd = cxledToMemdev(cxled);
  const cxlrd = cxlr.cxlrd;
  if (!hostBridgeDport(cxled, cxlrd.port))
    throw cxlr.dbgErr('ENXIO', `${cxlmd.name}:${cxled.name} invalid target for ${cxlrd.name}`, {
      check: 'host-bridge',
      device: cxlmd.name,
    });
  checkRootTarget(cxlr, cxled, pos);
  checkEndpoint(cxlr, cxled, false);
}

/** Attach on every port for an auto region position (cxl_region_attach_position). */
export function cxlRegionAttachPosition(
  cxlr: CxlRegion,
  cxled: CxlEndpointDecoder,
  pos: number,
): void {
  checkRootTarget(cxlr, cxled, pos);
  attachPorts(cxlr, cxled, pos);
}

/**
 * cxl_region_detach(): take `cxled` out of its region — decode reset when committed, port
 * refs dropped, software targets torn down when the region was ACTIVE, the region driver
 * unbound.
 */
export function cxlRegionDetach(cxled: CxlEndpointDecoder): void {
  const cxlr = cxled.region as CxlRegion | undefined;
  if (!cxlr) return;
  const p = cxlr.params;
  if (p.state > CXL_CONFIG_ACTIVE) {
    cxlRegionDecodeReset(cxlr, p.interleaveWays);
    p.state = CXL_CONFIG_ACTIVE;
  }
  for (const port of portsBottomUp(cxled)) cxlPortDetachRegion(port, cxlr, cxled);
  if (cxled.pos < 0 || cxled.pos >= p.interleaveWays || p.targets[cxled.pos] !== cxled) {
    cxlr.warn(`expected ${cxledToMemdev(cxled).name}:${cxled.name} at position ${cxled.pos}`);
    return;
  }
  if (p.state === CXL_CONFIG_ACTIVE) {
    p.state = CXL_CONFIG_INTERLEAVE_ACTIVE;
    cxlRegionTeardownTargets(cxlr);
  }
  p.targets[cxled.pos] = undefined;
  p.nrTargets--;
  cxled.hpaRange = IDLE_RANGE;
  cxlRegionUnbind(cxlr);
}

/**
 * cxl_decoder_kill_region(): the endpoint decoder is going away (its port is unbound or
 * removed): mark it dead and take it out of its region, as the kernel does from the decoder's
 * unregistration. Call before deleting an endpoint decoder.
 */
export function cxlDecoderKillRegion(cxled: CxlEndpointDecoder): void {
  cxled.mode = 'dead';
  cxlRegionDetach(cxled);
}

/**
 * detach_target(): empty the position.
 * @throws ENXIO "position %d out of range %d"
 */
export function detachTarget(cxlr: CxlRegion, pos: number): void {
  const p = cxlr.params;
  if (pos >= p.interleaveWays)
    throw cxlr.dbgErr('ENXIO', `position ${pos} out of range ${p.interleaveWays}`);
  const t = p.targets[pos];
  if (!t) return;
  cxlRegionDetach(t);
}

/**
 * store_targetN(): an empty line detaches the position, a decoder name attaches it.
 * @throws ENODEV no such device; EINVAL not an endpoint decoder; the attach's errno
 */
export function storeTargetN(cxlr: CxlRegion, pos: number, buf: string): void {
  if (sysfsStreq(buf, '\n')) {
    detachTarget(cxlr, pos);
    return;
  }
  const c = cstr(buf);
  const name = c.endsWith('\n') ? c.slice(0, -1) : c;
  const dev = env(cxlr)
    .kernel.buses.get('cxl')
    ?.devices.find((d) => d.registered && d.name === name);
  if (!dev) throw new Errno('ENODEV', undefined, cxlr.name);
  if (!isEndpointDecoder(dev)) throw new Errno('EINVAL', undefined, cxlr.name);
  try {
    cxlRegionAttach(cxlr, dev, pos);
  } catch (e) {
    if (e instanceof Errno && kver(cxlr, 'attachV7')) {
      dev.port.warn(`failed to attach ${dev.name} to ${cxlr.name}: ${e.errno}`);
    }
    throw e;
  }
}
