/**
 * DOC: the state directory's lock lives in src/state/lock.ts (pid-checked, no timers);
 * re-exported here for the commands.
 */
export { LOCK_NAME, type StateLock, withStateLock } from '../state/lock.ts';
