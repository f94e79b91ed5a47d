/**
 * DOC: atomic file replacement that never reports success for bytes that did not land.
 *
 * write-file-atomic's sync path (v7) ignores the count `fs.writeSync()` returns, so on a full
 * disk a short temp file is renamed over the good one and the call returns normally. This
 * is the whole protocol, with every step checked:
 * 1. open `FILE.tmp-<pid>-<random>` with O_CREAT|O_EXCL (never an existing file or symlink);
 * 2. write in a loop until every byte is written (a short write is continued; a write of 0
 *    bytes or an error — ENOSPC, EIO, EDQUOT — aborts);
 * 3. fsync the temp file, close it (close errors count: NFS reports write-back failures there);
 * 4. rename it over FILE (atomic on POSIX: readers see the old or the new file, never a mix);
 * 5. fsync the directory so the rename itself is durable (best effort: some file systems
 *    refuse a directory fsync with EINVAL).
 * On any failure before the rename the temp file is removed and FILE is untouched.
 * The fs calls are injectable ({@link AtomicFs}) so tests can simulate short writes and EIO.
 */
import * as nodeFs from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The fs calls {@link writeFileAtomicSync} makes (node:fs by default). */
export interface AtomicFs {
  openSync: typeof nodeFs.openSync;
  writeSync: (fd: number, buf: Uint8Array, off: number, len: number) => number;
  fsyncSync: typeof nodeFs.fsyncSync;
  closeSync: typeof nodeFs.closeSync;
  renameSync: typeof nodeFs.renameSync;
  unlinkSync: typeof nodeFs.unlinkSync;
}

const realFs: AtomicFs = {
  openSync: nodeFs.openSync,
  writeSync: (fd, buf, off, len) => nodeFs.writeSync(fd, buf, off, len),
  fsyncSync: nodeFs.fsyncSync,
  closeSync: nodeFs.closeSync,
  renameSync: nodeFs.renameSync,
  unlinkSync: nodeFs.unlinkSync,
};

/** A system error like the ones node:fs throws. */
function sysError(code: string, syscall: string, text: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: ${text}, ${syscall}`);
  e.code = code;
  e.syscall = syscall;
  return e;
}

/** Temp-file prefix of `file` (`state.json.tmp-`); leftovers of killed writers carry it. */
export function tempPrefix(file: string): string {
  return `${basename(file)}.tmp-`;
}

/**
 * Replaces `file` with `data` atomically and durably (see the DOC block).
 * @throws the fs error (ENOSPC, EIO, EACCES …) of the step that failed; `file` is unchanged
 */
export function writeFileAtomicSync(
  file: string,
  data: string | Uint8Array,
  fs: AtomicFs = realFs,
  mode = 0o644,
): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = join(
    dirname(file),
    `${tempPrefix(file)}${process.pid}-${Math.random().toString(36).slice(2, 10)}`,
  );
  let fd: number | undefined = fs.openSync(
    tmp,
    nodeFs.constants.O_WRONLY | nodeFs.constants.O_CREAT | nodeFs.constants.O_EXCL,
    mode,
  );
  try {
    let off = 0;
    while (off < buf.length) {
      const n = fs.writeSync(fd, buf, off, buf.length - off);
      if (!(n > 0)) throw sysError('EIO', 'write', `wrote ${off} of ${buf.length} bytes`);
      off += n;
    }
    fs.fsyncSync(fd);
    const f = fd;
    fd = undefined;
    fs.closeSync(f);
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined)
      try {
        fs.closeSync(fd);
      } catch {
        /* the write error is the one to report */
      }
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  try {
    const d = nodeFs.openSync(dirname(file), 'r');
    try {
      nodeFs.fsyncSync(d);
    } finally {
      nodeFs.closeSync(d);
    }
  } catch {
    /* directory fsync is not supported everywhere; the rename is done */
  }
}

/**
 * Removes temp files that writers killed before their rename left in `dir` (their pid is
 * gone). Best effort; never throws.
 */
export function removeDeadTemps(dir: string, file: string, alive: (pid: number) => boolean): void {
  const prefix = tempPrefix(file);
  let names: string[];
  try {
    names = nodeFs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length).split('-')[0]);
    if (!Number.isSafeInteger(pid) || alive(pid)) continue;
    try {
      nodeFs.unlinkSync(join(dir, n));
    } catch {
      /* another cleaner was first */
    }
  }
}
