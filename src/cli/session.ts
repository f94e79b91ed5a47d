/**
 * DOC: one CLI invocation's machine: lock the state directory, re-boot the journaled
 * machine, replay its operations, run the command, append what it journaled, unlock.
 *
 * With no machine booted yet, the `default` preset is booted on the default profile (so
 * `cxlsim list` works on a fresh checkout) and recorded. If replay fails (the journal does
 * not match what this cxlsim does any more), the state file is reported and left alone.
 */

import { cxlQmp } from '../hw/qmp/cxl.ts';
import { parseQmpJson, QmpError } from '../hw/qmp/visit.ts';
import type { VmmOptions } from '../hw/vmm/options.ts';
import { Errno } from '../kernel/errno.ts';
import type { Machine } from '../machine.ts';
import { resolveProfile } from '../profile.ts';
import type { CliDeps } from './deps.ts';
import { CliError } from './errors.ts';
import type { CliIo } from './io.ts';
import { withStateLock } from './lock.ts';
import {
  describeOp,
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
}

/** A booted, replayed machine and the way to journal a new operation. */
export interface Session {
  machine: Machine;
  state: MachineState;
  /** Records an operation that succeeded; saved when the command returns. */
  journal(op: JournalOp): void;
}

/** The preset booted when a command needs a machine and none is recorded. */
export const DEFAULT_PRESET = 'default';

/** Boots the machine a journal describes (no replay). */
export async function bootState(deps: CliDeps, st: MachineState): Promise<Machine> {
  const topology = await deps.topology(st.input, st.profile);
  const vfio = st.vfio ? await vmmOptions(st.vfio) : undefined;
  return deps.boot(topology, { profile: st.profile, dyndbg: st.dyndbg, ...(vfio ? { vfio } : {}) });
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

/** A journaled QMP command again. @throws Errno with QEMU's error text if it fails now */
function replayQmp(
  platform: NonNullable<Machine['platform']>,
  command: string,
  args: string,
): void {
  try {
    cxlQmp(platform.functions().values(), command, parseQmpJson(args));
  } catch (e) {
    if (e instanceof QmpError) throw new Errno('EINVAL', e.desc);
    throw e;
  }
}

/**
 * Replays journaled operations on a fresh boot; returns the machine the last one leaves
 * (a `reboot` replaces the guest, keeping the hardware).
 * @throws CliError naming the failing operation
 */
export function replay(m0: Machine, ops: readonly JournalOp[], file: string): Machine {
  let m = m0;
  for (const [i, op] of ops.entries()) {
    try {
      if (op.kind === 'command') continue;
      if (op.kind === 'reboot') {
        if (!m.reboot) throw new Errno('EOPNOTSUPP', 'this machine cannot be rebooted');
        m = m.reboot({ dyndbg: op.dyndbg });
        continue;
      }
      if (op.kind === 'device-add') {
        if (!m.deviceAdd) throw new Errno('EOPNOTSUPP', 'this machine has no hotplug');
        m.deviceAdd(op.spec);
        continue;
      }
      if (op.kind === 'qmp') {
        if (!m.platform) throw new Errno('EOPNOTSUPP', 'this machine has no emulated QEMU');
        replayQmp(m.platform, op.command, op.args);
        continue;
      }
      if (op.kind === 'mem-write') {
        if (!m.platform) throw new Errno('EOPNOTSUPP', 'this machine has no memory bus');
        m.platform.bus.mem.write(BigInt(op.hpa), Uint8Array.from(Buffer.from(op.data, 'hex')));
        continue;
      }
      if (op.kind === 'ioctl') {
        const r = m.ioctl.send(op.memdev, {
          id: op.id,
          payload: Uint8Array.from(Buffer.from(op.payload, 'hex')),
          sizeOut: 0,
        });
        if (r instanceof Errno) throw r;
        continue;
      }
      try {
        m.sysfs.write(op.path, op.value);
      } catch (e) {
        if (e instanceof Errno && op.fails === e.code) continue;
        throw e;
      }
      if (op.fails !== undefined)
        throw new Errno('EINVAL', `succeeded, but was journaled as failing with ${op.fails}`);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      throw new CliError(
        `state file ${file} cannot be replayed (operation ${i + 1}, ${describeOp(op)}, failed: ${e.describe()}); remove it or use --state`,
      );
    }
  }
  return m;
}

/**
 * Runs `fn` on the persisted machine under the state lock; journaled operations are
 * appended atomically when `fn` returns (even if it then throws).
 */
export async function withMachine<T>(
  ctx: CliContext,
  fn: (s: Session) => Promise<T> | T,
): Promise<T> {
  const timeout = Number(ctx.io.env.CXLSIM_LOCK_TIMEOUT_MS ?? '') || undefined;
  return withStateLock(
    ctx.stateDir,
    async () => {
      let st = readState(ctx.stateDir);
      const fresh = st === undefined;
      if (!st)
        st = newState(
          { kind: 'preset', name: DEFAULT_PRESET },
          resolveProfile(undefined),
          false,
          ctx.version,
        );
      const machine = replay(await bootState(ctx.deps, st), st.ops, stateFile(ctx.stateDir));
      const pending: JournalOp[] = [];
      const base = st;
      let code = -1;
      try {
        const r = await fn({ machine, state: st, journal: (op) => void pending.push(op) });
        code = typeof r === 'number' ? r : 0;
        return r;
      } finally {
        if (ctx.note)
          pending.unshift({ kind: 'command', argv: ctx.note, code, ops: pending.length });
        if (fresh || pending.length > 0)
          writeState(ctx.stateDir, { ...base, ops: [...base.ops, ...pending] });
      }
    },
    timeout,
  );
}

/** Runs `fn` under the state lock only (boot replaces the machine). */
export async function withLockedState<T>(
  ctx: CliContext,
  fn: (old: MachineState | undefined) => Promise<T>,
): Promise<T> {
  const timeout = Number(ctx.io.env.CXLSIM_LOCK_TIMEOUT_MS ?? '') || undefined;
  return withStateLock(ctx.stateDir, async () => fn(readState(ctx.stateDir)), timeout);
}
