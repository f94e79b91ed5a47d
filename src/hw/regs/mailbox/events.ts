/**
 * DOC: Events command set (0x01xx) — CXL 3.1 §8.2.9.2.
 *
 * The device keeps no event records (nothing in cxlsim generates them), so Get Event Records
 * always answers an empty log. QEMU 7.2 implemented the set as stubs
 * (DEFINE_MAILBOX_HANDLER_ZEROED/NOP: 0x20 / 4 zero bytes, NOPs echo the input length); 10.1
 * (cxl-events.c) checks the log type, keeps interrupt enables and answers 0x20-byte headers.
 */
import type { QemuVersion } from '../../../profile.ts';
import { EFFECT, le, MBOX_RC, type MboxCommand, type MboxContext, rc, VAR } from './types.ts';

/** Event logs: informational, warning, failure, fatal, dynamic capacity (CXL_EVENT_TYPE_MAX = 5). */
export const EVENT_LOGS = 5;
/** Get Event Records output header size (CXL_EVENT_PAYLOAD_HDR_SIZE). */
export const EVENT_PAYLOAD_HDR_SIZE = 0x20;
/** QEMU's MSI-X vector of the first event log (CXL_T3_MSIX_EVENT_START); the others follow. */
export const EVENT_MSIX_START = 2;
/** Interrupt setting: mode 1 = MSI/MSI-X in bits 1:0, message number in bits 7:4. */
const INT_MSI_MSIX = 1;

function getRecords(ctx: MboxContext) {
  if (ctx.state.qemu !== '7.2' && (ctx.input[0] ?? 0) >= EVENT_LOGS) return rc(MBOX_RC.INPUT);
  ctx.out.fill(0, 0, EVENT_PAYLOAD_HDR_SIZE);
  return rc(MBOX_RC.SUCCESS, EVENT_PAYLOAD_HDR_SIZE);
}

function clearRecords(ctx: MboxContext) {
  if (ctx.state.qemu === '7.2') return rc(MBOX_RC.SUCCESS, ctx.input.length);
  const p = le(ctx.input);
  if (ctx.input.length < 6 || ctx.input.length < 6 + 2 * p.u8(2)) return rc(MBOX_RC.PAYLOADLEN);
  if (p.u8(0) >= EVENT_LOGS) return rc(MBOX_RC.INPUT);
  return rc(MBOX_RC.SUCCESS);
}

function getInterruptPolicy(ctx: MboxContext) {
  ctx.out.fill(0, 0, EVENT_LOGS);
  if (ctx.state.qemu === '7.2') return rc(MBOX_RC.SUCCESS, 4);
  ctx.state.eventIrq.forEach((on, i) => {
    if (!on) return;
    ctx.out[i] = i === 4 ? INT_MSI_MSIX : ((EVENT_MSIX_START + i) << 4) | INT_MSI_MSIX;
  });
  return rc(MBOX_RC.SUCCESS, EVENT_LOGS);
}

function setInterruptPolicy(ctx: MboxContext) {
  if (ctx.state.qemu === '7.2') return rc(MBOX_RC.SUCCESS, ctx.input.length);
  if (ctx.input.length < 4) return rc(MBOX_RC.PAYLOADLEN);
  const n = ctx.input.length < EVENT_LOGS ? 4 : EVENT_LOGS;
  for (let i = 0; i < n; i++) ctx.state.eventIrq[i] = ((ctx.input[i] ?? 0) & 3) === INT_MSI_MSIX;
  return rc(MBOX_RC.SUCCESS);
}

/** The events commands of a QEMU version (input lengths and effects as its cxl_cmd_set). */
export function eventCommands(qemu: QemuVersion): MboxCommand[] {
  return [
    { opcode: 0x0100, name: 'EVENTS_GET_RECORDS', inLen: 1, effect: 0, handler: getRecords },
    {
      opcode: 0x0101,
      name: 'EVENTS_CLEAR_RECORDS',
      inLen: VAR,
      effect: EFFECT.IMMEDIATE_LOG_CHANGE,
      handler: clearRecords,
    },
    {
      opcode: 0x0102,
      name: 'EVENTS_GET_INTERRUPT_POLICY',
      inLen: 0,
      effect: 0,
      handler: getInterruptPolicy,
    },
    {
      opcode: 0x0103,
      name: 'EVENTS_SET_INTERRUPT_POLICY',
      inLen: qemu === '7.2' ? 4 : VAR,
      effect: EFFECT.IMMEDIATE_CONFIG_CHANGE,
      handler: setInterruptPolicy,
    },
  ];
}
