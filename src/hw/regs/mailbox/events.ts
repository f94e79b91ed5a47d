/**
 * DOC: Events command set (0x01xx) — CXL 3.1 §8.2.9.2, and the device's event logs.
 *
 * QEMU 7.2 implemented the set as stubs (DEFINE_MAILBOX_HANDLER_ZEROED/NOP: 0x20 / 4 zero
 * bytes, NOPs echo the input length). From 8.0 (cxl-events.c) each of the five logs
 * (informational, warning, failure, fatal, dynamic capacity) holds records:
 * * insert (cxl_event_insert()): a log holding 8 records (CXL_TEST_EVENT_OVERFLOW) drops the
 *   record and counts an overflow (first / last overflow timestamps); otherwise the record
 *   gets the next handle (never 0) and the device timestamp, the Event Status register bit of
 *   the log is set, and the log's MSI-X vector fires when it went from empty to non-empty
 *   with its interrupt enabled;
 * * Get Event Records (log u8; ≥ 5 → INPUT): header (flags: bit 0 overflow, bit 1 more
 *   records — set while the log is not empty, as QEMU does; overflow count, first / last
 *   overflow timestamps, record count) then up to (payload − 0x20) / 128 records, oldest first;
 * * Clear Event Records (log, flags, count, 3 reserved, handles u16[]): the handles must be
 *   the log's oldest records in order (INPUT otherwise); each cleared record resets the
 *   overflow state; an empty log clears its status bit;
 * * Get/Set Event Interrupt Policy: MSI/MSI-X mode per log, vectors from 2 (dynamic
 *   capacity shares the informational one and reports mode only).
 */
import type { QemuVersion } from '../../../profile.ts';
import { qemuAtLeast } from '../../../profile.ts';
import type { MemDevState } from '../memdev-state.ts';
import { deviceTimestamp, msixNotify } from '../memdev-state.ts';
import { ownEventLog } from '../ras-state.ts';
import { QEMU_SINCE } from './qemu-since.ts';
import { EFFECT, le, MBOX_RC, type MboxCommand, type MboxContext, rc, VAR } from './types.ts';

/** Event logs: informational, warning, failure, fatal, dynamic capacity (CXL_EVENT_TYPE_MAX = 5). */
export const EVENT_LOGS = 5;
/** Get Event Records output header size (CXL_EVENT_PAYLOAD_HDR_SIZE). */
export const EVENT_PAYLOAD_HDR_SIZE = 0x20;
/** Size of one event record (CXL_EVENT_RECORD_SIZE). */
export const EVENT_RECORD_SIZE = 128;
/** Records a log holds before it overflows (CXL_TEST_EVENT_OVERFLOW). */
export const EVENT_LOG_CAPACITY = 8;
/** QEMU's MSI-X vector of the first event log (CXL_T3_MSIX_EVENT_START); the others follow. */
export const EVENT_MSIX_START = 2;
/** Interrupt setting: mode 1 = MSI/MSI-X in bits 1:0, message number in bits 7:4. */
const INT_MSI_MSIX = 1;

const hasLogs = (s: MemDevState) => qemuAtLeast(s.qemu, QEMU_SINCE.eventLogs);

/**
 * Adds a record to a log (QEMU cxl_event_insert()): handle and timestamp are assigned here.
 * @param notify false: no interrupt now (the caller signals once after a batch)
 * @param stamp false: the record keeps its own timestamp (the cxl_test mock's static records,
 *   whose timestamp is never set)
 * @returns false when the log was full (the overflow is counted instead)
 */
export function eventInsert(
  s: MemDevState,
  log: number,
  record: Uint8Array,
  notify = true,
  stamp = true,
): boolean {
  const l = ownEventLog(s.ras, log);
  if (!l) return false;
  const now = deviceTimestamp(s);
  if (l.records.length >= (s.ras.eventLogCapacity ?? EVENT_LOG_CAPACITY)) {
    if (l.overflowCount === 0) l.firstOverflow = now;
    l.overflowCount++;
    l.lastOverflow = now;
    return false;
  }
  const rec = new Uint8Array(EVENT_RECORD_SIZE);
  rec.set(record.subarray(0, EVENT_RECORD_SIZE));
  const p = le(rec);
  p.set16(0x14, l.nextHandle);
  l.nextHandle = (l.nextHandle + 1) & 0xffff || 1;
  if (stamp) p.set64(0x18, now);
  l.records.push(rec);
  if (notify && l.records.length === 1 && s.eventIrq[log])
    msixNotify(s, log === 4 ? EVENT_MSIX_START : EVENT_MSIX_START + log);
  return true;
}

/** The Event Status register (CXL 3.1 §8.2.8.3.1): bit n set while log n holds records. */
export function eventStatus(s: MemDevState): number {
  let v = 0;
  s.ras.events.forEach((l, i) => {
    if (l.records.length > 0) v |= 1 << i;
  });
  return v;
}

function getRecords(ctx: MboxContext) {
  const s = ctx.state;
  if (!hasLogs(s)) {
    ctx.out.fill(0, 0, EVENT_PAYLOAD_HDR_SIZE);
    return rc(MBOX_RC.SUCCESS, EVENT_PAYLOAD_HDR_SIZE);
  }
  const type = ctx.input[0] ?? 0;
  const l = s.ras.events[type];
  if (!l) return rc(MBOX_RC.INPUT);
  const max = Math.min(
    0xffff,
    Math.floor((ctx.payloadSize - EVENT_PAYLOAD_HDR_SIZE) / EVENT_RECORD_SIZE),
  );
  const recs = l.records.slice(0, max);
  const o = le(ctx.out);
  ctx.out.fill(0, 0, EVENT_PAYLOAD_HDR_SIZE);
  recs.forEach((r, i) => {
    ctx.out.set(r, EVENT_PAYLOAD_HDR_SIZE + EVENT_RECORD_SIZE * i);
  });
  let flags = 0;
  if (l.records.length > 0) flags |= 1 << 1;
  if (l.overflowCount) {
    flags |= 1 << 0;
    o.set16(2, l.overflowCount);
    o.set64(4, l.firstOverflow);
    o.set64(0xc, l.lastOverflow);
  }
  o.set8(0, flags);
  o.set16(0x14, recs.length);
  return rc(MBOX_RC.SUCCESS, EVENT_PAYLOAD_HDR_SIZE + EVENT_RECORD_SIZE * recs.length);
}

function clearRecords(ctx: MboxContext) {
  const s = ctx.state;
  if (!hasLogs(s)) return rc(MBOX_RC.SUCCESS, ctx.input.length);
  const p = le(ctx.input);
  const n = p.u8(2);
  if (ctx.input.length < 6 || ctx.input.length < 6 + 2 * n) return rc(MBOX_RC.PAYLOADLEN);
  const l = s.ras.events[p.u8(0)];
  if (!l) return rc(MBOX_RC.INPUT);
  for (let i = 0; i < n && i < l.records.length; i++) {
    const h = p.u16(6 + 2 * i);
    if (h === 0 || le(l.records[i] as Uint8Array).u16(0x14) !== h) return rc(MBOX_RC.INPUT);
  }
  for (let i = 0; i < n && l.records.length > 0; i++) {
    l.overflowCount = 0;
    l.firstOverflow = 0n;
    l.lastOverflow = 0n;
    l.records.shift();
  }
  return rc(MBOX_RC.SUCCESS);
}

function getInterruptPolicy(ctx: MboxContext) {
  ctx.out.fill(0, 0, EVENT_LOGS);
  if (!hasLogs(ctx.state)) return rc(MBOX_RC.SUCCESS, 4);
  ctx.state.eventIrq.forEach((on, i) => {
    if (!on) return;
    ctx.out[i] = i === 4 ? INT_MSI_MSIX : ((EVENT_MSIX_START + i) << 4) | INT_MSI_MSIX;
  });
  return rc(MBOX_RC.SUCCESS, EVENT_LOGS);
}

function setInterruptPolicy(ctx: MboxContext) {
  if (!hasLogs(ctx.state)) return rc(MBOX_RC.SUCCESS, ctx.input.length);
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
      inLen: qemuAtLeast(qemu, QEMU_SINCE.eventLogs) ? VAR : 4,
      effect: EFFECT.IMMEDIATE_CONFIG_CHANGE,
      handler: setInterruptPolicy,
    },
  ];
}
