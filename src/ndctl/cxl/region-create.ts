/**
 * DOC: `cxl create-region` — cxl/region.c create_region_validate_config() and create_region(),
 * for ndctl 76.1 and 85 (option handling: region-parse.ts).
 *
 * The region is created through the root decoder's create_{pmem,ram}_region, then
 * programmed in ndctl's order: interleave_granularity, interleave_ways, uuid (pmem), size (hex),
 * per position the first free endpoint decoder (dpa_size 0 + mode when the mode differs,
 * dpa_size, target<i>), commit, bind. Any failure after creation deletes the region again.
 */

import { cxlDecoders, decoderName, decoderSetDpaSize, decoderSetMode } from '../lib/decoder.ts';
import { memdevEndpoint, memdevName } from '../lib/memdev.ts';
import {
  decoderCreateRegion,
  regionDecodeCommit,
  regionDelete,
  regionEnable,
  regionName,
  regionSetInterleaveGranularity,
  regionSetInterleaveWays,
  regionSetSize,
  regionSetTarget,
  regionSetUuid,
} from '../lib/region.ts';
import { negErrno, strerrorRc } from '../lib/sysfs.ts';
import {
  type CxlDecoder,
  type CxlMemdev,
  type CxlRegion,
  DECODER_MODE,
  QOS_CLASS_NONE,
} from '../lib/types.ts';
import { hexAlt, U64_MAX } from '../util/cstr.ts';
import { toJsonPretty } from '../util/jsonc.ts';
import type { LogCtx } from '../util/log.ts';
import { UTIL_JSON } from '../util/print.ts';
import { ndctlHas } from '../versions.ts';
import type { CmdEnv } from './env.ts';
import { regionToJson } from './json.ts';
import { findRootDecoder } from './region-find.ts';
import type { RegionParams } from './region-params.ts';
import type { ParsedParams } from './region-parse.ts';

/** SZ_256M, an int constant: SZ_256M * ways is computed in (wrapping) int arithmetic. */
const SZ_256M = 0x10000000;

/** util/size.h ALIGN_DOWN(x, a) = ((x + a) & ~(a - 1)) - a, with `a` an int as the C code has it. */
export function alignDown(x: bigint, a: number): bigint {
  const a64 = BigInt.asUintN(64, BigInt(a | 0));
  const mask = BigInt.asUintN(64, BigInt(~((a - 1) | 0)));
  return BigInt.asUintN(64, (BigInt.asUintN(64, x + a64) & mask) - a64);
}

/** validate_decoder(): the root decoder supports the region's mode. */
function validateDecoder(rl: LogCtx, d: CxlDecoder, p: ParsedParams, param: RegionParams): number {
  const name = decoderName(d);
  if (p.mode === DECODER_MODE.RAM && !d.volatileCapable) {
    rl.err('validate_decoder', `${name} is not volatile capable\n`);
    return negErrno('EINVAL');
  }
  if (p.mode === DECODER_MODE.PMEM && !d.pmemCapable) {
    rl.err('validate_decoder', `${name} is not pmem capable\n`);
    return negErrno('EINVAL');
  }
  if (p.mode !== DECODER_MODE.RAM && p.mode !== DECODER_MODE.PMEM) {
    rl.err('validate_decoder', `unknown type: ${param.type ?? '(null)'}\n`);
    return negErrno('EINVAL');
  }
  return 0;
}

/** create_region_validate_qos_class() (ndctl ≥ 79, -Q) */
function validateQosClass(rl: LogCtx, p: ParsedParams, param: RegionParams): number {
  const d = p.rootDecoder as CxlDecoder;
  if (!param.enforceQos || d.qosClass === QOS_CLASS_NONE) return 0;
  for (const m of p.memdevs.slice(0, p.ways)) {
    const q = p.mode === DECODER_MODE.RAM ? m.ramQosClass : m.pmemQosClass;
    if (q === QOS_CLASS_NONE) break;
    if (q !== d.qosClass) {
      rl.err(
        'create_region_validate_qos_class',
        `${decoderName(d)} qos_class mismatch ${memdevName(m)}\n`,
      );
      return negErrno('ENXIO');
    }
  }
  return 0;
}

/** create_region_validate_config(): the root decoder, the mode it implies, the minimum size. */
function validateConfig(env: CmdEnv, rl: LogCtx, p: ParsedParams, param: RegionParams): number {
  p.rootDecoder = findRootDecoder(env.ctx, param.bus, param.rootDecoder);
  if (!p.rootDecoder) {
    rl.err('create_region_validate_config', `${param.rootDecoder} not found in CXL topology\n`);
    return negErrno('ENXIO');
  }
  if (ndctlHas(env.ndctl, 'regionTypeFromRootDecoder') && param.type === undefined) {
    if (p.rootDecoder.volatileCapable) p.mode = DECODER_MODE.RAM;
    if (p.rootDecoder.pmemCapable) p.mode = DECODER_MODE.PMEM;
  }
  let rc = validateDecoder(rl, p.rootDecoder, p, param);
  if (rc) return rc;
  if (ndctlHas(env.ndctl, 'regionEnforceQos')) {
    rc = validateQosClass(rl, p, param);
    if (rc) return rc;
  }
  for (const m of p.memdevs.slice(0, p.ways)) {
    let size = m.pmemSize;
    if (ndctlHas(env.ndctl, 'ramRegions'))
      size =
        p.mode === DECODER_MODE.RAM ? m.ramSize : p.mode === DECODER_MODE.PMEM ? m.pmemSize : 0n;
    p.epMinSize = p.epMinSize === 0n || size < p.epMinSize ? size : p.epMinSize;
  }
  return 0;
}

/** cxl_memdev_find_decoder(): the first endpoint decoder (by id) with no HPA size. */
function findFreeDecoder(rl: LogCtx, m: CxlMemdev): CxlDecoder | undefined {
  const name = memdevName(m);
  const ep = memdevEndpoint(m);
  if (!ep) {
    rl.err('cxl_memdev_find_decoder', `could not get an endpoint for ${name}\n`);
    return undefined;
  }
  const d = cxlDecoders(ep).find((x) => x.size === 0n);
  if (!d) rl.err('cxl_memdev_find_decoder', `could not get a free decoder for ${name}\n`);
  return d;
}

/** cxl_region_determine_granularity(): the root's granularity unless -g is allowed. */
function determineGranularity(rl: LogCtx, r: CxlRegion, p: ParsedParams): number {
  const name = regionName(r);
  const d = p.rootDecoder as CxlDecoder;
  const granularity = d.interleaveGranularity | 0;
  if (granularity === 0 || granularity === -1) {
    rl.err(
      'cxl_region_determine_granularity',
      `${name}: unable to determine root decoder granularity\n`,
    );
    return negErrno('ENXIO');
  }
  if (!p.granularity) return granularity;
  const ways = d.interleaveWays | 0;
  if (ways === 0 || ways === -1) {
    rl.err('cxl_region_determine_granularity', `${name}: unable to determine root decoder ways\n`);
    return negErrno('ENXIO');
  }
  if (ways === 1) return p.granularity;
  if (p.granularity === granularity) return granularity;
  rl.err(
    'cxl_region_determine_granularity',
    `${name}: For an x${ways} root, only root decoder granularity (${granularity}) permitted\n`,
  );
  return negErrno('EINVAL');
}

/** The sysfs programming of a created region: 0 or the failure that ends it. */
function programRegion(
  env: CmdEnv,
  rl: LogCtx,
  r: CxlRegion,
  p: ParsedParams,
  size: bigint,
  param: RegionParams,
): number {
  const name = regionName(r);
  const g = determineGranularity(rl, r, p);
  if (g < 0) return g;
  const tryOp = (dev: string, op: string, rc: number): number => {
    if (rc) rl.err('create_region', `${dev}: ${op} failed: ${strerrorRc(rc)}\n`);
    return rc;
  };
  // 76.1 generates a uuid for every region; 77 on only for pmem ones without -U
  let uuid: string | undefined;
  if (!ndctlHas(env.ndctl, 'regionUuidOption')) uuid = env.uuid();
  else if (p.mode === DECODER_MODE.PMEM) uuid = param.uuid === undefined ? env.uuid() : p.uuid;
  let rc = tryOp(name, 'set_interleave_granularity', regionSetInterleaveGranularity(r, g));
  if (!rc) rc = tryOp(name, 'set_interleave_ways', regionSetInterleaveWays(r, p.ways));
  if (!rc && uuid !== undefined) rc = tryOp(name, 'set_uuid', regionSetUuid(r, uuid));
  if (!rc) rc = tryOp(name, 'set_size', regionSetSize(r, size));
  if (rc) return rc;
  for (let i = 0; i < p.ways; i++) {
    const m = p.memdevs[i] as CxlMemdev;
    const d = findFreeDecoder(rl, m);
    if (!d) return negErrno('ENXIO');
    const dname = decoderName(d);
    if (d.mode !== p.mode) {
      rc = tryOp(dname, 'set_dpa_size', decoderSetDpaSize(d, 0n));
      if (!rc) rc = tryOp(dname, 'set_mode', decoderSetMode(d, p.mode));
      if (rc) return rc;
    }
    rc = tryOp(dname, 'set_dpa_size', decoderSetDpaSize(d, size / BigInt(p.ways)));
    if (rc) return rc;
    rc = regionSetTarget(r, i, d);
    if (rc) {
      rl.err('create_region', `${name}: failed to set target${i} to ${memdevName(m)}\n`);
      return rc;
    }
  }
  rc = regionDecodeCommit(r);
  if (rc) {
    rl.err('create_region', `${name}: failed to commit decode: ${strerrorRc(rc)}\n`);
    return rc;
  }
  rc = regionEnable(r);
  if (rc) {
    rl.err('create_region', `${name}: failed to enable: ${strerrorRc(rc)}\n`);
    return rc;
  }
  return 0;
}

/** create_region(): 0 and the region JSON on stdout, or a negative errno. */
export function createRegion(
  env: CmdEnv,
  rl: LogCtx,
  p: ParsedParams,
  param: RegionParams,
): { rc: number; count: number } {
  let rc = validateConfig(env, rl, p, param);
  if (rc) return { rc, count: 0 };
  const d = p.rootDecoder as CxlDecoder;
  const dname = decoderName(d);
  let size: bigint;
  let defaultSize = true;
  if (p.size) {
    size = p.size;
    defaultSize = false;
  } else if (p.epMinSize) size = BigInt.asUintN(64, p.epMinSize * BigInt(p.ways));
  else {
    rl.err(
      'create_region',
      ndctlHas(env.ndctl, 'regionSizeErrNoFuncName')
        ? 'unable to determine region size\n'
        : 'create_region: unable to determine region size\n',
    );
    return { rc: negErrno('ENXIO'), count: 0 };
  }
  const maxExtent = d.maxAvailableExtent;
  if (maxExtent === U64_MAX) {
    rl.err('create_region', `${dname}: unable to determine max extent\n`);
    return { rc: negErrno('EINVAL'), count: 0 };
  }
  if (!defaultSize && size > maxExtent) {
    const extra = ndctlHas(env.ndctl, 'regionMaxSizeReported') ? ` (${hexAlt(maxExtent)})` : '';
    rl.err(
      'create_region',
      `${dname}: region size ${hexAlt(size)} exceeds max available space${extra}\n`,
    );
    return { rc: negErrno('ENOSPC'), count: 0 };
  }
  if (size > maxExtent) size = alignDown(maxExtent, Math.imul(SZ_256M, p.ways));
  let region: CxlRegion | undefined;
  if (
    p.mode === DECODER_MODE.PMEM ||
    (ndctlHas(env.ndctl, 'ramRegions') && p.mode === DECODER_MODE.RAM)
  ) {
    region = decoderCreateRegion(d, p.mode === DECODER_MODE.PMEM ? 'pmem' : 'ram');
    if (!region) {
      rl.err('create_region', `failed to create region under ${param.rootDecoder}\n`);
      return { rc: negErrno('ENXIO'), count: 0 };
    }
  } else {
    const why = ndctlHas(env.ndctl, 'ramRegions') ? 'is not supported' : 'not supported yet';
    rl.err('create_region', `region type '${param.type ?? '(null)'}' ${why}\n`);
    return { rc: negErrno('EOPNOTSUPP'), count: 0 };
  }
  rc = programRegion(env, rl, region, p, size, param);
  if (rc) {
    regionDelete(region);
    return { rc, count: 0 };
  }
  let flags: number = UTIL_JSON.TARGETS;
  if (env.isTty) flags |= UTIL_JSON.HUMAN;
  env.out.stdout += `${toJsonPretty(regionToJson(region, flags), env.ndctl)}\n`;
  return { rc: 0, count: 1 };
}
