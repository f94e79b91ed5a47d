/**
 * DOC: event records, guest side (drivers/cxl/core/mbox.c cxl_mem_get_event_records(),
 * cxl_mem_get_records_log(), cxl_clear_event_record(), __cxl_event_trace_record();
 * drivers/cxl/pci.c cxl_event_config(), cxl_event_irqsetup(), cxl_event_thread()).
 *
 * At the end of cxl_pci's probe (kernel ≥ 6.3) the driver reads the interrupt policy, sets
 * every log to MSI/MSI-X, reads the policy back for the message numbers, requests those
 * vectors and drains all four logs ("Reading event logs: f"). Draining a log: Get Event
 * Records, one trace event per record (cxl_general_media / cxl_dram with the region and HPA of
 * the DPA, cxl_memory_module, or cxl_generic_event by the record's UUID), cxl_overflow when the
 * device flags an overflow, then Clear Event Records of the handles read — again until the log
 * answers no record. An event interrupt reads the Event Status register and drains the logs it
 * flags (fatal, failure, warning, informational).
 */
import { Errno, errnoNumber, isErrno } from '../../../kernel/errno.ts';
import { env } from '../../env.ts';
import { CXL_MBOX_OP, cxlInternalSendCmd, cxlMboxSend, le } from './mbox.ts';
import type { CxlMemdev } from './memdev.ts';
import { cxlDpaToRegion } from './poison.ts';
import { rasKver } from './ras-kver.ts';
import {
  CXL_EVENT_DRAM_UUID,
  CXL_EVENT_GEN_MEDIA_UUID,
  CXL_EVENT_MEM_MODULE_UUID,
  type HpaOf,
  pUb,
  traceCxlDram,
  traceCxlGeneralMedia,
  traceCxlGenericEvent,
  traceCxlMemoryModule,
  traceCxlOverflow,
} from './trace.ts';

/** CXLDEV_EVENT_STATUS_ALL: informational, warning, failure, fatal. */
export const CXLDEV_EVENT_STATUS_ALL = 0xf;
const GET_EVENT_RECORD = CXL_MBOX_OP.GET_EVENT_RECORD;
const CLEAR_EVENT_RECORD = 0x0101;
const GET_EVT_INT_POLICY = 0x0102;
const SET_EVT_INT_POLICY = 0x0103;
const ULLONG_MAX = (1n << 64n) - 1n;

/** __cxl_event_trace_record(): the trace event of one 128-byte record. */
function traceRecord(cxlmd: CxlMemdev, log: number, rec: Uint8Array): void {
  const uuid = pUb(rec.subarray(0, 16));
  if (uuid === CXL_EVENT_MEM_MODULE_UUID) {
    traceCxlMemoryModule(cxlmd, log, rec);
    return;
  }
  if (uuid !== CXL_EVENT_GEN_MEDIA_UUID && uuid !== CXL_EVENT_DRAM_UUID) {
    traceCxlGenericEvent(cxlmd, log, rec);
    return;
  }
  const dpa = le.u64(rec, 0x30) & ~0x3fn;
  const cxlr = cxlDpaToRegion(cxlmd, dpa);
  const at: HpaOf = { cxlr, hpa: cxlr ? cxlr.dpaToHpa(cxlmd, dpa) : ULLONG_MAX };
  if (uuid === CXL_EVENT_GEN_MEDIA_UUID) traceCxlGeneralMedia(cxlmd, log, rec, at);
  else traceCxlDram(cxlmd, log, rec, at);
}

/** cxl_mem_get_records_log(): drains one log. */
function getRecordsLog(cxlmd: CxlMemdev, log: number): void {
  const cxlds = cxlmd.cxlds;
  const dev = cxlds.pdev;
  for (let guard = 0; guard < 4096; guard++) {
    let out: Uint8Array;
    try {
      out = cxlInternalSendCmd(cxlds, GET_EVENT_RECORD, Uint8Array.of(log), cxlds.payloadSize);
    } catch (e) {
      void dev.err('EIO', `Event log '${log}': Failed to query event records : ${errnoValue(e)}`);
      return;
    }
    const n = le.u16(out, 0x14);
    if (!n) return;
    const handles: number[] = [];
    for (let i = 0; i < n; i++) {
      const rec = out.slice(0x20 + 128 * i, 0x20 + 128 * (i + 1));
      traceRecord(cxlmd, log, rec);
      handles.push(le.u16(rec, 0x14));
    }
    if ((out[0] ?? 0) & 1) traceCxlOverflow(cxlmd, log, out);
    const clr = new Uint8Array(6 + 2 * handles.length);
    clr[0] = log;
    clr[2] = handles.length;
    handles.forEach((h, i) => {
      clr[6 + 2 * i] = h & 0xff;
      clr[7 + 2 * i] = h >> 8;
    });
    try {
      cxlInternalSendCmd(cxlds, CLEAR_EVENT_RECORD, clr, 0);
    } catch (e) {
      void dev.err('EIO', `Event log '${log}': Failed to clear events : ${errnoValue(e)}`);
      return;
    }
  }
}

/** The -errno the kernel prints with %d. */
function errnoValue(e: unknown): string {
  return `-${errnoNumber(isErrno(e) ? e.code : 'EIO')}`;
}

/** cxl_mem_get_event_records(): drains the logs flagged in `status`, most severe first. */
export function cxlMemGetEventRecords(cxlmd: CxlMemdev, status: number): void {
  cxlmd.cxlds.pdev.dbg(`Reading event logs: ${status.toString(16)}`);
  for (const log of [3, 2, 1, 0]) if (status & (1 << log)) getRecordsLog(cxlmd, log);
}

/**
 * cxl_event_config(): MSI/MSI-X for every log, the vectors requested, all logs drained.
 * Errors are the kernel's: a failed policy command is returned (the memdev stays).
 */
export function cxlEventConfig(cxlmd: CxlMemdev): void {
  if (!rasKver(cxlmd, 'events')) return;
  const cxlds = cxlmd.cxlds;
  const pdev = cxlds.pdev;
  cxlInternalSendCmd(cxlds, GET_EVT_INT_POLICY, new Uint8Array(0), 5);
  const policy = Uint8Array.of(1, 1, 1, 1, 0);
  cxlInternalSendCmd(cxlds, SET_EVT_INT_POLICY, policy, 0);
  const got = cxlInternalSendCmd(cxlds, GET_EVT_INT_POLICY, new Uint8Array(0), 5);
  const irq = env(pdev).hw.irq;
  for (let log = 0; log < 4; log++) {
    const setting = got[log] ?? 0;
    if ((setting & 3) !== 1) continue;
    irq?.request(pdev.segment, pdev.busNr, pdev.devfn, setting >> 4, cxlEventThread, cxlmd);
  }
  cxlMemGetEventRecords(cxlmd, CXLDEV_EVENT_STATUS_ALL);
}

/** CXL_MBOX_OP_SET_TIMESTAMP. */
const SET_TIMESTAMP = 0x0301;

/**
 * cxl_set_timestamp() (cxl_pci probe, kernel ≥ 6.3): the device clock gets the host's
 * CLOCK_REALTIME in ns, so that event records carry wall-clock times. A device without the
 * command (UNSUPPORTED) is fine; another failure fails the probe.
 * @throws the mailbox errno
 */
export function cxlSetTimestamp(cxlds: CxlMemdev['cxlds']): void {
  if (!rasKver(cxlds.pdev, 'events')) return;
  const pi = new Uint8Array(8);
  new DataView(pi.buffer).setBigUint64(0, BigInt(Date.now()) * 1_000_000n, true);
  const r = cxlMboxSend(cxlds, SET_TIMESTAMP, pi, 0);
  // CXL_MBOX_CMD_RC_UNSUPPORTED (3) is not an error; the other codes map to ENXIO
  if (r.rc !== 0 && r.rc !== 3)
    throw new Errno('ENXIO', `Set Timestamp failed with return code ${r.rc}`, cxlds.pdev.name);
}

/** cxl_event_thread(): the event interrupt's handler reads the status and drains the logs. */
function cxlEventThread(cxlmd: CxlMemdev): void {
  const pdev = cxlmd.cxlds.pdev;
  const statusReg = cxlmd.cxlds.statusBase;
  if (statusReg === undefined) return;
  const status = env(pdev).hw.mmio.read32(statusReg) & CXLDEV_EVENT_STATUS_ALL;
  if (status) cxlMemGetEventRecords(cxlmd, status);
}
