/**
 * Property-testing benchmarks (issue 12), run by scripts/bench/run.ts in its own process
 * (usage: node --expose-gc --import tsx scripts/bench/prop.ts [--quick]):
 *
 * - machine copies: `Machine.clone()` of the default preset and of a generated 64-endpoint
 *   machine (2 host bridges × 2 root ports × 1 switch level × fan-out 16), next to what a fresh
 *   boot of the same topology costs (median of several, after warm-up);
 * - cases per minute, all invariants on: `runProperty()` (what `cxlsim prop` runs) on the default
 *   preset (a case: clone the booted machine, run a random request sequence, check every
 *   invariant, tear down), and with a fresh random QEMU-expressible topology per case
 *   (`--gen`, up to 16 endpoints);
 * - where a case's time goes (clone, requests + state invariants, refused-write checks,
 *   teardown), over the same cases.
 * Prints a table, then one JSON line: { clone, prop, split, targets }.
 */
import fc from 'fast-check';
import { table } from 'table';
import { bootSync } from '../../src/api/boot.ts';
import { caseArb } from '../../src/prop/arbitraries.ts';
import { runCase } from '../../src/prop/case.ts';
import { INVARIANT_NAMES, type InvariantName } from '../../src/prop/invariants.ts';
import { runProperty } from '../../src/prop/runner.ts';
import { generateTopology } from '../../src/topology/generate.ts';

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
const clone = {
  default_clone_ms: time(() => def.clone(), quick ? 10 : 40),
  default_boot_ms: time(() => bootSync({ preset: 'default' }), quick ? 5 : 20),
  ep64_clone_ms: time(() => m64.clone(), quick ? 3 : 10, 1),
  ep64_boot_ms: time(() => bootSync({ topology: t64 }), quick ? 3 : 10, 1),
};

// 2. cases per minute
const runs = quick ? 100 : 400;
const pDefault = runProperty({ source: { preset: 'default' }, profile: 'latest', runs, seed: 1 });
const pGen = runProperty({
  source: { gen: {} },
  profile: 'latest',
  runs: quick ? 40 : 150,
  seed: 1,
});
const prop = {
  default_cases_per_min: pDefault.casesPerSecond * 60,
  gen_cases_per_min: pGen.casesPerSecond * 60,
  runs: pDefault.runs,
  gen_runs: pGen.runs,
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
const none = per([]);
const state = per([
  'hpa-disjoint',
  'dpa-disjoint',
  'commit-order',
  'hw-committed',
  'data-roundtrip',
]);
const refused = per(['refused-write']);
const teardown = per(['teardown']);
const all = per(INVARIANT_NAMES);
const split = {
  clone_ms: all.clone,
  requests_ms: none.run,
  state_invariants_ms: state.run - none.run,
  refused_write_ms: refused.run - none.run,
  teardown_ms: teardown.run - none.run,
  total_ms: all.clone + all.run,
};

const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');
console.log(
  table([
    ['figure', 'value'],
    ['clone, default preset (ms)', f2(clone.default_clone_ms)],
    ['fresh boot, default preset (ms)', f2(clone.default_boot_ms)],
    ['clone, 64 endpoints (ms)', f2(clone.ep64_clone_ms)],
    ['fresh boot, 64 endpoints (ms)', f2(clone.ep64_boot_ms)],
    ['prop cases/min, default preset, all invariants', prop.default_cases_per_min.toFixed(0)],
    ['prop cases/min, fresh random topology per case', prop.gen_cases_per_min.toFixed(0)],
    ['per case: clone (ms)', f2(split.clone_ms)],
    ['per case: requests (ndctl / sysfs writes) (ms)', f2(split.requests_ms)],
    ['per case: state invariants (ms)', f2(split.state_invariants_ms)],
    ['per case: refused-write checks (ms)', f2(split.refused_write_ms)],
    ['per case: teardown (ms)', f2(split.teardown_ms)],
  ]),
);
const targets = [
  {
    name: 'prop cases/min (default preset, all invariants) >= 10000',
    value: prop.default_cases_per_min,
    ok: prop.default_cases_per_min >= 10000,
  },
  {
    name: 'prop cases/min (fresh topology per case) >= 1000',
    value: prop.gen_cases_per_min,
    ok: prop.gen_cases_per_min >= 1000,
  },
  {
    name: 'clone of a 64-endpoint machine < 1 ms',
    value: clone.ep64_clone_ms,
    ok: clone.ep64_clone_ms < 1,
  },
];
console.log(JSON.stringify({ clone, prop, split, targets }));
