/**
 * DOC: Persistent Memory Data-at-rest Security command set (0x45xx) — CXL 3.1 §8.2.9.9.6.
 * Only Get Security State (0x4500), which QEMU answers with 4 zero bytes (no passphrase set,
 * not locked, not frozen).
 */
import { MBOX_RC, type MboxCommand, type MboxContext, rc } from './types.ts';

function getSecurityState(ctx: MboxContext) {
  ctx.out.fill(0, 0, 4);
  return rc(MBOX_RC.SUCCESS, 4);
}

/** Security commands (QEMU ≥ 8.2). */
export function securityCommands(): MboxCommand[] {
  return [
    { opcode: 0x4500, name: 'GET_SECURITY_STATE', inLen: 0, effect: 0, handler: getSecurityState },
  ];
}
