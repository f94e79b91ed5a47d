/**
 * DOC: mailbox command plumbing — return codes (CXL 3.1 §8.2.8.4.5.1, Table 8-34), CEL effect
 * bits (§8.2.9.5.2.1, Table 8-75), and the handler contract (QEMU struct cxl_cmd).
 *
 * A handler gets the input payload (a copy of the first `len` bytes the host wrote) and the
 * payload buffer to fill, and returns a return code and the output length. Input length is
 * checked by the dispatcher against `inLen` (VAR = any), as QEMU does, before the handler runs.
 */
import type { MemDevState } from '../memdev-state.ts';

/** Return codes; names follow the kernel's CMD_CMD_RC_TABLE (cxlmem.h). */
export const MBOX_RC = {
  SUCCESS: 0x00,
  BACKGROUND: 0x01,
  INPUT: 0x02,
  UNSUPPORTED: 0x03,
  INTERNAL: 0x04,
  RETRY: 0x05,
  BUSY: 0x06,
  MEDIADISABLED: 0x07,
  FWINPROGRESS: 0x08,
  FWOOO: 0x09,
  FWAUTH: 0x0a,
  FWSLOT: 0x0b,
  FWROLLBACK: 0x0c,
  FWRESET: 0x0d,
  HANDLE: 0x0e,
  PADDR: 0x0f,
  POISONLMT: 0x10,
  MEDIAFAILURE: 0x11,
  ABORT: 0x12,
  SECURITY: 0x13,
  PASSPHRASE: 0x14,
  MBUNSUPPORTED: 0x15,
  PAYLOADLEN: 0x16,
  LOG: 0x17,
  INTERRUPTED: 0x18,
  FEATUREVERSION: 0x19,
  FEATURESELVALUE: 0x1a,
  FEATURETRANSFERIP: 0x1b,
  FEATURETRANSFEROOO: 0x1c,
  RESOURCEEXHAUSTED: 0x1d,
  EXTLIST: 0x1e,
} as const;

/** CEL command effect bits (QEMU CXL_MBOX_* / IMMEDIATE_*). */
export const EFFECT = {
  CONFIG_CHANGE_COLD_RESET: 1 << 0,
  IMMEDIATE_CONFIG_CHANGE: 1 << 1,
  IMMEDIATE_DATA_CHANGE: 1 << 2,
  IMMEDIATE_POLICY_CHANGE: 1 << 3,
  IMMEDIATE_LOG_CHANGE: 1 << 4,
  SECURITY_STATE_CHANGE: 1 << 5,
  BACKGROUND_OPERATION: 1 << 6,
} as const;

/** `inLen` value meaning "any input length" (QEMU's `~0`). */
export const VAR = -1;

/** What a handler sees. */
export interface MboxContext {
  state: MemDevState;
  /** Input payload (copy of the bytes the host wrote, `len` from the command register). */
  input: Uint8Array;
  /** The payload registers (payloadSize bytes); output goes here from offset 0. */
  out: Uint8Array;
  payloadSize: number;
  /** The Command Effects Log bytes of this mailbox (4 bytes per command). */
  cel: Uint8Array;
}

/** A handler's answer: return code and output payload length in bytes. */
export interface MboxResult {
  rc: number;
  len: number;
}

/** One command of a command set. */
export interface MboxCommand {
  opcode: number;
  /** QEMU's name ("IDENTIFY_MEMORY_DEVICE"). */
  name: string;
  /** Expected input length in bytes, or VAR. */
  inLen: number;
  /** CEL effect bits. */
  effect: number;
  handler: (ctx: MboxContext) => MboxResult;
}

/** Shorthand for a result. */
export function rc(code: number, len = 0): MboxResult {
  return { rc: code, len };
}

/**
 * Little-endian accessors over a payload (QEMU ldq_le_p/stq_le_p…): reads past the end give 0;
 * writes past the end throw RangeError (a handler bug). One object per payload, its methods on
 * the prototype (handlers make one per command).
 */
export class LePayload {
  private readonly dv: DataView;
  private readonly len: number;
  constructor(buf: Uint8Array) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.len = buf.byteLength;
  }
  private fits(off: number, n: number): boolean {
    return off >= 0 && off + n <= this.len;
  }
  u8(off: number): number {
    return this.fits(off, 1) ? this.dv.getUint8(off) : 0;
  }
  u16(off: number): number {
    return this.fits(off, 2) ? this.dv.getUint16(off, true) : 0;
  }
  u32(off: number): number {
    return this.fits(off, 4) ? this.dv.getUint32(off, true) : 0;
  }
  u64(off: number): bigint {
    return this.fits(off, 8) ? this.dv.getBigUint64(off, true) : 0n;
  }
  set8(off: number, v: number): void {
    this.dv.setUint8(off, v & 0xff);
  }
  set16(off: number, v: number): void {
    this.dv.setUint16(off, v & 0xffff, true);
  }
  set24(off: number, v: number): void {
    this.dv.setUint16(off, v & 0xffff, true);
    this.dv.setUint8(off + 2, (v >>> 16) & 0xff);
  }
  set32(off: number, v: number): void {
    this.dv.setUint32(off, v >>> 0, true);
  }
  set64(off: number, v: bigint): void {
    this.dv.setBigUint64(off, BigInt.asUintN(64, v), true);
  }
  /** `s` as 7-bit ASCII in `max` bytes at `off`, zero-padded. */
  ascii(off: number, s: string, max: number): void {
    for (let i = 0; i < max; i++)
      this.dv.setUint8(off + i, i < s.length ? s.charCodeAt(i) & 0x7f : 0);
  }
}

/** {@link LePayload} over `buf`. */
export function le(buf: Uint8Array): LePayload {
  return new LePayload(buf);
}

/** A UUID string ("0da9c0b5-bf41-…") as the 16 bytes QEMU's UUID() macro stores (big-endian fields). */
export function uuidBytes(uuid: string): Uint8Array {
  let bytes = parsedUuids.get(uuid);
  if (!bytes) {
    const hex = uuid.replace(/-/g, '');
    bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    parsedUuids.set(uuid, bytes);
  }
  return bytes.slice();
}
/** UUID strings already parsed (the CEL UUID is asked for by every Get Supported Logs). */
const parsedUuids = new Map<string, Uint8Array>();

/** The 16 bytes of a UUID as the kernel prints it with %pUb. */
export function uuidString(b: Uint8Array): string {
  const h = [...b.subarray(0, 16)].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
