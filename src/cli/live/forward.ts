/**
 * DOC: commands on a served state run in the server (issue 15: "when `cxlsim serve` is running
 * on a state directory, commands on that state talk to it instead of loading the machine").
 *
 * A `cxlsim` process whose command works on the persisted machine and whose state directory
 * has a live `cxlsim serve` (serve-record.ts) sends its command line, working directory and
 * environment over the server's unix socket (request type 5, mbox-server.ts) and prints what
 * the server's run of it printed, with its exit code. The server runs it in-process on its
 * live machine (store.ts LiveMachine.session: same lock, same journal), so the result is what
 * the command would have given locally, without booting or loading a snapshot.
 *
 * Forwarded: `list`, `sysfs ls|cat|tree|write`, `dmesg`, `trace`, `qmp`, `translate` and the
 * ndctl commands that read and write no file of the caller's (not read-labels -o,
 * write-labels -i, update-firmware -F). Everything else, `--help`, options before the command
 * other than --state, and CXLSIM_FORWARD=0 run locally. When the socket cannot be reached the
 * command runs locally; once the command is sent, a broken connection is an error (it may have
 * run), never a second run.
 *
 * Wire format: request `[u32 length][u8 5][3 bytes 0][JSON {argv, cwd, env, isTty}]`; answer
 * `[u32 length][i32 exit code][u32 stdout length][stdout][stderr]` (little-endian).
 */
import { connect } from 'node:net';
import { resolve } from 'node:path';
import type { CliIo } from '../io.ts';
import { DEFAULT_STATE_DIR } from '../paths.ts';
import { findServing } from './serve-record.ts';

/** The request type of a forwarded command line (mbox-server.ts CLI_REQUEST). */
const CLI_REQUEST = 5;

/** ndctl commands that touch no file of the caller's. */
const NDCTL_FORWARDED = new Set([
  'create-region',
  'destroy-region',
  'enable-region',
  'disable-region',
  'enable-memdev',
  'disable-memdev',
  'enable-port',
  'disable-port',
  'disable-bus',
  'reserve-dpa',
  'free-dpa',
  'set-partition',
  'zero-labels',
  'sanitize-memdev',
  'set-alert-config',
]);
const SYSFS_FORWARDED = new Set(['ls', 'cat', 'tree', 'write']);
const OTHERS_FORWARDED = new Set(['list', 'dmesg', 'trace', 'qmp', 'translate']);

/**
 * The state directory `argv` names (global `--state` before the command) when its command is
 * one that is forwarded, else undefined.
 */
export function forwardedState(argv: readonly string[], io: CliIo): string | undefined {
  let i = 0;
  let state: string | undefined;
  while (i < argv.length && argv[i]?.startsWith('-')) {
    const a = argv[i] as string;
    if (a === '--state' && i + 1 < argv.length) {
      state = argv[i + 1];
      i += 2;
    } else if (a.startsWith('--state=')) {
      state = a.slice('--state='.length);
      i += 1;
    } else return undefined;
  }
  const cmd = argv[i];
  if (cmd === undefined || argv.includes('--help') || argv.includes('-h')) return undefined;
  const ok =
    OTHERS_FORWARDED.has(cmd) ||
    NDCTL_FORWARDED.has(cmd) ||
    (cmd === 'sysfs' && SYSFS_FORWARDED.has(argv[i + 1] ?? ''));
  if (!ok) return undefined;
  return resolve(io.cwd, state ?? (io.env.CXLSIM_STATE || DEFAULT_STATE_DIR));
}

/**
 * Runs `argv` in the `cxlsim serve` of its state directory when there is one and the command
 * is forwarded (see the DOC); its output goes to `io`.
 * @returns the command's exit code, or undefined when it was not forwarded (run it locally)
 */
export async function forwardToServe(argv: string[], io: CliIo): Promise<number | undefined> {
  if (io.env.CXLSIM_FORWARD === '0') return undefined;
  const stateDir = forwardedState(argv, io);
  if (stateDir === undefined) return undefined;
  const info = findServing(stateDir);
  if (!info || info.state !== stateDir) return undefined;
  const body = Buffer.from(
    JSON.stringify({ argv, cwd: io.cwd, env: io.env, isTty: io.isTty === true }),
    'utf8',
  );
  const head = Buffer.alloc(8);
  head.writeUInt32LE(body.length + 4, 0);
  head[4] = CLI_REQUEST;
  return new Promise((done) => {
    let sent = false;
    const chunks: Buffer[] = [];
    const sock = connect(info.socket, () => {
      sent = true;
      sock.write(Buffer.concat([head, body]));
    });
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', () => {
      if (!sent) done(undefined);
    });
    sock.on('close', () => {
      if (!sent) return done(undefined);
      const a = Buffer.concat(chunks);
      if (a.length < 12 || a.readUInt32LE(0) !== a.length - 4) {
        io.err(
          `cxlsim: lost the connection to cxlsim serve (pid ${info.pid}) while it ran the command; whether it ran is unknown (see the journal)\n`,
        );
        return done(1);
      }
      const code = a.readInt32LE(4);
      const outLen = a.readUInt32LE(8);
      const out = a.subarray(12, 12 + outLen);
      const err = a.subarray(12 + outLen);
      if (out.length) io.out(out.toString('utf8'));
      if (err.length) io.err(err.toString('utf8'));
      done(code);
    });
  });
}
