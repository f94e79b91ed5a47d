/**
 * DOC: the CLI's window on the world — output streams, environment and working directory —
 * passed in so that tests can run the whole CLI in-process with captured output.
 */
import { writeSync } from 'node:fs';

/** Where a command writes and what it sees of its process. */
export interface CliIo {
  /** Writes to stdout (text as given; no newline added). */
  out(s: string): void;
  /**
   * Optional: writes bytes to stdout, in order with {@link out}; `b` may be reused once this
   * returns (copy it if it is kept). Large outputs (sysfs dump) use it when present.
   */
  outBytes?(b: Uint8Array): void;
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

/** A 4-byte cell to sleep on (Atomics.wait); made when first needed (a snapshot builder has no SharedArrayBuffer). */
let nap: Int32Array | undefined;
/** Set once a synchronous write failed other than by a full pipe: then the stream takes all. */
let viaStream = false;

/**
 * `b` to fd 1, written before this returns: with write(2) while nothing of stdout's stream is
 * queued (a full pipe — node's stdout pipe is non-blocking — is waited for in 1 ms naps),
 * else through the stream, copied. Node's stdout stream queues what a pipe cannot take at
 * once: a 4096-endpoint `sysfs dump | cat` held ~1 GB of queued output (peak RSS 1.29 GB).
 * Any other failure (EPIPE) hands this and every later piece to the stream, as before.
 */
function stdoutBytes(b: Uint8Array): void {
  if (!viaStream && process.stdout.writableLength === 0) {
    let off = 0;
    try {
      while (off < b.length) {
        try {
          off += writeSync(1, b, off, b.length - off);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
          nap ??= new Int32Array(new SharedArrayBuffer(4));
          Atomics.wait(nap, 0, 0, 1);
        }
      }
      return;
    } catch {
      viaStream = true;
      b = b.subarray(off);
    }
  }
  process.stdout.write(Buffer.from(b));
}

/** The real process's streams, environment and cwd. */
export function processIo(): CliIo {
  return {
    out: (s) => void process.stdout.write(s),
    outBytes: stdoutBytes,
    err: (s) => void process.stderr.write(s),
    env: process.env,
    cwd: process.cwd(),
    isTty: Boolean(process.stdout.isTTY),
  };
}
