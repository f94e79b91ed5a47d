/**
 * DOC: `cxl create-region` option handling — cxl/region.c parse_create_options(), to_csv(),
 * collect_memdevs() and validate_ways(), for ndctl 76.1 and 85.
 *
 * The memdevs are those `cxl list -M -d <decoder> -m <args>` would list (active memdevs reachable
 * through the root decoder's targets), sorted into argument order, which is interleave position
 * order. Ways default to the number of memdevs named (or found); the size must split evenly.
 */

import { cxlMemdevs, memdevName } from '../lib/memdev.ts';
import { negErrno } from '../lib/sysfs.ts';
import { type CxlDecoder, type CxlMemdev, DECODER_MODE, type DecoderMode } from '../lib/types.ts';
import { strtok, U64_MAX } from '../util/cstr.ts';
import type { LogCtx } from '../util/log.ts';
import { parseSize64 } from '../util/size.ts';
import { ndctlHas } from '../versions.ts';
import type { CmdEnv } from './env.ts';
import { memdevFilter } from './filter.ts';
import { defaultParams } from './filter-params.ts';
import { cxlFilterWalk } from './filter-walk.ts';
import { INT_MAX, type RegionParams } from './region-params.ts';

/** struct parsed_params */
export interface ParsedParams {
  size: bigint;
  epMinSize: bigint;
  ways: number;
  granularity: number;
  memdevs: CxlMemdev[];
  rootDecoder: CxlDecoder | undefined;
  mode: DecoderMode;
  uuid: string | undefined;
}

/** uuid_parse(): 36 characters, hyphens at 8/13/18/23, hex digits elsewhere. */
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** which_sep() */
const whichSep = (s: string): string => (s.includes(' ') ? ' ' : s.includes(',') ? ',' : ' ');

/**
 * to_csv(): the arguments' tokens joined by commas — with the original's separator logic, which
 * compares the argument index with the token count (so "mem0,mem1" becomes "mem0,mem1,").
 */
export function toCsv(args: readonly string[]): { csv: string | undefined; count: number } {
  if (args.length === 0) return { csv: undefined, count: 0 };
  const tokens = args.map((a) => strtok(a, whichSep(a)));
  const total = tokens.reduce((n, t) => n + t.length, 0);
  let csv = '';
  tokens.forEach((list, i) => {
    for (const t of list) csv += `${t}${i + 1 < total ? ',' : ''}`;
  });
  return { csv, count: total };
}

/** memdev_filter_pos(): index of the first csv token the memdev matches. */
function filterPos(m: CxlMemdev, csv: string): number {
  const toks = strtok(csv, whichSep(csv));
  const at = toks.findIndex((t) => memdevFilter(m, t, undefined));
  return at < 0 ? toks.length : at;
}

/** collect_memdevs(): active memdevs below `decoder` matching the args, in argument order. */
function collectMemdevs(
  env: CmdEnv,
  rl: LogCtx,
  decoder: string,
  args: readonly string[],
): {
  memdevs: CxlMemdev[] | undefined;
  count: number;
} {
  const { csv, count } = toCsv(args);
  const p = defaultParams();
  p.decoderFilter = decoder;
  p.memdevs = true;
  p.memdevFilter = csv;
  const arr = cxlFilterWalk(env.ctx, p);
  const byName = new Map(cxlMemdevs(env.ctx).map((m) => [memdevName(m), m]));
  const list: CxlMemdev[] = [];
  for (const o of arr.a) {
    if (o.t !== 'obj') continue;
    const name = o.e.find(([k]) => k === 'memdev')?.[1];
    const m = name?.t === 'str' ? byName.get(name.s) : undefined;
    if (m) list.push(m);
  }
  if (list.length === 0) {
    rl.err(
      'collect_memdevs',
      `no active memdevs found: decoder: ${decoder} filter: ${csv ?? 'none'}\n`,
    );
    return { memdevs: undefined, count };
  }
  if (csv !== undefined) {
    const pos = new Map(list.map((m) => [m, filterPos(m, csv)]));
    list.sort((a, b) => (pos.get(a) ?? 0) - (pos.get(b) ?? 0));
  }
  return { memdevs: list, count };
}

/** validate_ways() */
function validateWays(rl: LogCtx, p: ParsedParams, count: number): boolean {
  const n = p.memdevs.length;
  if (p.ways > n || (count && p.ways !== n)) {
    const rel = p.ways > n ? 'greater' : 'less';
    rl.err(
      'validate_ways',
      `Interleave ways ${p.ways} is ${rel} than number of memdevs ${count ? 'specified' : 'found'}: ${n}\n`,
    );
    return false;
  }
  return true;
}

/** cxl_decoder_mode_from_ident() */
function modeFromIdent(s: string): DecoderMode {
  if (s === 'ram' || s === 'volatile') return DECODER_MODE.RAM;
  if (s === 'pmem') return DECODER_MODE.PMEM;
  return DECODER_MODE.NONE;
}

/** parse_create_options(): 0, or the negative errno cmd_create_region reports. */
export function parseCreateOptions(
  env: CmdEnv,
  rl: LogCtx,
  param: RegionParams,
  args: readonly string[],
  p: ParsedParams,
): number {
  const withUuid = ndctlHas(env.ndctl, 'regionUuidOption');
  if (param.rootDecoder === undefined) {
    rl.err('parse_create_options', 'no root decoder specified\n');
    return negErrno('EINVAL');
  }
  if (args.length === 0) param.memdevs = true;
  if (!param.memdevs) {
    rl.err('parse_create_options', 'must specify option for target object types (-m)\n');
    return negErrno('EINVAL');
  }
  const { memdevs, count } = collectMemdevs(env, rl, param.rootDecoder, args);
  if (!memdevs) return negErrno('ENXIO');
  p.memdevs = memdevs;
  const fail = negErrno('EINVAL');
  if (param.type !== undefined) {
    p.mode = modeFromIdent(param.type);
    if (withUuid && p.mode === DECODER_MODE.RAM && param.uuid !== undefined) {
      rl.err('parse_create_options', "can't set UUID for ram / volatile regions");
      return fail;
    }
    if (p.mode === DECODER_MODE.NONE) {
      rl.err('parse_create_options', `unsupported type: ${param.type}\n`);
      return fail;
    }
  } else p.mode = DECODER_MODE.PMEM;
  if (param.size !== undefined) {
    p.size = parseSize64(param.size);
    if (p.size === U64_MAX) {
      rl.err('parse_create_options', `Invalid size: ${param.size}\n`);
      return fail;
    }
  }
  if (param.ways <= 0) {
    rl.err('parse_create_options', `Invalid interleave ways: ${param.ways}\n`);
    return fail;
  } else if (param.ways < INT_MAX) {
    p.ways = param.ways;
    if (!validateWays(rl, p, count)) return fail;
  } else if (count) {
    p.ways = count;
    if (!validateWays(rl, p, count)) return fail;
  } else p.ways = p.memdevs.length;
  if (param.granularity < INT_MAX) {
    if (param.granularity <= 0) {
      rl.err('parse_create_options', `Invalid interleave granularity: ${param.granularity}\n`);
      return fail;
    }
    p.granularity = param.granularity;
  }
  if (p.size && p.ways && p.size % BigInt(p.ways)) {
    rl.err(
      'parse_create_options',
      `size (${p.size}) is not an integral multiple of interleave-ways (${p.ways})\n`,
    );
    return fail;
  }
  if (withUuid && param.uuid !== undefined) {
    if (!UUID.test(param.uuid)) {
      env.out.error(`failed to parse uuid: '${param.uuid}'\n`);
      return fail;
    }
    p.uuid = param.uuid.toLowerCase();
  }
  return 0;
}

/** A zeroed struct parsed_params. */
export function newParsedParams(): ParsedParams {
  return {
    size: 0n,
    epMinSize: 0n,
    ways: 0,
    granularity: 0,
    memdevs: [],
    rootDecoder: undefined,
    mode: DECODER_MODE.NONE,
    uuid: undefined,
  };
}
