/**
 * DOC: reading the files a user hands to cxlsim (QEMU command lines, topology files,
 * host-device files) and the state file — bounded, never blocking.
 *
 * A file is opened with O_NONBLOCK (a FIFO does not block the open) and O_NOFOLLOW when asked
 * (the state file: never read through a symlink), checked with fstat to be a regular file of
 * at most {@link INPUT_LIMIT} bytes, and only then read, in a loop that stops at the size
 * fstat reported plus one byte (a file growing under us is refused, not read forever).
 * So /dev/zero, /dev/urandom, a FIFO, a directory or a 150 MB file are refused at once with
 * one line naming the limit.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { ERRNO, Errno, type ErrnoName } from '../kernel/errno.ts';
import { StateError, sysStrerror } from './errors.ts';

/** Largest input or state file cxlsim reads: 16 MiB. */
export const INPUT_LIMIT = 16 * 1024 * 1024;

/** "16 MiB" for messages. */
export function limitText(limit: number): string {
  return limit % (1024 * 1024) === 0 ? `${limit / (1024 * 1024)} MiB` : `${limit} bytes`;
}

/** Options of {@link readBoundedFile}. */
export interface BoundedReadOptions {
  /** Size limit in bytes (default {@link INPUT_LIMIT}). */
  limit?: number;
  /** Refuse a symlink (O_NOFOLLOW). */
  noFollow?: boolean;
  /** What the file is, for messages ("QEMU command line", "state file"). */
  what?: string;
}

/** Why a file cannot be read: a system error's code and strerror, or cxlsim's own reason. */
export class InputFileError extends StateError {
  /** errno code ('ENOENT') for system errors, undefined for size/type refusals. */
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'InputFileError';
    this.code = code;
  }
}

/**
 * Reads a regular file of at most `limit` bytes as UTF-8.
 * @throws InputFileError "cannot read FILE: <strerror>" (ENOENT, EACCES, ELOOP for a symlink
 *   with noFollow, …), "FILE is not a regular file", "FILE is larger than 16 MiB"
 */
export function readBoundedFile(
  path: string,
  shown: string = path,
  opts: BoundedReadOptions = {},
): string {
  const limit = opts.limit ?? INPUT_LIMIT;
  const what = opts.what ? `${opts.what} ` : '';
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow ? constants.O_NOFOLLOW : 0),
    );
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ELOOP' && opts.noFollow ? 'it is a symbolic link' : sysStrerror(e);
    throw new InputFileError(`cannot read ${what}${shown}: ${why}`, code);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory())
      throw new InputFileError(`cannot read ${what}${shown}: Is a directory`, 'EISDIR');
    if (!st.isFile()) throw new InputFileError(`cannot read ${what}${shown}: not a regular file`);
    if (st.size > limit)
      throw new InputFileError(
        `cannot read ${what}${shown}: larger than cxlsim's limit of ${limitText(limit)} (${st.size} bytes)`,
      );
    const buf = Buffer.allocUnsafe(Math.min(limit, st.size) + 1);
    let n = 0;
    for (;;) {
      let r: number;
      try {
        r = readSync(fd, buf, n, buf.length - n, null);
      } catch (e) {
        throw new InputFileError(
          `cannot read ${what}${shown}: ${sysStrerror(e)}`,
          (e as NodeJS.ErrnoException).code,
        );
      }
      if (r === 0) break;
      n += r;
      // one byte more than fstat said: the file grows under us (refused, not read forever)
      if (n === buf.length)
        throw new InputFileError(`cannot read ${what}${shown}: it changes while being read`);
    }
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a user's input file (QEMU line, topology, host-device file) with
 * {@link readBoundedFile}: system errors become an Errno named after them ("ENOENT: cannot
 * read x.sh: No such file or directory", as before); cxlsim's own refusals (not a regular
 * file, over the limit) stay a StateError ("cxlsim: cannot read …: larger than cxlsim's limit
 * of 16 MiB").
 */
export function readInputFile(path: string, shown: string = path): string {
  try {
    return readBoundedFile(path, shown);
  } catch (e) {
    if (e instanceof InputFileError && e.code !== undefined) {
      const name: ErrnoName = Object.hasOwn(ERRNO, e.code) ? (e.code as ErrnoName) : 'EIO';
      throw new Errno(name, e.message);
    }
    throw e;
  }
}
