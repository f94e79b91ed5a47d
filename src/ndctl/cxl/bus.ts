/**
 * DOC: `cxl disable-bus` — cxl/bus.c bus_action(), action_disable() and find_cxl_bus().
 *
 * Arguments are `all`, `rootN` or `N` (anything else: "'x' is not a valid bus identifer", 85 spells
 * it "identifier"; all invalid: usage). A bus with any memdev on it is refused unless --force; then
 * the bus's uport (ACPI0017:00) is unbound from its driver, which tears the whole CXL hierarchy
 * below it down. There is no enable-bus.
 */

import { busDisableInvalidate } from '../lib/enable.ts';
import { cxlMemdevs, memdevBus } from '../lib/memdev.ts';
import { cxlBuses, portName } from '../lib/port.ts';
import { negErrno } from '../lib/sysfs.ts';
import type { CxlPort } from '../lib/types.ts';
import { scanPrefixInt } from '../util/cstr.ts';
import { LOG, LogCtx } from '../util/log.ts';
import { type OptSpec, optBool, parseOptions, usageText } from '../util/parse-options.ts';
import { ndctlHas } from '../versions.ts';
import { type CmdEnv, type CmdResult, done } from './env.ts';
import { busFilter } from './filter.ts';

const USAGE = 'cxl disable-bus <bus0> [<bus1>..<busN>] [<options>]';

const OPTIONS: OptSpec[] = [
  optBool('', 'debug', 'debug', 'turn on debug'),
  optBool('f', 'force', 'force', 'DANGEROUS: override active memdev safety checks'),
];

/** action_disable() */
function actionDisable(bl: LogCtx, force: boolean, bus: CxlPort): number {
  const name = portName(bus);
  let active = 0;
  for (const m of [...cxlMemdevs(bus.ctx)]) if (memdevBus(m) === bus) active++;
  if (active && !force) {
    const many = active > 1;
    bl.err(
      'action_disable',
      `${name} hosts ${active} memdev${many ? 's' : ''} which ${many ? 'are' : 'is'} part of an active region\n`,
    );
    bl.err(
      'action_disable',
      `See 'cxl list -M -b ${name}' to see impacted device${many ? 's' : ''}\n`,
    );
    return negErrno('EBUSY');
  }
  return busDisableInvalidate(bus);
}

/** bus_action(): the count of successful actions, a negative errno, or an exit. */
function busAction(env: CmdEnv, bl: LogCtx, argv: readonly string[]): number | { exit: number } {
  const param: Record<string, boolean> = { debug: false, force: false };
  const parsed = parseOptions(argv, OPTIONS, USAGE, param, env.out);
  if ('exit' in parsed) return parsed;
  let args = parsed.args;
  const usage = (): { exit: number } => {
    env.out.stderr += usageText(USAGE, OPTIONS);
    return { exit: 129 };
  };
  if (args.length === 0) return usage();
  let err = 0;
  let argc = args.length;
  for (let i = 0; i < argc; i++) {
    const a = args[i] as string;
    if (a === 'all') {
      args = ['all'];
      argc = 1;
      break;
    }
    if (scanPrefixInt(a, 'root') !== undefined || scanPrefixInt(a, '') !== undefined) continue;
    const word = ndctlHas(env.ndctl, 'busIdentifierSpelling') ? 'identifier' : 'identifer';
    bl.err('bus_action', `'${a}' is not a valid bus ${word}\n`);
    err++;
  }
  if (err === argc) return usage();
  bl.priority = param.debug ? LOG.DEBUG : LOG.INFO;
  let count = 0;
  let errRc = 0;
  for (const a of args.slice(0, argc)) {
    const bus = [...cxlBuses(env.ctx)].find((b) => busFilter(b, a));
    if (!bus) continue; // "bus: %s not found" is a debug message
    const rc = actionDisable(bl, param.force === true, bus);
    if (rc === 0) count++;
    else if (!errRc) errRc = rc;
  }
  return count > 0 ? count : errRc;
}

/** cmd_disable_bus() */
export function cmdDisableBus(env: CmdEnv, argv: readonly string[]): CmdResult {
  const bl = new LogCtx(env.out, 'cxl bus');
  const count = busAction(env, bl, argv);
  if (typeof count !== 'number') return done(env, count.exit);
  const n = count >= 0 ? count : 0;
  bl.info('cmd_disable_bus', `disabled ${n} bus${count > 1 ? 's' : ''}\n`);
  return done(env, count >= 0 ? 0 : 1);
}
