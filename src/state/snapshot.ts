/**
 * DOC: machine snapshots — a cache next to the journal, never its replacement.
 *
 * A snapshot is a V8 startup snapshot (`node --build-snapshot`, see src/cli/snapshot/) of a
 * process that booted the journal's machine and replayed its first `n` operations. A later
 * command deserializes it instead of booting, and replays only `ops[n…]`. The journal
 * (state.json) stays the source of truth:
 * - the snapshot is used only if its {@link prefixKey} — a SHA-256 of the journal's input,
 *   profile, boot options and first `n` operations — equals the key of the journal read under
 *   the lock; any other journal (a new `boot`, an edited file) boots from scratch;
 * - `meta` ({@link SnapshotMeta}) names the blob, its checksum and the node binary and cxlsim
 *   build it needs (a blob is only valid for the node binary and the bundle that wrote it); a
 *   meta that does not parse, or names another node or build, is ignored and replaced by the
 *   next build.
 *
 * Both files live in `<state>/snapshot/` and are written atomically (atomic.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Machine } from '../machine.ts';
import type { MachineState } from './journal.ts';

/** Directory of the snapshot cache inside a state directory. */
export const SNAPSHOT_DIR = 'snapshot';
/** The meta file's format name and version (its first two words). */
export const SNAPSHOT_FORMAT = 'cxlsim-snapshot';
export const SNAPSHOT_VERSION = 2;

/**
 * What `<state>/snapshot/meta` records about the current blob: one line of space-separated
 * words, in this order, so that the `cxlsim` shell launcher can `read` it.
 */
export interface SnapshotMeta {
  /** The cxlsim bundle's build id (SHA-256 of dist/cli/cxlsim.cjs, cxlsim.build-id). */
  build: string;
  /**
   * The node binary that built the blob (a blob loads only in that binary), as
   * `size.mtime.inode` of the file (`stat -L -c %s.%Y.%i`).
   */
  node: string;
  /** The blob's file name inside the snapshot directory. */
  blob: string;
  /** The blob's POSIX `cksum` (CRC and size, bytes), checked before it is loaded. */
  cksum: string;
  size: number;
  /** {@link prefixKey} of the journal prefix the snapshot holds. */
  key: string;
  /** How many journal operations it holds. */
  n: number;
}

/** The meta line of `m` (with its newline). */
export function formatSnapshotMeta(m: SnapshotMeta): string {
  return `${[SNAPSHOT_FORMAT, SNAPSHOT_VERSION, m.build, m.node, m.blob, m.cksum, m.size, m.key, m.n].join(' ')}\n`;
}

/** Parses a meta line; undefined when it is not one. */
export function parseSnapshotMeta(text: string): SnapshotMeta | undefined {
  const w = text.replace(/\n$/, '').split(' ');
  if (w.length !== 9 || w[0] !== SNAPSHOT_FORMAT || w[1] !== String(SNAPSHOT_VERSION))
    return undefined;
  const [, , build, node, blob, cksum, size, key, n] = w as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (
    !/^[0-9a-f]{64}$/.test(build) ||
    !/^\d+\.\d+\.\d+$/.test(node) ||
    !/^machine-[0-9a-f]{16}-[0-9a-z]+\.blob$/.test(blob) ||
    !/^\d{1,10}$/.test(cksum) ||
    !/^\d{1,15}$/.test(size) ||
    !/^[0-9a-f]{64}$/.test(key) ||
    !/^\d{1,15}$/.test(n)
  )
    return undefined;
  return { build, node, blob, cksum, size: Number(size), key, n: Number(n) };
}

/** Identity of a node binary as the meta records it (`size.mtime.inode`). */
export function nodeIdentity(execPath: string): string {
  const st = statSync(execPath);
  return `${st.size}.${Math.floor(st.mtimeMs / 1000)}.${st.ino}`;
}

/** Path of the snapshot directory of a state directory. */
export function snapshotDir(stateDir: string): string {
  return join(stateDir, SNAPSHOT_DIR);
}

/** Path of the meta file of a state directory. */
export function snapshotMetaFile(stateDir: string): string {
  return join(snapshotDir(stateDir), 'meta');
}

/**
 * SHA-256 (hex) of what determines the machine after the first `n` operations of `st`:
 * input, profile, dyndbg, vfio options and those operations (not `writtenBy`).
 */
export function prefixKey(st: MachineState, n: number): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([st.input, st.profile, st.dyndbg, st.vfio ?? null]));
  for (let i = 0; i < n; i++) h.update(`\n${JSON.stringify(st.ops[i])}`);
  return h.digest('hex');
}

/**
 * Reads `<state>/snapshot/meta`; undefined when it is missing, unreadable or malformed
 * (a cache: never an error).
 */
export function readSnapshotMeta(stateDir: string): SnapshotMeta | undefined {
  try {
    return parseSnapshotMeta(readFileSync(snapshotMetaFile(stateDir), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Operations of `st` that a snapshot described by `meta` does not hold: `st.ops.length - n`
 * when the snapshot is a prefix of `st`, else all of them.
 */
export function snapshotTail(st: MachineState, meta: SnapshotMeta | undefined): number {
  if (!meta || meta.n > st.ops.length || prefixKey(st, meta.n) !== meta.key) return st.ops.length;
  return st.ops.length - meta.n;
}

/** A machine deserialized from a snapshot, waiting for the command that will use it. */
interface Preloaded {
  machine: Machine;
  key: string;
  n: number;
}

/**
 * The machine of the snapshot this process was started from (one per process: a V8 startup
 * snapshot restores exactly one heap, and a command uses its machine once).
 */
let preloaded: Preloaded | undefined;

/** Whether this process's heap came from a snapshot (set with the machine, so it survives). */
let fromSnapshot = false;

/** Records the machine a snapshot holds (the snapshot builder, before serializing). */
export function setPreloaded(machine: Machine, st: MachineState): void {
  preloaded = { machine, key: prefixKey(st, st.ops.length), n: st.ops.length };
  fromSnapshot = true;
}

/** True in a process started from a snapshot (and in the builder). */
export function startedFromSnapshot(): boolean {
  return fromSnapshot;
}

/**
 * Takes the snapshot's machine if it holds a prefix of `st` (same key), with the number of
 * operations it already holds; undefined otherwise. Either way the slot is emptied.
 */
export function takePreloaded(st: MachineState): { machine: Machine; n: number } | undefined {
  const p = preloaded;
  preloaded = undefined;
  if (!p || p.n > st.ops.length || prefixKey(st, p.n) !== p.key) return undefined;
  return { machine: p.machine, n: p.n };
}

/** "<key> <n>" of the snapshot's machine still waiting in this process, or undefined. */
export function preloadedInfo(): string | undefined {
  return preloaded && `${preloaded.key} ${preloaded.n}`;
}
