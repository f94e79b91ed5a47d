/**
 * DOC: the CLI's window on the world — output streams, environment and working directory —
 * passed in so that tests can run the whole CLI in-process with captured output.
 */

/** Where a command writes and what it sees of its process. */
export interface CliIo {
  /** Writes to stdout (text as given; no newline added). */
  out(s: string): void;
  /** Writes to stderr. */
  err(s: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /**
   * Whether stdout is a terminal (ndctl's isatty(1) choices); absent: not. A command forwarded
   * to `cxlsim serve` carries its caller's (live/forward.ts).
   */
  isTty?: boolean;
}

/** The real process's streams, environment and cwd. */
export function processIo(): CliIo {
  return {
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
    env: process.env,
    cwd: process.cwd(),
    isTty: Boolean(process.stdout.isTTY),
  };
}
