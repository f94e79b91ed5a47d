/**
 * DOC: cxlsim as a library (`import { boot } from 'cxlsim'`): boot a CXL topology and drive the
 * guest the way a user on it would — /sys, ndctl's `cxl`, memory by HPA — see docs/api.md.
 * Property-testing helpers are separate entries: `cxlsim/arbitraries`, `cxlsim/invariants`.
 */
export {
  type BootApiOptions,
  type BootInput,
  boot,
  bootSync,
  loadTopology,
  parseQemuLine,
  restore,
} from './api/boot.ts';
export {
  type CommandResult,
  Machine,
  type MachineSnapshot,
  type MachineSysfs,
  type StoredBootInput,
} from './api/machine.ts';
export type { MachineOp } from './api/ops.ts';
export type { Explanation } from './explain/index.ts';
export type { TranslateReport } from './explain/translate.ts';
export { ERRNO, Errno, type ErrnoName, strerror } from './kernel/errno.ts';
export { PROFILES, type Profile } from './profile.ts';
export type { SysEntry } from './sysfs/view.ts';
export type * from './topology/model.ts';
export { PRESET_NAMES } from './topology/presets/index.ts';
export { QemuError } from './topology/qemu-errors.ts';
