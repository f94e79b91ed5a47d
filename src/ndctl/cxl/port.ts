/**
 * DOC: `cxl enable-port` and `cxl disable-port` — cxl/port.c port_action(), action_enable(),
 * action_disable(), find_cxl_port() and find_cxl_endpoint().
 *
 * Each argument picks the *first* port (or, with -e, endpoint) below any bus that matches it as a
 * single-mode port filter; `all` ends the argument list like the memdev commands. disable-port
 * refuses a port with enabled memdevs below it unless --force (76.1 counts memdevs reached through
 * the port's dports, 85 those whose host path passes through the port's uport), then unbinds it.
 * enable-port binds it, and with -m enables the memdevs below.
 */

import {
  memdevEnable,
  portDisableInvalidate,
  portDportByMemdev,
  portEnable,
} from '../lib/enable.ts';
import {
  cxlMemdevs,
  endpointMemdev,
  memdevIsEnabled,
  memdevIsPortAncestor,
} from '../lib/memdev.ts';
import { cxlBuses, cxlPortForeachAll, endpointsOf, portIsEnabled, portName } from '../lib/port.ts';
import { negErrno } from '../lib/sysfs.ts';
import type { CxlMemdev, CxlPort } from '../lib/types.ts';
import { LOG, LogCtx } from '../util/log.ts';
import { type OptSpec, optBool, parseOptions, usageText } from '../util/parse-options.ts';
import { ndctlHas } from '../versions.ts';
import { type CmdEnv, type CmdResult, done } from './env.ts';
import { endpointFilter, portFilter } from './filter.ts';

interface PortParams {
  debug: boolean;
  force: boolean;
  memdevs: boolean;
  endpoint: boolean;
  [k: string]: boolean;
}

/** The port commands. */
export type PortCommand = 'enable-port' | 'disable-port';

function portOptions(cmd: PortCommand): OptSpec[] {
  const base = [
    optBool('', 'debug', 'debug', 'turn on debug'),
    optBool('e', 'endpoint', 'endpoint', 'target endpoints instead of switch ports'),
  ];
  return cmd === 'disable-port'
    ? [...base, optBool('f', 'force', 'force', 'DANGEROUS: override active memdev safety checks')]
    : [...base, optBool('m', 'enable-memdevs', 'memdevs', 'enable downstream memdev(s)')];
}

const USAGE: Record<PortCommand, string> = {
  'disable-port': 'cxl disable-port <port0> [<port1>..<portN>] [<options>]',
  'enable-port': 'cxl enable-port <port0> [<port1>..<portN>] [<options>]',
};

/** Whether the memdev lies below the port (76.1: through a dport; 85: uport on its path). */
function portHostsMemdev(port: CxlPort, m: CxlMemdev): boolean {
  return ndctlHas(port.ctx.ndctl, 'portMemdevAncestry')
    ? memdevIsPortAncestor(m, port)
    : portDportByMemdev(port, m) !== undefined;
}

/** action_disable() */
function actionDisable(pl: LogCtx, param: PortParams, port: CxlPort): number {
  const name = portName(port);
  if (!portIsEnabled(port)) return 0; // "already disabled" is a debug message
  let active = 0;
  if (param.endpoint && port.type === 'endpoint' && endpointMemdev(port)) active++;
  for (const m of [...cxlMemdevs(port.ctx)]) {
    if (!portHostsMemdev(port, m)) continue;
    if (memdevIsEnabled(m)) active++;
  }
  if (active && !param.force) {
    const many = active > 1;
    pl.err(
      'action_disable',
      `${name} hosts ${active} memdev${many ? 's' : ''} which ${many ? 'are' : 'is'} part of an active region\n`,
    );
    pl.err(
      'action_disable',
      `See 'cxl list -M -p ${name}' to see impacted device${many ? 's' : ''}\n`,
    );
    return negErrno('EBUSY');
  }
  return portDisableInvalidate(port);
}

/** action_enable() */
function actionEnable(param: PortParams, port: CxlPort): number {
  const rc = portEnable(port);
  if (rc || !param.memdevs) return rc;
  for (const m of [...cxlMemdevs(port.ctx)]) if (portHostsMemdev(port, m)) memdevEnable(m);
  return 0;
}

/** find_cxl_port(): the first descendant of any bus matching `ident` (single mode). */
function findPort(env: CmdEnv, ident: string): CxlPort | undefined {
  for (const bus of cxlBuses(env.ctx)) {
    for (const p of cxlPortForeachAll(bus)) if (portFilter(p, ident, 'single')) return p;
  }
  return undefined;
}

/** find_cxl_endpoint(): the first endpoint below any bus's ports matching `ident`. */
function findEndpoint(env: CmdEnv, ident: string): CxlPort | undefined {
  for (const bus of cxlBuses(env.ctx)) {
    for (const p of cxlPortForeachAll(bus)) {
      const ep = endpointsOf(p).find((e) => endpointFilter(e, ident));
      if (ep) return ep;
    }
  }
  return undefined;
}

/** port_action(): the count of successful actions, a negative errno, or an exit. */
function portAction(
  env: CmdEnv,
  pl: LogCtx,
  cmd: PortCommand,
  argv: readonly string[],
): number | { exit: number } {
  const param: PortParams = { debug: false, force: false, memdevs: false, endpoint: false };
  const opts = portOptions(cmd);
  const parsed = parseOptions(argv, opts, USAGE[cmd], param, env.out);
  if ('exit' in parsed) return parsed;
  let args = parsed.args;
  if (args.length === 0) {
    env.out.stderr += usageText(USAGE[cmd], opts);
    return { exit: 129 };
  }
  const all = args.indexOf('all');
  if (all >= 0) args = args.slice(0, 1);
  pl.priority = param.debug ? LOG.DEBUG : LOG.INFO;
  let count = 0;
  let err = 0;
  for (const a of args) {
    let port: CxlPort | undefined;
    if (param.endpoint) {
      port = findEndpoint(env, a);
      if (!port) {
        pl.notice('port_action', `endpoint: ${a} not found\n`);
        continue;
      }
    } else {
      port = findPort(env, a);
      if (!port) {
        pl.notice('port_action', `port: ${a} not found\n`);
        continue;
      }
    }
    const rc = cmd === 'disable-port' ? actionDisable(pl, param, port) : actionEnable(param, port);
    if (rc === 0) count++;
    else if (!err) err = rc;
  }
  return count > 0 ? count : err;
}

/** cmd_disable_port() / cmd_enable_port() */
export function cmdPort(env: CmdEnv, cmd: PortCommand, argv: readonly string[]): CmdResult {
  const pl = new LogCtx(env.out, 'cxl port');
  const count = portAction(env, pl, cmd, argv);
  if (typeof count !== 'number') return done(env, count.exit);
  const n = count >= 0 ? count : 0;
  const fn = cmd === 'disable-port' ? 'cmd_disable_port' : 'cmd_enable_port';
  pl.info(
    fn,
    `${cmd === 'disable-port' ? 'disabled' : 'enabled'} ${n} port${count > 1 ? 's' : ''}\n`,
  );
  return done(env, count >= 0 ? 0 : 1);
}
