/**
 * DOC: `cxlsim/invariants` — checks on a booted Machine (src/prop/invariants.ts, writes.ts):
 * HPA/DPA disjointness, commit order, HDM COMMITTED bits vs the driver, data round trip,
 * refused writes, teardown. No dependency beyond cxlsim itself.
 */
export {
  assertInvariants,
  breakInvariantForTest,
  checkInvariants,
  INVARIANT_NAMES,
  INVARIANTS,
  type Invariant,
  type InvariantName,
  type Violation,
} from './prop/invariants.ts';
export {
  type CheckedWrite,
  checkedWrite,
  checkTeardown,
  cxlTreeFingerprint,
} from './prop/writes.ts';
