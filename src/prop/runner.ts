/**
 * DOC: property runs as a product (`cxlsim prop`): N random cases on one booted machine (each
 * case on a copy: `Machine.clone()`) or on a fresh random topology per case (`gen`), fast-check
 * drawing the cases from a seed, every invariant checked, the first failure shrunk by
 * fast-check to the smallest topology and request sequence that still fails.
 *
 * Sharding (`--shard i/n`, for CI matrices) runs ceil(runs/n) cases with seed `seed + i`, so the
 * shards draw different cases and each shard replays alone. Comparing profiles runs the same
 * case under two profiles and reports the first case whose step outcomes differ (a
 * kernel-upgrade regression finder); that difference is the "failure" shrunk.
 */
import fc from 'fast-check';
import { bootSync } from '../api/boot.ts';
import type { Machine } from '../api/machine.ts';
import type { Topology } from '../topology/model.ts';
import { caseArb, topologyArb } from './arbitraries.ts';
import { type CaseReport, type PropCase, runCase, type Step } from './case.ts';
import { INVARIANT_NAMES, type InvariantName, type Violation } from './invariants.ts';

/** Where the cases' machines come from. */
export type PropSource =
  | { preset: string }
  | { qemu: string; path?: string }
  | { topology: Topology | string; path?: string }
  /** A fresh random topology per case (QEMU-expressible unless `any`). */
  | { gen: { any?: boolean; maxEndpoints?: number } };

/** Options of {@link runProperty}. */
export interface PropRunOptions {
  source: PropSource;
  profile: string;
  runs: number;
  seed: number;
  invariants?: readonly InvariantName[];
  shard?: { index: number; count: number };
  /** A second profile: report the first case whose outcomes differ between the two. */
  compareProfile?: string;
  /** Called after each case (not during shrinking). */
  onCase?(done: number, total: number): void;
}

/** The smallest failing case fast-check found. */
export interface PropFailure {
  topology: Topology;
  case: PropCase;
  report: CaseReport;
  /** In compare mode: the steps under the second profile. */
  other?: { profile: string; steps: Step[] };
  violations: Violation[];
  /** fast-check's replay path and the number of shrink steps taken. */
  path: string;
  shrinks: number;
}

/** Outcome of a run. */
export interface PropRunResult {
  runs: number;
  seed: number;
  profile: string;
  invariants: InvariantName[];
  elapsedMs: number;
  casesPerSecond: number;
  failure?: PropFailure;
}

/** Steps' outcomes only (names and results), for comparing profiles. */
function outcomes(steps: readonly Step[]): string[] {
  return steps.map((s) =>
    s.kind === 'cxl'
      ? `cxl ${s.argv.join(' ')} -> ${s.code}`
      : s.kind === 'write'
        ? `${s.path} <- ${s.value.trim()}: ${s.result}`
        : 'teardown',
  );
}

/** Runs the property (see the DOC block). @throws Errno for a source that does not boot */
export function runProperty(o: PropRunOptions): PropRunResult {
  const invariants = [...(o.invariants ?? INVARIANT_NAMES)];
  const shard = o.shard ?? { index: 0, count: 1 };
  const runs = Math.ceil(o.runs / shard.count);
  const seed = o.seed + shard.index;
  const ram = o.profile !== 'debian-12';
  const cases = caseArb({ ram });
  const topologies: fc.Arbitrary<Topology | undefined> =
    'gen' in o.source
      ? topologyArb({ qemu: !o.source.gen.any, maxEndpoints: o.source.gen.maxEndpoints ?? 16 })
      : fc.constant(undefined);
  const base: Machine | undefined =
    'gen' in o.source ? undefined : bootSync(o.source, { profile: o.profile });
  const other: Machine | undefined =
    base && o.compareProfile
      ? bootSync(o.source as never, { profile: o.compareProfile })
      : undefined;
  let done = 0;
  let shrinking = false;
  let casesEnd = 0;
  let last: { t: Topology; c: PropCase; report: CaseReport; other?: Step[] } | undefined;
  const run = (t: Topology | undefined, c: PropCase): boolean => {
    const m = t ? bootSync({ topology: t }, { profile: o.profile }) : (base as Machine).clone();
    const report = runCase(m, c, invariants);
    let otherSteps: Step[] | undefined;
    let same = true;
    if (o.compareProfile) {
      const m2 = t
        ? bootSync({ topology: t }, { profile: o.compareProfile })
        : (other as Machine).clone();
      otherSteps = runCase(m2, c, invariants).steps;
      same = outcomes(report.steps).join('\n') === outcomes(otherSteps).join('\n');
    }
    if (!shrinking) {
      done++;
      o.onCase?.(done, runs);
    }
    const ok = report.violations.length === 0 && same;
    if (!ok && !shrinking) {
      casesEnd = performance.now();
      shrinking = true;
    }
    if (!ok) {
      last = { t: t ?? m.topology, c, report, ...(otherSteps ? { other: otherSteps } : {}) };
    }
    return ok;
  };
  const t0 = performance.now();
  const details = fc.check(fc.property(topologies, cases, run), { numRuns: runs, seed });
  const elapsedMs = performance.now() - t0;
  const result: PropRunResult = {
    runs: done,
    seed,
    profile: o.profile,
    invariants,
    elapsedMs,
    // cases drawn per second (shrinking excluded)
    casesPerSecond: done / (((casesEnd || t0 + elapsedMs) - t0) / 1000),
  };
  if (details.failed && !details.counterexample) throw details.errorInstance;
  if (details.failed && details.counterexample) {
    const [t, c] = details.counterexample;
    // re-run the shrunk counterexample so that its report is the one kept
    run(t, c);
    const f = last as NonNullable<typeof last>;
    result.failure = {
      topology: f.t,
      case: f.c,
      report: f.report,
      violations: f.report.violations,
      ...(o.compareProfile && f.other
        ? { other: { profile: o.compareProfile, steps: f.other } }
        : {}),
      path: details.counterexamplePath ?? '',
      shrinks: details.numShrinks,
    };
  }
  return result;
}

export { outcomes as stepOutcomes };
