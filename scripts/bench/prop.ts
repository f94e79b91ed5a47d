/**
 * Property-testing benchmarks (issue 12), run by scripts/bench/run.ts in its own process
 * (usage: node --expose-gc --import tsx scripts/bench/prop.ts [--quick]):
 *
 * - machine copies: `Machine.clone()` of the default preset and of a generated 64-endpoint
 *   machine (2 host bridges × 2 root ports × 1 switch level × fan-out 16), next to what a fresh
 *   boot of the same topology costs (median of several, after warm-up), and the process CPU per
 *   clone of a loop of clones (garbage collection included);
 * - cases per minute, all invariants on: `runProperty()` (what `cxlsim prop` runs) on the default
 *   preset (a case: clone the booted machine, run a random request sequence, check every
 *   invariant, tear down), and with a fresh random QEMU-expressible topology per case
 *   (`--gen`, up to 16 endpoints) — in one thread (wall clock, and per CPU-minute of the
 *   process: `process.cpuUsage()`, which the other sessions sharing the machine do not
 *   inflate the way they inflate wall time), and as `cxlsim prop --jobs 2` runs
 *   (`runPropertyJobs()`: two worker threads, one per core; wall clock including the workers'
 *   start and boots). The targets are checked on the one-thread wall figures;
 * - where a case's time goes (clone, requests + state invariants, refused-write checks,
 *   teardown), over the same cases.
 * - the same CPU figures from scripts/bench/prop-cpu.mjs in a plain `node` process on dist/
 *   (what the cxlsim executable runs; this script's tsx loader makes copies about twice and
 *   cases about 20 % dearer), which the default-preset cases-per-minute targets (wall and per
 *   CPU-minute) are checked on.
 * The library is loaded from the built dist/ (what the `cxlsim` executable runs), or from src/
 * through tsx with CXLSIM_BENCH_FROM=src (tsx's name-keeping helpers add 10–20 %).
 * Prints a table, then one JSON line: { clone, prop, split, targets }.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { table } from 'table';
import type { InvariantName } from '../../src/prop/invariants.ts';

const root = join(import.meta.dirname, '../..');
const from = process.env.CXLSIM_BENCH_FROM === 'src' ? 'src' : 'dist';
/** A library module from dist/ (compiled JS) or src/ (TypeScript through tsx). */
async function lib<T>(path: string): Promise<T> {
  const file = from === 'src' ? join(root, 'src', `${path}.ts`) : join(root, 'dist', `${path}.js`);
  return (await import(pathToFileURL(file).href)) as T;
}
const { bootSync } = await lib<typeof import('../../src/api/boot.ts')>('api/boot');
const { caseArb } = await lib<typeof import('../../src/prop/arbitraries.ts')>('prop/arbitraries');
const { runCase } = await lib<typeof import('../../src/prop/case.ts')>('prop/case');
const { INVARIANT_NAMES } =
  await lib<typeof import('../../src/prop/invariants.ts')>('prop/invariants');
const { runProperty } = await lib<typeof import('../../src/prop/runner.ts')>('prop/runner');
const { runPropertyJobs } = await lib<typeof import('../../src/prop/parallel.ts')>('prop/parallel');
const { generateTopology } =
  await lib<typeof import('../../src/topology/generate.ts')>('topology/generate');

const quick = process.argv.includes('--quick');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] as number) : Number.NaN;
};
const time = (f: () => unknown, n: number, warm = 3) => {
  for (let i = 0; i < warm; i++) f();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
};

// 1. copies vs boots
const def = bootSync({ preset: 'default' });
const t64 = generateTopology({
  hostBridges: 2,
  rootPorts: 2,
  switchLevels: 1,
  fanout: 16,
  endpoints: 64,
});
const m64 = bootSync({ topology: t64 });
/**
 * Process CPU ms per call over `n` calls in a row, each result dropped at once: what a run of
 * copies pays, the garbage collections they cause included (a median of single calls leaves
 * those out).
 */
const amortizedCpu = (f: () => unknown, n: number) => {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / n;
};
const clone = {
  // warmed as a `cxlsim prop` run warms them: the copier's per-shape code is compiled on use
  default_clone_ms: time(() => def.clone(), quick ? 10 : 40, 50),
  default_boot_ms: time(() => bootSync({ preset: 'default' }), quick ? 5 : 20),
  ep64_clone_ms: time(() => m64.clone(), quick ? 3 : 10, 5),
  ep64_boot_ms: time(() => bootSync({ topology: t64 }), quick ? 3 : 10, 1),
  // measured after the property runs below (a steady heap, as in a long `cxlsim prop`)
  default_clone_amortized_cpu_ms: Number.NaN,
  ep64_clone_amortized_cpu_ms: Number.NaN,
};

// 2. cases per minute (a short warm-up run first: the JIT, as in a long `cxlsim prop`)
const runs = quick ? 100 : 400;
const genRuns = quick ? 40 : 150;
runProperty({ source: { preset: 'default' }, profile: 'latest', runs: 30, seed: 7 });
/** A run, with the process's CPU time (all threads) it took. */
const timed = <R>(f: () => R): [R, number] => {
  const c0 = process.cpuUsage();
  const r = f();
  const c = process.cpuUsage(c0);
  return [r, (c.user + c.system) / 1000];
};
const [pDefault, cpuDefault] = timed(() =>
  runProperty({ source: { preset: 'default' }, profile: 'latest', runs, seed: 1 }),
);
const [pGen, cpuGen] = timed(() =>
  runProperty({ source: { gen: {} }, profile: 'latest', runs: genRuns, seed: 1 }),
);
// two worker threads (the CPU time of workers is not the process's main thread only: wall)
const jobs = (source: { preset: string } | { gen: object }, n: number) =>
  runPropertyJobs({
    source,
    profile: 'latest',
    runs: n,
    seed: 1,
    jobs: 2,
    workerUrl: pathToFileURL(join(root, from, `prop/worker.${from === 'src' ? 'ts' : 'js'}`)),
  });
const jDefault = await jobs({ preset: 'default' }, runs * 2);
const jGen = await jobs({ gen: {} }, genRuns * 2);
clone.default_clone_amortized_cpu_ms = amortizedCpu(() => def.clone(), quick ? 200 : 1000);
clone.ep64_clone_amortized_cpu_ms = amortizedCpu(() => m64.clone(), quick ? 20 : 100);
const prop = {
  default_cases_per_min: pDefault.casesPerSecond * 60,
  default_cases_per_cpu_min: (pDefault.runs / cpuDefault) * 60_000,
  gen_cases_per_min: pGen.casesPerSecond * 60,
  gen_cases_per_cpu_min: (pGen.runs / cpuGen) * 60_000,
  jobs2_default_cases_per_min: jDefault.casesPerSecond * 60,
  jobs2_gen_cases_per_min: jGen.casesPerSecond * 60,
  jobs2_threads: jDefault.threads,
  runs: pDefault.runs,
  gen_runs: pGen.runs,
  jobs2_runs: jDefault.runs,
  from,
};

// 3. where the time goes (same cases, invariant subsets)
const cases = fc.sample(caseArb(), { numRuns: quick ? 40 : 150, seed: 1 });
const per = (inv: readonly InvariantName[]) => {
  let clone = 0;
  let rest = 0;
  for (const c of cases) {
    const t0 = performance.now();
    const m = def.clone();
    const t1 = performance.now();
    runCase(m, c, inv);
    rest += performance.now() - t1;
    clone += t1 - t0;
  }
  return { clone: clone / cases.length, run: rest / cases.length };
};
const SUBSETS = {
  none: [] as InvariantName[],
  state: [
    'hpa-disjoint',
    'dpa-disjoint',
    'commit-order',
    'hw-committed',
    'data-roundtrip',
  ] as InvariantName[],
  refused: ['refused-write'] as InvariantName[],
  teardown: ['teardown'] as InvariantName[],
  all: [...INVARIANT_NAMES],
};
type Subset = keyof typeof SUBSETS;
// a warm-up pass (the first pass pays the JIT and would make the differences below
// negative), then interleaved rounds, the fastest of each subset kept
per(SUBSETS.all);
const best = {} as Record<Subset, { clone: number; run: number }>;
for (let round = 0; round < (quick ? 2 : 3); round++)
  for (const k of Object.keys(SUBSETS) as Subset[]) {
    const r = per(SUBSETS[k]);
    const b0 = best[k];
    if (!b0 || r.run < b0.run) best[k] = r;
  }
const { none, state, refused, teardown, all } = best;
const split = {
  clone_ms: all.clone,
  requests_ms: none.run,
  state_invariants_ms: state.run - none.run,
  refused_write_ms: refused.run - none.run,
  teardown_ms: teardown.run - none.run,
  total_ms: all.clone + all.run,
};

// 4. the same figures in a plain `node` process on dist/ (as the cxlsim executable runs): this
// script runs under tsx, whose loader makes copies ~2× and cases ~20 % dearer in CPU time
/** prop-cpu.mjs's JSON line (see that script). */
interface PlainCpu {
  cpu_ms_per_case: number;
  cases_per_cpu_min: number;
  wall_cases_per_min: number;
  default_clone_cpu_ms: number;
  ep64_clone_cpu_ms: number;
  default_clone_amortized_cpu_ms: number;
  ep64_clone_amortized_cpu_ms: number;
}
const plain: PlainCpu | undefined =
  from === 'dist'
    ? (JSON.parse(
        execFileSync(
          process.execPath,
          [join(root, 'scripts/bench/prop-cpu.mjs'), join(root, 'dist'), quick ? '300' : '1000'],
          { encoding: 'utf8' },
        )
          .trim()
          .split('\n')
          .pop() ?? '{}',
      ) as PlainCpu)
    : undefined;

const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');
console.log(
  table([
    ['figure', 'value'],
    ['clone, default preset (ms)', f2(clone.default_clone_ms)],
    ['fresh boot, default preset (ms)', f2(clone.default_boot_ms)],
    ['clone, 64 endpoints (ms)', f2(clone.ep64_clone_ms)],
    [
      'clone in a loop, CPU per clone incl. GC: default (ms)',
      f2(clone.default_clone_amortized_cpu_ms),
    ],
    ['  same, 64 endpoints (ms)', f2(clone.ep64_clone_amortized_cpu_ms)],
    ['fresh boot, 64 endpoints (ms)', f2(clone.ep64_boot_ms)],
    ['prop cases/min, default preset, all invariants', prop.default_cases_per_min.toFixed(0)],
    ['  same, per CPU-minute', prop.default_cases_per_cpu_min.toFixed(0)],
    ['  same, --jobs 2 (wall)', prop.jobs2_default_cases_per_min.toFixed(0)],
    ['prop cases/min, fresh random topology per case', prop.gen_cases_per_min.toFixed(0)],
    ['  same, per CPU-minute', prop.gen_cases_per_cpu_min.toFixed(0)],
    ['  same, --jobs 2 (wall)', prop.jobs2_gen_cases_per_min.toFixed(0)],
    ['per case: clone (ms)', f2(split.clone_ms)],
    ['per case: requests (ndctl / sysfs writes) (ms)', f2(split.requests_ms)],
    ['per case: state invariants (ms)', f2(split.state_invariants_ms)],
    ['per case: refused-write checks (ms)', f2(split.refused_write_ms)],
    ['per case: teardown (ms)', f2(split.teardown_ms)],
    ['plain node on dist/ (prop-cpu.mjs): CPU per case (ms)', f2(plain?.cpu_ms_per_case ?? NaN)],
    ['  cases per CPU-minute', (plain?.cases_per_cpu_min ?? Number.NaN).toFixed(0)],
    ['  wall cases/min', (plain?.wall_cases_per_min ?? Number.NaN).toFixed(0)],
    ['  clone, default preset, median CPU (ms)', f2(plain?.default_clone_cpu_ms ?? NaN)],
    ['  clone, 64 endpoints, median CPU (ms)', f2(plain?.ep64_clone_cpu_ms ?? NaN)],
    [
      '  clone in a loop, default / 64 endpoints (ms)',
      `${f2(plain?.default_clone_amortized_cpu_ms ?? NaN)} / ${f2(plain?.ep64_clone_amortized_cpu_ms ?? NaN)}`,
    ],
  ]),
);
const targets = [
  {
    name: 'prop cases/min (default preset, all invariants, one thread, plain node) >= 10000',
    value: plain?.wall_cases_per_min ?? prop.default_cases_per_min,
    ok: (plain?.wall_cases_per_min ?? prop.default_cases_per_min) >= 10000,
  },
  {
    name: 'prop cases per CPU-minute (default preset, all invariants, one thread, plain node) >= 10000',
    value: plain?.cases_per_cpu_min ?? prop.default_cases_per_cpu_min,
    ok: (plain?.cases_per_cpu_min ?? prop.default_cases_per_cpu_min) >= 10000,
  },
  {
    name: 'prop cases/min (fresh topology per case, one thread) >= 1000',
    value: prop.gen_cases_per_min,
    ok: prop.gen_cases_per_min >= 1000,
  },
  {
    name: 'clone of a 64-endpoint machine < 1 ms',
    value: clone.ep64_clone_ms,
    ok: clone.ep64_clone_ms < 1,
  },
];
console.log(JSON.stringify({ clone, prop, split, plain, targets }));
