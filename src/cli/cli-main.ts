/**
 * DOC: the `cxlsim` process's body (main.ts starts it, here or in a snapshot's process). All
 * work is in program.ts; this file wires the process in and makes sure nothing escapes as a
 * stack trace, not even an error thrown from a timer.
 *
 * - A closed stdout (`cxlsim sysfs dump | head -1`) ends the process quietly with exit 141,
 *   what a shell reports for a process killed by SIGPIPE (Node ignores SIGPIPE, so the write
 *   fails with EPIPE instead; cat would die of the signal).
 * - SIGINT and SIGTERM keep their default action: the process ends at once, even inside a
 *   long synchronous boot or replay, with the status a shell reports as 130/143. Nothing is
 *   lost: the state file is only ever replaced by an atomic rename at the end of a command,
 *   and the lock of a dead process is taken over at once by the next command (state/lock.ts).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatError } from './errors.ts';
import { processIo } from './io.ts';
import { runCli } from './program.ts';
import { findBundle } from './snapshot/build.ts';

/** Exit status of a process killed by SIGPIPE, as a shell reports it. */
const SIGPIPE_STATUS = 128 + 13;

const onStreamError = (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(SIGPIPE_STATUS);
  fatal(e);
};
const fatal = (e: unknown) => {
  if ((e as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') process.exit(SIGPIPE_STATUS);
  try {
    process.stderr.write(`${formatError(e, Boolean(process.env.CXLSIM_DEBUG))}\n`);
  } catch {
    /* stderr is gone too */
  }
  process.exit(1);
};
/**
 * Runs the CLI on `argv` (the arguments after the executable) in this process: stream and
 * error handlers installed, exit code set on `process.exitCode`.
 */
export async function cliMain(argv: string[]): Promise<void> {
  findBundle(dirname(fileURLToPath(import.meta.url)));
  process.stdout.on('error', onStreamError);
  process.stderr.on('error', () => process.exit(SIGPIPE_STATUS));
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  const io = processIo();
  // a served state: the command runs in `cxlsim serve` on its live machine (live/forward.ts)
  const { forwardToServe } = await import('./live/forward.ts');
  const forwarded = await forwardToServe(argv, io);
  process.exitCode = forwarded ?? (await runCli(argv, io));
}
