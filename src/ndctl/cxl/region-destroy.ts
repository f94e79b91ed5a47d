/**
 * DOC: the per-region actions of `cxl enable-region`, `disable-region` and `destroy-region`
 * (cxl/region.c do_region_xable(), destroy_region(), from 79 disable_region(), and in 85
 * region_destroy_validate_order()).
 *
 * destroy: (85: refuse a locked region, and one whose endpoint decoders have later active
 * decoders on the same memdev) → disable when enabled and --force, else EBUSY → commit 0 →
 * for each position: target<i> "" then the endpoint decoder's dpa_size 0 → delete_region.
 */
import { cxlDecoders, decoderMemdev, decoderName, decoderSetDpaSize } from '../lib/decoder.ts';
import { memdevName } from '../lib/memdev.ts';
import {
  regionClearTarget,
  regionDecodeReset,
  regionDelete,
  regionDisable,
  regionEnable,
  regionIsEnabled,
  regionName,
  regionTargetDecoder,
} from '../lib/region.ts';
import { negErrno, strerrorRc } from '../lib/sysfs.ts';
import type { CxlRegion } from '../lib/types.ts';
import type { LogCtx } from '../util/log.ts';
import { ndctlHas } from '../versions.ts';
import type { CmdEnv } from './env.ts';

import type { RegionAction, RegionParams } from './region-params.ts';

const UINT_MAX = 0xffffffff;

/**
 * disable_region() (79, NDCTL_SINCE.disableRegionForce): a region with a DAX region would first have its system-ram dax devices
 * offlined through libdaxctl; cxlsim's regions expose no dax_region, so this is the unbind.
 */
function disableRegion(r: CxlRegion): number {
  return regionDisable(r);
}

/** region_destroy_validate_order() (85) */
function validateOrder(rl: LogCtx, r: CxlRegion): number {
  const name = regionName(r);
  const ways = r.interleaveWays;
  if (ways === 0 || ways === UINT_MAX) {
    rl.err('region_destroy_validate_order', `${name}: error getting interleave ways\n`);
    return negErrno('ENXIO');
  }
  for (let i = 0; i < ways; i++) {
    const ep = regionTargetDecoder(r, i);
    if (!ep) return negErrno('ENXIO');
    const m = decoderMemdev(ep);
    if (!m) return negErrno('ENXIO');
    for (const d of cxlDecoders(ep.port)) {
      if (d === ep || decoderMemdev(d) !== m) continue;
      if (d.id <= ep.id || d.dpaSize === 0n) continue;
      rl.err(
        'region_destroy_validate_order',
        `${name}: destroy blocked, ${memdevName(m)} still has later active decoder ${decoderName(d)}\n`,
      );
      return negErrno('EBUSY');
    }
  }
  return 0;
}

/** destroy_region() */
function destroyRegion(env: CmdEnv, rl: LogCtx, r: CxlRegion, param: RegionParams): number {
  const name = regionName(r);
  let rc: number;
  if (ndctlHas(env.ndctl, 'destroyRegionChecks')) {
    if (r.locked === 'locked') {
      rl.err('destroy_region', `${name}: cannot destroy a locked region\n`);
      return negErrno('EPERM');
    }
    rc = validateOrder(rl, r);
    if (rc) return rc;
  }
  if (regionIsEnabled(r)) {
    if (!param.force) {
      rl.err('destroy_region', `${name} active. Disable it or use --force\n`);
      return negErrno('EBUSY');
    }
    rc = ndctlHas(env.ndctl, 'destroyRegionDisableHelper') ? disableRegion(r) : regionDisable(r);
    if (rc) {
      rl.err('destroy_region', `${name}: error disabling region: ${strerrorRc(rc)}\n`);
      return rc;
    }
  }
  rc = regionDecodeReset(r);
  if (rc) {
    rl.err('destroy_region', `${name}: failed to reset decode: ${strerrorRc(rc)}\n`);
    return rc;
  }
  const ways = r.interleaveWays;
  if (ways === 0 || ways === UINT_MAX) {
    rl.err('destroy_region', `${name}: error getting interleave ways\n`);
    return negErrno('ENXIO');
  }
  for (let i = 0; i < ways; i++) {
    const ep = regionTargetDecoder(r, i);
    if (!ep) return negErrno('ENXIO');
    rc = regionClearTarget(r, i);
    if (rc) {
      rl.err('destroy_region', `${name}: clearing target${i} failed: ${strerrorRc(rc)}\n`);
      return rc;
    }
    rc = decoderSetDpaSize(ep, 0n);
    if (rc) {
      rl.err('destroy_region', `${decoderName(ep)}: set_dpa_size failed: ${strerrorRc(rc)}\n`);
      return rc;
    }
  }
  return regionDelete(r);
}

/** do_region_xable(): the action on one region; 0 or a negative errno. */
export function regionXable(
  env: CmdEnv,
  rl: LogCtx,
  r: CxlRegion,
  action: RegionAction,
  param: RegionParams,
): number {
  switch (action) {
    case 'enable':
      return regionEnable(r);
    case 'disable':
      return ndctlHas(env.ndctl, 'disableRegionForce') ? disableRegion(r) : regionDisable(r);
    case 'destroy':
      return destroyRegion(env, rl, r, param);
    default:
      return negErrno('EINVAL');
  }
}
