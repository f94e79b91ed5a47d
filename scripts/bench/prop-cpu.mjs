/**
 * CPU-time figures of issue 12 for before/after comparisons on a shared machine (wall time swings
 * with the other load; a process's CPU time much less). Loads a built library — this tree's
 * dist/ or another build's (e.g. of an older commit) — and prints one JSON line:
 * - `runProperty()` on the default preset: `runs` cases (seed 1) after 50 warm-up cases (seed 7),
 *   process CPU (`process.cpuUsage()`, all threads) per case and cases per CPU-minute;
 * - `Machine.clone()` median CPU per call: the default preset (200 calls) and the 64-endpoint
 *   machine of scripts/bench/prop.ts (30 calls); and amortized — the process CPU of a loop of
 *   2,000 (default) or 200 (64 endpoints) clones, each dropped at once, divided by the count:
 *   what a run of copies pays including the garbage collections the copies cause.
 * Usage: node scripts/bench/prop-cpu.mjs [DIST_DIR] [RUNS]   (defaults: ./dist, 1000)
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EP64_SHAPE } from './shapes.mjs';

const dist = resolve(process.argv[2] ?? 'dist');
const runs = Number(process.argv[3] ?? 1000);
const lib = (p) => import(pathToFileURL(`${dist}/${p}.js`).href);
const { runProperty } = await lib('prop/runner');
const { bootSync } = await lib('api/boot');
const { generateTopology } = await lib('topology/generate');

const cpuMs = (c) => (c.user + c.system) / 1000;
runProperty({ source: { preset: 'default' }, profile: 'latest', runs: 50, seed: 7 });
const c0 = process.cpuUsage();
const p = runProperty({ source: { preset: 'default' }, profile: 'latest', runs, seed: 1 });
const perCase = cpuMs(process.cpuUsage(c0)) / p.runs;

const median = (f, n) => {
  const xs = [];
  for (let i = 0; i < n; i++) {
    const c = process.cpuUsage();
    f();
    xs.push(cpuMs(process.cpuUsage(c)));
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor((n - 1) / 2)];
};
const def = bootSync({ preset: 'default' });
const m64 = bootSync({
  topology: generateTopology(EP64_SHAPE),
});
for (let i = 0; i < 50; i++) def.clone();
for (let i = 0; i < 5; i++) m64.clone();
/** Process CPU ms per call of `f` over `n` calls in a row. */
const amortized = (f, n) => {
  const c = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  return cpuMs(process.cpuUsage(c)) / n;
};
console.log(
  JSON.stringify({
    dist,
    runs: p.runs,
    failed: Boolean(p.failure),
    cpu_ms_per_case: Number(perCase.toFixed(2)),
    cases_per_cpu_min: Math.round(60_000 / perCase),
    wall_cases_per_min: Math.round(p.casesPerSecond * 60),
    default_clone_cpu_ms: Number(median(() => def.clone(), 200).toFixed(2)),
    ep64_clone_cpu_ms: Number(median(() => m64.clone(), 30).toFixed(1)),
    default_clone_amortized_cpu_ms: Number(amortized(() => def.clone(), 2000).toFixed(2)),
    ep64_clone_amortized_cpu_ms: Number(amortized(() => m64.clone(), 200).toFixed(1)),
  }),
);
