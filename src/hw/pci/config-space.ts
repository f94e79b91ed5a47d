/**
 * DOC: a PCIe function's 4 KiB configuration space, the QEMU way (hw/pci/pci.c).
 *
 * Three parallel byte arrays: the values, the write mask (`wmask`: bits a guest may
 * change) and the write-1-to-clear mask (`w1cmask`). A write merges
 * `(old & ~wmask) | (val & wmask)` and then clears `val & w1cmask` (pci_default_write_config()),
 * so read-only bits survive any write. As in pci_init_wmask(), everything above the 64-byte
 * header starts writable until a capability claims the bytes (pci_add_capability() and
 * pcie_add_capability() make their range read-only; the capability's init then opens the bits
 * the spec makes RW). BARs follow pci_register_bar(): the wmask is ~(size − 1), so writing
 * all-ones reads back the size mask with the type bits (BAR sizing, PCI 3.0 §6.2.5.1).
 *
 * Capability lists: legacy capabilities are *prepended* (pci_add_capability() links the new
 * one at the head), extended ones are *appended* (pcie_add_capability()). Devices hook reads
 * and writes of a register range (DOE mailboxes, slot control) with {@link onRead}/{@link onWrite}.
 */
import { Errno } from '../../kernel/errno.ts';
import { shareWithCopies } from '../../kernel/graph-copy.ts';
import { slabAllocator } from '../slab.ts';
import { BAR, COMMAND, HEADER_TYPE, PCI, STATUS } from './regs.ts';

/** Size of PCIe configuration space in bytes. */
export const CONFIG_SPACE_SIZE = 4096;
/** End of the legacy (PCI 3.0) part. */
export const LEGACY_CONFIG_SIZE = 256;

/**
 * Bytes of one config space's masks: write mask, W1C mask, legacy capability map. They are
 * fixed once the device is built (QEMU sets them up in the device's realize()), and identical
 * for every function of a kind, so {@link PciConfigSpace.shareMasks} lets equal ones share one
 * buffer (copy-on-write) — 9,200 functions at 4,096 endpoints carried 78 MB of copies.
 */
const MASK_BYTES = 2 * CONFIG_SPACE_SIZE + LEGACY_CONFIG_SIZE;
/**
 * Bytes of a config space's values always held: the header, the legacy capabilities and the
 * first 768 bytes of extended space, where every device model here puts its extended
 * capabilities (QEMU's CXL devices end below 0x300). The rest of the 4 KiB reads as zero until
 * a non-zero byte is stored there (guest writes to unclaimed, writable bytes; a device placing
 * a capability higher): then it gets its own piece. At 4,096 endpoints this keeps ~28 MB of
 * zeros out of every machine snapshot (docs/performance.md).
 */
export const RESIDENT_CONFIG_SIZE = 1024;
/** Zeroed bytes for one config space's resident values. */
const allocConfig = slabAllocator(RESIDENT_CONFIG_SIZE);
/** Zeroed bytes for the values above {@link RESIDENT_CONFIG_SIZE}, once one is non-zero. */
const allocHigh = slabAllocator(CONFIG_SPACE_SIZE - RESIDENT_CONFIG_SIZE);
/** Zeroed bytes for one config space's own (unshared) masks. */
const allocMasks = slabAllocator(MASK_BYTES);

/** The three mask views over one mask buffer. */
interface MaskViews {
  readonly all: Uint8Array;
  readonly wmask: Uint8Array;
  readonly w1cmask: Uint8Array;
  readonly used: Uint8Array;
}

function maskViews(all: Uint8Array): MaskViews {
  return {
    all,
    wmask: all.subarray(0, CONFIG_SPACE_SIZE),
    w1cmask: all.subarray(CONFIG_SPACE_SIZE, 2 * CONFIG_SPACE_SIZE),
    used: all.subarray(2 * CONFIG_SPACE_SIZE),
  };
}

/**
 * Shared mask sets by a hash of their content (see {@link maskHash}); each set's views are
 * shared by machine copies (shareWithCopies) and never written: a config space that changes
 * a mask after sharing takes its own copy first. The table holds one entry per distinct mask
 * content seen by the process (a few dozen: one per device kind, QEMU version and options),
 * not per machine, so it is a plain module-level cache, not a copiedWeakMap.
 */
const sharedMasks = new Map<number, MaskViews[]>();

/** FNV-1a over every 4th dword of a mask buffer (equality is checked on the whole buffer). */
function maskHash(all: Uint8Array): number {
  const w = new Uint32Array(all.buffer, all.byteOffset, MASK_BYTES / 4);
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i += 4) h = Math.imul(h ^ (w[i] as number), 0x01000193);
  return h >>> 0;
}

/** Whether two mask buffers hold the same bytes. */
function sameMasks(a: Uint8Array, b: Uint8Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, MASK_BYTES / 4);
  const y = new Uint32Array(b.buffer, b.byteOffset, MASK_BYTES / 4);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The shared mask set with the bytes of `all` (made and registered when new). */
function internMasks(all: Uint8Array): MaskViews {
  const h = maskHash(all);
  let bucket = sharedMasks.get(h);
  if (!bucket) {
    bucket = [];
    sharedMasks.set(h, bucket);
  }
  for (const m of bucket) if (sameMasks(m.all, all)) return m;
  const m = maskViews(all.slice());
  for (const v of [m.all, m.wmask, m.w1cmask, m.used]) shareWithCopies(v);
  bucket.push(m);
  return m;
}

/** The hook list of a config space without hooks (frozen, shared: an add makes a new list). */
const NO_HOOKS: readonly never[] = Object.freeze([]);

/** Frozen BAR lists by content (see {@link internBars}). */
const sharedBars = new Map<string, readonly (BarDecl | undefined)[]>();

/**
 * The frozen list equal to `bars` (declarations compared by index, size and flags) that every
 * config space declaring the same BARs shares — as do copies of the machine.
 */
function internBars(bars: readonly (BarDecl | undefined)[]): readonly (BarDecl | undefined)[] {
  const key = bars
    .map((d) => (d ? `${d.index}:${d.size}:${d.mem64 ? 1 : 0}:${d.prefetch ? 1 : 0}` : '-'))
    .join(',');
  let shared = sharedBars.get(key);
  if (!shared) {
    shared = Object.freeze([...bars]);
    sharedBars.set(key, shared);
  }
  return shared;
}

/** A BAR as registered by the device model. */
export interface BarDecl {
  index: number;
  /** Size in bytes (power of two). */
  size: bigint;
  mem64: boolean;
  prefetch: boolean;
}

/**
 * A config read interceptor: the value of `size` bytes at `offset` (in the config space), or
 * undefined to fall through; `arg` is what {@link PciConfigSpace.onRead} was given.
 */
export type ReadHook<A = unknown> = (offset: number, size: 1 | 2 | 4, arg: A) => number | undefined;
/** A config write handler (after the default write); `arg` as given to {@link PciConfigSpace.onWrite}. */
export type WriteHook<A = unknown> = (
  offset: number,
  size: 1 | 2 | 4,
  value: number,
  arg: A,
) => void;
/** A listener of every guest write; `arg` as given to {@link PciConfigSpace.addListener}. */
export type ConfigListener<A = unknown> = (offset: number, size: number, arg: A) => void;

/**
 * What a config space calls on guest accesses: on [start, end) a read interceptor and/or a write
 * handler, or (`listen`) a listener of every write — module-level functions and their argument,
 * kept as data (a copy of the machine copies the argument's reference; no closure is made per
 * device). One list per config space holds them all, in registration order.
 */
interface Hook {
  start: number;
  end: number;
  read: ReadHook | undefined;
  write: WriteHook | undefined;
  listen: ConfigListener | undefined;
  arg: unknown;
}

export class PciConfigSpace {
  /**
   * The register values of [0, {@link RESIDENT_CONFIG_SIZE}) (carved from a shared slab); read
   * and write them through the accessors.
   */
  private readonly lo = allocConfig();
  /** The values of [{@link RESIDENT_CONFIG_SIZE}, 4 KiB): undefined while all zero. */
  private hi: Uint8Array | undefined = undefined;
  /** The masks' one buffer: own, or shared with equal config spaces after {@link shareMasks}. */
  private masks = allocMasks();
  /** True while {@link masks} is a shared set: mask changes copy it first. */
  private masksShared = false;
  /**
   * Bits a guest may change. Written directly only while the device is built (before
   * {@link shareMasks}); later changes go through the mask methods, which copy shared masks.
   */
  wmask = this.masks.subarray(0, CONFIG_SPACE_SIZE);
  /** Write-1-to-clear bits (same rule as {@link wmask}). */
  w1cmask = this.masks.subarray(CONFIG_SPACE_SIZE, 2 * CONFIG_SPACE_SIZE);
  /**
   * The six BARs' declarations (frozen), by index. After {@link shareMasks} a frozen list shared
   * with every config space declaring the same BARs ({@link registerBar} then makes an own copy).
   */
  bars: readonly (BarDecl | undefined)[] = [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ];
  /** Bytes owned by a legacy capability (pci_find_space() avoids them). */
  private used = this.masks.subarray(2 * CONFIG_SPACE_SIZE);
  /** The first write listener and its argument ({@link addListener}); later ones are hooks. */
  private listener: ConfigListener | undefined = undefined;
  private listenerArg: unknown = undefined;
  /** Hooks and listeners: the shared frozen {@link NO_HOOKS} until the first is added. */
  private hooks: readonly Hook[] = NO_HOOKS;

  /**
   * pci_config_alloc() + pci_init_wmask() (+ pci_init_mask_bridge() for a type 1 header).
   * @param bridge true for a type 1 (PCI-to-PCI bridge) header
   */
  constructor(bridge: boolean) {
    this.wmask[PCI.CACHE_LINE_SIZE] = 0xff;
    this.wmask[PCI.INTERRUPT_LINE] = 0xff;
    this.setMask16(
      PCI.COMMAND,
      COMMAND.IO |
        COMMAND.MEMORY |
        COMMAND.MASTER |
        COMMAND.INTX_DISABLE |
        COMMAND.SERR |
        COMMAND.PARITY,
    );
    this.wmask.fill(0xff, 0x40);
    this.setW1c16(PCI.STATUS, STATUS.W1C);
    this.used.fill(1, 0, 0x40);
    if (bridge) {
      this.lo[PCI.HEADER_TYPE] = HEADER_TYPE.BRIDGE;
      this.wmask.fill(0xff, PCI.PRIMARY_BUS, PCI.PRIMARY_BUS + 4);
      this.wmask[PCI.IO_BASE] = 0xf0;
      this.wmask[PCI.IO_LIMIT] = 0xf0;
      this.setMask16(PCI.MEMORY_BASE, 0xfff0);
      this.setMask16(PCI.MEMORY_LIMIT, 0xfff0);
      this.setMask16(PCI.PREF_MEMORY_BASE, 0xfff0);
      this.setMask16(PCI.PREF_MEMORY_LIMIT, 0xfff0);
      this.wmask.fill(0xff, PCI.PREF_BASE_UPPER32, PCI.PREF_BASE_UPPER32 + 8);
      // PCI_PREF_RANGE_TYPE_64 in base and limit (the IO range type is 16-bit: 0).
      this.lo[PCI.PREF_MEMORY_BASE] = 0x01;
      this.lo[PCI.PREF_MEMORY_LIMIT] = 0x01;
      // Bridge control minus the bits pcie_port_init_reg() hardwires for PCIe ports:
      // PARITY | SERR | ISA | VGA | VGA_16BIT | BUS_RESET.
      this.setMask16(PCI.BRIDGE_CONTROL, 0x0001 | 0x0002 | 0x0004 | 0x0008 | 0x0010 | 0x0040);
      this.setW1c16(PCI.SEC_STATUS, STATUS.W1C);
    }
  }

  /**
   * Lets this config space share its masks with every other whose masks are byte-identical
   * (the device is built: QEMU's masks do not change after realize()). Mask changes after this
   * copy them first, so the result is the same as with own masks. Called by buildPlatform().
   */
  shareMasks(): void {
    if (this.masksShared) return;
    this.setMaskViews(internMasks(this.masks));
    this.masksShared = true;
    this.bars = internBars(this.bars);
  }

  /** Own masks again (a copy of the shared ones) before a mask change. */
  private ownMasks(): void {
    if (!this.masksShared) return;
    const own = allocMasks();
    own.set(this.masks);
    this.setMaskViews(maskViews(own));
    this.masksShared = false;
  }

  private setMaskViews(m: MaskViews): void {
    this.masks = m.all;
    this.wmask = m.wmask;
    this.w1cmask = m.w1cmask;
    this.used = m.used;
  }

  // ---- raw access (device construction, no masks) ----

  /** The byte at `off` (0 outside the 4 KiB). */
  get8(off: number): number {
    if (off < RESIDENT_CONFIG_SIZE) return this.lo[off] ?? 0;
    return this.hi?.[off - RESIDENT_CONFIG_SIZE] ?? 0;
  }
  get16(off: number): number {
    return this.get8(off) | (this.get8(off + 1) << 8);
  }
  get32(off: number): number {
    return (this.get16(off) | (this.get16(off + 2) << 16)) >>> 0;
  }
  /** Stores the byte `v & 0xff` at `off` (ignored outside the 4 KiB). */
  set8(off: number, v: number): void {
    if (off < RESIDENT_CONFIG_SIZE) {
      if (off >= 0) this.lo[off] = v & 0xff;
      return;
    }
    if (off >= CONFIG_SPACE_SIZE) return;
    if (this.hi === undefined) {
      if ((v & 0xff) === 0) return;
      this.hi = allocHigh();
    }
    this.hi[off - RESIDENT_CONFIG_SIZE] = v & 0xff;
  }

  /** A copy of the 4 KiB of values as stored (no read hooks: see {@link snapshot}). */
  values(): Uint8Array {
    const out = new Uint8Array(CONFIG_SPACE_SIZE);
    out.set(this.lo);
    if (this.hi !== undefined) out.set(this.hi, RESIDENT_CONFIG_SIZE);
    return out;
  }

  /** Takes every value byte of `src` (the masks are not copied). */
  copyValues(src: PciConfigSpace): void {
    this.lo.set(src.lo);
    if (src.hi === undefined) this.hi?.fill(0);
    else {
      this.hi ??= allocHigh();
      this.hi.set(src.hi);
    }
  }
  set16(off: number, v: number): void {
    this.set8(off, v);
    this.set8(off + 1, v >>> 8);
  }
  set32(off: number, v: number): void {
    this.set16(off, v);
    this.set16(off + 2, v >>> 16);
  }
  /** Sets (or clears, with `on` false) bits in a 16-bit register value. */
  bits16(off: number, bits: number, on = true): void {
    this.set16(off, on ? this.get16(off) | bits : this.get16(off) & ~bits);
  }
  setMask8(off: number, m: number): void {
    this.ownMasks();
    this.wmask[off] = m & 0xff;
  }
  setMask16(off: number, m: number): void {
    this.ownMasks();
    this.wmask[off] = m & 0xff;
    this.wmask[off + 1] = (m >>> 8) & 0xff;
  }
  setMask32(off: number, m: number): void {
    this.setMask16(off, m);
    this.setMask16(off + 2, m >>> 16);
  }
  /** The 16-bit write mask at `off`. */
  getMask16(off: number): number {
    return (this.wmask[off] ?? 0) | ((this.wmask[off + 1] ?? 0) << 8);
  }
  /** ORs bits into a 16-bit write mask. */
  orMask16(off: number, m: number): void {
    this.setMask16(off, this.getMask16(off) | m);
  }
  setW1c16(off: number, m: number): void {
    this.ownMasks();
    this.w1cmask[off] = m & 0xff;
    this.w1cmask[off + 1] = (m >>> 8) & 0xff;
  }
  setW1c32(off: number, m: number): void {
    this.setW1c16(off, m);
    this.setW1c16(off + 2, m >>> 16);
  }

  /** Vendor, device, revision, class (24 bits: class, subclass, prog-if). */
  setIds(vendor: number, device: number, revision: number, classCode: number): void {
    this.set16(PCI.VENDOR_ID, vendor);
    this.set16(PCI.DEVICE_ID, device);
    this.set8(PCI.REVISION_ID, revision);
    this.set8(PCI.CLASS_PROG, classCode & 0xff);
    this.set16(PCI.CLASS_PROG + 1, classCode >>> 8);
  }

  // ---- capabilities ----

  /**
   * pci_add_capability(): links a legacy capability at the head of the list. With offset 0,
   * the first run of `size` free bytes at or above 0x40 is used (pci_find_space(), byte
   * granular, after the last byte another capability owns).
   * @returns the capability offset
   */
  addCapability(id: number, offset: number, size: number): number {
    let off = offset;
    if (off === 0) {
      let start = 0x40;
      for (let i = 0x40; i < LEGACY_CONFIG_SIZE; i++) {
        if (this.used[i]) start = i + 1;
        else if (i - start + 1 === size) {
          off = start;
          break;
        }
      }
    }
    if (off === 0)
      throw new Errno('EINVAL', `no room for PCI capability ${id.toString(16)} of ${size} bytes`);
    for (let i = off; i < off + size; i++) {
      if (!this.used[i]) continue;
      const owner = this.capabilityAt(i);
      throw new Errno(
        'EINVAL',
        `Attempt to add PCI capability ${id.toString(16)} at offset ${off.toString(16)} overlaps existing capability ${(owner ? this.get8(owner) : 0).toString(16)} at offset ${owner.toString(16)}`,
      );
    }
    this.ownMasks();
    this.set8(off, id);
    this.set8(off + 1, this.get8(PCI.CAPABILITY_LIST));
    this.set8(PCI.CAPABILITY_LIST, off);
    this.bits16(PCI.STATUS, STATUS.CAP_LIST);
    this.used.fill(1, off, off + size);
    this.wmask.fill(0, off, off + size);
    this.w1cmask.fill(0, off, off + size);
    return off;
  }

  /** The legacy capability whose bytes include `offset` (0 for the header or none). */
  private capabilityAt(offset: number): number {
    let best = 0;
    let off = this.get8(PCI.CAPABILITY_LIST);
    for (let n = 0; off !== 0 && n < 48; n++) {
      if (off <= offset && off > best) best = off;
      off = this.get8(off + 1);
    }
    return best;
  }

  /** Offset of the first legacy capability with `id`, or 0. */
  findCapability(id: number): number {
    let off = this.get8(PCI.CAPABILITY_LIST);
    for (let n = 0; off !== 0 && n < 48; n++) {
      if (this.get8(off) === id) return off;
      off = this.get8(off + 1);
    }
    return 0;
  }

  /** pcie_add_capability(): appends an extended capability at `offset` (≥ 0x100). */
  addExtCapability(id: number, version: number, offset: number, size: number): void {
    if (offset !== LEGACY_CONFIG_SIZE) {
      let prev = LEGACY_CONFIG_SIZE;
      for (let n = 0; n < 512; n++) {
        const next = this.get32(prev) >>> 20;
        if (next === 0) break;
        prev = next;
      }
      this.set32(prev, (this.get32(prev) & 0x000fffff) | (offset << 20));
    }
    this.set32(offset, (id & 0xffff) | ((version & 0xf) << 16));
    this.ownMasks();
    this.wmask.fill(0, offset, offset + size);
    this.w1cmask.fill(0, offset, offset + size);
  }

  /** Offset of the first extended capability with `id`, or 0. */
  findExtCapability(id: number, from = LEGACY_CONFIG_SIZE): number {
    let off = from;
    for (let n = 0; off >= LEGACY_CONFIG_SIZE && n < 512; n++) {
      const h = this.get32(off);
      if (h === 0) return 0;
      if ((h & 0xffff) === id) return off;
      off = h >>> 20;
    }
    return 0;
  }

  // ---- BARs ----

  /** pci_register_bar(): type bits in the value, ~(size − 1) in the write mask. */
  registerBar(decl: BarDecl): void {
    const off = PCI.BAR0 + 4 * decl.index;
    const type = (decl.mem64 ? BAR.MEM_TYPE_64 : 0) | (decl.prefetch ? BAR.MEM_PREFETCH : 0);
    const mask = BigInt.asUintN(64, ~(decl.size - 1n));
    this.set32(off, type);
    this.setMask32(off, Number(mask & 0xfffffff0n));
    if (decl.mem64) {
      this.set32(off + 4, 0);
      this.setMask32(off + 4, Number(mask >> 32n));
    }
    // a BAR's declaration is constant: frozen, so copies of the machine share it
    const bars = [...this.bars];
    bars[decl.index] = Object.freeze(decl);
    this.bars = bars;
  }

  /** The address a memory BAR currently decodes, or undefined when unassigned or disabled. */
  barAddress(index: number): bigint | undefined {
    const decl = this.bars[index];
    if (!decl || (this.get16(PCI.COMMAND) & COMMAND.MEMORY) === 0) return undefined;
    const off = PCI.BAR0 + 4 * index;
    let addr = BigInt((this.get32(off) & 0xfffffff0) >>> 0);
    if (decl.mem64) addr |= BigInt(this.get32(off + 4)) << 32n;
    const mask = decl.size - 1n;
    // All-ones (sizing in progress) or 0 = not decoding anything usable.
    if (addr === 0n || (addr | mask) === (decl.mem64 ? (1n << 64n) - 1n : 0xffffffffn))
      return undefined;
    return addr;
  }

  // ---- guest access ----

  /**
   * Registers a read interceptor `fn(offset, size, arg)` for [start, end); returning undefined
   * falls through.
   */
  onRead<A>(start: number, end: number, fn: ReadHook<A>, arg: A): void {
    this.onAccess(start, end, fn, undefined, arg);
  }

  /**
   * Registers `fn(offset, size, value, arg)`, run after the default write for accesses touching
   * [start, end).
   */
  onWrite<A>(start: number, end: number, fn: WriteHook<A>, arg: A): void {
    this.onAccess(start, end, undefined, fn, arg);
  }

  /** {@link onRead} and {@link onWrite} of one range and argument at once (one hook). */
  onAccess<A>(
    start: number,
    end: number,
    read: ReadHook<A> | undefined,
    write: WriteHook<A> | undefined,
    arg: A,
  ): void {
    const h: Hook = {
      start,
      end,
      read: read as ReadHook | undefined,
      write: write as WriteHook | undefined,
      listen: undefined,
      arg,
    };
    this.hooks = [...this.hooks, h];
  }

  /**
   * `fn(offset, size, arg)` is called after every guest write, after the write handlers
   * (platform caches: bus numbers, BAR decode).
   */
  addListener<A>(fn: ConfigListener<A>, arg: A): void {
    if (this.listener === undefined && !this.hooks.some((x) => x.listen !== undefined)) {
      // the first (usually only: the platform's MMIO decode) in two fields, no hook object
      this.listener = fn as ConfigListener;
      this.listenerArg = arg;
      return;
    }
    const h: Hook = {
      start: 0,
      end: CONFIG_SPACE_SIZE,
      read: undefined,
      write: undefined,
      listen: fn as ConfigListener,
      arg,
    };
    this.hooks = [...this.hooks, h];
  }

  /** Config read of 1, 2 or 4 bytes (pci_default_read_config()); out of range reads all-ones. */
  read(offset: number, size: 1 | 2 | 4): number {
    if (offset < 0 || offset + size > CONFIG_SPACE_SIZE)
      return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    for (const h of this.hooks) {
      if (h.read !== undefined && offset < h.end && offset + size > h.start) {
        const v = h.read(offset, size, h.arg);
        if (v !== undefined) return v >>> 0;
      }
    }
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.get8(offset + i);
    return v >>> 0;
  }

  /** Config write (pci_default_write_config()) then the device's hooks. */
  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (offset < 0 || offset + size > CONFIG_SPACE_SIZE) return;
    let val = value >>> 0;
    for (let i = 0; i < size; i++, val >>>= 8) {
      const o = offset + i;
      const wm = this.wmask[o] ?? 0;
      const w1c = this.w1cmask[o] ?? 0;
      const b = val & 0xff;
      this.set8(o, ((this.get8(o) & ~wm) | (b & wm)) & ~(b & w1c));
    }
    const hooks = this.hooks;
    for (const h of hooks)
      if (h.write !== undefined && offset < h.end && offset + size > h.start)
        h.write(offset, size, value >>> 0, h.arg);
    if (this.listener !== undefined) this.listener(offset, size, this.listenerArg);
    for (const h of hooks) if (h.listen !== undefined) h.listen(offset, size, h.arg);
  }

  /** A copy of the 4 KiB as the guest would read it (hooks included, dword reads). */
  snapshot(): Uint8Array {
    const out = new Uint8Array(CONFIG_SPACE_SIZE);
    for (let o = 0; o < CONFIG_SPACE_SIZE; o += 4) {
      const v = this.read(o, 4);
      out[o] = v & 0xff;
      out[o + 1] = (v >>> 8) & 0xff;
      out[o + 2] = (v >>> 16) & 0xff;
      out[o + 3] = v >>> 24;
    }
    return out;
  }
}
