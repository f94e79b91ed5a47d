/**
 * DOC: Firmware Update command set (0x02xx) — CXL 3.1 §8.2.9.3. Only Get FW Info (0x0200).
 *
 * QEMU 7.2: 2 slots, slot info 0x09 (active 1, staged 1), no capabilities, slot 1 revision
 * "BWFW VERSION 0"; INTERNAL when the device has less than 256 MiB. 10.1: active slot 1, no
 * staged slot (0x01), online update capable (bit 0); INTERNAL when a capacity is not a
 * multiple of 256 MiB. Transfer/Activate FW (0x0201/0x0202, 10.1) are not modelled.
 */
import { SZ_256M } from '../bits.ts';
import { le, MBOX_RC, type MboxCommand, type MboxContext, rc } from './types.ts';

/** Get FW Info output size. */
export const FW_INFO_SIZE = 0x50;

function getFwInfo(ctx: MboxContext) {
  const s = ctx.state;
  if (s.qemu === '7.2') {
    if (s.volatileSize + s.persistentSize < SZ_256M) return rc(MBOX_RC.INTERNAL);
  } else if (s.volatileSize % SZ_256M !== 0n || s.persistentSize % SZ_256M !== 0n) {
    return rc(MBOX_RC.INTERNAL);
  }
  const p = le(ctx.out);
  ctx.out.fill(0, 0, FW_INFO_SIZE);
  p.set8(0, 2);
  p.set8(1, s.qemu === '7.2' ? 0x09 : 0x01);
  p.set8(2, s.qemu === '7.2' ? 0 : 1);
  p.ascii(0x10, 'BWFW VERSION 0', 0x10);
  return rc(MBOX_RC.SUCCESS, FW_INFO_SIZE);
}

/** Firmware commands. */
export function firmwareCommands(): MboxCommand[] {
  return [
    { opcode: 0x0200, name: 'FIRMWARE_UPDATE_GET_INFO', inLen: 0, effect: 0, handler: getFwInfo },
  ];
}
