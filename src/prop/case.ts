/**
 * DOC: one property case — region requests run on a copy of a booted machine, the invariants
 * checked after each, then a teardown. Every step is recorded with the output cxlsim predicts
 * for it, so that a failing case becomes a guest script (bundle.ts).
 *
 * A request runs either as ndctl's `cxl create-region` (mode `ndctl`) or as the raw /sys writes
 * ndctl would make, possibly reordered (mode `sysfs`), each write checked by the refused-write
 * invariant; a raw sequence that does not end committed is cleaned up as ndctl does
 * (delete_region).
 */
import type { Machine } from '../api/machine.ts';
import { Errno } from '../kernel/errno.ts';
import {
  checkInvariants,
  INVARIANT_NAMES,
  type InvariantName,
  type Violation,
} from './invariants.ts';
import {
  createRegionArgv,
  createRegionWrites,
  permuteWrites,
  type RegionRequest,
  resolveRequest,
} from './request.ts';
import { CheckedWriter, checkTeardown } from './writes.ts';

/** One request of a case. */
export type CaseRequest =
  | { mode: 'ndctl'; req: RegionRequest }
  | { mode: 'sysfs'; req: RegionRequest; uuid: string; order: number[] };

/** A case: requests in order (then the teardown). */
export interface PropCase {
  requests: CaseRequest[];
}

/** One step as run, with the outcome cxlsim predicts. */
export type Step =
  | { kind: 'cxl'; argv: string[]; code: number; stdout: string; stderr: string }
  | { kind: 'write'; path: string; value: string; result: string }
  | { kind: 'teardown' };

/** What a case did and what it broke. */
export interface CaseReport {
  steps: Step[];
  violations: Violation[];
  /** Regions committed by the case's requests. */
  committed: number;
}

/** Runs `c` on `m` (which it changes: pass a clone). */
export function runCase(
  m: Machine,
  c: PropCase,
  invariants: readonly InvariantName[] = INVARIANT_NAMES,
): CaseReport {
  const steps: Step[] = [];
  const violations: Violation[] = [];
  const want = new Set(invariants);
  const stateChecks = invariants.filter((n) => n !== 'refused-write' && n !== 'teardown');
  let committed = 0;
  /** The checked writes (fingerprints shared between writes: nothing else changes the tree). */
  const checked = want.has('refused-write') ? new CheckedWriter(m) : undefined;
  const write = (path: string, value: string) => {
    if (checked) {
      const r = checked.write(path, value);
      violations.push(...r.violations);
      steps.push({ kind: 'write', path, value, result: r.result });
      return r.result;
    }
    let result = 'ok';
    try {
      m.sysfs.write(path, value);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      result = e.code;
    }
    steps.push({ kind: 'write', path, value, result });
    return result;
  };
  for (const q of c.requests) {
    const r = resolveRequest(m, q.req);
    if (!r) break;
    if (q.mode === 'ndctl') {
      const argv = createRegionArgv(r);
      const out = m.ndctl(argv);
      checked?.invalidate();
      steps.push({ kind: 'cxl', argv, ...out });
      if (out.code === 0 && /created 1 region/.test(out.stderr)) committed++;
    } else {
      const plan = createRegionWrites(m, r, q.uuid);
      if (!plan) continue;
      const results = permuteWrites(plan.writes, q.order).map((w) => write(w.path, w.value));
      const isCommitted = (() => {
        try {
          return m.sysfs.read(`bus/cxl/devices/${plan.region}/commit`).trim() === '1';
        } catch {
          return false;
        }
      })();
      if (isCommitted) committed++;
      else if (results[0] === 'ok') {
        const root = plan.writes[0]?.path.split('/')[2] as string;
        write(`bus/cxl/devices/${root}/delete_region`, `${plan.region}\n`);
      }
    }
    violations.push(...checkInvariants(m, stateChecks));
    if (violations.length) return { steps, violations, committed };
  }
  if (want.has('teardown')) {
    steps.push({ kind: 'teardown' });
    violations.push(
      ...checkTeardown(m, (path, value, result) =>
        steps.push({ kind: 'write', path, value, result }),
      ),
    );
  }
  return { steps, violations, committed };
}
