/**
 * DOC: cxl/memdev.c memdev_action() and the cmd_* entry points of the memdev commands
 * (read/write/zero-labels, disable/enable-memdev, set-partition, reserve-dpa, free-dpa).
 *
 * Every argument must be `all`, `memN` or `N` (a number with -S); an `all` ends the list (the
 * arguments before it are kept, the rest dropped — argv is not rewritten). Each argument is a
 * memdev filter over libcxl's memdev list; write-labels first counts its matches and refuses more
 * than one. The summary ("read 1 mem", "reservation completed on 2 mem devices") counts the
 * successful actions; the exit status is 1 only when none succeeded and one failed.
 */

import { Errno, isErrno } from '../../kernel/errno.ts';
import { memdevDisableInvalidate, memdevEnable } from '../lib/enable.ts';
import {
  cxlMemdevs,
  memdevBus,
  memdevEndpoint,
  memdevIsEnabled,
  memdevName,
} from '../lib/memdev.ts';
import { negErrno, strerrorRc } from '../lib/sysfs.ts';
import type { CxlMemdev } from '../lib/types.ts';
import { scanPrefixInt, strtoullEnd } from '../util/cstr.ts';
import { type JArr, jArr } from '../util/jsonc.ts';
import { LOG, LogCtx } from '../util/log.ts';
import { parseOptions, usageText } from '../util/parse-options.ts';
import { displayJsonArray, UTIL_JSON } from '../util/print.ts';
import { ndctlHas } from '../versions.ts';
import { type CmdEnv, type CmdResult, done } from './env.ts';
import { busFilter, memdevFilter } from './filter.ts';
import {
  defaultMemdevParams,
  MEMDEV_USAGE,
  type MemdevCommand,
  type MemdevParams,
  memdevOptions,
} from './memdev-params.ts';

/** struct action_context: the JSON array of the commands that print one, the label files. */
export interface ActionContext {
  jdevs: JArr | undefined;
  /** bytes for the -o file (read-labels), or undefined when writing to stdout */
  outFile: string | undefined;
  outData: number[];
  /** the -i file's bytes, or stdin's */
  input: Uint8Array;
  /** whether ftell() can size the input (a file, not a pipe) */
  inputSized: boolean;
}

/** One memdev action: 0 or a negative errno. */
export type MemdevActionFn = (
  env: CmdEnv,
  ml: LogCtx,
  param: MemdevParams,
  m: CxlMemdev,
  actx: ActionContext,
) => number;

/** util_cxl_memdev_filter_by_bus() (ndctl ≥ 78) */
function memdevOnBus(m: CxlMemdev, bus: string | undefined): boolean {
  if (bus === undefined) return true;
  const b = memdevBus(m);
  return b !== undefined && busFilter(b, bus);
}

/** The positional argument checks: the number of arguments to act on, or an exit. */
function validateArgs(
  ml: LogCtx,
  param: MemdevParams,
  args: string[],
): { argc: number; err: number } {
  let argc = args.length;
  let err = 0;
  for (let i = 0; i < argc; i++) {
    const a = args[i] as string;
    if (param.serial) {
      const { end } = strtoullEnd(a, 0);
      if (end === a.length) continue;
    } else {
      if (a === 'all') {
        argc = 1;
        break;
      }
      if (scanPrefixInt(a, 'mem') !== undefined || scanPrefixInt(a, '') !== undefined) continue;
    }
    ml.err(
      'memdev_action',
      `'${a}' is not a valid memdev ${param.serial ? 'serial number' : 'name'}\n`,
    );
    err++;
  }
  return { argc, err };
}

/** memdev_action(): the count of successful actions, or a negative errno; or an exit code. */
function memdevAction(
  env: CmdEnv,
  ml: LogCtx,
  cmd: MemdevCommand,
  action: MemdevActionFn,
  argv: readonly string[],
  param: MemdevParams,
): number | { exit: number } {
  const opts = memdevOptions(cmd, env.ndctl);
  const usage = MEMDEV_USAGE[cmd];
  const parsed = parseOptions(argv, opts, usage, param, env.out);
  if ('exit' in parsed) return parsed;
  const args = parsed.args;
  const usageExit = (): { exit: number } => {
    env.out.stderr += usageText(usage, opts);
    return { exit: 129 };
  };
  if (args.length === 0) return usageExit();
  const { argc, err } = validateArgs(ml, param, args);
  const actx: ActionContext = {
    jdevs: undefined,
    outFile: undefined,
    outData: [],
    input: env.stdin ?? new Uint8Array(),
    inputSized: env.stdin !== undefined,
  };
  if (
    cmd === 'set-partition' ||
    cmd === 'reserve-dpa' ||
    cmd === 'free-dpa' ||
    cmd === 'update-firmware' ||
    cmd === 'set-alert-config'
  )
    actx.jdevs = jArr();
  if (err === argc) return usageExit();
  // fopen() of -o ("w+": created and truncated before any action) and -i
  const opened = (file: string, open: () => void): number => {
    try {
      open();
      return 0;
    } catch (e) {
      const err = isErrno(e) ? e : new Errno('EIO');
      ml.err('memdev_action', `failed to open: ${file}: (${strerrorRc(err.errno)})\n`);
      return err.errno;
    }
  };
  if (param.outfile !== undefined) {
    const file = param.outfile;
    const rc = opened(file, () => env.files.write(file, new Uint8Array()));
    if (rc) return rc;
    actx.outFile = file;
  }
  if (param.infile !== undefined) {
    const file = param.infile;
    const rc = opened(file, () => {
      actx.input = env.files.read(file);
      actx.inputSized = true;
    });
    if (rc) return rc;
  }
  ml.priority = param.verbose ? LOG.DEBUG : LOG.INFO;
  let rc = 0;
  let errRc = 0;
  let count = 0;
  let single: CxlMemdev | undefined;
  for (const a of args.slice(0, argc)) {
    let found = false;
    for (const m of [...cxlMemdevs(env.ctx)]) {
      const hit = param.serial ? memdevFilter(m, undefined, a) : memdevFilter(m, a, undefined);
      if (!hit) continue;
      if (ndctlHas(env.ndctl, 'memdevBusFilter') && !memdevOnBus(m, param.bus)) continue;
      found = true;
      if (cmd === 'write-labels') {
        single = m;
        rc = 0;
      } else rc = action(env, ml, param, m, actx);
      if (rc === 0) count++;
      else if (!errRc) errRc = rc;
    }
    if (!found) ml.info('memdev_action', `no memdev matches ${a}\n`);
  }
  rc = errRc;
  if (cmd === 'write-labels') {
    if (count > 1) {
      env.out.error('write-labels only supports writing a single memdev\n');
      return usageExit();
    }
    if (single) {
      rc = action(env, ml, param, single, actx);
      if (rc) count = 0;
    }
  }
  if (actx.jdevs) displayJsonArray(env.out, actx.jdevs, env.isTty ? UTIL_JSON.HUMAN : 0, env.ndctl);
  if (actx.outFile !== undefined && actx.outData.length > 0) {
    env.files.write(actx.outFile, Uint8Array.from(actx.outData));
  }
  return count > 0 ? count : rc;
}

/** The summary line of each command: "<what> <n> <noun>" with an "s" when n > 1. */
const SUMMARY: Record<MemdevCommand, [string, string, string]> = {
  'write-labels': ['cmd_write_labels', 'wrote', 'mem'],
  'read-labels': ['cmd_read_labels', 'read', 'mem'],
  'zero-labels': ['cmd_zero_labels', 'zeroed', 'mem'],
  'disable-memdev': ['cmd_disable_memdev', 'disabled', 'mem'],
  'enable-memdev': ['cmd_enable_memdev', 'enabled', 'mem'],
  'set-partition': ['cmd_set_partition', 'set_partition', 'mem'],
  'reserve-dpa': ['cmd_reserve_dpa', 'reservation completed on', 'mem device'],
  'free-dpa': ['cmd_free_dpa', 'reservation release completed on', 'mem device'],
  'wait-sanitize': ['cmd_wait_sanitize', 'wait sanitize completed on', 'mem device'],
  'update-firmware': ['cmd_update_fw', 'firmware update started on', 'mem device'],
  'set-alert-config': ['cmd_set_alert_config', 'set alert configuration for', 'mem'],
};

/** cmd_<name>(): runs the memdev command with its action. */
export function cmdMemdev(
  env: CmdEnv,
  cmd: MemdevCommand,
  action: MemdevActionFn,
  argv: readonly string[],
): CmdResult {
  const ml = new LogCtx(env.out, 'cxl memdev');
  // the static `param` of cxl/memdev.c, filled by memdev_action()'s option parsing
  const param = defaultMemdevParams();
  const count = memdevAction(env, ml, cmd, action, argv, param);
  if (typeof count !== 'number') return done(env, count.exit);
  const [fn, ok, noun] = SUMMARY[cmd];
  // cmd_wait_sanitize() says "completed" or "failed"
  let what = cmd === 'wait-sanitize' && count < 0 ? 'wait sanitize failed on' : ok;
  // cmd_update_fw(): the operation named from the options memdev_action() parsed
  if (cmd === 'update-firmware')
    what = `firmware update ${param.cancel ? 'cancelled' : param.wait ? 'completed' : 'started'} on`;
  const n = count >= 0 ? count : 0;
  ml.info(fn, `${what} ${n} ${noun}${count > 1 ? 's' : ''}\n`);
  return done(env, count >= 0 ? 0 : 1);
}

/** action_enable(): cxl_memdev_enable(). */
export const actionEnable: MemdevActionFn = (_env, _ml, _param, m) => memdevEnable(m);

/** action_disable(): up to 78 an enabled memdev is assumed in a region; 79 on asks decoders_committed. */
export const actionDisable: MemdevActionFn = (env, ml, param, m) => {
  const name = memdevName(m);
  if (!memdevIsEnabled(m)) return 0;
  if (ndctlHas(env.ndctl, 'memdevDisableChecksCommitted')) {
    const ep = memdevEndpoint(m);
    if (!ep) return negErrno('ENODEV');
    if (ep.decodersCommitted) {
      ml.err('action_disable', `${name} is part of an active region\n`);
      if (!param.force) return negErrno('EBUSY');
      ml.err('action_disable', `Forcing ${name} disable with an active region!\n`);
    }
  } else if (!param.force) {
    ml.err('action_disable', `${name} is part of an active region\n`);
    return negErrno('EBUSY');
  }
  return memdevDisableInvalidate(m);
};

/** Virtual ms between two looks at security/state while emulating poll(2) on it. */
const POLL_STEP_MS = 100;
/** An infinite poll(2) gives up after a day of virtual time (a sanitize never ended). */
const POLL_FOREVER_LIMIT_MS = 24 * 3600 * 1000;

/**
 * action_wait_sanitize(): cxl_memdev_wait_sanitize() — no security/state: nothing to wait
 * for; a state other than "sanitize": done; else poll(2) on the attribute for the kernel's
 * sysfs_notify (-t ms, -1 forever) and read it again: "sanitize" still → "sanitize wake
 * error" (ENXIO); timeout → ETIMEDOUT. cxlsim emulates the poll by sleeping in the guest's
 * virtual time (env.sleep, which runs the kernel's sanitize poll work) and re-reading the state
 * every 100 ms; without a way to sleep, the poll times out at once.
 */
export const actionWaitSanitize: MemdevActionFn = (env, ml, param, m) => {
  const path = `${m.devPath}/security/state`;
  const rel = path.replace(/^\/sys\//, '');
  const read = (): string => {
    const v = env.ctx.view.read(rel);
    return typeof v === 'string' ? v : Buffer.from(v).toString('latin1');
  };
  let state: string;
  try {
    state = read();
  } catch (e) {
    if (isErrno(e) && e.code === 'ENOENT') return 0;
    ml.err('cxl_memdev_wait_sanitize', `${path}: ${isErrno(e) ? e.message : 'I/O error'}\n`);
    return negErrno(isErrno(e) ? e.code : 'EIO');
  }
  if (!state.startsWith('sanitize')) return 0;
  const sleep = env.sleep;
  const limit = param.timeout < 0 ? POLL_FOREVER_LIMIT_MS : param.timeout;
  for (let waited = 0; sleep && waited < limit; ) {
    const step = Math.min(POLL_STEP_MS, limit - waited);
    sleep(step);
    waited += step;
    try {
      state = read();
    } catch {
      state = '';
    }
    if (!state.startsWith('sanitize')) {
      // the notify woke the poll; the second pread() must not read "sanitize"
      if (state === '') {
        ml.err('cxl_memdev_wait_sanitize', `${memdevName(m)}: sanitize wake error\n`);
        return negErrno('ENXIO');
      }
      return 0;
    }
  }
  return negErrno('ETIMEDOUT');
};
