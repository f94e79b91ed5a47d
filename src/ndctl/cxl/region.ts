/**
 * DOC: cxl/region.c region_action() and the cmd_{create,enable,disable,destroy}_region() entry
 * points.
 *
 * Options are parsed, then (create) the region is created, then — for every root decoder passing
 * -b/-d — each region matching a positional argument gets the action. In 76.1 create-region also
 * runs that loop, with the memdev arguments as region filters, and its result *replaces* the
 * creation's: that is why a refused creation prints "created 0 regions" and still exits 0 (77
 * and later return the creation's result). The summary line is logged whatever happened.
 */

import { cxlRegions, regionName } from '../lib/region.ts';
import { strerrorRc } from '../lib/sysfs.ts';
import type { CxlDecoder } from '../lib/types.ts';
import { LOG, LogCtx } from '../util/log.ts';
import { parseOptions } from '../util/parse-options.ts';
import { ndctlHas } from '../versions.ts';
import { type CmdEnv, type CmdResult, done } from './env.ts';
import { regionFilter } from './filter.ts';

import { createRegion } from './region-create.ts';
import { regionXable } from './region-destroy.ts';
import { rootDecoders } from './region-find.ts';
import {
  defaultRegionParams,
  type RegionAction,
  type RegionParams,
  regionOptions,
  regionUsage,
} from './region-params.ts';
import { newParsedParams, type ParsedParams, parseCreateOptions } from './region-parse.ts';

/** decoder_region_action(): the action on each of the decoder's regions matching an argument. */
function decoderRegionAction(
  env: CmdEnv,
  rl: LogCtx,
  d: CxlDecoder,
  args: readonly string[],
  action: RegionAction,
  param: RegionParams,
  count: { n: number },
): number {
  let rc = 0;
  let errRc = 0;
  for (const r of [...cxlRegions(d)]) {
    if (!args.some((a) => regionFilter(r, a))) continue;
    rc = regionXable(env, rl, r, action, param); // create: -EINVAL, as do_region_xable()
    if (rc === 0) count.n++;
    else {
      rl.err('decoder_region_action', `${regionName(r)}: failed: ${strerrorRc(rc)}\n`);
      errRc = rc;
    }
  }
  return errRc || rc;
}

/** region_action(): 0 or the negative errno the command's exit status reflects. */
function regionAction(
  env: CmdEnv,
  rl: LogCtx,
  action: RegionAction,
  argv: readonly string[],
  count: { n: number },
): number | { exit: number } {
  const param = defaultRegionParams();
  const parsed = parseOptions(
    argv,
    regionOptions(action, env.ndctl),
    regionUsage(action),
    param,
    env.out,
  );
  if ('exit' in parsed) return parsed;
  const args = parsed.args;
  rl.priority = param.debug ? LOG.DEBUG : LOG.INFO;
  let rc = 0;
  if (action === 'create') {
    const p: ParsedParams = newParsedParams();
    rc = parseCreateOptions(env, rl, param, args, p);
    if (rc) return rc;
    const r = createRegion(env, rl, p, param);
    count.n += r.count;
    if (ndctlHas(env.ndctl, 'createRegionReturnsRc')) return r.rc;
    rc = r.rc;
  }
  let errRc = 0;
  for (const d of rootDecoders(env.ctx, param.bus, param.rootDecoder)) {
    rc = decoderRegionAction(env, rl, d, args, action, param, count);
    if (rc) errRc = rc;
  }
  if (errRc) {
    rl.err('region_action', `one or more failures, last failure: ${strerrorRc(errRc)}\n`);
    return errRc;
  }
  return rc;
}

const SUMMARY: Record<RegionAction, string> = {
  create: 'created',
  enable: 'enabled',
  disable: 'disabled',
  destroy: 'destroyed',
};

/** cmd_<action>_region(): the whole process — output and exit status. */
export function cmdRegion(env: CmdEnv, action: RegionAction, argv: readonly string[]): CmdResult {
  const rl = new LogCtx(env.out, 'cxl region');
  const count = { n: 0 };
  const rc = regionAction(env, rl, action, argv, count);
  if (typeof rc !== 'number') return done(env, rc.exit);
  rl.info(
    `cmd_${action}_region`,
    `${SUMMARY[action]} ${count.n} region${count.n === 1 ? '' : 's'}\n`,
  );
  return done(env, rc === 0 ? 0 : 1);
}
