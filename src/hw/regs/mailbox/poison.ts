/**
 * DOC: Media and Poison Management command set (0x43xx) — CXL 3.1 §8.2.9.9.4, as QEMU ≥ 8.1
 * (cmd_media_get_poison_list(), cmd_media_inject_poison(), cmd_media_clear_poison()).
 *
 * The poison list holds at most 256 entries (CXL_POISON_LIST_LIMIT), newest first. Get Poison
 * List: DPA u64 (64-byte aligned, else INPUT) and length u64 in 64-byte units → flags (bit 1
 * overflow), overflow timestamp, record count, records of {DPA | source, length in 64-byte
 * units}, clipped to the query. Inject: DPA u64; already poisoned → success; list full →
 * POISONLMT. Clear: DPA u64 + 64 bytes written to the media; past the capacity → PADDR; the
 * cleared line is cut out of its entry (a full list sets the overflow flag instead of adding
 * the tail fragment). While a Scan Media runs (scan-media.ts) the list is frozen and Get Poison
 * List sets flag bit 2. {@link qmpInjectPoison} is the QMP `cxl-inject-poison` path: past the
 * limit it sets the overflow and keeps the range for the next Scan Media (poison_list_bkp).
 */
import { Errno } from '../../../kernel/errno.ts';
import type { MemDevState, PoisonRecord } from '../memdev-state.ts';
import { deviceTimestamp, ownPoison } from '../memdev-state.ts';
import { scanMediaRunning } from './scan-media.ts';
import { le, MBOX_RC, type MboxCommand, type MboxContext, rc } from './types.ts';

/** Poison list capacity (CXL_POISON_LIST_LIMIT). */
export const POISON_LIST_LIMIT = 256;
/** Poison source types. */
export const POISON_TYPE = { EXTERNAL: 1, INTERNAL: 2, INJECTED: 3 } as const;
const LINE = 64n;

const overlaps = (a: bigint, alen: bigint, b: bigint, blen: bigint) => a < b + blen && b < a + alen;

function getPoisonList(ctx: MboxContext) {
  const s = ctx.state;
  const p = le(ctx.input);
  const start = p.u64(0);
  if (start & 0x3fn) return rc(MBOX_RC.INPUT);
  const length = p.u64(8) * LINE;
  const hits = s.poison.filter((e) => overlaps(e.start, e.length, start, length));
  const len = 0x20 + 16 * hits.length;
  if (len > ctx.payloadSize) return rc(MBOX_RC.INTERNAL);
  const o = le(ctx.out);
  hits.forEach((e, i) => {
    const lo = (e.start / LINE) * LINE > start ? (e.start / LINE) * LINE : start;
    const endE = (e.start / LINE) * LINE + e.length;
    const hi = endE < start + length ? endE : start + length;
    o.set64(0x20 + 16 * i, lo | BigInt(e.type & 7));
    o.set32(0x28 + 16 * i, Number((hi - lo) / LINE));
  });
  if (s.poisonOverflow) {
    o.set8(0, 1 << 1);
    o.set64(2, s.poisonOverflow.timestamp);
  }
  if (scanMediaRunning(s)) o.set8(0, o.u8(0) | (1 << 2));
  o.set16(0xa, hits.length);
  return rc(MBOX_RC.SUCCESS, len);
}

function injectPoison(ctx: MboxContext) {
  const s = ctx.state;
  const dpa = le(ctx.input).u64(0);
  if (s.poison.some((e) => dpa >= e.start && dpa + LINE <= e.start + e.length))
    return rc(MBOX_RC.SUCCESS);
  if (scanMediaRunning(s)) return rc(MBOX_RC.SUCCESS);
  if (s.poison.length >= POISON_LIST_LIMIT) return rc(MBOX_RC.POISONLMT);
  ownPoison(s).unshift({ start: dpa, length: LINE, type: POISON_TYPE.INJECTED });
  return rc(MBOX_RC.SUCCESS);
}

function clearPoison(ctx: MboxContext) {
  const s = ctx.state;
  const dpa = le(ctx.input).u64(0);
  if (dpa + LINE > s.volatileSize + s.persistentSize) return rc(MBOX_RC.PADDR);
  s.store.write(dpa, ctx.input.subarray(8, 72));
  if (scanMediaRunning(s)) return rc(MBOX_RC.SUCCESS);
  const i = s.poison.findIndex((e) => dpa >= e.start && dpa < e.start + e.length);
  if (i < 0) return rc(MBOX_RC.SUCCESS);
  const e = s.poison[i] as PoisonRecord;
  s.poison.splice(i, 1);
  if (dpa > e.start) s.poison.unshift({ start: e.start, length: dpa - e.start, type: e.type });
  if (dpa + LINE < e.start + e.length) {
    if (s.poison.length >= POISON_LIST_LIMIT) s.poisonOverflow = { timestamp: deviceTimestamp(s) };
    else
      s.poison.unshift({
        start: dpa + LINE,
        length: e.start + e.length - dpa - LINE,
        type: e.type,
      });
  }
  return rc(MBOX_RC.SUCCESS);
}

/**
 * QMP cxl-inject-poison (QEMU qmp_cxl_inject_poison()): adds an internal-source poison range.
 * @throws EINVAL with QEMU's messages for a misaligned or overlapping range
 */
export function qmpInjectPoison(s: MemDevState, start: bigint, length: bigint): void {
  if (length % LINE !== 0n)
    throw new Errno('EINVAL', 'Poison injection must be in multiples of 64 bytes');
  if (start % LINE !== 0n)
    throw new Errno('EINVAL', 'Poison start address must be 64 byte aligned');
  if (s.poison.some((e) => overlaps(start, length, e.start, e.length)))
    throw new Errno('EINVAL', 'Overlap with existing poisoned region not supported');
  const rec = { start, length, type: POISON_TYPE.INTERNAL };
  if (s.poison.length < POISON_LIST_LIMIT) {
    ownPoison(s).unshift(rec);
    return;
  }
  if (!s.poisonOverflow) s.poisonOverflow = { timestamp: deviceTimestamp(s) };
  s.ras.poisonBackup = [rec, ...s.ras.poisonBackup];
}

/** Poison commands (QEMU ≥ 8.1). */
export function poisonCommands(): MboxCommand[] {
  return [
    {
      opcode: 0x4300,
      name: 'MEDIA_AND_POISON_GET_POISON_LIST',
      inLen: 16,
      effect: 0,
      handler: getPoisonList,
    },
    {
      opcode: 0x4301,
      name: 'MEDIA_AND_POISON_INJECT_POISON',
      inLen: 8,
      effect: 0,
      handler: injectPoison,
    },
    {
      opcode: 0x4302,
      name: 'MEDIA_AND_POISON_CLEAR_POISON',
      inLen: 72,
      effect: 0,
      handler: clearPoison,
    },
  ];
}
