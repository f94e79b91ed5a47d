/**
 * DOC: Identify Memory Device (0x4000) — CXL 3.1 §8.2.9.9.1.1 (QEMU
 * cmd_identify_memory_device()).
 *
 * Output (reference/registers.md §9.3): FW revision (16 bytes), total / volatile-only /
 * persistent-only capacity and partition alignment in 256 MiB units (alignment 0: not
 * partitionable), four event log sizes (0), LSA size, poison list maximum (24-bit), inject
 * limit, poison caps, QoS caps; 0x43 bytes in QEMU 7.2. 10.1 adds the dynamic capacity event
 * log size (8) at 0x43 (0x45 bytes) and reports 256 poison records (7.2: 0). INTERNAL when a
 * capacity is not a multiple of 256 MiB. 7.2 only had persistent memory; cxlsim reports a
 * volatile capacity the same way 10.1 does.
 */
import { SZ_256M } from '../bits.ts';
import { qemuMboxHas } from './qemu-since.ts';
import { le, MBOX_RC, type MboxCommand, type MboxContext, rc } from './types.ts';

/** Output sizes per QEMU version. */
export const IDENTIFY_SIZE_7_2 = 0x43;
export const IDENTIFY_SIZE = 0x45;
/** Poison List Maximum Media Error Records reported by QEMU ≥ 8.1. */
export const POISON_LIST_MAX = 256;

function identify(ctx: MboxContext) {
  const s = ctx.state;
  if (s.volatileSize % SZ_256M !== 0n || s.persistentSize % SZ_256M !== 0n)
    return rc(MBOX_RC.INTERNAL);
  const old = !qemuMboxHas(s.qemu, 'identifyPoisonFields');
  const size = old ? IDENTIFY_SIZE_7_2 : IDENTIFY_SIZE;
  ctx.out.fill(0, 0, size);
  const p = le(ctx.out);
  p.ascii(0, s.fwRevision, 0x10);
  p.set64(0x10, (s.volatileSize + s.persistentSize) / SZ_256M);
  p.set64(0x18, s.volatileSize / SZ_256M);
  p.set64(0x20, s.persistentSize / SZ_256M);
  p.set64(0x28, 0n);
  p.set32(0x38, s.lsaSize);
  p.set24(0x3c, old ? 0 : POISON_LIST_MAX);
  p.set16(0x3f, 0);
  if (!old) p.set16(0x43, 8);
  return rc(MBOX_RC.SUCCESS, size);
}

/** Identify commands. */
export function identifyCommands(): MboxCommand[] {
  return [
    { opcode: 0x4000, name: 'IDENTIFY_MEMORY_DEVICE', inLen: 0, effect: 0, handler: identify },
  ];
}
