/**
 * DOC: journaling views of the machine for commands that change it — the library's recording
 * views (src/api/ops.ts), which the CLI shares.
 *
 * ndctl-style commands act on the guest only through /sys writes and memdev ioctls, as the
 * real tool does. Wrapping both records every write (refused ones with their errno) and every
 * state-changing ioctl (SET_LSA, SET_PARTITION_INFO, …) in the order they happened, so that
 * replaying the journal on a fresh boot rebuilds the same machine.
 */
export {
  MUTATING_IDS,
  recordIoctl as recordingIoctl,
  recordSysfs as recordingSysfs,
} from '../api/ops.ts';
