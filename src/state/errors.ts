/**
 * DOC: the state store's own failures (cxlsim conditions, not kernel errnos).
 *
 * A {@link StateError} is printed by the CLI as one line, `cxlsim: <message>`, and exits
 * with its `exitCode`. The CLI's own CliError extends it.
 */

/** A cxlsim-level failure of the state store (state file, lock, input file) with its exit code. */
export class StateError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'StateError';
    this.exitCode = exitCode;
  }
}

/** strerror() texts for the errno codes Node's fs calls raise (glibc wording). */
const FS_STRERROR: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system',
  EMFILE: 'Too many open files',
  ETXTBSY: 'Text file busy',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  ESPIPE: 'Illegal seek',
  EROFS: 'Read-only file system',
  EMLINK: 'Too many links',
  EPIPE: 'Broken pipe',
  ENAMETOOLONG: 'File name too long',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  EDQUOT: 'Disk quota exceeded',
  ENXIO: 'No such device or address',
  ESTALE: 'Stale file handle',
};

/** The errno code of a Node system error ('ENOSPC'), or undefined for other values. */
export function sysCode(e: unknown): string | undefined {
  const c = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof c === 'string' && /^E[A-Z0-9]+$/.test(c) ? c : undefined;
}

/** strerror() for a Node system error ("No space left on device"); its message otherwise. */
export function sysStrerror(e: unknown): string {
  const c = sysCode(e);
  if (c && FS_STRERROR[c]) return FS_STRERROR[c];
  const m = e instanceof Error ? e.message : String(e);
  // Node's "ENOSPC: no space left on device, write" → the part before the syscall
  return (m.split('\n')[0] ?? m).replace(/^E[A-Z0-9]+: /, '').replace(/, \w+(?: '.*)?$/, '');
}
