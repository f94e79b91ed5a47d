/**
 * DOC: Persistent Memory Data-at-rest Security command set (0x45xx) — CXL 3.1 §8.2.9.9.6 —
 * and Sanitize (0x4400, §8.2.9.9.5.1).
 * Get Security State (0x4500): QEMU answers with 4 zero bytes (no passphrase set, not locked,
 * not frozen). Sanitize (QEMU 8.2, see QEMU_COMPAT.sanitizeCommand) is listed in the CEL with
 * QEMU's effects (immediate data change, security state change, background operation, abort
 * supported); cxlsim does not run the background sanitize itself (the kernel's only caller,
 * the `security/sanitize` store, is not modelled either), so the command answers Unsupported.
 */
import { MBOX_RC, type MboxCommand, type MboxContext, rc } from './types.ts';

function getSecurityState(ctx: MboxContext) {
  ctx.out.fill(0, 0, 4);
  return rc(MBOX_RC.SUCCESS, 4);
}

/** CEL effects of Sanitize: bits 2 (data), 5 (security state), 6 (background), 8 (abort). */
const SANITIZE_EFFECT = (1 << 2) | (1 << 5) | (1 << 6) | (1 << 8);

/** Security commands (QEMU 10.0+), Sanitize included when `sanitize`. */
export function securityCommands(sanitize: boolean): MboxCommand[] {
  const cmds: MboxCommand[] = [
    { opcode: 0x4500, name: 'GET_SECURITY_STATE', inLen: 0, effect: 0, handler: getSecurityState },
  ];
  if (sanitize)
    cmds.push({
      opcode: 0x4400,
      name: 'SANITIZE',
      inLen: 0,
      effect: SANITIZE_EFFECT,
      handler: () => rc(MBOX_RC.UNSUPPORTED),
    });
  return cmds;
}
