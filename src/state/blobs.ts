/**
 * DOC: large journaled values kept beside the journal, not in it.
 *
 * A sysfs write's value is journaled whole so that a replay can repeat it. Most are a few
 * bytes; a firmware image written to `memN/firmware/memN/data` (through `cxlsim serve`, one
 * op per write(2) of up to 128 KiB) is megabytes, and a few uploads would take state.json past
 * the 16 MiB a state file may have (input.ts), after which no command could read the state.
 * So a value of {@link BLOB_MIN} characters or more is written to `blobs/<sha256>` in the
 * state directory (atomically, once: the name is the hash of the content) and the journal's
 * op carries `valueBlob: "<sha256>"` in place of `value`. Reading the journal puts the values
 * back and checks each blob's hash; a missing or altered blob makes the state corrupt (one
 * line naming the blob, its bytes never quoted). Blobs no longer named by the journal are
 * removed after the journal is written. Each blob is bounded like any state file (16 MiB).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from './atomic.ts';
import { InputFileError, readBoundedFile } from './input.ts';

/** Values of at least this many characters are kept in a blob. */
export const BLOB_MIN = 4096;
/** Directory of the blobs inside a state directory. */
export const BLOB_DIR = 'blobs';

const HASH = /^[0-9a-f]{64}$/;

/** Hashes of ops already externalized by this process (a live serve rewrites the journal per write). */
const hashed = new WeakMap<object, string>();

/** sha256 of a value, hex: the blob's file name. */
function hashOf(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * The journal's ops as written: a sysfs write whose value has {@link BLOB_MIN} characters or
 * more becomes `{ …, valueBlob: hash }`, its value written to `blobs/<hash>` first (skipped
 * when that blob exists). Other ops are returned as they are.
 * @throws the fs errors of writeFileAtomicSync() (ENOSPC, EIO…) while writing a blob
 */
export function externalizeOps(dir: string, ops: readonly unknown[]): unknown[] {
  let made = false;
  return ops.map((op) => {
    const o = op as { kind?: unknown; value?: unknown };
    if (o.kind !== 'sysfs-write' || typeof o.value !== 'string' || o.value.length < BLOB_MIN)
      return op;
    const known = hashed.get(o);
    const hash = known ?? hashOf(o.value);
    const file = join(dir, BLOB_DIR, hash);
    if (known === undefined || !existsSync(file)) {
      if (!made) mkdirSync(join(dir, BLOB_DIR), { recursive: true });
      made = true;
      if (!existsSync(file)) writeFileAtomicSync(file, o.value);
      hashed.set(o, hash);
    }
    const { value: _value, ...rest } = o;
    return { ...rest, valueBlob: hash };
  });
}

/**
 * Puts the blobs' values back into parsed journal ops, in place. Returns the reason the state
 * is corrupt (a malformed blob name, a blob that cannot be read, or one whose content does
 * not hash to its name), or undefined.
 */
export function internalizeOps(dir: string, ops: unknown): string | undefined {
  if (!Array.isArray(ops)) return undefined; // the journal's own check reports it
  for (const [i, op] of ops.entries()) {
    const o = op as { valueBlob?: unknown; value?: unknown } | null;
    if (!o || typeof o !== 'object' || o.valueBlob === undefined) continue;
    if (typeof o.valueBlob !== 'string' || !HASH.test(o.valueBlob) || o.value !== undefined)
      return `ops[${i}]: valueBlob is not a sha256 name`;
    const file = join(dir, BLOB_DIR, o.valueBlob);
    let value: string;
    try {
      value = readBoundedFile(file, file, { noFollow: true, what: 'state blob' });
    } catch (e) {
      if (e instanceof InputFileError) return `ops[${i}]: ${e.message}`;
      throw e;
    }
    if (hashOf(value) !== o.valueBlob) return `ops[${i}]: blob ${file} does not match its name`;
    o.value = value;
    delete o.valueBlob;
  }
  return undefined;
}

/** Removes the blobs that `ops` (as written) no longer name; errors are ignored (best effort). */
export function pruneBlobs(dir: string, written: readonly unknown[]): void {
  const names = new Set<string>();
  for (const op of written) {
    const b = (op as { valueBlob?: unknown }).valueBlob;
    if (typeof b === 'string') names.add(b);
  }
  let present: string[];
  try {
    present = readdirSync(join(dir, BLOB_DIR));
  } catch {
    return;
  }
  for (const f of present)
    if (HASH.test(f) && !names.has(f))
      try {
        unlinkSync(join(dir, BLOB_DIR, f));
      } catch {
        // another writer's blob being installed, or already gone: harmless
      }
}
