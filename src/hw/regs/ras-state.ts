/**
 * DOC: the RAS half of a type-3 device's state (QEMU CXLDeviceState event_logs[], CXLCCI bg,
 * CXLType3Dev poison_list_bkp / scan_media_results): event logs, the background command in
 * flight, the media-disabled flag and scan-media bookkeeping. Kept apart from memdev-state.ts
 * so that file stays the capacity/LSA/identity half.
 */

/** One event record as the device stores it: the 128 bytes of CXL 3.1 §8.2.9.2.1 (Table 8-42). */
export type EventRecord = Uint8Array;

/** One event log (QEMU CXLEventLog). Timestamps are device ns. */
export interface EventLogState {
  /** Records, oldest first (QSIMPLEQ order). */
  records: EventRecord[];
  /** Next handle to assign (0 is never valid). */
  nextHandle: number;
  overflowCount: number;
  firstOverflow: bigint;
  lastOverflow: bigint;
}

/**
 * An event log that never held a record (handles from 1, no overflow): one frozen value every
 * fresh log slot of every device points at — a copy of the machine shares it, and a booted
 * machine holds no five objects and five empty arrays per device for logs nothing wrote. The
 * writers take the slot's own copy first ({@link ownEventLog}).
 */
const FRESH_EVENT_LOG: EventLogState = Object.freeze({
  records: Object.freeze([]) as unknown as EventRecord[],
  nextHandle: 1,
  overflowCount: 0,
  firstOverflow: 0n,
  lastOverflow: 0n,
});

/**
 * Event log `log` of `ras` to write to: the slot's own log, made from the shared fresh one on
 * the first write (QEMU's logs are per device from cxl_event_init(); the sharing is cxlsim's).
 * Undefined for a log number the device does not have.
 */
export function ownEventLog(ras: RasState, log: number): EventLogState | undefined {
  const l = ras.events[log];
  if (l !== FRESH_EVENT_LOG) return l;
  const own: EventLogState = {
    records: [],
    nextHandle: l.nextHandle,
    overflowCount: 0,
    firstOverflow: 0n,
    lastOverflow: 0n,
  };
  ras.events[log] = own;
  return own;
}

/** Resets event log `log` of `ras` to a fresh one (QEMU event_reset_log() … of the cxl_test mock). */
export function resetEventLog(ras: RasState, log: number): void {
  if (log < ras.events.length) ras.events[log] = FRESH_EVENT_LOG;
}

/** An empty poison-backup or scan-results list (frozen, shared by every fresh device). */
export const NO_MEDIA_RECORDS = Object.freeze([]) as unknown as {
  start: bigint;
  length: bigint;
  type: number;
}[];

/** The background command in flight, or the last one's outcome (QEMU CXLCCI.bg). Times in ms. */
export interface BgState {
  /** Opcode of the running / last background command (0: none ever). */
  opcode: number;
  /** Device time (ms) it started. */
  start: number;
  /** Expected run time (ms); 0 = nothing running (QEMU bg.runtime). */
  runtime: number;
  /** Percentage complete (0..100). */
  pct: number;
  /** Return code once complete (Background Command Status [47:32]). */
  rc: number;
  aborted: boolean;
}

/** Firmware slots and transfer progress (QEMU CXLCCI.fw). */
export interface FwState {
  activeSlot: number;
  stagedSlot: number;
  /** slot[i] true: slot i+1 holds firmware. */
  slots: boolean[];
  transferring: boolean;
  prevOffset: number;
  prevLen: number;
  currAction: number;
  currSlot: number;
  /** Device time (ms) the last Initiate / Continue part completed (QEMU fw.last_partxfer). */
  lastPartXfer?: number;
  /**
   * The cxl_test mock's firmware (hw/dev/cxl-test-mock-fw.ts) instead of QEMU's: its image
   * buffer and the size of the last complete transfer (bytes). Absent on QEMU devices.
   */
  mock?: { buf: Uint8Array; size: number };
}

/** RAS state of a device. */
export interface RasState {
  /** Informational, warning, failure, fatal, dynamic capacity. */
  events: EventLogState[];
  bg: BgState;
  /** Sanitize in progress: media commands answer MEDIA_DISABLED (cxl_dev_disable_media()). */
  mediaDisabled: boolean;
  /**
   * Poison past the list limit, waiting for a Scan Media (poison_list_bkp). This list and
   * `scanResults` start as the shared frozen {@link NO_MEDIA_RECORDS} and are replaced, not
   * changed, while empty.
   */
  poisonBackup: { start: bigint; length: bigint; type: number }[];
  /** Results of the last Scan Media (scan_media_results). */
  scanResults: { start: bigint; length: bigint; type: number }[];
  scanHasRun: boolean;
  fw: FwState;
  /** Records per event log before it overflows (QEMU 8; the cxl_test mock 15); unset: QEMU's. */
  eventLogCapacity?: number;
  /**
   * The cxl_test mock's sanitize run time in ms (tools/testing/cxl/test/mem.c mock_sanitize():
   * the completion is scheduled after mdata->sanitize_timeout ms, which its `sanitize_timeout`
   * attribute sets; 0 at probe); unset: QEMU's get_sanitize_duration().
   */
  mockSanitizeMs?: number;
}

/** A fresh RAS state: empty logs (handles from 1), nothing running, firmware in slot 1. */
export function createRasState(): RasState {
  return {
    events: [FRESH_EVENT_LOG, FRESH_EVENT_LOG, FRESH_EVENT_LOG, FRESH_EVENT_LOG, FRESH_EVENT_LOG],
    bg: IDLE_BG,
    mediaDisabled: false,
    poisonBackup: NO_MEDIA_RECORDS,
    scanResults: NO_MEDIA_RECORDS,
    scanHasRun: false,
    fw: QEMU_FW,
  };
}

/**
 * No background command ever ran: one frozen state every fresh device points at (a copy of the
 * machine shares it); bgStart() gives the device its own.
 */
export const IDLE_BG: BgState = Object.freeze({
  opcode: 0,
  start: 0,
  runtime: 0,
  pct: 0,
  rc: 0,
  aborted: false,
});

/**
 * QEMU's firmware state at realize (cxl_initialize_mailbox_t3(): slot 1 active and filled,
 * nothing staged or transferring): one frozen value every fresh device points at; the writers
 * take the device's own first ({@link ownFw}).
 */
const QEMU_FW: FwState = Object.freeze({
  activeSlot: 1,
  stagedSlot: 0,
  slots: Object.freeze([true, false]) as unknown as boolean[],
  transferring: false,
  prevOffset: 0,
  prevLen: 0,
  currAction: 0,
  currSlot: 0,
});

/** The firmware state of `ras` to write to: its own, made from the shared initial one on the first write. */
export function ownFw(ras: RasState): FwState {
  const fw = ras.fw;
  if (fw !== QEMU_FW) return fw;
  const own: FwState = { ...fw, slots: [...fw.slots] };
  ras.fw = own;
  return own;
}
