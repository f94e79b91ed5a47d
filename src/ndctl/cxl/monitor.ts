/**
 * DOC: `cxl monitor` — ndctl's cxl/monitor.c cmd_monitor() and monitor_event() (the same in
 * v81; v85 is not in the ndctl mirror cxlsim reads, so 85 follows 81).
 *
 * Options: -l/--log <file> | standard (OPT_FILENAME with prefix "./": a relative name becomes
 * "./name", `standard` is "./standard", meaning the terminal), --daemon, -u/--human (pretty
 * JSON), -v/--verbose (LOG_DEBUG; the monitor logs nothing at debug level). A positional
 * argument: `  Error: unknown parameter "x"` and the usage (exit 129). --daemon with a relative
 * or standard log: `  Error: relative path or 'standard' are not compatible with daemon mode`
 * (-EINVAL: exit 234). The log is "./standard" unless -l, or /var/log/cxl-monitor.log with
 * --daemon. To the terminal (log_standard()) each event's JSON goes to stderr (notice is not
 * LOG_INFO); to a file (log_file(), opened "a+": an open failure is
 * `  Error: open F failed: -N`) notice lines are written bare and other lines get
 * "[sec.nsec] [pid] ".
 *
 * monitor_event(): tracefs instance "cxl_monitor" (its creation failing:
 * "tracefs_instance_create( failed: -N", sic), its trace_pipe opened, every cxl event enabled
 * (trace_event_enable(): "trace_event_enable() failed: -N"), tracing on; then each wake-up
 * parses the instance's raw buffer (util/event-trace.ts) and logs one JSON line per event
 * (JSON_C_TO_STRING_PLAIN, or PRETTY with -u).
 *
 * Before ndctl 78 (NDCTL_SINCE.monitorDefaultLog) there is no daemon check and no default log:
 * --daemon without -l logs to the terminal, which daemon(3) has closed, and `-l standard`
 * with --daemon is a file named ./standard. Before 80 (eventArraysAsNumbers) the enable
 * failure reads "cxl_trace_event_enable() failed: -N" and char/u8 arrays print as strings.
 * On debian-12 (6.1) the kernel has no cxl event: the enable fails (-ENOENT assumed: the errno
 * libtracefs leaves when no system matches is whatever it last set).
 *
 * cxlsim behaviour: the real monitor waits on epoll for ever (it has no --timeout in v81);
 * cxlsim's drains what the instance holds once and exits 0 (with --daemon: the daemon's log
 * lines are written to the log file and the command exits 0, as the parent of daemon(3) does).
 */
import { ERRNO, type ErrnoName, errnoNumber } from '../../kernel/errno.ts';
import type { CxlCtx } from '../lib/types.ts';
import {
  eventToJson,
  instanceFile,
  traceEventEnable,
  tracefsInstanceCreate,
  tracefsIterateRawEvents,
  tracefsLocalEvents,
} from '../util/event-trace.ts';
import { type JVal, toJsonPlain, toJsonPretty } from '../util/jsonc.ts';
import {
  type OptSpec,
  optBool,
  optString,
  parseOptions,
  usageText,
} from '../util/parse-options.ts';
import { Output } from '../util/print.ts';
import { ndctlHas } from '../versions.ts';
import { type CmdEnv, type CmdResult, done } from './env.ts';

const USAGE = 'cxl monitor [<options>]';
/** default_log: the daemon's log file. */
const DEFAULT_LOG = '/var/log/cxl-monitor.log';
/** cxl_system. */
const CXL_SYSTEM = 'cxl';
/** The instance monitor_event() creates. */
export const MONITOR_INSTANCE = 'cxl_monitor';
const EINVAL = 22;

interface MonitorParams {
  log: string | undefined;
  daemon: boolean;
  human: boolean;
  verbose: boolean;
  [k: string]: string | boolean | undefined;
}

const OPTIONS: OptSpec[] = [
  optString('l', 'log', 'log', '<file> | standard', "where to output the monitor's notification"),
  optBool('', 'daemon', 'daemon', 'run cxl monitor as a daemon'),
  optBool('u', 'human', 'human', 'use human friendly output formats'),
  optBool('v', 'verbose', 'verbose', 'emit extra debug messages to log'),
];

/** The monitor's log_ctx: where its lines go (log_standard() or log_file()). */
interface MonitorLog {
  /** notice(): the event JSON. */
  notice(line: string): void;
  /** err(), info(). */
  other(line: string): void;
}

/** log_standard(): LOG_INFO to stdout, everything else (notice, err) to stderr. */
function standardLog(out: Output): MonitorLog {
  return {
    notice: (l) => {
      out.stderr += l;
    },
    other: (l) => {
      out.stderr += l;
    },
  };
}

/** log_file(): notice lines bare, others after "[%10ld.%09ld] [%d] " (CLOCK_REALTIME, pid). */
function fileLog(lines: string[]): MonitorLog {
  return {
    notice: (l) => lines.push(l),
    other: (l) => {
      const ns = BigInt(Date.now()) * 1000000n;
      const sec = (ns / 1000000000n).toString().padStart(10);
      const nsec = (ns % 1000000000n).toString().padStart(9, '0');
      lines.push(`[${sec}.${nsec}] [${process.pid}] ${l}`);
    },
  };
}

/** monitor_event(): the instance, its events, one drain of its raw buffer (see the DOC). */
function monitorEvent(ctx: CxlCtx, log: MonitorLog, human: boolean): number {
  if (!tracefsInstanceCreate(ctx, MONITOR_INSTANCE)) {
    log.other('tracefs_instance_create( failed: -2\n');
    return -2;
  }
  if (ctx.view.lstat(instanceFile(MONITOR_INSTANCE, 'trace_pipe'))?.kind !== 'file') {
    log.other('tracefs_instance_file_open() err: -2\n');
    return -2;
  }
  const rc = traceEventEnable(ctx, MONITOR_INSTANCE, CXL_SYSTEM);
  const v80 = ndctlHas(ctx.ndctl, 'eventArraysAsNumbers');
  if (rc < 0) {
    log.other(`${v80 ? 'trace_event_enable' : 'cxl_trace_event_enable'}() failed: ${rc}\n`);
    return rc;
  }
  // one wake-up of the epoll loop: parse what the instance holds
  const tep = tracefsLocalEvents(ctx);
  const jsons: JVal[] = [];
  tracefsIterateRawEvents(ctx, MONITOR_INSTANCE, tep, (ev, rec) => {
    if (ev.system === CXL_SYSTEM) jsons.push(eventToJson(ev, rec, v80));
  });
  for (const j of jsons)
    log.notice(`${human ? toJsonPretty(j, ctx.ndctl) : toJsonPlain(j, ctx.ndctl)}\n`);
  return 0;
}

/** cmd_monitor(). */
export function cmdMonitor(env: CmdEnv, argv: readonly string[]): CmdResult {
  const p: MonitorParams = { log: undefined, daemon: false, human: false, verbose: false };
  const parsed = parseOptions(argv, OPTIONS, USAGE, p, env.out);
  if ('exit' in parsed) return done(env, parsed.exit);
  if (parsed.args.length > 0) {
    for (const a of parsed.args) env.out.error(`unknown parameter "${a}"`);
    env.out.stderr += usageText(USAGE, OPTIONS);
    return done(env, 129);
  }
  // OPT_FILENAME under parse_options_prefix(…, "./", …)
  const given = p.log === undefined ? undefined : p.log.startsWith('/') ? p.log : `./${p.log}`;
  let logPath: string;
  let standard: boolean;
  if (ndctlHas(env.ndctl, 'monitorDefaultLog')) {
    if (p.daemon && given?.startsWith('./')) {
      env.out.error("relative path or 'standard' are not compatible with daemon mode");
      return done(env, -EINVAL & 0xff);
    }
    logPath = given ?? (p.daemon ? DEFAULT_LOG : './standard');
    standard = logPath === './standard';
  } else {
    // before 78: the terminal unless -l names a file (`standard` with --daemon is a file)
    logPath = given ?? './standard';
    standard = given === undefined || (given === './standard' && !p.daemon);
  }
  if (standard) {
    // daemon(0, 0) sends the daemon's stdio to /dev/null: nothing is seen
    const rc = monitorEvent(env.ctx, standardLog(p.daemon ? new Output() : env.out), p.human);
    return done(env, p.daemon ? 0 : rc & 0xff);
  }
  let previous: Uint8Array;
  try {
    previous = env.files.read(logPath);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'ENOENT') {
      env.out.error(`open ${logPath} failed: -${errnoNumberOf(code)}`);
      return done(env, -errnoNumberOf(code) & 0xff);
    }
    previous = new Uint8Array(0);
  }
  const lines: string[] = [];
  const log = fileLog(lines);
  if (p.daemon) log.other('cxl monitor daemon started.\n');
  const rc = monitorEvent(env.ctx, log, p.human);
  const added = new TextEncoder().encode(lines.join(''));
  const all = new Uint8Array(previous.length + added.length);
  all.set(previous);
  all.set(added, previous.length);
  try {
    env.files.write(logPath, all);
  } catch (e) {
    const code = (e as { code?: string }).code;
    env.out.error(`open ${logPath} failed: -${errnoNumberOf(code)}`);
    return done(env, -errnoNumberOf(code) & 0xff);
  }
  // daemon(3): the parent exits 0 at once; the daemon's status is nobody's
  return done(env, p.daemon ? 0 : rc & 0xff);
}

/** errno value of an Errno name from the file layer (EIO when unknown). */
function errnoNumberOf(code: string | undefined): number {
  return code && code in ERRNO ? errnoNumber(code as ErrnoName) : errnoNumber('EIO');
}
