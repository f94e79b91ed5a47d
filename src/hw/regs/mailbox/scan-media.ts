/**
 * DOC: Scan Media (0x4303–0x4305) — CXL 3.1 §8.2.9.9.4.4–6, as QEMU ≥ 9.0
 * (cmd_media_get_scan_media_capabilities(), cmd_media_scan_media(),
 * cmd_media_get_scan_media_results(), __do_scan_media()).
 *
 * Capabilities: DPA u64 (64-byte aligned, else INPUT) + length u64 in 64-byte units (past the
 * static capacity: PADDR) → estimated run time u32 ms = max(1, bytes × 0.0005 / 64).
 * Scan Media (17 bytes: DPA, length, flags) discards earlier results, empties an overflowed
 * poison list, moves the poison held back past the list limit (poison_list_bkp) that overlaps
 * the range into the list (while there is room) and into the results, and runs in the
 * background for the estimated time; on completion an overflow is cleared when the list holds
 * exactly the results, and results become readable. While it runs the poison list is frozen
 * (inject / clear succeed without changing it) and Get Poison List sets the Scanning flag.
 * Get Scan Media Results: UNSUPPORTED before any scan; then restart DPA / length 0, flags bit
 * 0 when more remain, count, and 16-byte records (DPA, length in 64-byte units) — each record
 * returned is consumed.
 */
import { type MemDevState, ownPoison } from '../memdev-state.ts';
import { bgRunning, bgStart, EFFECT_BG_ABORT } from './background.ts';
import { EFFECT, le, MBOX_RC, type MboxCommand, type MboxContext, rc } from './types.ts';

const LINE = 64n;
/** Poison list capacity (CXL_POISON_LIST_LIMIT). */
const LIMIT = 256;

/** True while a Scan Media runs (QEMU scan_media_running()). */
export function scanMediaRunning(s: MemDevState): boolean {
  return bgRunning(s) && s.ras.bg.opcode === 0x4304;
}

/** QEMU's scan estimate: max(1, bytes × 0.0005 / 64) ms. */
function estimateMs(bytes: bigint): number {
  return Math.max(1, Math.floor(Number(bytes) * (0.0005 / 64)));
}

/** Parses DPA + length; undefined + rc on bad input. */
function range(ctx: MboxContext): { start: bigint; len: bigint } | number {
  const p = le(ctx.input);
  const start = p.u64(0);
  if (start & 0x3fn) return MBOX_RC.INPUT;
  const len = p.u64(8) * LINE;
  const s = ctx.state;
  if (start + len > s.volatileSize + s.persistentSize) return MBOX_RC.PADDR;
  return { start, len };
}

function capabilities(ctx: MboxContext) {
  const r = range(ctx);
  if (typeof r === 'number') return rc(r);
  le(ctx.out).set32(0, estimateMs(r.len));
  return rc(MBOX_RC.SUCCESS, 4);
}

function scanMedia(ctx: MboxContext) {
  const s = ctx.state;
  const r = range(ctx);
  if (typeof r === 'number') return rc(r);
  s.ras.scanResults = [];
  if (s.poisonOverflow) s.poison = [];
  const keep: typeof s.ras.poisonBackup = [];
  for (const e of s.ras.poisonBackup) {
    if (e.start >= r.start + r.len || e.start + e.length <= r.start) {
      keep.push(e);
      continue;
    }
    if (s.poison.length < LIMIT) ownPoison(s).unshift({ ...e });
    s.ras.scanResults.unshift({ ...e });
  }
  s.ras.poisonBackup = keep;
  return bgStart(s, 0x4304, estimateMs(r.len), true, () => {
    if (s.poisonOverflow && s.poison.length === s.ras.scanResults.length)
      s.poisonOverflow = undefined;
    s.ras.scanHasRun = true;
  });
}

function results(ctx: MboxContext) {
  const s = ctx.state;
  if (!s.ras.scanHasRun) return rc(MBOX_RC.UNSUPPORTED);
  const total = s.ras.scanResults.length;
  let n = 0;
  while (n < total && 0x20 + 16 * n < ctx.payloadSize) n++;
  const o = le(ctx.out);
  ctx.out.fill(0, 0, 0x20 + 16 * n);
  const taken = n > 0 ? s.ras.scanResults.splice(0, n) : [];
  taken.forEach((e, i) => {
    const start = (e.start / LINE) * LINE;
    o.set64(0x20 + 16 * i, start);
    o.set32(0x28 + 16 * i, Number(e.length / LINE));
  });
  o.set16(0x12, n);
  if (total > n) o.set8(0x10, 1);
  return rc(MBOX_RC.SUCCESS, 0x20 + 16 * n);
}

/** Scan media commands (QEMU ≥ 9.0). */
export function scanMediaCommands(): MboxCommand[] {
  return [
    {
      opcode: 0x4303,
      name: 'MEDIA_AND_POISON_GET_SCAN_MEDIA_CAPABILITIES',
      inLen: 16,
      effect: 0,
      handler: capabilities,
    },
    {
      opcode: 0x4304,
      name: 'MEDIA_AND_POISON_SCAN_MEDIA',
      inLen: 17,
      effect: EFFECT.BACKGROUND_OPERATION | EFFECT_BG_ABORT,
      handler: scanMedia,
    },
    {
      opcode: 0x4305,
      name: 'MEDIA_AND_POISON_GET_SCAN_MEDIA_RESULTS',
      inLen: 0,
      effect: 0,
      handler: results,
    },
  ];
}
