/**
 * DOC: Sanitize and Media Operations (0x44xx) — CXL 3.1 §8.2.9.9.5, as QEMU runs them
 * (cmd_sanitize_overwrite() ≥ 8.2, cmd_media_operations() ≥ 10.0). On the cxl_test mock the
 * sanitize takes the mock's `sanitize_timeout` ms instead (RasState.mockSanitizeMs).
 *
 * Sanitize (0x4400, no input) is a background command: its run time is QEMU's
 * get_sanitize_duration() of the device's capacity in MiB (≤ 512 MiB: 4 s, ≤ 1 GiB: 8 s,
 * ≤ 2 GiB: 15 s, … up to 4 h); the media is disabled at once (media commands answer
 * MEDIA_DISABLED) and, on completion, the volatile and persistent media and the LSA read as
 * zeros, every event log is emptied and the media is enabled again (__do_sanitization()).
 * Secure Erase (0x4401) is not in QEMU's command set (UNSUPPORTED).
 * Media Operations (0x4402): class 0 subclass 0 is Discovery (DPA granularity 64, the two
 * sanitize operations), class 1 subclass 0/1 sanitize / zero a DPA range list in the
 * background (fill 0x0f / 0x00), without disabling the media.
 */

import type { MemDevState } from '../memdev-state.ts';
import { BG_ABORT, bgStart, EFFECT_BG_ABORT } from './background.ts';
import { EFFECT, le, MBOX_RC, type MboxCommand, type MboxContext, rc, VAR } from './types.ts';

const MiB = 1n << 20n;
const LINE = 64n;

/** QEMU get_sanitize_duration(): seconds to sanitize `mib` MiB. */
export function sanitizeDurationSecs(mib: bigint): number {
  const steps: [bigint, number][] = [
    [512n, 4],
    [1024n, 8],
    [2n * 1024n, 15],
    [4n * 1024n, 30],
    [8n * 1024n, 60],
    [16n * 1024n, 120],
    [32n * 1024n, 240],
    [64n * 1024n, 480],
    [128n * 1024n, 900],
    [256n * 1024n, 1800],
    [512n * 1024n, 3600],
    [1024n * 1024n, 7200],
  ];
  for (const [limit, secs] of steps) if (mib <= limit) return secs;
  return 240 * 60;
}

/** Empties every event log (cxl_discard_all_event_records()). */
export function discardAllEvents(s: MemDevState): void {
  for (const log of s.ras.events) {
    if (Object.isFrozen(log)) continue; // a fresh log (ownEventLog()): nothing to discard
    log.records = [];
    log.overflowCount = 0;
    log.firstOverflow = 0n;
    log.lastOverflow = 0n;
  }
}

function sanitize(ctx: MboxContext) {
  const s = ctx.state;
  const ms =
    s.ras.mockSanitizeMs ?? sanitizeDurationSecs((s.volatileSize + s.persistentSize) / MiB) * 1000;
  s.ras.mediaDisabled = true;
  return bgStart(s, 0x4400, ms, true, () => {
    s.store.fill(0n, s.volatileSize + s.persistentSize, 0);
    if (s.lsaSize > 0) s.lsa.fill(0);
    discardAllEvents(s);
    s.ras.mediaDisabled = false;
  });
}

/** Media operation classes/subclasses QEMU lists (media_op_matrix, Discovery excluded). */
const MEDIA_OPS: [number, number][] = [
  [1, 0],
  [1, 1],
];

function mediaOperations(ctx: MboxContext) {
  const s = ctx.state;
  const p = le(ctx.input);
  if (ctx.input.length < 8) return rc(MBOX_RC.PAYLOADLEN);
  const cls = p.u8(0);
  const sub = p.u8(1);
  const count = p.u32(4);
  if (cls === 0) {
    if (sub !== 0) return rc(MBOX_RC.UNSUPPORTED);
    if (ctx.input.length < 12) return rc(MBOX_RC.PAYLOADLEN);
    const start = p.u16(8);
    if (count !== 0 || start >= MEDIA_OPS.length) return rc(MBOX_RC.INPUT);
    const n = Math.min(p.u16(10), MEDIA_OPS.length - start);
    const o = le(ctx.out);
    o.set64(0, LINE);
    o.set16(8, MEDIA_OPS.length);
    o.set16(10, n);
    for (let i = 0; i < n; i++) {
      const [c, sc] = MEDIA_OPS[start + i] as [number, number];
      o.set8(12 + 2 * i, c);
      o.set8(13 + 2 * i, sc);
    }
    return rc(MBOX_RC.SUCCESS, 12 + 2 * n);
  }
  if (cls !== 1 || (sub !== 0 && sub !== 1)) return rc(MBOX_RC.UNSUPPORTED);
  if (count === 0) return rc(MBOX_RC.SUCCESS);
  if (ctx.input.length < 8 + 16 * count) return rc(MBOX_RC.PAYLOADLEN);
  const cap = s.volatileSize + s.persistentSize;
  const ranges: [bigint, bigint][] = [];
  let total = 0n;
  for (let i = 0; i < count; i++) {
    const start = p.u64(8 + 16 * i);
    const len = p.u64(16 + 16 * i);
    if (start % LINE || len % LINE || len === 0n || start + len > cap) return rc(MBOX_RC.INPUT);
    ranges.push([start, len]);
    total += len;
  }
  const fill = sub === 0 ? 0x0f : 0;
  return bgStart(s, 0x4402, sanitizeDurationSecs(total / MiB) * 1000, false, () => {
    for (const [start, len] of ranges) s.store.fill(start, len, fill);
  });
}

/** Sanitize (QEMU ≥ 8.2). */
export const SANITIZE: MboxCommand = {
  opcode: 0x4400,
  name: 'SANITIZE_OVERWRITE',
  inLen: 0,
  effect:
    EFFECT.IMMEDIATE_DATA_CHANGE |
    EFFECT.SECURITY_STATE_CHANGE |
    EFFECT.BACKGROUND_OPERATION |
    EFFECT_BG_ABORT,
  handler: sanitize,
};

/** Media Operations (QEMU ≥ 10.0). */
export const MEDIA_OPERATIONS: MboxCommand = {
  opcode: 0x4402,
  name: 'MEDIA_OPERATIONS',
  inLen: VAR,
  effect: EFFECT.IMMEDIATE_DATA_CHANGE | EFFECT.BACKGROUND_OPERATION,
  handler: mediaOperations,
};

export { BG_ABORT };
