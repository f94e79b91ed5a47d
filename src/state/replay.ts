/**
 * DOC: replaying a journal on a freshly booted machine.
 *
 * Each operation is applied through its kind's entry in JOURNAL_OPS (ops.ts); an operation
 * whose outcome differs from the journaled one means the state no longer describes this
 * cxlsim, and is reported in one line naming the state file and the operation.
 */
import { Errno } from '../kernel/errno.ts';
import type { Machine } from '../machine.ts';
import { StateError } from './errors.ts';
import { describeOp, type JournalOp, opKind } from './ops.ts';

/**
 * Replays journaled operations on a fresh boot; returns the machine the last one leaves
 * (a `reboot` replaces the guest, keeping the hardware).
 * @throws StateError naming the state file and the failing operation
 */
export function replay(m0: Machine, ops: readonly JournalOp[], file: string): Machine {
  let m = m0;
  for (const [i, op] of ops.entries()) {
    try {
      m = opKind(op).replay(m, op);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      throw new StateError(
        `state file ${file} cannot be replayed (operation ${i + 1}, ${describeOp(op)}, failed: ${e.describe()}); remove it or use --state`,
      );
    }
  }
  return m;
}
