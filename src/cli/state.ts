/**
 * DOC: the CLI's view of the state store, which lives in src/state (journal.ts, ops.ts);
 * re-exported here for the commands.
 */
export {
  corrupt,
  describeOp,
  type JournalOp,
  type MachineState,
  newState,
  readState,
  STATE_FILE,
  STATE_FORMAT,
  STATE_VERSION,
  type StoredInput,
  type StoredVfio,
  stateFile,
  writeState,
} from '../state/journal.ts';
