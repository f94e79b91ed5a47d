/**
 * DOC: replaying a journal on a freshly booted machine.
 *
 * Each operation is applied through its kind's entry in JOURNAL_OPS (ops.ts), after the guest
 * ran until it (ops.ts beforeOp(): a live op's `at`, else the end of the work left running);
 * the work left running after the last one runs to its end. An operation
 * whose outcome differs from the journaled one means the state no longer describes this
 * cxlsim, and is reported in one line naming the state file and the operation.
 */

import { settleWork } from '../drivers/workqueue.ts';
import { Errno } from '../kernel/errno.ts';
import type { Machine } from '../machine.ts';
import { StateError } from './errors.ts';
import { beforeOp, describeOp, type JournalOp, opKind } from './ops.ts';

/**
 * Replays journaled operations `ops[from…]` on a machine that holds `ops[0…from)` (a fresh
 * boot: from = 0; a snapshot's machine: its count); returns the machine the last one leaves
 * (a `reboot` replaces the guest, keeping the hardware).
 * @throws StateError naming the state file and the failing operation (numbered from 1 in
 *   the whole journal)
 */
export function replay(m0: Machine, ops: readonly JournalOp[], file: string, from = 0): Machine {
  let m = m0;
  for (let i = from; i < ops.length; i++) {
    const op = ops[i] as JournalOp;
    try {
      beforeOp(m, op);
      m = opKind(op).replay(m, op);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      throw new StateError(
        `state file ${file} cannot be replayed (operation ${i + 1}, ${describeOp(op)}, failed: ${e.describe()}); remove it or use --state`,
      );
    }
  }
  // what the guest left running runs to its end, as in the process that made the last op
  settleWork(m.kernel);
  return m;
}
