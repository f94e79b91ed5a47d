/**
 * DOC: serving a state directory's machine live — the FUSE mount of its /sys and the memdev
 * socket — for `cxlsim serve` and `cxlsim run`.
 *
 * FUSE comes from `fuse-native` (N-API binding of libfuse 2, prebuilt for linux-x64; chosen
 * because it is the maintained binding with a full high-level ops table — readdir order,
 * symlinks, per-call errno — and needs no compiler), an optional dependency loaded here only:
 * nothing else in cxlsim imports it. Mount options: entry and attribute timeouts of 50 ms
 * ($CXLSIM_FUSE_TIMEOUT seconds, 0 for none): the kernel then resolves the path components
 * of one libcxl walk from its dentry cache (a `cxl list` does thousands of lookups; with 0 each
 * is a round trip to this process, several times slower). Failed lookups are never cached, so
 * a new region is seen at once; a removed one can still be stat()ed for up to that time
 * (readdir, open and read always ask this process, so listings and contents are current).
 *
 * The serving process writes `serve.json` in the state directory ({@link ServeInfo}) so that
 * `cxlsim run` finds the mount and the socket; it is removed on a clean stop. A mount left by
 * a killed server ("Transport endpoint is not connected") is lazily unmounted before a new
 * mount on the same directory.
 */

import { execFileSync } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { msUntilPendingWork, runPendingWork } from '../../drivers/workqueue.ts';
import { CliError } from '../errors.ts';
import type { CliContext } from '../session.ts';
import { type FuseOps, sysfsFuseOps } from './fuse-ops.ts';
import { startMboxServer } from './mbox-server.ts';
import { isMountPoint, SERVE_FILE, type ServeInfo } from './serve-record.ts';
import { LiveMachine } from './store.ts';

export { findServing, SERVE_FILE, type ServeInfo } from './serve-record.ts';

/** Kernel-side entry/attribute cache time, seconds (see the DOC). */
const DEFAULT_TIMEOUT = '0.05';

/** The fuse-native class as used here. */
interface FuseInstance {
  mount(cb: (err: Error | null) => void): void;
  unmount(cb: (err: Error | null) => void): void;
}
type FuseClass = new (mnt: string, ops: FuseOps, opts: Record<string, unknown>) => FuseInstance;

/**
 * Loads fuse-native and checks /dev/fuse.
 * @throws CliError naming what is missing (the binding, libfuse2, /dev/fuse)
 */
export async function loadFuse(): Promise<FuseClass> {
  let Fuse: FuseClass;
  try {
    // CommonJS module: require it (an optional dependency, absent in some installs)
    Fuse = createRequire(import.meta.url)('fuse-native') as FuseClass;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0] ?? '';
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && msg.includes("'fuse-native'"))
      throw new CliError(
        'FUSE is not available: the optional dependency fuse-native is not installed (npm install fuse-native)',
      );
    if (msg.includes('libfuse'))
      throw new CliError(
        `FUSE is not available: libfuse2 is missing (Debian: apt-get install libfuse2 fuse3): ${msg}`,
      );
    throw new CliError(`FUSE is not available: fuse-native does not load: ${msg}`);
  }
  try {
    accessSync('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch {
    throw new CliError('FUSE is not available: /dev/fuse is missing or not accessible');
  }
  return Fuse;
}

/** Detaches the mount at `dir` now (`umount -l`, else `fusermount -uz`); never throws. */
function lazyUnmount(dir: string): void {
  try {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
  } catch {
    try {
      execFileSync('fusermount', ['-uz', dir], { stdio: 'ignore' });
    } catch {}
  }
}

/**
 * Makes `dir` usable as a mount point: created if missing; a dead FUSE mount on it (a killed
 * server) is lazily unmounted. @throws CliError when a live mount is there
 */
function prepareMountPoint(dir: string): void {
  try {
    statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTCONN' || code === 'ECONNABORTED') lazyUnmount(dir);
    else if (code === 'ENOENT') mkdirSync(dir, { recursive: true });
    else throw new CliError(`cannot use ${dir} as a mount point: ${(e as Error).message}`);
    return;
  }
  if (isMountPoint(dir))
    throw new CliError(`${dir} is already a mount point (another cxlsim serve?)`);
}

/** A running server. */
export interface Serving {
  info: ServeInfo;
  live: LiveMachine;
  /** Unmounts, closes the socket, removes serve.json (idempotent). */
  close(): Promise<void>;
  /**
   * The synchronous last resort when the process must end now (a second SIGINT/SIGTERM while
   * {@link Serving.close} is still waiting on the FUSE unmount): lazily unmounts the mount point
   * (`umount -l`, else `fusermount -uz`), removes the socket directory and serve.json, so that
   * no stale mount is left behind. Never throws.
   */
  abort(): void;
}

/**
 * Serves the state directory's machine at `mountDir` (and a socket in a fresh temp dir).
 * @param record write serve.json (serve does; run's private server does not)
 */
export async function startServing(
  ctx: CliContext,
  mountDir: string,
  record: boolean,
): Promise<Serving> {
  const Fuse = await loadFuse();
  const mount = resolve(ctx.io.cwd, mountDir);
  const report = (e: unknown) =>
    ctx.io.err(`cxlsim: serve: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
  const live = new LiveMachine(ctx);
  await live.load();
  prepareMountPoint(mount);
  const sockDir = mkdtempSync(join(tmpdir(), 'cxlsim-'));
  const socket = join(sockDir, 'mbox.sock');
  let server: Server | undefined;
  /** Removes the socket directory and this process's serve record (idempotent). */
  const forget = () => {
    rmSync(sockDir, { recursive: true, force: true });
    if (record) {
      try {
        const cur = JSON.parse(readFileSync(join(ctx.stateDir, SERVE_FILE), 'utf8')) as ServeInfo;
        if (cur.pid === process.pid) rmSync(join(ctx.stateDir, SERVE_FILE), { force: true });
      } catch {}
    }
  };
  let fuse: FuseInstance | undefined;
  const cleanup = async () => {
    if (fuse) {
      const f = fuse;
      fuse = undefined;
      await new Promise<void>((r) => f.unmount(() => r()));
      // fuse-native unmounts with fusermount -uz; make sure nothing is left
      if (isMountPoint(mount)) lazyUnmount(mount);
    }
    if (server) {
      const s = server;
      server = undefined;
      await new Promise<void>((r) => s.close(() => r()));
    }
    forget();
  };
  try {
    server = await startMboxServer(live, socket, report);
    const timeout = ctx.io.env.CXLSIM_FUSE_TIMEOUT || DEFAULT_TIMEOUT;
    // a write returns once what the kernel cached before it has expired (fuse-ops.ts)
    const settleMs = Math.ceil(Number(timeout) * 1000) || 0;
    const f = new Fuse(mount, sysfsFuseOps(live, report, settleMs), {
      // fuse-native has no option for them, so they ride on fsname's -o list: big_writes lets
      // the kernel pass a write(2)/sendfile() of up to 128 KiB in one FUSE write (without it
      // every 4 KiB page is a write, so libcxl's sendfile() of a 16 MiB firmware image into
      // memN/firmware/memN/data was 4096 journaled stores, several minutes)
      fsname: 'cxlsim,big_writes,max_write=131072',
      entryTimeout: timeout,
      attrTimeout: timeout,
      acAttrTimeout: timeout,
    });
    await new Promise<void>((res, rej) => f.mount((err) => (err ? rej(err) : res())));
    fuse = f;
  } catch (e) {
    await cleanup();
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot mount FUSE at ${mount}: ${(e as Error).message}`);
  }
  // the guest keeps running between requests: its queued work (a firmware upload) advances
  // with the clock, not only when something reads /sys — run when it is due (at least every
  // WORK_TICK_MS, at most every 1 ms)
  let tick: NodeJS.Timeout | undefined;
  let stopped = false;
  const runDue = () => {
    let next = WORK_TICK_MS;
    try {
      const m = live.fresh();
      if (m) {
        runPendingWork(m.kernel);
        const due = msUntilPendingWork(m.kernel);
        if (due !== undefined) next = Math.min(Math.max(due, 1), WORK_TICK_MS);
      }
    } catch (e) {
      report(e);
    }
    if (stopped) return;
    tick = setTimeout(runDue, next);
    tick.unref();
  };
  tick = setTimeout(runDue, WORK_TICK_MS);
  tick.unref();
  const stop = cleanup;
  const closeAll = async () => {
    stopped = true;
    clearTimeout(tick);
    await stop();
  };
  const info: ServeInfo = { pid: process.pid, mount, socket, state: ctx.stateDir };
  if (record) writeFileSync(join(ctx.stateDir, SERVE_FILE), `${JSON.stringify(info, null, 2)}\n`);
  const abort = () => {
    stopped = true;
    clearTimeout(tick);
    if (isMountPoint(mount)) lazyUnmount(mount);
    forget();
  };
  return { info, live, close: closeAll, abort };
}

/** How often (ms) a served machine runs its due kernel work (drivers/workqueue.ts). */
const WORK_TICK_MS = 100;
