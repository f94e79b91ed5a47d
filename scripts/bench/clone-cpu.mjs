/**
 * CPU time of `copyGraph()` (src/kernel/graph-copy.ts, what `Machine.clone()` runs) on one
 * booted machine, for before/after comparisons of the copier on a shared machine (issue 12).
 * Loads a built library (this tree's dist/ or another build's), boots the 64-endpoint machine of
 * scripts/bench/prop.ts (or the default preset), copies it WARM times (env, default 300: the
 * copier's per-shape functions are compiled and optimized), then 60 batches of 5 copies, each
 * batch after a minor collection (`node --expose-gc`), and prints one JSON line: single copies'
 * CPU (`process.cpuUsage()`) median, p10 and min, and the batches' CPU per copy, min and median
 * (what a run of copies pays with the collections they cause).
 * Usage: node --expose-gc scripts/bench/clone-cpu.mjs [DIST_DIR] [ep64|default]
 *   (run two builds alternately, several times each: the minimum moves least with the load)
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EP64_SHAPE } from './shapes.mjs';

const dist = resolve(process.argv[2] ?? 'dist');
const which = process.argv[3] ?? 'ep64';
const warm = Number(process.env.WARM ?? 300);
const lib = (p) => import(pathToFileURL(`${dist}/${p}.js`).href);
const { bootSync } = await lib('api/boot');
const { copyGraph } = await lib('kernel/graph-copy');
const { generateTopology } = await lib('topology/generate');
const m =
  which === 'default'
    ? bootSync({ preset: 'default' })
    : bootSync({
        topology: generateTopology(EP64_SHAPE),
      });
const cpuMs = (c) => (c.user + c.system) / 1000;
for (let i = 0; i < warm; i++) copyGraph(m.raw);
const singles = [];
const batches = [];
for (let b = 0; b < 60; b++) {
  globalThis.gc({ type: 'minor' });
  const c0 = process.cpuUsage();
  for (let i = 0; i < 5; i++) {
    const c = process.cpuUsage();
    copyGraph(m.raw);
    singles.push(cpuMs(process.cpuUsage(c)));
  }
  batches.push(cpuMs(process.cpuUsage(c0)) / 5);
}
const q = (xs, f) => {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.floor(f * (s.length - 1))].toFixed(2));
};
console.log(
  JSON.stringify({
    dist,
    machine: which,
    single_median_ms: q(singles, 0.5),
    single_p10_ms: q(singles, 0.1),
    single_min_ms: q(singles, 0),
    batch_min_ms: q(batches, 0),
    batch_median_ms: q(batches, 0.5),
  }),
);
