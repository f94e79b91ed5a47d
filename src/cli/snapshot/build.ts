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
import { spawnSync } from 'node:child_process';
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
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../state/atomic.ts';
import type { MachineState } from '../../state/journal.ts';
import {
  formatSnapshotMeta,
  nodeIdentity,
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
/** node's flags when it builds or loads a blob (launcher.sh passes the same). */
export const SNAPSHOT_NODE_FLAGS = [
  '--max-old-space-size=4096',
  '--no-allocation-site-pretenuring',
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

/**
 * Builds a snapshot of the journal in `stateDir` as it is on disk now (see the DOC block),
 * and checks that it loads before it is recorded.
 * @returns the new meta, or undefined when the builder refused or failed
 */
export function buildSnapshot(
  stateDir: string,
  b: { path: string; build: string },
): SnapshotMeta | undefined {
  const dir = snapshotDir(stateDir);
  mkdirSync(dir, { recursive: true });
  // under the state lock, a blob being built by another process is a killed builder's
  for (const f of readdirSync(dir))
    if (/^building-\d+\.tmp$/.test(f)) rmSync(join(dir, f), { force: true });
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
  const key = got[1] as string;
  const blob = `machine-${key.slice(0, 16)}-${Date.now().toString(36)}.blob`;
  renameSync(tmp, join(dir, blob));
  const meta: SnapshotMeta = {
    build: b.build,
    node: nodeIdentity(process.execPath),
    blob,
    ...sum,
    key,
    n: Number(got[2]),
  };
  writeFileAtomicSync(snapshotMetaFile(stateDir), formatSnapshotMeta(meta));
  for (const f of readdirSync(dir))
    if (f !== blob && f.endsWith('.blob')) rmSync(join(dir, f), { force: true });
  return meta;
}

/** Removes the snapshot cache of `stateDir` (a new `boot` replaced the journal). Never throws. */
export function dropSnapshot(stateDir: string): void {
  try {
    rmSync(snapshotDir(stateDir), { recursive: true, force: true });
  } catch {
    /* a cache: a stale one is ignored anyway (its key does not match) */
  }
}
