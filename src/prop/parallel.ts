/**
 * DOC: `cxlsim prop --jobs N` — one property run split into N shards run at once, each in a
 * worker thread (worker.ts) with its own booted machine, so that a run uses every core.
 *
 * Job j of N runs shard `i·N + j` of `n·N` when the run itself is shard i of n (`--shard`), with
 * runner.ts's shard rules: ceil(runs / (n·N)) cases, seed `seed + i·N + j`. The cases drawn are
 * therefore those of the N shards, not those of a one-job run of the same seed, and a job's
 * failure replays alone as that shard (`--shard`, which {@link ParallelRunResult.failedShard}
 * names). Every job runs to its end (each stops at its own first failure and shrinks it); the
 * failure reported is that of the lowest failing job, so the result does not depend on timing.
 * Where no worker entry can be found (a bundle without dist/prop/worker.js), the shards run one
 * after the other in this thread: same result, one core.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Errno, type ErrnoName } from '../kernel/errno.ts';
import type { InvariantName } from './invariants.ts';
import { type PropRunOptions, type PropRunResult, runProperty } from './runner.ts';

/** Options of {@link runPropertyJobs}: a run's options (not `onCase`'s per-job counts) and N. */
export interface ParallelRunOptions extends PropRunOptions {
  /** Worker threads (shards run at once); 1 runs in this thread. */
  jobs: number;
  /**
   * The test hook of invariants.ts (`breakInvariantForTest`) to set in every worker (shards run
   * in this thread see the caller's own setting).
   */
  breakInvariant?: InvariantName;
  /** The worker entry (worker.js, or worker.ts under tsx); default: next to this module. */
  workerUrl?: URL;
}

/** Outcome of a parallel run: a run's outcome over all jobs. */
export interface ParallelRunResult extends PropRunResult {
  /** Jobs run. */
  jobs: number;
  /** Whether the jobs ran in worker threads (false: one after the other in this thread). */
  threads: boolean;
  /** The shard (0-based index, count) of the failing job that {@link PropRunResult.failure} is from. */
  failedShard?: { index: number; count: number };
}

/** Shard of job `j` of `jobs` within the run's own shard (see the DOC block). */
export function jobShard(
  shard: { index: number; count: number } | undefined,
  j: number,
  jobs: number,
): { index: number; count: number } {
  const s = shard ?? { index: 0, count: 1 };
  return { index: s.index * jobs + j, count: s.count * jobs };
}

/** What a worker posts. */
export type WorkerMessage =
  | { kind: 'progress'; done: number }
  | { kind: 'done'; result: PropRunResult }
  | { kind: 'error'; code?: ErrnoName; message: string; device?: string };

/** What a worker is handed (worker.ts). */
export interface WorkerInput {
  options: Omit<PropRunOptions, 'onCase'>;
  breakInvariant?: InvariantName;
}

/** The worker entry next to this module (worker.js in dist/, worker.ts in src/), if present. */
function defaultWorkerUrl(): URL | undefined {
  for (const name of ['./worker.js', './worker.ts']) {
    const u = new URL(name, import.meta.url);
    if (u.protocol === 'file:' && existsSync(fileURLToPath(u))) return u;
  }
  return undefined;
}

/** Starts a worker on `entry`; a TypeScript entry is loaded through tsx (development only). */
function startWorker(entry: URL, input: WorkerInput): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData: input });
  // tsx's hooks registered by --import apply only after a worker's entry is loaded: register
  // them first, then import the entry
  const req = createRequire(fileURLToPath(entry));
  const api = pathToFileURL(req.resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
  return new Worker(
    `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })`,
    { eval: true, workerData: input },
  );
}

/** Runs one job in a worker; progress counts go to `onDone`. */
function runInWorker(
  entry: URL,
  input: WorkerInput,
  onDone: (done: number) => void,
): Promise<PropRunResult> {
  return new Promise((resolve, reject) => {
    const w = startWorker(entry, input);
    let settled = false;
    w.on('message', (m: WorkerMessage) => {
      if (m.kind === 'progress') onDone(m.done);
      else if (m.kind === 'done') {
        settled = true;
        resolve(m.result);
        void w.terminate();
      } else {
        settled = true;
        reject(m.code ? new Errno(m.code, m.message, m.device ?? '') : new Error(m.message));
        void w.terminate();
      }
    });
    w.on('error', (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    w.on('exit', (code) => {
      if (!settled) reject(new Error(`cxlsim prop: a job's worker exited with code ${code}`));
      settled = true;
    });
  });
}

/**
 * Runs the property as `jobs` shards at once (see the DOC block). `onCase(done, total)` counts
 * the cases of all jobs. @throws Errno for a source that does not boot
 */
export async function runPropertyJobs(o: ParallelRunOptions): Promise<ParallelRunResult> {
  const jobs = Math.max(1, Math.floor(o.jobs));
  const { jobs: _j, breakInvariant, workerUrl, onCase, ...rest } = o;
  const shards = Array.from({ length: jobs }, (_, j) => jobShard(o.shard, j, jobs));
  const total = shards.reduce((n, s) => n + Math.ceil(o.runs / s.count), 0);
  const done = new Array<number>(jobs).fill(0);
  const progress = (j: number, d: number) => {
    done[j] = d;
    onCase?.(
      done.reduce((a, b) => a + b, 0),
      total,
    );
  };
  const given = workerUrl && existsSync(fileURLToPath(workerUrl)) ? workerUrl : undefined;
  const entry = jobs > 1 ? (given ?? defaultWorkerUrl()) : undefined;
  const t0 = performance.now();
  let results: PropRunResult[];
  if (entry) {
    results = await Promise.all(
      shards.map((shard, j) =>
        runInWorker(
          entry,
          { options: { ...rest, shard }, ...(breakInvariant ? { breakInvariant } : {}) },
          (d) => progress(j, d),
        ),
      ),
    );
  } else {
    results = shards.map((shard, j) =>
      runProperty({ ...rest, shard, onCase: (d) => progress(j, d) }),
    );
  }
  const elapsedMs = performance.now() - t0;
  const failed = results.findIndex((r) => r.failure);
  const first = results[failed >= 0 ? failed : 0] as PropRunResult;
  const runs = results.reduce((n, r) => n + r.runs, 0);
  return {
    ...first,
    runs,
    elapsedMs,
    // all jobs' cases over the whole run's wall time (worker start and boots included)
    casesPerSecond: runs / (elapsedMs / 1000),
    jobs,
    threads: entry !== undefined,
    ...(failed >= 0 ? { failedShard: shards[failed] as { index: number; count: number } } : {}),
  };
}
