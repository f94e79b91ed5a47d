/**
 * DOC: Firmware Update command set (0x02xx) — CXL 3.1 §8.2.9.3.
 *
 * Get FW Info (0x0200). QEMU 7.2: 2 slots, slot info 0x09 (active 1, staged 1), no
 * capabilities, slot 1 revision "BWFW VERSION 0"; INTERNAL when the device has less than
 * 256 MiB. Later versions (cmd_firmware_update_get_info()): slot info = active slot | staged
 * slot << 3 (initially active 1, none staged: 0x01), online update capable (bit 0), revision
 * "BWFW VERSION 0" / "BWFW VERSION 1" for each filled slot; INTERNAL when a capacity is not a
 * multiple of 256 MiB.
 *
 * Transfer FW (0x0201, QEMU ≥ 9.1, cmd_firmware_update_transfer()): 0x80-byte header (action,
 * slot, offset in 128-byte units) + data. Abort (4) ends a partial transfer; full (0) and end
 * (3) need a slot 1..2 other than the active one (FWSLOT); init (1) must start at offset 0 and
 * opens a partial transfer, continue (2) / end need one (INPUT), a new full / init during one
 * is FWINPROGRESS, a part overlapping the previous one FWOOO; past 32 MiB INPUT; a part more
 * than 30 s after the previous Initiate/Continue completed abandons the transfer (INPUT). The transfer
 * runs in the background (full 10 s, a part 2 s); a full or end fills the slot on completion.
 * Activate FW (0x0202, 2 bytes: action, slot): the slot must be another filled one (FWSLOT);
 * online (0) makes it active, on reset (1) stages it.
 * The cxl_test preset's devices answer these three as the kernel's mock does instead
 * (hw/dev/cxl-test-mock-fw.ts).
 */
import { mockActivateFw, mockFwInfo, mockTransferFw } from '../../dev/cxl-test-mock-fw.ts';
import { SZ_256M } from '../bits.ts';
import type { MemDevState } from '../memdev-state.ts';
import { type FwState, ownFw } from '../ras-state.ts';
import { bgStart, EFFECT_BG_ABORT, nowMs } from './background.ts';
import { qemuMboxHas } from './qemu-since.ts';
import { EFFECT, le, MBOX_RC, type MboxCommand, type MboxContext, rc, VAR } from './types.ts';

/** Get FW Info output size. */
export const FW_INFO_SIZE = 0x50;
/** QEMU CXL_FW_SLOTS. */
export const FW_SLOTS = 2;
/** QEMU CXL_FW_SIZE (32 MiB). */
const FW_SIZE = 0x02000000;
/** Transfer FW header size and offset unit. */
const XFER_HDR = 0x80;
const XFER_ALIGN = 128;
const ACTION = { FULL: 0, INIT: 1, CONTINUE: 2, END: 3, ABORT: 4 } as const;
/** Seconds allowed between the parts of a partitioned transfer. */
const PART_TIMEOUT_S = 30;

/**
 * difftime(time(NULL), fw.last_partxfer): whole seconds since the last part completed. QEMU
 * reads the host's wall clock; cxlsim the machine clock (equal while the guest runs).
 */
function partGapSeconds(s: MemDevState, fw: FwState): number {
  const last = fw.lastPartXfer ?? nowMs(s);
  return Math.floor(nowMs(s) / 1000) - Math.floor(last / 1000);
}

function getFwInfo(ctx: MboxContext) {
  const s = ctx.state;
  if (s.ras.fw.mock) return mockFwInfo(ctx, s.ras.fw);
  if (!qemuMboxHas(s.qemu, 'fwInfoState')) {
    if (s.volatileSize + s.persistentSize < SZ_256M) return rc(MBOX_RC.INTERNAL);
  } else if (s.volatileSize % SZ_256M !== 0n || s.persistentSize % SZ_256M !== 0n) {
    return rc(MBOX_RC.INTERNAL);
  }
  const p = le(ctx.out);
  ctx.out.fill(0, 0, FW_INFO_SIZE);
  p.set8(0, FW_SLOTS);
  if (!qemuMboxHas(s.qemu, 'fwInfoState')) {
    p.set8(1, 0x09);
    p.ascii(0x10, 'BWFW VERSION 0', 0x10);
    return rc(MBOX_RC.SUCCESS, FW_INFO_SIZE);
  }
  const fw = s.ras.fw;
  p.set8(1, (fw.activeSlot & 7) | ((fw.stagedSlot & 7) << 3));
  p.set8(2, 1);
  fw.slots.forEach((filled, i) => {
    if (filled) p.ascii(0x10 * (i + 1), `BWFW VERSION ${i}`, 0x10);
  });
  return rc(MBOX_RC.SUCCESS, FW_INFO_SIZE);
}

function transfer(ctx: MboxContext) {
  const s = ctx.state;
  const fw = ownFw(s.ras);
  if (fw.mock) return mockTransferFw(ctx, fw);
  const n = ctx.input.length;
  if (n < XFER_HDR) return rc(MBOX_RC.PAYLOADLEN);
  const p = le(ctx.input);
  const action = p.u8(0);
  const slot = p.u8(1);
  if (action === ACTION.ABORT) {
    fw.transferring = false;
    return rc(MBOX_RC.SUCCESS);
  }
  const offset = p.u32(4) * XFER_ALIGN;
  const length = n - XFER_HDR;
  if (offset + length > FW_SIZE) return rc(MBOX_RC.INPUT);
  const part = action === ACTION.CONTINUE || action === ACTION.END;
  if (fw.transferring) {
    if (action === ACTION.FULL || action === ACTION.INIT) return rc(MBOX_RC.FWINPROGRESS);
    // a partitioned transfer whose parts are more than 30 s apart is abandoned
    if (partGapSeconds(s, fw) > PART_TIMEOUT_S) {
      fw.transferring = false;
      return rc(MBOX_RC.INPUT);
    }
  } else if (part) return rc(MBOX_RC.INPUT);
  if ((offset !== fw.prevOffset || length !== fw.prevLen) && part) {
    if (offset < fw.prevOffset + fw.prevLen) return rc(MBOX_RC.FWOOO);
  }
  switch (action) {
    case ACTION.FULL:
    case ACTION.END:
      if (slot === 0 || slot === fw.activeSlot || slot > FW_SLOTS) return rc(MBOX_RC.FWSLOT);
      break;
    case ACTION.INIT:
      if (offset !== 0) return rc(MBOX_RC.INPUT);
      fw.transferring = true;
      fw.prevOffset = offset;
      fw.prevLen = length;
      break;
    case ACTION.CONTINUE:
      fw.prevOffset = offset;
      fw.prevLen = length;
      break;
    default:
      return rc(MBOX_RC.INPUT);
  }
  fw.currAction = action;
  fw.currSlot = slot;
  const ms = action === ACTION.FULL ? 10_000 : 2_000;
  return bgStart(s, 0x0201, ms, true, (doneAt) => {
    if (fw.currAction === ACTION.FULL || fw.currAction === ACTION.END) {
      fw.slots[fw.currSlot - 1] = true;
      fw.transferring = false;
    } else fw.lastPartXfer = doneAt;
  });
}

function activate(ctx: MboxContext) {
  const fw = ownFw(ctx.state.ras);
  if (fw.mock) return mockActivateFw(ctx, fw);
  const p = le(ctx.input);
  const action = p.u8(0);
  const slot = p.u8(1);
  if (slot === 0 || slot === fw.activeSlot || slot > FW_SLOTS) return rc(MBOX_RC.FWSLOT);
  if (!fw.slots[slot - 1]) return rc(MBOX_RC.FWSLOT);
  if (action === 0) fw.activeSlot = slot;
  else if (action === 1) fw.stagedSlot = slot;
  else return rc(MBOX_RC.INPUT);
  return rc(MBOX_RC.SUCCESS);
}

/** Get FW Info. */
export const GET_FW_INFO: MboxCommand = {
  opcode: 0x0200,
  name: 'FIRMWARE_UPDATE_GET_INFO',
  inLen: 0,
  effect: 0,
  handler: getFwInfo,
};

/** Transfer FW and Activate FW (QEMU ≥ 9.1). */
export function fwUpdateCommands(): MboxCommand[] {
  const bg = EFFECT.BACKGROUND_OPERATION | EFFECT_BG_ABORT;
  return [
    { opcode: 0x0201, name: 'FIRMWARE_UPDATE_TRANSFER', inLen: VAR, effect: bg, handler: transfer },
    { opcode: 0x0202, name: 'FIRMWARE_UPDATE_ACTIVATE', inLen: 2, effect: bg, handler: activate },
  ];
}

/** Firmware commands of QEMU 7.2 (Get FW Info only). */
export function firmwareCommands(): MboxCommand[] {
  return [GET_FW_INFO];
}
