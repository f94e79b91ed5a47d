/**
 * DOC: the CXL memory device register block (BAR 2, Register Locator id 3) — CXL 3.1 §8.2.8
 * (QEMU cxl-device-utils.c cxl_device_register_block_init() / cxl_device_register_init_t3()).
 *
 * Layout, as QEMU lays it out and the capture's dmesg reports it ("found Status capability
 * (0x80)", "found Mailbox capability (0x88)", "found Memory Device capability (0x8a8)"):
 *
 * | offset | register                                                          |
 * |--------|-------------------------------------------------------------------|
 * | 0x00   | Device Capabilities Array (64-bit): ID 0, version 1, count 3       |
 * | 0x10   | header: Device Status (ID 1), offset 0x80, length 0x8              |
 * | 0x20   | header: Primary Mailbox (ID 2), offset 0x88, length 0x820          |
 * | 0x30   | header: Memory Device Status (ID 0x4000), offset 0x8a8, length 0x8 |
 * | 0x80   | Event Status (64-bit, RO): bit n = event log n has records         |
 * | 0x88   | mailbox (mailbox.ts)                                               |
 * | 0x8a8  | Memory Device Status (64-bit, RO): media ready, mailbox ready      |
 *
 * The BAR is 4 KiB (QEMU rounds CXL_MMIO_SIZE 0x840 up to a power of two; lspci: "Region 2:
 * … [size=4K]"). Device Status capability version 1 in 7.2, 2 (event status) in 10.1.
 */
import { shareWithCopies } from '../../kernel/graph-copy.ts';
import type { MmioRegion } from '../mmio-region.ts';
import { qemuHas } from '../qemu-compat.ts';
import { bit, field, hi32, lo32, setField } from './bits.ts';
import { eventStatus } from './mailbox/events.ts';
import { Mailbox, MBOX_LENGTH, type MboxTrace } from './mailbox.ts';
import type { MemDevState } from './memdev-state.ts';

/** BAR 2 size (bytes). */
export const DEVICE_REGS_SIZE = 0x1000;
/** Device capability IDs — CXL 3.1 Table 8-37. */
export const DEV_CAP_ID = {
  STATUS: 0x1,
  PRIMARY_MAILBOX: 0x2,
  SECONDARY_MAILBOX: 0x3,
  MEMDEV: 0x4000,
} as const;
export const DEV_STATUS_OFFSET = 0x80;
export const DEV_STATUS_LENGTH = 0x8;
export const MBOX_OFFSET = DEV_STATUS_OFFSET + DEV_STATUS_LENGTH;
export const MEMDEV_OFFSET = MBOX_OFFSET + MBOX_LENGTH;
export const MEMDEV_LENGTH = 0x8;
/** Capabilities Array Register fields (64-bit, low dword / high dword) — §8.2.8.1. */
export const CAP_ARRAY_ID = field(0, 16);
export const CAP_ARRAY_VERSION = field(16, 8);
/** Memory Device Status fields — §8.2.8.5.1.1. */
export const MEMDEV_FATAL = bit(0);
export const MEMDEV_FW_HALT = bit(1);
export const MEMDEV_MEDIA_STATUS = field(2, 2);
export const MEMDEV_MBOX_READY = bit(4);
export const MEMDEV_RESET_NEEDED = field(5, 3);
/** Media Status values. */
export const MEDIA_STATUS = { NOT_READY: 0, READY: 1, ERROR: 2, DISABLED: 3 } as const;

/** The device register block, with its mailbox. */
export interface DeviceRegisters extends MmioRegion {
  readonly mailbox: Mailbox;
  read64(offset: number): bigint;
  write64(offset: number, value: bigint): void;
}

/**
 * Builds the BAR 2 block of a type-3 device over its state. `onCommand` sees every mailbox
 * command that ran (opcode, lengths, return code).
 */
export function createDeviceRegisters(
  state: MemDevState,
  opts: { onCommand?: (t: MboxTrace) => void } = {},
): DeviceRegisters {
  const mailbox = new Mailbox(state, opts.onCommand);
  const caps = capabilityArray(qemuHas(state.qemu, 'deviceStatusV2') ? 2 : 1);
  return new DeviceBlock(state, mailbox, caps);
}

/** {@link capabilityArray} by Device Status capability version. */
const capabilityArrays = new Map<number, Uint32Array>();

/**
 * The Device Capabilities Array (CXL 3.1 §8.2.8.1: the array register and three capability
 * headers: status, primary mailbox, memory device): read-only, so one array per status version
 * that every device shares, as do copies of the machine.
 */
function capabilityArray(statusVersion: number): Uint32Array {
  let caps = capabilityArrays.get(statusVersion);
  if (caps) return caps;
  caps = new Uint32Array(0x40 / 4);
  caps[0] = setField(setField(0, CAP_ARRAY_ID, 0), CAP_ARRAY_VERSION, 1);
  caps[1] = 3;
  const header = (slot: number, id: number, version: number, offset: number, length: number) => {
    const c = caps as Uint32Array;
    c[(0x10 * slot) / 4] = (id | (version << 16)) >>> 0;
    c[(0x10 * slot) / 4 + 1] = offset;
    c[(0x10 * slot) / 4 + 2] = length;
  };
  header(1, DEV_CAP_ID.STATUS, statusVersion, DEV_STATUS_OFFSET, DEV_STATUS_LENGTH);
  header(2, DEV_CAP_ID.PRIMARY_MAILBOX, 1, MBOX_OFFSET, MBOX_LENGTH);
  header(3, DEV_CAP_ID.MEMDEV, 1, MEMDEV_OFFSET, MEMDEV_LENGTH);
  capabilityArrays.set(statusVersion, shareWithCopies(caps));
  return caps;
}

/** The {@link DeviceRegisters} of {@link createDeviceRegisters}. */
class DeviceBlock implements DeviceRegisters {
  readonly size = DEVICE_REGS_SIZE;
  readonly mailbox: Mailbox;
  private readonly state: MemDevState;
  /** Capabilities Array (dwords). */
  private readonly caps: Uint32Array;

  constructor(state: MemDevState, mailbox: Mailbox, caps: Uint32Array) {
    this.state = state;
    this.mailbox = mailbox;
    this.caps = caps;
  }

  read32(offset: number): number {
    if (offset & 3 || offset < 0 || offset >= DEVICE_REGS_SIZE) return 0;
    if (offset < this.caps.length * 4) return this.caps[offset >> 2] ?? 0;
    if (inMbox(offset)) return this.mailbox.read32(offset - MBOX_OFFSET);
    if (offset === DEV_STATUS_OFFSET) return eventStatus(this.state);
    if (offset >= MEMDEV_OFFSET && offset < MEMDEV_OFFSET + MEMDEV_LENGTH) {
      const v = BigInt(setField(0, MEMDEV_MEDIA_STATUS, MEDIA_STATUS.READY) | MEMDEV_MBOX_READY);
      return offset === MEMDEV_OFFSET ? lo32(v) : hi32(v);
    }
    return 0;
  }

  write32(offset: number, value: number): void {
    if (inMbox(offset)) this.mailbox.write32(offset - MBOX_OFFSET, value);
  }

  read64(offset: number): bigint {
    if (offset & 7) return 0n;
    if (inMbox(offset)) return this.mailbox.read64(offset - MBOX_OFFSET);
    return (BigInt(this.read32(offset + 4)) << 32n) | BigInt(this.read32(offset));
  }

  write64(offset: number, value: bigint): void {
    if (inMbox(offset)) this.mailbox.write64(offset - MBOX_OFFSET, value);
  }
}

/** Whether a BAR offset is in the primary mailbox. */
function inMbox(off: number): boolean {
  return off >= MBOX_OFFSET && off < MBOX_OFFSET + MBOX_LENGTH;
}
