/**
 * DOE — Data Object Exchange (PCIe 6.0 §6.30, §7.9.24), as QEMU's hw/pci/pcie_doe.c.
 *
 * Registers (offsets from the capability): +0x04 Capabilities (interrupt support, message
 * number), +0x08 Control (bit 0 Abort, bit 1 Interrupt Enable, bit 31 Go), +0x0c Status
 * (bit 0 Busy, bit 1 Interrupt Status RW1C, bit 2 Error, bit 31 Data Object Ready),
 * +0x10 Write Data Mailbox, +0x14 Read Data Mailbox. The host writes a request object dword by
 * dword into the write mailbox and sets Go; the response appears in the read mailbox with
 * Data Object Ready set; each dword *write* to the read mailbox advances it, and Ready drops
 * after the last dword. Object header: dword 0 = vendor ID [15:0] | type [23:16], dword 1 =
 * length in dwords [17:0] (0 = 2^18). A request whose dword count differs from its length is
 * silently discarded (§6.30.1).
 *
 * Protocols: Discovery (PCI-SIG 0x0001, type 0) is built in; CXL Table Access (0x1E98,
 * type 2, CXL 3.1 §8.1.11) serves CDAT entries: request dword 2 = request code 0 [7:0],
 * table type 0 (CDAT) [15:8], entry handle [31:16]; response dword 2 = response code 0,
 * table type 0, next entry handle (0xffff after the last), then the entry bytes.
 */

import { shareWithCopies } from '../../kernel/graph-copy.ts';
import type { PciConfigSpace } from './config-space.ts';
import { EXT_CAP_ID } from './regs.ts';

/** DOE capability size (PCI_DOE_SIZEOF). */
export const DOE_SIZEOF = 0x18;
export const DOE_REG = {
  CAP: 0x04,
  CTRL: 0x08,
  STATUS: 0x0c,
  WRITE_MBOX: 0x10,
  READ_MBOX: 0x14,
} as const;
export const DOE_CTRL = { ABORT: 1 << 0, INT_EN: 1 << 1, GO: 1 << 31 } as const;
export const DOE_STATUS = {
  BUSY: 1 << 0,
  INT_STATUS: 1 << 1,
  ERROR: 1 << 2,
  READY: 1 << 31,
} as const;
/** PCI-SIG vendor ID for the discovery protocol. */
export const PCI_SIG_VENDOR = 0x0001;
/** CXL table access protocol (CXL_DOE_TABLE_ACCESS) and the end-of-table entry handle. */
export const CXL_DOE_TABLE_ACCESS = 2;
export const CXL_DOE_TAB_ENT_MAX = 0xffff;

/**
 * A DOE protocol: answers one request object (dwords) to mailbox `doe` with a response object,
 * or refuses.
 */
export interface DoeProtocol {
  vendor: number;
  type: number;
  handle(request: Uint32Array, doe: Doe): Uint32Array | undefined;
}

function objectHeader(vendor: number, type: number, lengthDw: number): [number, number] {
  return [(vendor & 0xffff) | ((type & 0xff) << 16), lengthDw & 0x3ffff];
}

/**
 * The CXL Table Access protocol over CDAT entries ([header, structures…], frozen): a frozen
 * object, shared by copies of the machine.
 */
export function cdatTableAccess(entries: readonly Uint8Array[]): DoeProtocol {
  return Object.freeze(new CdatTableAccess(entries));
}

/** The protocol of {@link cdatTableAccess}. */
class CdatTableAccess implements DoeProtocol {
  readonly vendor = 0x1e98;
  readonly type = CXL_DOE_TABLE_ACCESS;
  private readonly entries: readonly Uint8Array[];
  constructor(entries: readonly Uint8Array[]) {
    this.entries = entries;
  }
  handle(req: Uint32Array): Uint32Array | undefined {
    if (req.length < 3) return undefined;
    const ents = this.entries;
    const handle = ((req[2] ?? 0) >>> 16) & 0xffff;
    const ent = ents[handle];
    if (!ent) return undefined;
    const next = handle < ents.length - 1 ? handle + 1 : CXL_DOE_TAB_ENT_MAX;
    const dws = Math.ceil((12 + ent.length) / 4);
    const rsp = new Uint32Array(dws);
    const [h0, h1] = objectHeader(0x1e98, CXL_DOE_TABLE_ACCESS, dws);
    rsp[0] = h0;
    rsp[1] = h1;
    rsp[2] = (next << 16) >>> 0;
    // the entry's bytes, little-endian, from dword 3 (no ArrayBuffer view of a small array)
    for (let i = 0; i < ent.length; i++)
      rsp[3 + (i >> 2)] = ((rsp[3 + (i >> 2)] ?? 0) | ((ent[i] ?? 0) << (8 * (i & 3)))) >>> 0;
    return rsp;
  }
}

/** The DOE Discovery protocol (pcie_doe_discovery()): one frozen object for every mailbox. */
const DISCOVERY: DoeProtocol = Object.freeze({
  vendor: PCI_SIG_VENDOR,
  type: 0,
  handle: (r: Uint32Array, doe: Doe) => doe.discover(r),
});

/** An empty write mailbox (shared and frozen: a write makes the mailbox's own list). */
const NO_WORDS = Object.freeze([]) as unknown as number[];

/** An empty read mailbox (shared: it is never written). */
const NO_DWORDS = shareWithCopies(new Uint32Array(0));

/** A DOE instance attached to a config space (pcie_doe_init()). */
export class Doe {
  private writeMbox: number[] = NO_WORDS;
  private readMbox: Uint32Array = NO_DWORDS;
  private readIdx = 0;
  private ready = false;
  private error = false;
  private intStatus = false;
  private intEnable = false;
  readonly protocols: readonly DoeProtocol[];
  readonly offset: number;
  private readonly intr: boolean;
  private readonly vector: number;

  /**
   * @param intr interrupt capable (QEMU: when the function has MSI or MSI-X)
   * @param vector interrupt message number
   */
  constructor(
    cs: PciConfigSpace,
    offset: number,
    protocols: DoeProtocol[],
    intr: boolean,
    vector: number,
  ) {
    this.offset = offset;
    this.intr = intr;
    this.vector = vector;
    cs.addExtCapability(EXT_CAP_ID.DOE, 1, offset, DOE_SIZEOF);
    cs.set32(offset + DOE_REG.CAP, this.capValue());
    // constant: frozen, shared by copies of the machine
    this.protocols = Object.freeze([DISCOVERY, ...protocols]);
    cs.onAccess(offset + 4, offset + DOE_SIZEOF, doeReadHook, doeWriteHook, this as Doe);
  }

  private capValue(): number {
    return this.intr ? (1 | ((this.vector & 0x7ff) << 1)) >>> 0 : 0;
  }

  /** DOE Discovery: the protocol at the requested index, and the next index. */
  discover(req: Uint32Array): Uint32Array | undefined {
    if (req.length < 3) return undefined;
    const index = (req[2] ?? 0) & 0xff;
    const p = this.protocols[index];
    if (!p) return undefined;
    const next = index + 1 < this.protocols.length ? index + 1 : 0;
    const [h0, h1] = objectHeader(PCI_SIG_VENDOR, 0, 3);
    return Uint32Array.of(
      h0,
      h1,
      ((p.vendor & 0xffff) | ((p.type & 0xff) << 16) | (next << 24)) >>> 0,
    );
  }

  private dword(reg: number): number {
    switch (reg) {
      case DOE_REG.CAP:
        return this.capValue();
      case DOE_REG.CTRL:
        return this.intEnable ? DOE_CTRL.INT_EN : 0;
      case DOE_REG.STATUS:
        return (
          ((this.intStatus ? DOE_STATUS.INT_STATUS : 0) |
            (this.error ? DOE_STATUS.ERROR : 0) |
            (this.ready ? DOE_STATUS.READY : 0)) >>>
          0
        );
      case DOE_REG.READ_MBOX:
        return this.ready ? (this.readMbox[this.readIdx] ?? 0) : 0;
      default:
        return 0;
    }
  }

  /** A config read of `size` bytes at `rel` bytes into the capability (from its Control register). */
  read(rel: number, size: 1 | 2 | 4): number {
    const shift = rel & 3;
    const v = this.dword(rel - shift) >>> (8 * shift);
    return size === 4 ? v >>> 0 : v & ((1 << (8 * size)) - 1);
  }

  /** A config write of `size` bytes at `rel` bytes into the capability. */
  write(rel: number, size: 1 | 2 | 4, value: number): void {
    const shift = rel & 3;
    const reg = rel - shift;
    const val = (value << (8 * shift)) >>> 0;
    switch (reg) {
      case DOE_REG.CTRL:
        if (val & DOE_CTRL.ABORT) {
          this.ready = false;
          this.error = false;
          this.writeMbox = NO_WORDS;
          this.readMbox = NO_DWORDS;
          this.readIdx = 0;
          return;
        }
        if (val & DOE_CTRL.GO) this.go();
        if (val & DOE_CTRL.INT_EN) this.intEnable = true;
        else if (shift === 0) this.intEnable = false;
        return;
      case DOE_REG.STATUS:
        if (val & DOE_STATUS.INT_STATUS) this.intStatus = false;
        return;
      case DOE_REG.READ_MBOX:
        if (size !== 4) return;
        this.readIdx++;
        if (this.readIdx === this.readMbox.length) {
          this.readMbox = NO_DWORDS;
          this.readIdx = 0;
          this.ready = false;
        } else if (this.readIdx > this.readMbox.length) this.error = true;
        return;
      case DOE_REG.WRITE_MBOX:
        if (size === 4) {
          if (this.writeMbox === NO_WORDS) this.writeMbox = [];
          this.writeMbox.push(value >>> 0);
        }
        return;
      default:
        return;
    }
  }

  /** pcie_doe_prepare_rsp(). */
  private go(): void {
    if (this.error) return;
    const req = Uint32Array.from(this.writeMbox);
    this.writeMbox = NO_WORDS;
    const h0 = req[0] ?? 0;
    const p = this.protocols.find((x) => ((x.vendor & 0xffff) | ((x.type & 0xff) << 16)) === h0);
    const lenField = (req[1] ?? 0) & 0x3ffff;
    const len = lenField === 0 ? 1 << 18 : lenField;
    const rsp = p && req.length === len ? p.handle(req, this) : undefined;
    if (rsp) {
      this.readMbox = rsp;
      this.readIdx = 0;
      this.ready = true;
      if (this.intEnable && this.intr) this.intStatus = true;
    }
  }
}

/** The config-space read hook of a DOE mailbox at `offset`. */
function doeReadHook(o: number, size: 1 | 2 | 4, doe: Doe): number {
  return doe.read(o - doe.offset, size);
}

/** The config-space write hook of a DOE mailbox at `offset`. */
function doeWriteHook(o: number, size: 1 | 2 | 4, v: number, doe: Doe): void {
  doe.write(o - doe.offset, size, v);
}
