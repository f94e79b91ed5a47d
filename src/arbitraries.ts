/**
 * DOC: `cxlsim/arbitraries` — fast-check arbitraries for region assembly (src/prop/arbitraries.ts)
 * and the pieces to run them: requests resolved to ndctl argv or /sys writes, whole cases.
 */
export {
  type CaseArbOptions,
  caseArb,
  createRegionArgvArb,
  GRANULARITIES,
  type RequestArbOptions,
  regionRequestArb,
  type TopologyArbOptions,
  topologyArb,
} from './prop/arbitraries.ts';
export {
  type CaseReport,
  type CaseRequest,
  type PropCase,
  runCase,
  type Step,
} from './prop/case.ts';
export {
  createRegionArgv,
  createRegionWrites,
  memdevNames,
  permuteWrites,
  type RegionRequest,
  type ResolvedRequest,
  resolveRequest,
  rootDecoders,
  type SysfsWrite,
} from './prop/request.ts';
