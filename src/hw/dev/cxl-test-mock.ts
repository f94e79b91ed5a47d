/**
 * DOC: the event records of the kernel's cxl_test mock memdev (tools/testing/cxl/test/mem.c
 * cxl_mock_add_event_logs(), its `event_trigger` attribute), for the `cxl_test` preset's
 * type-3 devices. The mock's logs hold 15 records (CXL_TEST_EVENT_CNT_MAX) and count what
 * does not fit as overflow. One trigger empties the four logs (event_reset_log()) and adds:
 * * informational: a maintenance-needed record, a general media record, a memory module record;
 * * failure: maintenance needed, hardware replace, DRAM, general media, memory module,
 *   hardware replace, DRAM, then ten hardware-replace records to overflow the log;
 * * fatal: hardware replace, DRAM.
 * The maintenance-needed and hardware-replace records are vendor records (cxl_generic_event:
 * flags MAINT_NEEDED / HW_REPLACE, related handles 0xa5b6 / 0xb6a5, data DE AD BE EF); the
 * general media record (permanent) is at DPA 0x2000 (uncorrectable, data path error, host
 * write, channel 1, rank 30), the DRAM one (performance degraded) at DPA 0x8000 (threshold
 * event, invalid address, media scrub, channel 1, bank group 5, bank 2, column DE AD) — both
 * inside the mock's auto region; the memory module record is a temperature change (health
 * "performance degraded", media "all data lost", additional status 0x38, temperature and
 * counters DE AD (BE EF)). The mock never sets a record's timestamp (the trace's time=0), and
 * its handles restart at 1 on every trigger (event_reset_log(): handle = index + 1).
 * Facts from mem.c as of 6.3–6.10 (the record layouts of CXL 3.0); the CXL 3.1 fields
 * (component ids, sub-types) a later mem.c adds are not modelled: those bytes and the
 * validity bits the records had here before stay cxlsim's.
 */
import { EVENT_MSIX_START, eventInsert } from '../regs/mailbox/events.ts';
import { uuidBytes } from '../regs/mailbox/types.ts';
import { type MemDevState, msixNotify } from '../regs/memdev-state.ts';
import { resetEventLog } from '../regs/ras-state.ts';

/** mem.c mock_id()'s Identify firmware revision ("mock fw v1 ", the kernel's `firmware_version`). */
export const CXL_TEST_FW_REVISION = 'mock fw v1 ';

/** CXL_TEST_EVENT_CNT_MAX. */
export const CXL_TEST_EVENT_CNT_MAX = 15;

const GEN_MEDIA = 'fbcd0a77-c260-417f-85a9-088b1621eba6';
const DRAM = '601dcbb3-9c06-4eab-b8af-4e9bfb5c9624';
const MEM_MODULE = 'fe927475-dd59-4339-a586-79bab113b774';
/** Vendor record UUIDs of the mock's maintenance-needed and hardware-replace records. */
const MAINT_NEEDED = 'ba5eba11-abcd-efeb-a55a-a55aa5a55aa5';
const HW_REPLACE = 'abcdefeb-ba11-ba5e-a55a-a55aa5a55aa5';

const FLAG_PERMANENT = 1 << 2;
const FLAG_MAINT_NEEDED = 1 << 3;
const FLAG_PERF_DEGRADED = 1 << 4;
const FLAG_HW_REPLACE = 1 << 5;
const DEADBEEF = [0xde, 0xad, 0xbe, 0xef];

function rec(
  uuid: string,
  flags: number,
  fill?: (dv: DataView, r: Uint8Array) => void,
): Uint8Array {
  const r = new Uint8Array(128);
  r.set(uuidBytes(uuid), 0);
  r[0x10] = 128;
  r[0x11] = flags;
  fill?.(new DataView(r.buffer), r);
  return r;
}

/** A vendor (generic) record: related handle at 0x16, data DE AD BE EF at 0x30. */
const generic = (uuid: string, flags: number, related: number) =>
  rec(uuid, flags, (dv, r) => {
    dv.setUint16(0x16, related, true);
    r.set(DEADBEEF, 0x30);
  });
const maintNeeded = () => generic(MAINT_NEEDED, FLAG_MAINT_NEEDED, 0xa5b6);
const hwReplace = () => generic(HW_REPLACE, FLAG_HW_REPLACE, 0xb6a5);
const genMedia = () =>
  rec(GEN_MEDIA, FLAG_PERMANENT, (dv, r) => {
    dv.setBigUint64(0x30, 0x2000n, true);
    r[0x38] = 1;
    r[0x39] = 2;
    r[0x3a] = 2;
    dv.setUint16(0x3b, 0x1 | 0x2 | 0x8 | 0x10, true);
    r[0x3d] = 1;
    r[0x3e] = 30;
  });
const dram = () =>
  rec(DRAM, FLAG_PERF_DEGRADED, (dv, r) => {
    dv.setBigUint64(0x30, 0x8000n, true);
    r[0x38] = 2;
    r[0x39] = 2;
    r[0x3a] = 5;
    dv.setUint16(0x3b, 0x1 | 0x8 | 0x10 | 0x40, true);
    r[0x3d] = 1;
    r[0x42] = 5;
    r[0x43] = 2;
    r[0x47] = 0xde;
    r[0x48] = 0xad;
  });
const memModule = () =>
  rec(MEM_MODULE, 0, (_dv, r) => {
    r[0x30] = 3; // CXL_MMER_TEMP_CHANGE
    r[0x31] = 1 << 1; // health status: CXL_DHI_HS_PERFORMANCE_DEGRADED
    r[0x32] = 3; // media status: CXL_DHI_MS_ALL_DATA_LOST
    r[0x33] = (2 << 2) | (1 << 4) | (1 << 5); // critical temperature, two warnings
    r.set([0xde, 0xad], 0x35); // device temperature
    r.set(DEADBEEF, 0x37); // dirty shutdowns
    r.set(DEADBEEF, 0x3b); // corrected volatile errors
    r.set(DEADBEEF, 0x3f); // corrected persistent errors
  });

/**
 * cxl_mock_event_trigger(): adds the mock's records to the device's logs, then signals once
 * (the mock calls cxl_mem_get_event_records() for all its logs after adding them; here the
 * interrupt of the first enabled log makes the driver read the Event Status and drain them).
 */
export function cxlTestEventTrigger(s: MemDevState): void {
  s.ras.eventLogCapacity = CXL_TEST_EVENT_CNT_MAX;
  // event_reset_log() of every log first
  for (let log = 0; log < 4; log++) resetEventLog(s.ras, log);
  const add = (log: number, r: Uint8Array) => eventInsert(s, log, r, false, false);
  for (const r of [maintNeeded(), genMedia(), memModule()]) add(0, r);
  const fail = [maintNeeded(), hwReplace(), dram(), genMedia(), memModule(), hwReplace(), dram()];
  for (let i = 0; i < 10; i++) fail.push(hwReplace());
  for (const r of fail) add(2, r);
  for (const r of [hwReplace(), dram()]) add(3, r);
  const log = s.eventIrq.findIndex((on, i) => on && i < 4);
  if (log >= 0) msixNotify(s, EVENT_MSIX_START + log);
}
