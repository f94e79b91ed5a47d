/**
 * DOC: errno — the kernel's error numbers and their strerror() texts.
 *
 * Errors in cxlsim are values: an {@link Errno} carries the errno name ('ENXIO'), its negative
 * number (-6, as the kernel returns it), the device it concerns ('decoder1.0') and the kernel's
 * message. Texts are glibc's strerror() strings, which is what `echo VALUE > PATH` prints
 * ("write error: No such device or address").
 */

/** name → [number, strerror text] (asm-generic/errno-base.h, errno.h; glibc strerror). */
export const ERRNO = {
  EPERM: [1, 'Operation not permitted'],
  ENOENT: [2, 'No such file or directory'],
  EIO: [5, 'Input/output error'],
  ENXIO: [6, 'No such device or address'],
  E2BIG: [7, 'Argument list too long'],
  EAGAIN: [11, 'Resource temporarily unavailable'],
  ENOMEM: [12, 'Cannot allocate memory'],
  EACCES: [13, 'Permission denied'],
  EFAULT: [14, 'Bad address'],
  EBUSY: [16, 'Device or resource busy'],
  EEXIST: [17, 'File exists'],
  ENODEV: [19, 'No such device'],
  ENOTDIR: [20, 'Not a directory'],
  EISDIR: [21, 'Is a directory'],
  EINVAL: [22, 'Invalid argument'],
  ENOSPC: [28, 'No space left on device'],
  EROFS: [30, 'Read-only file system'],
  ERANGE: [34, 'Numerical result out of range'],
  ENOTTY: [25, 'Inappropriate ioctl for device'],
  ENOSYS: [38, 'Function not implemented'],
  EOPNOTSUPP: [95, 'Operation not supported'],
  ETIMEDOUT: [110, 'Connection timed out'],
  EPROBE_DEFER: [517, 'Unknown error 517'],
} as const;

/** An errno name, e.g. 'ENXIO'. */
export type ErrnoName = keyof typeof ERRNO;

/** strerror() text for an errno name ("No such device or address" for ENXIO). */
export function strerror(name: ErrnoName): string {
  return ERRNO[name][1];
}

/** The positive errno number for a name (ENXIO → 6). */
export function errnoNumber(name: ErrnoName): number {
  return ERRNO[name][0];
}

/** Name for a (positive or negative) errno number; undefined when unknown. */
export function errnoName(n: number): ErrnoName | undefined {
  const abs = Math.abs(n);
  for (const [k, v] of Object.entries(ERRNO)) if (v[0] === abs) return k as ErrnoName;
  return undefined;
}

/**
 * A kernel-style error: `errno` is negative as the kernel returns it (-ENXIO = -6).
 * `dev` names the device the message was logged on (may be empty for input errors).
 */
export class Errno extends Error {
  readonly code: ErrnoName;
  readonly errno: number;
  readonly dev: string;
  constructor(code: ErrnoName, message?: string, dev = '') {
    // Errors are values here, never debugging aids: skip the (costly) stack capture.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message ?? strerror(code));
    Error.stackTraceLimit = limit;
    this.name = 'Errno';
    this.code = code;
    this.errno = -errnoNumber(code);
    this.dev = dev;
  }
  /** The device the message concerns (`dev`), as the library API names it. */
  get device(): string {
    return this.dev;
  }
  /** "ENXIO: <message> (<device>)" — how cxlsim's own commands print an error. */
  describe(): string {
    return `${this.code}: ${this.message}${this.dev ? ` (${this.dev})` : ''}`;
  }
}

/** True for an {@link Errno}. */
export function isErrno(e: unknown): e is Errno {
  return e instanceof Errno;
}
