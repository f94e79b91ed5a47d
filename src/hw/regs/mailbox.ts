/**
 * DOC: the primary mailbox registers — CXL 3.1 §8.2.8.4 (QEMU cxl-device-utils.c
 * mailbox_reg_read/write(), cxl_process_mailbox() / cxl_process_cci_message()).
 *
 * Offsets relative to the mailbox capability: 0x00 Capabilities (payload size 2^11 = 2048;
 * 10.1 also doorbell/background interrupt capable, message number 7), 0x04 Control (doorbell
 * bit 0), 0x08 Command (64-bit: opcode [15:0], payload length [36:16]), 0x10 Status (64-bit:
 * background bit 0, return code [47:32]), 0x18 Background Command Status, 0x20 payload.
 *
 * Protocol (reference/registers.md §8.4): the host writes the payload, the command register
 * (one 64-bit write), then Control with the doorbell; the command runs synchronously inside
 * that write, the return code and output length land in Status and Command, and the doorbell
 * clears. As in QEMU, 32-bit writes to the 64-bit registers are ignored, Capabilities and
 * Status are read-only. QEMU 7.2 runs handlers in place on the payload and reports the
 * output length with the opcode cleared (an unknown opcode echoes the input length); 10.1
 * hands the handler a copy of the input, zeroes the payload first and keeps the opcode.
 */

import { shareWithCopies } from '../../kernel/graph-copy.ts';
import type { MmioRegion } from '../mmio-region.ts';
import { slabBytes } from '../slab.ts';
import { bit, field, setField } from './bits.ts';
import { bgRunning, bgStatusReg, bgTick, isBackground } from './mailbox/background.ts';
import { type3CommandSet } from './mailbox/command-set.ts';
import { buildCel } from './mailbox/logs.ts';
import { qemuMboxHas } from './mailbox/qemu-since.ts';
import { MBOX_RC, type MboxCommand, VAR } from './mailbox/types.ts';
import type { MemDevState } from './memdev-state.ts';

export const MBOX_CAP = 0x00;
export const MBOX_CTRL = 0x04;
export const MBOX_CMD = 0x08;
export const MBOX_STATUS = 0x10;
export const MBOX_BG_STATUS = 0x18;
export const MBOX_PAYLOAD = 0x20;
/** Mailbox Capabilities fields — §8.2.8.4.3. */
export const MBOX_CAP_PAYLOAD_SIZE = field(0, 5);
export const MBOX_CAP_DOORBELL_IRQ = bit(5);
export const MBOX_CAP_BG_IRQ = bit(6);
export const MBOX_CAP_MSG_NUMBER = field(7, 4);
/** Mailbox Control — §8.2.8.4.4. */
export const MBOX_CTRL_DOORBELL = bit(0);
export const MBOX_CTRL_WRITE_MASK = 0x7;
/** log2 of the payload size QEMU implements (CXL_MAILBOX_PAYLOAD_SHIFT): 2048 bytes. */
export const MBOX_PAYLOAD_SHIFT = 11;
export const MBOX_PAYLOAD_SIZE = 1 << MBOX_PAYLOAD_SHIFT;
/** Bytes of the mailbox capability (registers + payload): 0x820. */
export const MBOX_LENGTH = MBOX_PAYLOAD + MBOX_PAYLOAD_SIZE;
/**
 * Bytes of the mailbox always held: the registers and the payload's first 224 bytes, which
 * hold every command's input and output of a boot (identify, partition info, logs, events).
 * The rest of the payload reads as zero until a non-zero byte is stored there (a large LSA or
 * firmware transfer, a long log): then it gets its own piece. At 4,096 endpoints this keeps
 * ~7 MB of zeros out of a machine snapshot (docs/performance.md).
 */
const MBOX_RESIDENT = 0x100;
/**
 * The payload a command runs on: the held bytes assembled into one buffer (the process runs
 * one command at a time; handlers do not keep it), stored back after the command.
 */
const scratch = new Uint8Array(MBOX_PAYLOAD_SIZE);
/** Where the payload's part above the resident bytes starts in it. */
const HI_PAYLOAD = MBOX_RESIDENT - MBOX_PAYLOAD;
/** The scratch payload's resident part and the rest (views made once). */
const scratchLo = scratch.subarray(0, HI_PAYLOAD);
const scratchHi = scratch.subarray(HI_PAYLOAD);
/** The rest as 32-bit words, for the zero check. */
const scratchHiWords = new Uint32Array(
  scratch.buffer,
  HI_PAYLOAD,
  (MBOX_PAYLOAD_SIZE - HI_PAYLOAD) / 4,
);

/** Whether the scratch payload is all zero above its resident part. */
function scratchHiZero(): boolean {
  for (let i = 0; i < scratchHiWords.length; i++) if (scratchHiWords[i] !== 0) return false;
  return true;
}

/** QEMU 10.1's mailbox MSI-X vector (CXL_T3_MSIX_MBOX = event start 2 + 5 event logs). */
export const MBOX_MSIX = 7;

/** A command as it ran, for tracing. */
export interface MboxTrace {
  opcode: number;
  lenIn: number;
  rc: number;
  lenOut: number;
}

/**
 * The command table and CEL of a (QEMU version, extra opcodes) pair — the same for every
 * device that has them, so built once (neither is ever written).
 */
const commandSets = new Map<
  string,
  { commands: ReadonlyMap<number, MboxCommand>; cel: Uint8Array }
>();
function commandSet(qemu: MemDevState['qemu'], extra: Iterable<number>) {
  const ops = [...extra].sort((a, b) => a - b);
  const key = `${qemu}|${ops.join(',')}`;
  let set = commandSets.get(key);
  if (!set) {
    const cmds = type3CommandSet(qemu, ops);
    set = {
      commands: shareWithCopies(new Map(cmds.map((c) => [c.opcode, c]))),
      cel: shareWithCopies(buildCel(cmds)),
    };
    commandSets.set(key, set);
  }
  return set;
}

/**
 * Commands refused with MEDIA_DISABLED while a sanitize runs (QEMU cxl_process_cci_message():
 * get records, partition info, LSA, Get Log, poison, sanitize, firmware transfer/activate).
 */
const MEDIA_DISABLED_OPCODES: ReadonlySet<number> = new Set([
  0x0100, 0x4100, 0x4103, 0x4102, 0x0401, 0x4300, 0x4301, 0x4302, 0x4400, 0x0201, 0x0202,
]);

/** The primary mailbox of a type-3 device. */
export class Mailbox implements MmioRegion {
  readonly size = MBOX_LENGTH;
  readonly commands: ReadonlyMap<number, MboxCommand>;
  /** The Command Effects Log of this mailbox's command set. */
  readonly cel: Uint8Array;
  /** Registers and the payload's first bytes: [0, {@link MBOX_RESIDENT}). */
  private readonly bytes = slabBytes(MBOX_RESIDENT);
  private readonly dv = new DataView(this.bytes.buffer, this.bytes.byteOffset, MBOX_RESIDENT);
  /** [{@link MBOX_RESIDENT}, {@link MBOX_LENGTH}): undefined while all zero. */
  private hi: DataView | undefined = undefined;
  private readonly state: MemDevState;
  private readonly onCommand: ((t: MboxTrace) => void) | undefined;

  constructor(state: MemDevState, onCommand?: (t: MboxTrace) => void) {
    this.state = state;
    this.onCommand = onCommand;
    const set = commandSet(state.qemu, state.extraOpcodes ?? []);
    this.commands = set.commands;
    this.cel = set.cel;
    let cap = setField(0, MBOX_CAP_PAYLOAD_SIZE, MBOX_PAYLOAD_SHIFT);
    if (qemuMboxHas(state.qemu, 'mboxInterrupts'))
      cap = setField(cap | MBOX_CAP_DOORBELL_IRQ | MBOX_CAP_BG_IRQ, MBOX_CAP_MSG_NUMBER, MBOX_MSIX);
    this.dv.setUint32(MBOX_CAP, cap, true);
  }

  /** The payload registers, assembled into the shared scratch buffer. */
  private loadPayload(): Uint8Array {
    scratchLo.set(this.bytes.subarray(MBOX_PAYLOAD));
    const hi = this.hi;
    if (hi === undefined) scratchHi.fill(0);
    else scratchHi.set(new Uint8Array(hi.buffer, hi.byteOffset, hi.byteLength));
    return scratch;
  }

  /** Stores the scratch buffer (after a command) into the payload registers. */
  private storePayload(): void {
    this.bytes.set(scratchLo, MBOX_PAYLOAD);
    const hi = this.upper(!scratchHiZero());
    if (hi !== undefined) new Uint8Array(hi.buffer).set(scratchHi);
  }

  /**
   * The payload's upper part ([{@link MBOX_RESIDENT}, {@link MBOX_LENGTH})), made when `make`
   * (undefined: not there, all zero).
   */
  private upper(make: boolean): DataView | undefined {
    if (this.hi === undefined && make)
      this.hi = new DataView(new ArrayBuffer(MBOX_LENGTH - MBOX_RESIDENT));
    return this.hi;
  }

  read32(offset: number): number {
    if (offset < 0 || offset + 4 > this.size || offset & 3) return 0;
    if (offset >= MBOX_STATUS && offset < MBOX_PAYLOAD) {
      const v = this.read64(offset & ~7);
      return Number(offset & 4 ? v >> 32n : v & 0xffffffffn) >>> 0;
    }
    if (offset < MBOX_RESIDENT) return this.dv.getUint32(offset, true);
    return this.hi?.getUint32(offset - MBOX_RESIDENT, true) ?? 0;
  }

  read64(offset: number): bigint {
    if (offset < 0 || offset + 8 > this.size || offset & 7) return 0n;
    // Status bit 0 (background operation) and the Background Command Status register follow
    // the device's background command (QEMU mailbox_reg_read8/…: computed on read).
    if (offset === MBOX_STATUS)
      return this.dv.getBigUint64(offset, true) | (bgRunning(this.state) ? 1n : 0n);
    if (offset === MBOX_BG_STATUS) return bgStatusReg(this.state);
    if (offset < MBOX_RESIDENT) return this.dv.getBigUint64(offset, true);
    return this.hi?.getBigUint64(offset - MBOX_RESIDENT, true) ?? 0n;
  }

  write32(offset: number, value: number): void {
    if (offset < 0 || offset + 4 > this.size || offset & 3) return;
    if (offset >= MBOX_RESIDENT)
      this.upper(value !== 0)?.setUint32(offset - MBOX_RESIDENT, value >>> 0, true);
    else if (offset >= MBOX_PAYLOAD) this.dv.setUint32(offset, value >>> 0, true);
    else if (offset === MBOX_CTRL) this.dv.setUint32(offset, value & MBOX_CTRL_WRITE_MASK, true);
    this.ring();
  }

  write64(offset: number, value: bigint): void {
    if (offset < 0 || offset + 8 > this.size || offset & 7) return;
    const v = BigInt.asUintN(64, value);
    if (offset >= MBOX_RESIDENT)
      this.upper(v !== 0n)?.setBigUint64(offset - MBOX_RESIDENT, v, true);
    else if (offset >= MBOX_PAYLOAD || offset === MBOX_CMD) this.dv.setBigUint64(offset, v, true);
    this.ring();
  }

  /** Runs the command when the doorbell is set (QEMU checks after every mailbox write). */
  private ring(): void {
    if ((this.dv.getUint32(MBOX_CTRL, true) & MBOX_CTRL_DOORBELL) === 0) return;
    // QEMU's background timer fires on its own; here it catches up before each command.
    bgTick(this.state);
    const old = !qemuMboxHas(this.state.qemu, 'mboxCopyInput');
    const cmdReg = this.dv.getBigUint64(MBOX_CMD, true);
    const opcode = Number(cmdReg & 0xffffn);
    const lenIn = Number((cmdReg >> 16n) & 0x1fffffn);
    let code: number;
    let lenOut = old ? lenIn : 0;
    const cmd = this.commands.get(opcode);
    if (lenIn > MBOX_PAYLOAD_SIZE) {
      code = MBOX_RC.PAYLOADLEN;
      lenOut = 0;
    } else if (!cmd) {
      code = MBOX_RC.UNSUPPORTED;
    } else if (cmd.inLen !== VAR && cmd.inLen !== lenIn) {
      code = MBOX_RC.PAYLOADLEN;
    } else if (isBackground(cmd) && bgRunning(this.state)) {
      code = MBOX_RC.BUSY;
    } else if (this.state.ras.mediaDisabled && MEDIA_DISABLED_OPCODES.has(opcode)) {
      code = MBOX_RC.MEDIADISABLED;
    } else {
      const payload = this.loadPayload();
      const input = payload.slice(0, lenIn);
      if (!old) payload.fill(0);
      let r: ReturnType<MboxCommand['handler']>;
      try {
        r = cmd.handler({
          state: this.state,
          input,
          out: payload,
          payloadSize: MBOX_PAYLOAD_SIZE,
          cel: this.cel,
        });
      } finally {
        this.storePayload();
      }
      code = r.rc;
      lenOut = Math.min(r.len, MBOX_PAYLOAD_SIZE);
    }
    const keep = old ? 0n : BigInt(opcode);
    this.dv.setBigUint64(MBOX_CMD, keep | (BigInt(lenOut) << 16n), true);
    this.dv.setBigUint64(MBOX_STATUS, BigInt(code) << 32n, true);
    this.dv.setUint32(MBOX_CTRL, this.dv.getUint32(MBOX_CTRL, true) & ~MBOX_CTRL_DOORBELL, true);
    this.onCommand?.({ opcode, lenIn, rc: code, lenOut });
  }
}
