/**
 * DOC: the persisted machine — a JSON journal in the state directory (`state.json`).
 *
 * A machine is not serialized: it is re-booted on every invocation (boot takes
 * milliseconds) from what the journal records, then the journal's state-changing
 * operations are replayed in order. The journal holds:
 * - `format`/`version`: "cxlsim-state" / 1 (anything else is a foreign or newer file);
 * - `input`: the topology as given — the QEMU command line's or topology file's *content*
 *   (and the path it came from, for messages), or a preset name;
 * - `profile`: the resolved stack (kernel, QEMU, ndctl versions) and boot options (`dyndbg`);
 * - `ops`: every state-changing operation (sysfs writes, refused ones with their errno; memdev
 *   ioctls that change device state; CPU stores through the memory bus, `mem-write`; guest
 *   reboots on the same hardware, `reboot`; QMP commands, `qmp`), in order.
 * Writes are atomic (write-file-atomic: temp file + rename), so a reader never sees half a
 * file; the lock (lock.ts) serializes read-modify-write cycles. A file that does not parse
 * or does not validate is reported and never modified.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { Profile } from '../profile.ts';
import { CliError } from './errors.ts';

export const STATE_FORMAT = 'cxlsim-state';
export const STATE_VERSION = 1;
/** File name of the journal inside the state directory. */
export const STATE_FILE = 'state.json';

/** The topology input, stored by content so that the machine does not depend on files. */
export type StoredInput =
  | { kind: 'preset'; name: string }
  | { kind: 'qemu'; text: string; path?: string }
  | { kind: 'topology'; text: string; path?: string };

/**
 * One journaled operation. A sysfs write that the kernel refused is journaled too (with the
 * errno it got), so that a replay reproduces its kernel log lines; a replay that does not give
 * the same outcome means the state no longer describes this cxlsim.
 */
export type JournalOp =
  | { kind: 'sysfs-write'; path: string; value: string; fails?: string }
  | { kind: 'ioctl'; memdev: string; id: number; payload: string }
  /** A CPU store through the platform's memory bus (`cxlsim mem write`): HPA "0x…", bytes as hex. */
  | { kind: 'mem-write'; hpa: string; data: string }
  /** `cxlsim reboot`: a fresh guest on the same hardware; dyndbg for the new kernel. */
  | { kind: 'reboot'; dyndbg: boolean }
  /**
   * A note, not replayed: the command line of an ndctl `create-region`, its exit code and how
   * many of the following operations it made (so `cxlsim explain` can replay the attempt).
   */
  | { kind: 'command'; argv: string[]; code: number; ops: number }
  /** `cxlsim device-add SPEC`: a QEMU device_add that succeeded (vfio-pci hotplug). */
  | { kind: 'device-add'; spec: string }
  /**
   * `cxlsim qmp COMMAND JSON`: a QMP command that succeeded (poison / event / error injection);
   * `args` is the JSON text as given, so that 64-bit integers keep their value.
   */
  | { kind: 'qmp'; command: string; args: string };

/**
 * The VMM's vfio-cxl options of a boot (`--vfio-cxl-placement`, and the host-device file
 * given with `--topology` next to `--qemu`/`--preset`, stored by content).
 */
export interface StoredVfio {
  placement?: 'per-window' | 'first-window';
  hosts?: { text: string; path?: string };
}

/** The journal. */
export interface MachineState {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  /** Informational: the cxlsim version that wrote the file. */
  writtenBy: string;
  input: StoredInput;
  profile: Profile;
  dyndbg: boolean;
  /** vfio-cxl VMM options (absent: per-window placement, no host-device file). */
  vfio?: StoredVfio;
  ops: JournalOp[];
}

/** Path of the journal in a state directory. */
export function stateFile(dir: string): string {
  return join(dir, STATE_FILE);
}

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const optStr = (x: unknown) => x === undefined || isStr(x);

/** Checks the shape of a parsed journal; returns the reason it is not valid, or undefined. */
function invalid(x: unknown): string | undefined {
  if (!isObj(x) || x.format !== STATE_FORMAT) return 'not a cxlsim state file';
  if (x.version !== STATE_VERSION)
    return typeof x.version === 'number' && x.version > STATE_VERSION
      ? `format version ${x.version} is newer than this cxlsim's ${STATE_VERSION}`
      : `unknown format version ${JSON.stringify(x.version)}`;
  const i = x.input;
  if (!isObj(i)) return 'input missing';
  if (i.kind === 'preset') {
    if (!isStr(i.name)) return 'input.name missing';
  } else if (i.kind === 'qemu' || i.kind === 'topology') {
    if (!isStr(i.text) || !optStr(i.path)) return 'input.text missing';
  } else return `unknown input kind ${JSON.stringify(i.kind)}`;
  const p = x.profile;
  if (!isObj(p) || !isStr(p.name) || !isStr(p.kernel) || !isStr(p.qemu) || !isStr(p.ndctl))
    return 'profile missing';
  if (typeof x.dyndbg !== 'boolean') return 'dyndbg missing';
  if (x.vfio !== undefined) {
    const v = x.vfio;
    if (!isObj(v)) return 'vfio is not an object';
    if (v.placement !== undefined && v.placement !== 'per-window' && v.placement !== 'first-window')
      return `unknown vfio placement ${JSON.stringify(v.placement)}`;
    if (v.hosts !== undefined && (!isObj(v.hosts) || !isStr(v.hosts.text) || !optStr(v.hosts.path)))
      return 'vfio.hosts.text missing';
  }
  if (!Array.isArray(x.ops)) return 'ops missing';
  for (const [n, op] of x.ops.entries()) {
    if (!isObj(op)) return `ops[${n}] is not an object`;
    if (op.kind === 'ioctl') {
      if (
        !isStr(op.memdev) ||
        typeof op.id !== 'number' ||
        !isStr(op.payload) ||
        !/^(?:[0-9a-f]{2})*$/.test(op.payload)
      )
        return `ops[${n}]: ioctl memdev, id or payload missing`;
      continue;
    }
    if (op.kind === 'mem-write') {
      if (
        !isStr(op.hpa) ||
        !/^0x[0-9a-f]+$/.test(op.hpa) ||
        !isStr(op.data) ||
        !/^(?:[0-9a-f]{2})+$/.test(op.data)
      )
        return `ops[${n}]: mem-write hpa or data missing`;
      continue;
    }
    if (op.kind === 'command') {
      if (
        !Array.isArray(op.argv) ||
        !op.argv.every(isStr) ||
        typeof op.code !== 'number' ||
        typeof op.ops !== 'number'
      )
        return `ops[${n}]: command argv, code or ops missing`;
      continue;
    }
    if (op.kind === 'reboot') {
      if (typeof op.dyndbg !== 'boolean') return `ops[${n}]: reboot dyndbg missing`;
      continue;
    }
    if (op.kind === 'device-add') {
      if (!isStr(op.spec)) return `ops[${n}]: device-add spec missing`;
      continue;
    }
    if (op.kind === 'qmp') {
      if (!isStr(op.command) || !isStr(op.args)) return `ops[${n}]: qmp command or args missing`;
      continue;
    }
    if (op.kind !== 'sysfs-write') return `ops[${n}]: unknown operation ${JSON.stringify(op.kind)}`;
    if (!isStr(op.path) || !isStr(op.value)) return `ops[${n}]: path or value missing`;
    if (op.fails !== undefined && !isStr(op.fails)) return `ops[${n}]: fails is not an errno name`;
  }
  return undefined;
}

/** The error for a journal that cannot be used; the file is left as it is. */
export function corrupt(file: string, reason: string): CliError {
  return new CliError(`state file ${file} is corrupt (${reason}); remove it or use --state`);
}

/**
 * Reads the journal of a state directory; undefined when there is none yet.
 * @throws CliError when the file exists but cannot be read, parsed or validated
 */
export function readState(dir: string): MachineState | undefined {
  const file = stateFile(dir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read state file ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw corrupt(file, (e as Error).message);
  }
  const why = invalid(parsed);
  if (why) throw corrupt(file, why);
  return parsed as MachineState;
}

/** Atomically replaces the journal (temp file + fsync + rename). */
export function writeState(dir: string, state: MachineState): void {
  writeFileAtomic.sync(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`);
}

/** A new journal for a fresh boot. */
export function newState(
  input: StoredInput,
  profile: Profile,
  dyndbg: boolean,
  writtenBy: string,
): MachineState {
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    writtenBy,
    input,
    profile,
    dyndbg,
    ops: [],
  };
}

/** How an operation reads in messages ("sysfs write '4' > /sys/bus/cxl/…"). */
export function describeOp(op: JournalOp): string {
  if (op.kind === 'ioctl') return `ioctl ${op.id} on /dev/cxl/${op.memdev}`;
  if (op.kind === 'mem-write') return `mem write ${op.data.length / 2} bytes at ${op.hpa}`;
  if (op.kind === 'reboot') return 'reboot';
  if (op.kind === 'device-add') return `device_add ${op.spec}`;
  if (op.kind === 'qmp') return `qmp ${op.command} ${op.args}`;
  if (op.kind === 'command') return `note of cxl ${op.argv.join(' ')}`;
  return `sysfs write '${op.value.replace(/\0/g, '').replace(/\n$/, '')}' > /sys/${op.path}`;
}
