/**
 * DOC: how the CLI reports a failure: always one line, never a stack trace.
 *
 * - {@link CliError}: cxlsim's own conditions (state file, lock, usage) → "cxlsim: <message>";
 * - an {@link Errno} → its `describe()`: "ENXIO: <message> (<device>)"; a QEMU command-line
 *   error (topology/qemu-errors.ts) → "EINVAL: qemu-system-x86_64: -device …: <QEMU's text>";
 * - a Node file-system error (code ENOSPC, EACCES …) → "cxlsim: <syscall> <path>: <strerror>";
 * - anything else is a bug → "cxlsim: internal error: <message>" (the stack only with
 *   CXLSIM_DEBUG=1).
 */
import { Errno } from '../kernel/errno.ts';
import { StateError, sysCode, sysStrerror } from '../state/errors.ts';

/** A cxlsim-level failure with its exit code. */
export class CliError extends StateError {
  constructor(message: string, exitCode = 1) {
    super(message, exitCode);
    this.name = 'CliError';
  }
}

/** The one line printed for an error (no trailing newline). */
export function formatError(e: unknown, debug = false): string {
  if (e instanceof StateError) return `cxlsim: ${e.message}`;
  if (e instanceof Errno) return e.describe();
  // a file-system error that reached here (a path the user gave): its strerror, not a bug
  const code = sysCode(e);
  if (code) {
    const x = e as NodeJS.ErrnoException;
    const where = [x.syscall, x.path].filter(Boolean).join(' ');
    return `cxlsim: ${where ? `${where}: ` : ''}${sysStrerror(e)}`;
  }
  const msg = e instanceof Error ? e.message : String(e);
  const stack = debug && e instanceof Error && e.stack ? `\n${e.stack}` : '';
  return `cxlsim: internal error: ${msg.split('\n')[0]}${stack}`;
}

/** Exit code for an error. */
export function exitCodeOf(e: unknown): number {
  return e instanceof StateError ? e.exitCode : 1;
}
