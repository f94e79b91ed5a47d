/**
 * DOC: `cxlsim/invariants` — checks on a booted Machine (src/prop/invariants.ts): HPA/DPA
 * disjointness, commit order, HDM COMMITTED bits vs the driver, data round trip, refused writes,
 * teardown. No dependency beyond cxlsim itself.
 */
export {
  assertInvariants,
  breakInvariantForTest,
  type CheckedWrite,
  checkedWrite,
  checkInvariants,
  checkTeardown,
  cxlTreeFingerprint,
  INVARIANT_NAMES,
  INVARIANTS,
  type Invariant,
  type InvariantName,
  type Violation,
} from './prop/invariants.ts';
