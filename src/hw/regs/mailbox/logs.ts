/**
 * DOC: Logs command set (0x04xx) — CXL 3.1 §8.2.9.5: Get Supported Logs and Get Log, with the
 * Command Effects Log (CEL) as the only log.
 *
 * The CEL lists every command the mailbox implements, 4 bytes each (opcode, effect), in
 * opcode order — QEMU builds it by walking its command table (cxl_rebuild_cel()). The kernel
 * enables a command only if its opcode is in the CEL and logs "Found LOG type <uuid> of size
 * <bytes>" for it. Get Log bounds (QEMU): 7.2 rejects offset + length beyond the payload size
 * (INPUT) and answers UNSUPPORTED for another UUID; 10.1 rejects a length beyond the payload
 * size or offset + length past its 64 Ki-entry CEL buffer (INPUT) and answers LOG (invalid log)
 * for another UUID. Bytes past the CEL's entries read as zeros.
 */

import { qemuMboxHas } from './qemu-since.ts';
import { le, MBOX_RC, type MboxCommand, type MboxContext, rc, uuidBytes } from './types.ts';

/** CEL UUID (CXL 3.1 §8.2.9.5.2.1). */
export const CEL_UUID = '0da9c0b5-bf41-4b78-8f79-96b1623b3f17';
/** Bytes of QEMU's CEL buffer (struct cel_log cel_log[1 << 16]). */
export const CEL_BUFFER_SIZE = 4 << 16;

/** The CEL bytes of a command list (opcode u16, effect u16; sorted by opcode). */
export function buildCel(commands: readonly { opcode: number; effect: number }[]): Uint8Array {
  const sorted = [...commands].sort((a, b) => a.opcode - b.opcode);
  const out = new Uint8Array(4 * sorted.length);
  const p = le(out);
  sorted.forEach((c, i) => {
    p.set16(4 * i, c.opcode);
    p.set16(4 * i + 2, c.effect);
  });
  return out;
}

function getSupported(ctx: MboxContext) {
  const p = le(ctx.out);
  ctx.out.fill(0, 0, 0x1c);
  p.set16(0, 1);
  ctx.out.set(uuidBytes(CEL_UUID), 8);
  p.set32(0x18, ctx.cel.length);
  return rc(MBOX_RC.SUCCESS, 0x1c);
}

function sameUuid(a: Uint8Array, b: Uint8Array): boolean {
  return a.length >= 16 && b.every((x, i) => a[i] === x);
}

function getLog(ctx: MboxContext) {
  const p = le(ctx.input);
  const offset = p.u32(16);
  const length = p.u32(20);
  const cel = uuidBytes(CEL_UUID);
  if (!qemuMboxHas(ctx.state.qemu, 'getLogChecks')) {
    if (offset + length > ctx.payloadSize) return rc(MBOX_RC.INPUT, ctx.input.length);
    if (!sameUuid(ctx.input, cel)) return rc(MBOX_RC.UNSUPPORTED, ctx.input.length);
  } else {
    if (length > ctx.payloadSize) return rc(MBOX_RC.INPUT);
    if (!sameUuid(ctx.input, cel)) return rc(MBOX_RC.LOG);
    if (offset + length >= CEL_BUFFER_SIZE) return rc(MBOX_RC.INPUT);
  }
  ctx.out.fill(0, 0, length);
  if (offset < ctx.cel.length)
    ctx.out.set(ctx.cel.subarray(offset, Math.min(ctx.cel.length, offset + length)));
  return rc(MBOX_RC.SUCCESS, length);
}

/** Logs commands. */
export function logCommands(): MboxCommand[] {
  return [
    { opcode: 0x0400, name: 'LOGS_GET_SUPPORTED', inLen: 0, effect: 0, handler: getSupported },
    { opcode: 0x0401, name: 'LOGS_GET_LOG', inLen: 0x18, effect: 0, handler: getLog },
  ];
}
