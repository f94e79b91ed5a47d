/**
 * DOC: the persisted machine — a JSON journal in the state directory (`state.json`).
 *
 * The journal holds:
 * - `format`/`version`: "cxlsim-state" / 1 (anything else is a foreign or newer file);
 * - `input`: the topology as given — the QEMU command line's or topology file's *content*
 *   (and the path it came from, for messages), or a preset name;
 * - `profile`: the resolved stack (kernel, QEMU, ndctl versions) and boot options (`dyndbg`);
 * - `ops`: every state-changing operation ({@link JournalOp}, ops.ts), in order.
 * A command re-boots the machine the journal describes and replays its operations
 * (replay.ts). Writes are atomic and checked (atomic.ts: every byte written, fsync, rename),
 * the lock (lock.ts) serializes read-modify-write cycles. A file that cannot be read, does not
 * parse or does not validate is reported in one line naming the file — never quoting its
 * bytes — and never modified. The file is read only if it is a regular file (not a symlink)
 * of at most 16 MiB (input.ts). Values of 4 KiB or more (firmware images written through the
 * live mount) are kept in `blobs/` beside it, named by their sha256 (blobs.ts).
 */
import { join } from 'node:path';
import { KERNEL_VERSIONS, NDCTL_VERSIONS, PROFILES, type Profile } from '../profile.ts';
import { writeFileAtomicSync } from './atomic.ts';
import { externalizeOps, internalizeOps, pruneBlobs } from './blobs.ts';
import { StateError, sysStrerror } from './errors.ts';
import { InputFileError, readBoundedFile } from './input.ts';
import { checkOp, type JournalOp } from './ops.ts';

export { describeOp, type JournalOp } from './ops.ts';

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
/** A short, printable rendering of a value read from the file (never more than 40 chars). */
const shown = (x: unknown) => (JSON.stringify(x) ?? String(x)).slice(0, 40);

const KERNELS = new Set<string>(KERNEL_VERSIONS);
const QEMUS = new Set(Object.values(PROFILES).map((p) => p.qemu as string));
const NDCTLS = new Set<string>(NDCTL_VERSIONS);
const PROFILE_KEYS = new Set(['name', 'kernel', 'qemu', 'ndctl']);

/** Checks a stored profile; the reason it is not one this cxlsim knows, or undefined. */
function invalidProfile(p: unknown): string | undefined {
  if (!isObj(p)) return 'profile missing';
  for (const k of Object.keys(p))
    if (!PROFILE_KEYS.has(k)) return `unknown profile field ${shown(k)}`;
  if (!isStr(p.name) || !(p.name === 'custom' || Object.hasOwn(PROFILES, p.name)))
    return `unknown profile name ${shown(p.name)}`;
  if (!isStr(p.kernel) || !KERNELS.has(p.kernel))
    return `unknown kernel version ${shown(p.kernel)}`;
  if (!isStr(p.qemu) || !QEMUS.has(p.qemu)) return `unknown QEMU version ${shown(p.qemu)}`;
  if (!isStr(p.ndctl) || !NDCTLS.has(p.ndctl)) return `unknown ndctl version ${shown(p.ndctl)}`;
  return undefined;
}

/** Checks the shape of a parsed journal; returns the reason it is not valid, or undefined. */
export function invalidState(x: unknown): string | undefined {
  if (!isObj(x) || x.format !== STATE_FORMAT) return 'not a cxlsim state file';
  if (x.version !== STATE_VERSION)
    return typeof x.version === 'number' && x.version > STATE_VERSION
      ? `format version ${x.version} is newer than this cxlsim's ${STATE_VERSION}`
      : `unknown format version ${shown(x.version)}`;
  const i = x.input;
  if (!isObj(i)) return 'input missing';
  if (i.kind === 'preset') {
    if (!isStr(i.name)) return 'input.name missing';
  } else if (i.kind === 'qemu' || i.kind === 'topology') {
    if (!isStr(i.text) || !optStr(i.path)) return 'input.text missing';
  } else return `unknown input kind ${shown(i.kind)}`;
  const pw = invalidProfile(x.profile);
  if (pw) return pw;
  if (typeof x.dyndbg !== 'boolean') return 'dyndbg missing';
  if (x.vfio !== undefined) {
    const v = x.vfio;
    if (!isObj(v)) return 'vfio is not an object';
    if (v.placement !== undefined && v.placement !== 'per-window' && v.placement !== 'first-window')
      return `unknown vfio placement ${shown(v.placement)}`;
    if (v.hosts !== undefined && (!isObj(v.hosts) || !isStr(v.hosts.text) || !optStr(v.hosts.path)))
      return 'vfio.hosts.text missing';
  }
  if (!Array.isArray(x.ops)) return 'ops missing';
  for (const [n, op] of x.ops.entries()) {
    const why = checkOp(op);
    if (why) return `ops[${n}]: ${why}`;
  }
  return undefined;
}

/** The error for a journal that cannot be used; the file is left as it is. */
export function corrupt(file: string, reason: string): StateError {
  return new StateError(`state file ${file} is corrupt (${reason}); remove it or use --state`);
}

/**
 * JSON.parse's message without the file's bytes (V8 quotes the text it choked on), with the
 * line and column of the position when V8 gives one.
 */
export function jsonErrorText(e: unknown, text: string): string {
  const m = e instanceof Error ? e.message : String(e);
  const at = /^(.*?) in JSON at position (\d+)/.exec(m);
  if (at) {
    const pos = Number(at[2]);
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - before.lastIndexOf('\n');
    return `${at[1]} at line ${line}, column ${col}`;
  }
  if (/^Unexpected end of JSON input/.test(m)) return 'unexpected end of JSON input';
  return 'not valid JSON';
}

/**
 * Reads the journal of a state directory; undefined when there is none yet.
 * @throws StateError when the file exists but cannot be read, parsed or validated
 */
export function readState(dir: string): MachineState | undefined {
  const file = stateFile(dir);
  let text: string;
  try {
    text = readBoundedFile(file, file, { noFollow: true, what: 'state file' });
  } catch (e) {
    if (e instanceof InputFileError && e.code === 'ENOENT') return undefined;
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw corrupt(file, jsonErrorText(e, text));
  }
  const blobWhy = internalizeOps(dir, (parsed as { ops?: unknown } | null)?.ops);
  if (blobWhy) throw corrupt(file, blobWhy);
  const why = invalidState(parsed);
  if (why) throw corrupt(file, why);
  return parsed as MachineState;
}

/** The bytes of a journal as written (`ops` as given: large values already externalized). */
export function serializeState(
  state: MachineState | (Omit<MachineState, 'ops'> & { ops: unknown[] }),
): string {
  return `${JSON.stringify(state)}\n`;
}

/**
 * Atomically replaces the journal (every byte checked, fsync, rename).
 * @throws StateError "cannot write state file FILE: <strerror>; the previous state is kept"
 */
export function writeState(dir: string, state: MachineState, check?: () => void): void {
  const file = stateFile(dir);
  check?.();
  let ops: unknown[];
  try {
    ops = externalizeOps(dir, state.ops);
    writeFileAtomicSync(file, serializeState({ ...state, ops }));
  } catch (e) {
    throw new StateError(
      `cannot write state file ${file}: ${sysStrerror(e)}; the previous state is kept`,
    );
  }
  pruneBlobs(dir, ops);
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
