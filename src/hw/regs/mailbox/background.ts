/**
 * DOC: background commands — CXL 3.1 §8.2.8.4.7 (Background Command Status register) and
 * §8.2.9.1.5 (Request Abort Background Operation, 0x0005), as QEMU ≥ 8.2 runs them
 * (cxl_process_cci_message(), bg_timercb(), cmd_infostat_bg_op_abort()).
 *
 * A handler starts one by returning {@link MBOX_RC.BACKGROUND} with a run time and a completion
 * action. Only one runs at a time: another background-capable command answers BUSY. QEMU's
 * timer updates the percentage once per second (CXL_MBOX_BG_UPDATE_FREQ = 1000 ms) and
 * completes the command at the first tick at or after start + run time: the completion action
 * runs (sanitize zeroes the media, scan media fills its results, firmware transfer fills a
 * slot), percentage 100, return code SUCCESS, and the mailbox MSI-X vector is notified. Here
 * the timer is evaluated lazily from the device clock whenever the status is read.
 * Abort stops an abortable command below 85 % (return code ABORT); a command near completion
 * is left to finish. cxlsim answers SUCCESS when nothing abortable runs (QEMU's "abort not
 * supported" code for that case is not modelled).
 */

import { copiedWeakMap } from '../../../kernel/graph-copy.ts';
import { type MemDevState, msixNotify } from '../memdev-state.ts';
import { EFFECT, MBOX_RC, type MboxCommand, type MboxContext, rc } from './types.ts';

/** QEMU's background timer period (ms). */
export const BG_UPDATE_FREQ_MS = 1000;
/** CEL effect: the background operation can be aborted (QEMU CXL_MBOX_BACKGROUND_OPERATION_ABORT). */
export const EFFECT_BG_ABORT = 1 << 7;

/** Completion actions of running background commands, per device state (not persisted). */
const completions = copiedWeakMap<
  MemDevState,
  { fn: (doneAtMs: number) => void; abortable: boolean }
>();

/** Device time in ms. */
export function nowMs(s: MemDevState): number {
  return Number(s.clock.now() / 1_000_000n);
}

/**
 * Starts a background command (the handler's CXL_MBOX_BG_STARTED path).
 * @param runtimeMs QEMU's bg.runtime
 * @param complete what the device does when it finishes, given the device time (ms) of the timer
 *   tick that completed it
 */
export function bgStart(
  s: MemDevState,
  opcode: number,
  runtimeMs: number,
  abortable: boolean,
  complete: (doneAtMs: number) => void,
) {
  // the device's own state from here (a fresh device shares the frozen IDLE_BG)
  s.ras.bg = {
    opcode,
    start: nowMs(s),
    runtime: Math.max(1, runtimeMs),
    pct: 0,
    rc: 0,
    aborted: false,
  };
  completions.set(s, { fn: complete, abortable });
  return rc(MBOX_RC.BACKGROUND);
}

/** True while a background command runs (after bringing the timer up to date). */
export function bgRunning(s: MemDevState): boolean {
  bgTick(s);
  return s.ras.bg.runtime > 0;
}

/**
 * Brings the background command up to the device clock: percentage at the last timer tick,
 * completion (action, 100 %, SUCCESS, mailbox interrupt) once a tick reaches the run time.
 */
export function bgTick(s: MemDevState): void {
  const bg = s.ras.bg;
  if (bg.runtime <= 0) return;
  const now = nowMs(s);
  const ticks = Math.floor((now - bg.start) / BG_UPDATE_FREQ_MS);
  if (ticks <= 0) return;
  const tickAt = ticks * BG_UPDATE_FREQ_MS;
  if (tickAt >= bg.runtime) {
    const c = completions.get(s);
    // the first timer tick at or after the run time completed it
    const doneAt = bg.start + Math.ceil(bg.runtime / BG_UPDATE_FREQ_MS) * BG_UPDATE_FREQ_MS;
    completions.delete(s);
    bg.pct = 100;
    bg.rc = MBOX_RC.SUCCESS;
    bg.runtime = 0;
    bg.start = 0;
    c?.fn(doneAt);
    msixNotify(s, MBOX_MSIX_VECTOR);
  } else {
    bg.pct = Math.floor((100 * tickAt) / bg.runtime);
  }
}

/**
 * When QEMU's timer completes the running background command (ns of device time): the first
 * tick at or after start + run time; undefined when none runs.
 */
export function bgDeadlineNs(s: MemDevState): bigint | undefined {
  const bg = s.ras.bg;
  if (bg.runtime <= 0) return undefined;
  const ms = bg.start + Math.ceil(bg.runtime / BG_UPDATE_FREQ_MS) * BG_UPDATE_FREQ_MS;
  return BigInt(ms) * 1_000_000n;
}

/** QEMU's mailbox MSI-X vector (CXL_T3_MSIX_MBOX). */
export const MBOX_MSIX_VECTOR = 7;

/** The Background Command Status register value (opcode [15:0], % [22:16], rc [47:32]). */
export function bgStatusReg(s: MemDevState): bigint {
  bgTick(s);
  const bg = s.ras.bg;
  return BigInt(bg.opcode & 0xffff) | (BigInt(bg.pct & 0x7f) << 16n) | (BigInt(bg.rc) << 32n);
}

function abort(ctx: MboxContext) {
  const s = ctx.state;
  bgTick(s);
  const bg = s.ras.bg;
  const c = completions.get(s);
  if (bg.runtime > 0 && c?.abortable && bg.pct < 85) {
    completions.delete(s);
    bg.rc = MBOX_RC.ABORT;
    bg.start = 0;
    bg.runtime = 0;
    bg.aborted = true;
  }
  return rc(MBOX_RC.SUCCESS);
}

/** Request Abort Background Operation (QEMU ≥ 10.0). */
export const BG_ABORT: MboxCommand = {
  opcode: 0x0005,
  name: 'BACKGROUND_OPERATION_ABORT',
  inLen: 0,
  effect: 0,
  handler: abort,
};

/** True when a command's CEL effect marks it a background operation. */
export function isBackground(cmd: MboxCommand): boolean {
  return (cmd.effect & EFFECT.BACKGROUND_OPERATION) !== 0;
}
