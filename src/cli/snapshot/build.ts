/**
 * DOC: writing a machine snapshot (src/state/snapshot.ts) at a bounded interval.
 *
 * When cxlsim runs from its bundle (dist/cli/cxlsim.cjs, `npm run build`), a command that
 * used the machine checks, still under the state lock, how many journal operations the
 * current snapshot lacks; from {@link SNAPSHOT_EVERY} on it builds a new one: a child
 * `node --snapshot-blob TMP --build-snapshot cxlsim.cjs` boots the journal's machine, replays
 * every operation and serializes its heap (bundle.ts), then the blob is fsynced and renamed
 * into `<state>/snapshot/`, meta.json replaced atomically and the previous blob removed. So a
 * command never replays more than SNAPSHOT_EVERY − 1 operations on top of a snapshot (~0.1 ms each on the default preset), and
 * the cost of a build (a boot and a full replay, ~0.5 s on the default preset) is paid once
 * per SNAPSHOT_EVERY operations.
 *
 * Blobs are built and loaded with {@link SNAPSHOT_NODE_FLAGS} (the same flags on both sides,
 * as V8 requires): without `--max-old-space-size`, Node 20.20's deserializer crashes (SIGSEGV)
 * on the ~200 MB blob of a 4096-endpoint machine. Machines whose heap exceeds
 * {@link SNAPSHOT_MAX_HEAP} (about 10,000 endpoints) are not snapshotted.
 * A failed build changes nothing but the cache; `CXLSIM_SNAPSHOT=0` turns snapshots off.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomicSync } from '../../state/atomic.ts';
import { type MachineState, readState } from '../../state/journal.ts';
import { processAlive, withStateLock } from '../../state/lock.ts';
import {
  formatSnapshotMeta,
  nodeIdentity,
  prefixKey,
  readSnapshotMeta,
  type SnapshotMeta,
  snapshotDir,
  snapshotMetaFile,
  snapshotTail,
  startedFromSnapshot,
} from '../../state/snapshot.ts';

/** A snapshot is rebuilt once the journal has this many operations it does not hold. */
export const SNAPSHOT_EVERY = 256;
/** Largest heap (bytes, `process.memoryUsage().heapUsed` after the command) snapshotted. */
export const SNAPSHOT_MAX_HEAP = 512 * 1024 * 1024;
/**
 * node's flags when it builds or loads a blob (launcher.sh passes the same; V8 refuses a blob
 * built with other flags). `--initial-old-space-size=256` (MB): a deserialized 4096-endpoint
 * machine is ~145 MB of old space, past V8's default initial old-generation limit, so every
 * command from its snapshot started with a full mark-compact of the whole machine (~140–200 ms
 * of a `sysfs write`, `--trace-gc`); with the limit ~110 MB above the machine that collection
 * waits until a command has promoted as much. It was 512: a 4096-endpoint `sysfs dump` then
 * never collected, and its ~100 MB of promoted garbage stayed (peak RSS 534 MB; with 256 one
 * concurrent mark-compact, ~15 ms on the main thread, at ~210 MB: 479 MB). Machines whose heap
 * is above 256 MB (~7,000 endpoints) start each command with one again.
 * `--max-semi-space-size=8` (MB): the young generation stays at up to 8 MB semi-spaces instead
 * of growing to 16 (the dump's peak: ~15 MB less; `list -M` and `sysfs write` CPU unchanged).
 */
export const SNAPSHOT_NODE_FLAGS = [
  '--max-old-space-size=4096',
  '--no-allocation-site-pretenuring',
  '--initial-old-space-size=256',
  '--max-semi-space-size=8',
];
/** Environment variable naming the state directory a snapshot-building process boots. */
export const BUILD_ENV = 'CXLSIM_SNAPSHOT_BUILD';
/** The argument with which a snapshot's process only prints "<key> <n>" (the load check). */
export const CHECK_ARG = '--cxlsim-snapshot-check';

/** The bundle this process runs from: its path and build id (set by bundle.ts). */
let bundle: { path: string; build: string } | undefined;

/**
 * Records the CLI bundle if `dir` holds one (cxlsim.cjs and cxlsim.build-id, `npm run build`);
 * without it (running from the sources) no snapshot is built.
 */
export function findBundle(dir: string): void {
  try {
    const build = readFileSync(join(dir, 'cxlsim.build-id'), 'utf8').trim();
    const path = join(dir, 'cxlsim.cjs');
    if (/^[0-9a-f]{64}$/.test(build) && existsSync(path)) bundle = { path, build };
  } catch {
    /* no bundle */
  }
}

/** Whether snapshots are enabled in this environment (`CXLSIM_SNAPSHOT=0` disables them). */
export function snapshotsEnabled(env: Record<string, string | undefined>): boolean {
  return env.CXLSIM_SNAPSHOT !== '0' && env[BUILD_ENV] === undefined;
}

/** The current meta of `stateDir` if this node and bundle can load its blob. */
function usableMeta(stateDir: string): SnapshotMeta | undefined {
  const m = readSnapshotMeta(stateDir);
  if (!m || !bundle || m.build !== bundle.build) return undefined;
  try {
    return m.node === nodeIdentity(process.execPath) ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds a new snapshot of `stateDir` if its journal `st` (just written) has at least
 * {@link SNAPSHOT_EVERY} operations the current one lacks. Call under the state lock.
 * Never throws: a snapshot is a cache.
 */
export function maybeBuildSnapshot(
  stateDir: string,
  st: MachineState,
  env: Record<string, string | undefined>,
): void {
  if (!bundle || !snapshotsEnabled(env)) return;
  let meta = usableMeta(stateDir);
  // not started from it although it is this build's: the launcher found the blob damaged
  // (or the command does not start from snapshots); a damaged one counts as none
  if (meta && !startedFromSnapshot() && !blobIntact(stateDir, meta)) meta = undefined;
  if (snapshotTail(st, meta) < SNAPSHOT_EVERY) return;
  if (process.memoryUsage().heapUsed > SNAPSHOT_MAX_HEAP) return;
  try {
    buildSnapshot(stateDir, bundle);
  } catch {
    /* a cache: the next command tries again */
  }
}

/** POSIX `cksum` of a file ("CRC SIZE"), as the shell launcher checks it; undefined if it fails. */
function cksum(file: string): { cksum: string; size: number } | undefined {
  const r = spawnSync('cksum', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const m = /^(\d+) (\d+) /.exec(r.stdout ?? '');
  return r.status === 0 && m ? { cksum: m[1] as string, size: Number(m[2]) } : undefined;
}

/** Whether the blob `meta` names has its recorded size and cksum. */
function blobIntact(stateDir: string, meta: SnapshotMeta): boolean {
  const sum = cksum(join(snapshotDir(stateDir), meta.blob));
  return sum !== undefined && sum.cksum === meta.cksum && sum.size === meta.size;
}

/** A blob built and checked, not yet installed: its temporary file and what it holds. */
interface BuiltBlob {
  tmp: string;
  cksum: string;
  size: number;
  key: string;
  n: number;
}

/** `building-PID.tmp`: a blob being written by process PID. */
const BUILDING = /^building-(\d+)\.tmp$/;

/**
 * Builds a blob of the journal in `stateDir` as it is on disk now into a temporary file of
 * the snapshot directory, and checks that it loads. Removes the temporary files of builders
 * that are gone (killed); another live builder's (a background one) is left alone.
 * @returns the blob, or undefined when the builder refused or failed (nothing left behind)
 */
function buildBlob(stateDir: string, b: { path: string; build: string }): BuiltBlob | undefined {
  const dir = snapshotDir(stateDir);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) {
    const m = BUILDING.exec(f);
    if (m && !processAlive(Number(m[1]))) rmSync(join(dir, f), { force: true });
  }
  const tmp = join(dir, `building-${process.pid}.tmp`);
  const fail = () => {
    rmSync(tmp, { force: true });
    return undefined;
  };
  const opts = {
    env: { ...process.env, [BUILD_ENV]: stateDir },
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8' as const,
    timeout: 300_000,
  };
  const r = spawnSync(
    process.execPath,
    [...SNAPSHOT_NODE_FLAGS, '--snapshot-blob', tmp, '--build-snapshot', b.path],
    opts,
  );
  // the builder prints "<key> <n>" of the journal it replayed
  const got = /^([0-9a-f]{64}) (\d+)$/m.exec(r.stdout ?? '');
  if (r.status !== 0 || !got) return fail();
  // a blob that V8 cannot load (Node 20 crashes on some large heaps) is never recorded
  const check = spawnSync(
    process.execPath,
    [...SNAPSHOT_NODE_FLAGS, '--snapshot-blob', tmp, '--', CHECK_ARG],
    {
      ...opts,
      env: { ...process.env },
    },
  );
  if (check.status !== 0 || check.stdout.trim() !== `${got[1]} ${got[2]}`) return fail();
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const sum = cksum(tmp);
  if (!sum) return fail();
  return { tmp, ...sum, key: got[1] as string, n: Number(got[2]) };
}

/** Renames a built blob into place and records it in meta (under the state lock). */
function installBlob(stateDir: string, b: { build: string }, built: BuiltBlob): SnapshotMeta {
  const dir = snapshotDir(stateDir);
  const blob = `machine-${built.key.slice(0, 16)}-${Date.now().toString(36)}.blob`;
  renameSync(built.tmp, join(dir, blob));
  const meta: SnapshotMeta = {
    build: b.build,
    node: nodeIdentity(process.execPath),
    blob,
    cksum: built.cksum,
    size: built.size,
    key: built.key,
    n: built.n,
  };
  writeFileAtomicSync(snapshotMetaFile(stateDir), formatSnapshotMeta(meta));
  for (const f of readdirSync(dir))
    if (f !== blob && f.endsWith('.blob')) rmSync(join(dir, f), { force: true });
  return meta;
}

/**
 * Builds a snapshot of the journal in `stateDir` as it is on disk now (see the DOC block),
 * and checks that it loads before it is recorded. Call under the state lock.
 * @returns the new meta, or undefined when the builder refused or failed
 */
export function buildSnapshot(
  stateDir: string,
  b: { path: string; build: string },
): SnapshotMeta | undefined {
  const built = buildBlob(stateDir, b);
  return built && installBlob(stateDir, b, built);
}

/** How many blobs a background builder tries before it gives up (each checked by loading it). */
const BACKGROUND_TRIES = 3;

/** Whether the booted machine cost enough CPU seconds to snapshot it in the background. */
export const BACKGROUND_AFTER_BOOT_CPU_S = 1;

/**
 * After a `boot` whose machine took {@link BACKGROUND_AFTER_BOOT_CPU_S} or more CPU seconds to
 * build (hundreds of endpoints), starts a detached process that snapshots it
 * ({@link backgroundSnapshot}), so that the commands after it load the machine instead of
 * booting it again, rather than only once 256 operations are journaled. Never throws.
 */
export function startBackgroundSnapshot(
  stateDir: string,
  env: Record<string, string | undefined>,
  bootCpuS: number,
): void {
  if (!bundle || !snapshotsEnabled(env) || bootCpuS < BACKGROUND_AFTER_BOOT_CPU_S) return;
  try {
    const call = `require(${JSON.stringify(bundle.path)}).backgroundSnapshot(${JSON.stringify(resolve(stateDir))})`;
    const child = spawn(process.execPath, ['-e', call], {
      detached: true,
      stdio: 'ignore',
      env: { ...env },
    });
    child.on('error', () => {});
    child.unref();
  } catch {
    /* a cache */
  }
}

/**
 * The detached builder of {@link startBackgroundSnapshot} (run from the bundle, which has set
 * {@link findBundle}): builds a blob of the journal as it is on disk, without the state lock
 * (state.json is only ever replaced whole), then takes the lock for the install only, and
 * installs it only if the journal still starts with the operations it holds and no snapshot
 * holding as many is there. Never throws.
 */
export async function backgroundSnapshotIn(stateDir: string): Promise<void> {
  const b = bundle;
  if (!b) return;
  let built: BuiltBlob | undefined;
  try {
    // Node 20.20's deserializer crashes (SIGSEGV) on some blobs of large machines, which the
    // check catches; another build usually loads
    for (let i = 0; i < BACKGROUND_TRIES && !built; i++) built = buildBlob(stateDir, b);
    if (!built) return;
    const got = built;
    await withStateLock(
      stateDir,
      async () => {
        const st = readState(stateDir);
        const cur = usableMeta(stateDir);
        const ok =
          st !== undefined &&
          got.n <= st.ops.length &&
          prefixKey(st, got.n) === got.key &&
          !(cur && cur.n >= got.n && snapshotTail(st, cur) < st.ops.length);
        if (ok) installBlob(stateDir, b, got);
      },
      120_000,
    );
  } catch {
    /* a cache: a later command builds one */
  } finally {
    if (built) rmSync(built.tmp, { force: true });
  }
}

/** Removes the snapshot cache of `stateDir` (a new `boot` replaced the journal). Never throws. */
export function dropSnapshot(stateDir: string): void {
  try {
    rmSync(snapshotDir(stateDir), { recursive: true, force: true });
  } catch {
    /* a cache: a stale one is ignored anyway (its key does not match) */
  }
}
