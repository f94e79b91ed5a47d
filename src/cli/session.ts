/**
 * DOC: one CLI invocation's machine: lock the state directory, re-boot the journaled
 * machine, replay its operations, run the command, append what it journaled, unlock.
 * When the process was started from a machine snapshot that holds a prefix of the journal
 * (src/state/snapshot.ts), only the operations after it are replayed; after the command a
 * new snapshot is built when the journal has outgrown the old one (snapshot/build.ts).
 *
 * With no machine booted yet, the `default` preset is booted on the default profile (so
 * `cxlsim list` works on a fresh checkout) and recorded. If replay fails (the journal does
 * not match what this cxlsim does any more), the state file is reported and left alone.
 */

import type { VmmOptions } from '../hw/vmm/options.ts';
import { Errno } from '../kernel/errno.ts';
import type { Machine } from '../machine.ts';
import { resolveProfile } from '../profile.ts';
import { removeDeadTemps } from '../state/atomic.ts';
import { StateError } from '../state/errors.ts';
import { processAlive } from '../state/lock.ts';
import { commandNote } from '../state/ops.ts';
import { replay } from '../state/replay.ts';
import { takePreloaded } from '../state/snapshot.ts';
import type { CliDeps } from './deps.ts';
import type { CliIo } from './io.ts';
import { type StateLock, withStateLock } from './lock.ts';
import { maybeBuildSnapshot } from './snapshot/build.ts';
import {
  type JournalOp,
  type MachineState,
  newState,
  readState,
  stateFile,
  writeState,
} from './state.ts';

/** What every command gets. */
export interface CliContext {
  io: CliIo;
  deps: CliDeps;
  /** Absolute state directory. */
  stateDir: string;
  /** cxlsim's version (package.json). */
  version: string;
  /**
   * Journal a `command` note for this invocation (its argv), before the operations it makes,
   * with the exit code the command returns (ndctl create-region, for `cxlsim explain`).
   */
  note?: string[];
  /**
   * Where {@link withMachine} gets its machine instead of booting the state file: set when a
   * `cxlsim serve` process runs a command forwarded to it (live/forward.ts) on its live machine.
   */
  session?: SessionProvider;
  /**
   * Runs another CLI invocation in this process with `session` as its machine (set by
   * program.ts runCli; `cxlsim serve` answers forwarded commands with it).
   */
  runCli?: (argv: string[], io: CliIo, session: SessionProvider) => Promise<number>;
}

/**
 * Runs `fn` on a machine that matches the journal, under the state lock, and appends what it
 * journals (with `note` as its `command` entry, given the code `fn` returns) before unlocking.
 */
export type SessionProvider = <T>(
  fn: (s: Session) => Promise<T> | T,
  note?: string[],
) => Promise<T>;

/** A booted, replayed machine and the way to journal a new operation. */
export interface Session {
  machine: Machine;
  state: MachineState;
  /** Records an operation that succeeded; saved when the command returns. */
  journal(op: JournalOp): void;
}

/** Removes temp files of state writers that were killed before their rename. */
function cleanTemps(dir: string): void {
  removeDeadTemps(dir, stateFile(dir), (pid) => processAlive(pid));
}

/** The preset booted when a command needs a machine and none is recorded. */
export const DEFAULT_PRESET = 'default';

/** Boots the machine a journal describes (no replay). */
export async function bootState(deps: CliDeps, st: MachineState): Promise<Machine> {
  const topology = await deps.topology(st.input, st.profile);
  const vfio = st.vfio ? await vmmOptions(st.vfio) : undefined;
  return deps.boot(topology, { profile: st.profile, dyndbg: st.dyndbg, ...(vfio ? { vfio } : {}) });
}

/**
 * Boots the machine of a state file: an input that no longer parses or boots is the state
 * file's fault (it was checked when it was stored), so the error names the file.
 * @throws StateError "state file F cannot be booted (<the error>); remove it or use --state"
 */
async function bootStored(deps: CliDeps, st: MachineState, file: string): Promise<Machine> {
  try {
    return await bootState(deps, st);
  } catch (e) {
    if (!(e instanceof Errno)) throw e;
    throw new StateError(
      `state file ${file} cannot be booted (${e.describe()}); remove it or use --state`,
    );
  }
}

/** The VMM options a journal records (the host-device file is parsed here, lazily). */
async function vmmOptions(v: NonNullable<MachineState['vfio']>): Promise<VmmOptions> {
  const o: VmmOptions = {};
  if (v.placement) o.placement = v.placement;
  if (v.hosts) {
    const { parseHostDeviceFile } = await import('../hw/vmm/host-file.ts');
    o.hosts = parseHostDeviceFile(v.hosts.text, v.hosts.path);
  }
  return o;
}

export { replay } from '../state/replay.ts';

/**
 * Runs `fn` on the persisted machine under the state lock; journaled operations are
 * appended atomically when `fn` returns (even if it then throws). With `ctx.session` (a
 * command forwarded to `cxlsim serve`), the serving process's live machine instead.
 */
export async function withMachine<T>(
  ctx: CliContext,
  fn: (s: Session) => Promise<T> | T,
): Promise<T> {
  if (ctx.session) return ctx.session(fn, ctx.note);
  const timeout = Number(ctx.io.env.CXLSIM_LOCK_TIMEOUT_MS ?? '') || undefined;
  return withStateLock(
    ctx.stateDir,
    async (lock) => {
      cleanTemps(ctx.stateDir);
      let st = readState(ctx.stateDir);
      const fresh = st === undefined;
      if (!st)
        st = newState(
          { kind: 'preset', name: DEFAULT_PRESET },
          resolveProfile(undefined),
          false,
          ctx.version,
        );
      // a snapshot's machine (this process was started from one) holds ops[0…n)
      const pre = takePreloaded(st);
      const machine = pre
        ? replay(pre.machine, st.ops, stateFile(ctx.stateDir), pre.n)
        : replay(
            await bootStored(ctx.deps, st, stateFile(ctx.stateDir)),
            st.ops,
            stateFile(ctx.stateDir),
          );
      const pending: JournalOp[] = [];
      const base = st;
      let code = -1;
      try {
        const r = await fn({ machine, state: st, journal: (op) => void pending.push(op) });
        code = typeof r === 'number' ? r : 0;
        return r;
      } finally {
        if (ctx.note) pending.unshift(commandNote(ctx.note, code, pending.length));
        const next = { ...base, ops: [...base.ops, ...pending] };
        if (fresh || pending.length > 0) writeState(ctx.stateDir, next, () => lock.assertHeld());
        maybeBuildSnapshot(ctx.stateDir, next, ctx.io.env);
      }
    },
    timeout,
  );
}

/** Runs `fn` under the state lock only (boot replaces the machine). */
export async function withLockedState<T>(
  ctx: CliContext,
  fn: (old: MachineState | undefined, lock: StateLock) => Promise<T>,
): Promise<T> {
  const timeout = Number(ctx.io.env.CXLSIM_LOCK_TIMEOUT_MS ?? '') || undefined;
  return withStateLock(
    ctx.stateDir,
    async (lock) => {
      cleanTemps(ctx.stateDir);
      return fn(readState(ctx.stateDir), lock);
    },
    timeout,
  );
}
