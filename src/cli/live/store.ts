/**
 * DOC: the machine a long-running cxlsim (`serve`, `run`) holds, kept equal to the journal.
 *
 * The state directory stays the single source of truth: the live machine is booted and
 * replayed from the journal (session.ts bootState/replay) and every change made through it
 * (a sysfs write, a state-changing memdev ioctl, a `modprobe cxl_test` re-boot) is journaled
 * under the state lock exactly as `cxlsim sysfs write` / the ndctl commands journal it, so a
 * later `cxlsim list` sees what the real tool did. Another cxlsim may change the journal
 * meanwhile (`cxlsim create-region`, `cxlsim boot`): every operation first compares the
 * journal file's identity (inode, size, mtime) with the one the machine was built from, and
 * re-boots from the journal when it changed.
 */
import { statSync } from 'node:fs';
import { guestNow } from '../../drivers/workqueue.ts';
import { Errno } from '../../kernel/errno.ts';
import { DEFAULT_TASK_PID, kernelTrace } from '../../kernel/trace.ts';
import type { Machine } from '../../machine.ts';
import type { CxlMemIoctl } from '../../ndctl/lib/ioctl.ts';
import type { Profile } from '../../profile.ts';
import { resolveProfile } from '../../profile.ts';
import { commandNote } from '../../state/ops.ts';
import type { SysfsView } from '../../sysfs/view.ts';
import type { CliIo } from '../io.ts';
import { type StateLock, withStateLock } from '../lock.ts';
import { recordingIoctl, recordingSysfs } from '../recording.ts';
import { bootState, type CliContext, DEFAULT_PRESET, replay, type Session } from '../session.ts';
import {
  type JournalOp,
  type MachineState,
  newState,
  readState,
  stateFile,
  writeState,
} from '../state.ts';

/**
 * How long a check that the journal is unchanged holds, ms: a change by another process is
 * seen by operations starting later than this after it (a process start takes longer).
 */
const FRESH_MS = 20;

/** Identity of the journal file: changes whenever another process rewrites it. */
function stamp(dir: string): string {
  try {
    const s = statSync(stateFile(dir), { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return 'absent';
  }
}

/** The live, journal-backed machine of one state directory. */
export class LiveMachine {
  /**
   * The pid the next /sys write comes from (announced by `cxlsim run`'s shim just before its
   * write(2)); the trace events that write causes record it. Used once, then reset.
   */
  taskPid = DEFAULT_TASK_PID;
  private m: Machine | undefined;
  private st: MachineState | undefined;
  private seen = '';
  private loading: Promise<void> | undefined;

  private readonly ctx: CliContext;
  constructor(ctx: CliContext) {
    this.ctx = ctx;
  }

  /** The state directory whose machine this is (absolute). */
  get stateDir(): string {
    return this.ctx.stateDir;
  }

  /** The profile of the machine (after {@link load}). */
  get profile(): Profile {
    if (!this.st) throw new Error('cxlsim: live machine not loaded');
    return this.st.profile;
  }

  /**
   * Boots and replays the journal (the default preset when there is none, recorded as
   * `cxlsim list` would). @throws CliError when the journal cannot be read or replayed
   */
  async load(): Promise<void> {
    await withStateLock(this.ctx.stateDir, (lock) => this.loadLocked(lock), this.lockTimeout());
  }

  private lockTimeout(): number | undefined {
    return Number(this.ctx.io.env.CXLSIM_LOCK_TIMEOUT_MS ?? '') || undefined;
  }

  /** {@link load}, the lock being held. */
  private async loadLocked(lock: StateLock): Promise<void> {
    let st = readState(this.ctx.stateDir);
    if (!st) {
      st = newState(
        { kind: 'preset', name: DEFAULT_PRESET },
        resolveProfile(undefined),
        false,
        this.ctx.version,
      );
      writeState(this.ctx.stateDir, st, () => lock.assertHeld());
    }
    const seen = stamp(this.ctx.stateDir);
    const m = replay(await bootState(this.ctx.deps, st), st.ops, stateFile(this.ctx.stateDir));
    this.m = m;
    this.st = st;
    this.seen = seen;
  }

  /** Milliseconds since the journal's identity was last compared (see {@link fresh}). */
  private checkedAt = 0;

  /**
   * The machine when it is known to match the journal, without waiting; undefined when it
   * must be (re)loaded first ({@link current}). The journal file is stat()ed at most once per
   * {@link FRESH_MS} (a FUSE walk asks thousands of times a second).
   */
  fresh(): Machine | undefined {
    if (!this.m || this.loading) return undefined;
    const now = performance.now();
    if (now - this.checkedAt < FRESH_MS) return this.m;
    if (stamp(this.ctx.stateDir) !== this.seen) return undefined;
    this.checkedAt = now;
    return this.m;
  }

  /**
   * The machine, re-booted first if another process changed the journal. Concurrent callers
   * share one reload.
   */
  async current(): Promise<Machine> {
    const f = this.fresh();
    if (f) return f;
    if (this.loading) await this.loading;
    if (!this.m || stamp(this.ctx.stateDir) !== this.seen) {
      this.loading ??= this.load().finally(() => {
        this.loading = undefined;
      });
      await this.loading;
    }
    return this.m as Machine;
  }

  /** The machine without the freshness check (for reads that must not wait). */
  get machine(): Machine | undefined {
    return this.m;
  }

  /**
   * Runs `fn` on the up-to-date machine under the state lock, with journaling views; the
   * operations it journals are appended to the journal before the lock is released.
   */
  async change<T>(
    fn: (sysfs: SysfsView, ioctl: CxlMemIoctl) => T,
    pid = DEFAULT_TASK_PID,
  ): Promise<T> {
    return this.session(({ machine: m, journal }) => {
      const trace = kernelTrace(m.kernel);
      trace.pid = pid;
      try {
        return fn(recordingSysfs(m.sysfs, journal), recordingIoctl(m.ioctl, journal));
      } finally {
        trace.pid = DEFAULT_TASK_PID;
      }
    });
  }

  /**
   * A CLI command's session on the live machine (a command forwarded to `cxlsim serve`,
   * live/forward.ts): as session.ts withMachine() — under the state lock, re-booted first if
   * another process changed the journal — but without booting or replaying; what `fn`
   * journals is appended (sysfs writes and ioctls with their guest time, as {@link change}
   * records them), `note` first as the `command` entry with the code `fn` returned.
   */
  async session<T>(fn: (s: Session) => Promise<T> | T, note?: string[]): Promise<T> {
    if (this.loading) await this.loading;
    return withStateLock(
      this.ctx.stateDir,
      async (lock) => {
        if (!this.m || stamp(this.ctx.stateDir) !== this.seen) await this.loadLocked(lock);
        const m = this.m as Machine;
        const st = this.st as MachineState;
        const pending: JournalOp[] = [];
        const journal = (op: JournalOp) => {
          const at = guestNow(m.kernel);
          pending.push(
            at !== undefined && (op.kind === 'sysfs-write' || op.kind === 'ioctl')
              ? { ...op, at: String(at) }
              : op,
          );
        };
        let code = -1;
        try {
          const r = await fn({ machine: m, state: st, journal });
          code = typeof r === 'number' ? r : 0;
          return r;
        } finally {
          if (note) pending.unshift(commandNote(note, code, pending.length));
          if (pending.length > 0) {
            const next = { ...st, ops: [...st.ops, ...pending] };
            writeState(this.ctx.stateDir, next, () => lock.assertHeld());
            this.st = next;
            this.seen = stamp(this.ctx.stateDir);
            this.checkedAt = performance.now();
          }
        }
      },
      this.lockTimeout(),
    );
  }

  /**
   * Runs a cxlsim command line in this process on the live machine ({@link session} is its
   * machine), as another cxlsim process on this state directory forwarded it (forward.ts).
   * @returns its exit code; its output goes to `io`
   */
  runCli(argv: string[], io: CliIo): Promise<number> {
    const run = this.ctx.runCli;
    if (!run) throw new Error('cxlsim: no CLI in this process');
    return run(argv, io, (fn, note) => this.session(fn, note));
  }

  /**
   * `echo VALUE > /sys/PATH` through the journal (as `cxlsim sysfs write`; libcxl's
   * bus/cxl/flush is not journaled, as for the ndctl commands).
   * @returns false when the write provably left the tree as it was (a bus/cxl/flush that ran
   *   no work adding, removing, binding or unbinding a device: `kernel.generation` and
   *   `kernel.bindings` did not move), true otherwise; the mount skips its cache settle for false
   * @throws the kernel's Errno when the store refuses the value (journaled with it)
   */
  async write(path: string, value: string): Promise<boolean> {
    const pid = this.taskPid;
    this.taskPid = DEFAULT_TASK_PID;
    if (path === 'bus/cxl/flush') {
      const m = await this.current();
      const before = [m.kernel.generation, m.kernel.bindings];
      m.sysfs.write(path, value);
      return m.kernel.generation !== before[0] || m.kernel.bindings !== before[1];
    }
    await this.change((sysfs) => sysfs.write(path, value), pid);
    return true;
  }

  /**
   * Replaces the machine by a fresh boot of `preset` on the current profile (what
   * `modprobe cxl_test` means here), journaled like `cxlsim boot --preset`.
   */
  async bootPreset(preset: string): Promise<void> {
    if (this.loading) await this.loading;
    await withStateLock(
      this.ctx.stateDir,
      async (lock) => {
        const old = readState(this.ctx.stateDir);
        const profile = old?.profile ?? resolveProfile(undefined);
        const st = newState(
          { kind: 'preset', name: preset },
          profile,
          old?.dyndbg ?? false,
          this.ctx.version,
        );
        const m = await bootState(this.ctx.deps, st);
        writeState(this.ctx.stateDir, st, () => lock.assertHeld());
        this.m = m;
        this.st = st;
        this.seen = stamp(this.ctx.stateDir);
      },
      this.lockTimeout(),
    );
  }
}

/** Errno name of an error thrown by the store, or undefined for a non-Errno. */
export function errnoOf(e: unknown): string | undefined {
  return e instanceof Errno ? e.code : undefined;
}
