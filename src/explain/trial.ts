/**
 * DOC: replaying one attempt on a scratch copy of the machine, with dynamic debug forced on so
 * that every dev_dbg the kernel makes is seen: an ndctl command (run by the ndctl emulation
 * through /sys and the memdev ioctls, as the CLI runs it) or a single sysfs write. The outcome
 * records every write with its errno, the first refused write that matters (ndctl's probing
 * of driver binds is expected to be refused and is ignored) with the kernel lines it produced,
 * and ndctl's own error lines.
 */
import { Errno, type ErrnoName } from '../kernel/errno.ts';
import type { CheckEvent } from '../kernel/log.ts';
import type { Machine } from '../machine.ts';
import { cxlCommand } from '../ndctl/index.ts';
import type { SysfsView } from '../sysfs/view.ts';

/** What is replayed. */
export type Attempt =
  | { kind: 'command'; argv: string[] }
  | { kind: 'write'; path: string; value: string };

/** One write made during the attempt. */
export interface TrialWrite {
  path: string;
  value: string;
  errno?: ErrnoName;
  /** Kernel lines ("<level>text") logged by this write. */
  kernel: string[];
  /** The check events the kernel logged with those lines, in order, each with its line's text. */
  checks: LoggedCheck[];
}

/** A check event (kernel/log.ts CheckEvent) and the text of the dmesg line it came with. */
export type LoggedCheck = CheckEvent & { text: string };

/** What the attempt did. */
export interface Outcome {
  ok: boolean;
  code: number;
  stdout: string;
  stderr: string;
  writes: TrialWrite[];
  /** The refused write that made the attempt fail. */
  failed?: TrialWrite;
  /** ndctl's own error lines (stderr without the "created N regions" summary). */
  tool: string[];
  /** Every kernel line of the attempt. */
  kernel: string[];
}

/** ndctl tries every driver on a new device; those refusals are expected. */
export const isBindProbe = (path: string) => /^bus\/cxl\/drivers\/[^/]+\/bind$/.test(path);

const lines = (m: Machine, mark: number) =>
  m.kernel.log.since(mark).map((l) => `<${l.level}>${l.text}`);

const checks = (m: Machine, mark: number): LoggedCheck[] =>
  m.kernel.log.since(mark).flatMap((l) => (l.check ? [{ ...l.check, text: l.text }] : []));

/** A SysfsView that records each write with its errno and kernel lines. */
function tracing(m: Machine, writes: TrialWrite[]): SysfsView {
  const v = m.sysfs;
  return {
    lstat: (p) => v.lstat(p),
    readdir: (p) => v.readdir(p),
    readlink: (p) => v.readlink(p),
    read: (p) => v.read(p),
    realpath: (p) => v.realpath(p),
    write(path, value) {
      const mark = m.kernel.log.mark();
      const w: TrialWrite = { path, value, kernel: [], checks: [] };
      writes.push(w);
      try {
        v.write(path, value);
      } catch (e) {
        if (e instanceof Errno) w.errno = e.code;
        throw e;
      } finally {
        w.kernel = lines(m, mark);
        w.checks = checks(m, mark);
      }
    },
  };
}

/** Runs `a` on `m` (which it changes): dynamic debug on, everything recorded. */
export function runAttempt(m: Machine, a: Attempt): Outcome {
  m.kernel.log.dyndbg = true;
  const mark = m.kernel.log.mark();
  const writes: TrialWrite[] = [];
  const view = tracing(m, writes);
  if (a.kind === 'write') {
    let code = 0;
    try {
      view.write(a.path, a.value);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      code = 1;
    }
    const failed = writes.find((w) => w.errno !== undefined);
    return {
      ok: code === 0,
      code,
      stdout: '',
      stderr: '',
      writes,
      ...(failed ? { failed } : {}),
      tool: [],
      kernel: lines(m, mark),
    };
  }
  const r = cxlCommand(view, m.ioctl, a.argv, { ndctl: m.profile.ndctl, isTty: false });
  const tool = r.stderr
    .split('\n')
    .filter((l) => l && !/cmd_\w+: (created|destroyed|enabled|disabled) \d+ /.test(l));
  const failed = writes.find((w) => w.errno !== undefined && !isBindProbe(w.path));
  const created = /created [1-9]\d* region/.test(r.stderr);
  const ok =
    r.code === 0 && !failed && (a.argv[0] !== 'create-region' || created) && tool.length === 0;
  return {
    ok,
    code: r.code,
    stdout: r.stdout,
    stderr: r.stderr,
    writes,
    ...(failed ? { failed } : {}),
    tool,
    kernel: lines(m, mark),
  };
}
