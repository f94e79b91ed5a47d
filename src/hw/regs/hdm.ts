/**
 * DOC: HDM Decoder Capability structure — CXL 3.1 §8.2.4.20 (QEMU cxl-component-utils.c
 * hdm_init_common() + dumb_hdm_handler(); cxl-host.c cxl_hdm_find_target(); cxl_type3.c
 * cxl_type3_dpa()).
 *
 * Offsets are relative to the capability (component block + 0x1000 + pointer). Every register
 * has a value and a write mask as in QEMU: BASE/SIZE/SKIP low dwords keep only bits 31:28,
 * high dwords are fully writable, CTRL takes 0x13ff (IG, IW, LOCK, COMMIT, target type);
 * COMMITTED and ERR_NOT_COMMITTED are set by the write handler. With `strict` (the default) a
 * COMMIT is checked against the spec's rules (hdm-commit.ts) and may set ERR instead — QEMU
 * does not check, `strict: false` behaves like QEMU. A decoder committed with LOCK set ignores
 * writes until {@link HdmDecoderBlock.reset}.
 *
 * Decode reads the committed register state. As in QEMU, an uncommitted decoder stops the
 * walk: a switch decoder whose (stale) range holds the HPA but is not committed decodes
 * nothing, and a device decode gives up at the first uncommitted decoder below the match.
 */
import { Errno } from '../../kernel/errno.ts';
import { shareWithCopies } from '../../kernel/graph-copy.ts';
import type { HdmCaps, PreCommittedDecoder } from '../../topology/model.ts';
import type { MmioRegion } from '../mmio-region.ts';
import { slabDwords } from '../slab.ts';
import { bit, field, getField, hi32, join64, lo32, SZ_256M, setField } from './bits.ts';
import { commitProblem, type DecoderSnapshot, type HdmRole } from './hdm-commit.ts';
import {
  decoderCountToField,
  dpaOffsetToHpa,
  eigToGranularity,
  eiwToWays,
  granularityToEig,
  hpaOffsetToDpaOffset,
  interleavePosition,
  waysToEiw,
} from './hdm-math.ts';

/** HDM Decoder Capability register (RO) — §8.2.4.20.1. */
export const HDM_CAP = 0x00;
export const CAP_DECODER_COUNT = field(0, 4);
export const CAP_TARGET_COUNT = field(4, 4);
export const CAP_A11TO8 = bit(8);
export const CAP_A14TO12 = bit(9);
export const CAP_POISON_ON_DECODE_ERR = bit(10);
export const CAP_IW_3_6_12 = bit(11);
export const CAP_IW_16 = bit(12);
/** HDM Decoder Global Control — §8.2.4.20.2. */
export const HDM_GLOBAL_CTRL = 0x04;
export const GLOBAL_POISON_ON_DECODE_ERR_EN = bit(0);
export const GLOBAL_HDM_DECODER_ENABLE = bit(1);

/** Decoder n registers (§8.2.4.20.3–.20.10), stride 0x20 from 0x10. */
export const hdmBaseLo = (n: number) => 0x20 * n + 0x10;
export const hdmBaseHi = (n: number) => 0x20 * n + 0x14;
export const hdmSizeLo = (n: number) => 0x20 * n + 0x18;
export const hdmSizeHi = (n: number) => 0x20 * n + 0x1c;
export const hdmCtrl = (n: number) => 0x20 * n + 0x20;
export const hdmTargetLo = (n: number) => 0x20 * n + 0x24;
export const hdmTargetHi = (n: number) => 0x20 * n + 0x28;
export const hdmSkipLo = hdmTargetLo;
export const hdmSkipHi = hdmTargetHi;

/** Decoder n Control — §8.2.4.20.7. */
export const CTRL_IG = field(0, 4);
export const CTRL_IW = field(4, 4);
export const CTRL_LOCK_ON_COMMIT = bit(8);
export const CTRL_COMMIT = bit(9);
export const CTRL_COMMITTED = bit(10);
export const CTRL_ERR_NOT_COMMITTED = bit(11);
/** Target Device Type: 1 = host-only coherent (HDM-H), 0 = device coherent (HDM-D/DB). */
export const CTRL_TARGET_TYPE_HOSTONLY = bit(12);
/** QEMU's CTRL write mask: IG, IW, LOCK, COMMIT and target type. */
export const CTRL_WRITE_MASK = 0x13ff;
/** Writable bits of BASE/SIZE/SKIP low dwords (bits 31:28, the 256 MiB granule). */
export const LO_256M_MASK = 0xf0000000;

/** Options of an HDM decoder block. */
export interface HdmBlockOptions {
  caps: HdmCaps;
  /** 'switch' (host bridge, USP, root port: target lists) or 'device' (endpoints: DPA skip). */
  role: HdmRole;
  /** Check commits against the spec (default true); false = QEMU's unchecked commit. */
  strict?: boolean;
  /** Poison On Decode Error capable (cap bit 10); QEMU: false. Gates Global Control bit 0. */
  poisonOnDecodeErrorCapable?: boolean;
  /** Device decoders: DPA capacity in bytes; a commit that maps past it fails (strict only). */
  dpaLimit?: bigint;
}

/** Bytes an HDM capability structure with `decoders` decoders occupies (0x10 + 0x20 × n). */
export function hdmStructureSize(decoders: number): number {
  return 0x10 + 0x20 * decoders;
}

/** Checks an {@link HdmCaps}. @throws EINVAL for counts QEMU/Linux cannot encode */
export function validateHdmCaps(caps: HdmCaps): void {
  const f = decoderCountToField(caps.decoderCount);
  if (f === undefined || caps.decoderCount > 16)
    throw new Errno(
      'EINVAL',
      `HDM decoder count ${caps.decoderCount} not supported (1, 2, 4 … 16)`,
    );
  if (![1, 2, 4, 8].includes(caps.targetCount))
    throw new Errno('EINVAL', `HDM target count ${caps.targetCount} not supported (1, 2, 4, 8)`);
}

/** Write masks and reset values of an HDM decoder block: constant once built. */
interface HdmConstants {
  masks: Uint32Array;
  resetValues: Uint32Array;
  /** The capabilities (frozen: shared like the arrays). */
  caps: HdmCaps;
}

/**
 * {@link HdmConstants} by decoder count, role, poison capability and capability register:
 * read-only after they are built here, so shared by every block with the same shape (and by
 * every copy of a machine).
 */
const hdmConstants = new Map<string, HdmConstants>();

/**
 * The write masks (what a guest store may change: QEMU's cxl_component_register_init_common()
 * write_msk for the HDM decoder capability) and reset values (only the capability register set)
 * of a block with `decoders` decoders.
 */
function constantArrays(
  decoders: number,
  role: HdmRole,
  poison: boolean,
  cap: number,
  caps: HdmCaps,
): HdmConstants {
  const size = hdmStructureSize(decoders);
  // the capabilities are all in `cap`; their key order is kept as the caller gave it
  const key = `${decoders}|${role}|${poison}|${cap}|${Object.keys(caps).join(',')}`;
  let c = hdmConstants.get(key);
  if (c) return c;
  const masks = new Uint32Array(size / 4);
  masks[HDM_GLOBAL_CTRL / 4] =
    GLOBAL_HDM_DECODER_ENABLE | (poison ? GLOBAL_POISON_ON_DECODE_ERR_EN : 0);
  for (let n = 0; n < decoders; n++) {
    masks[hdmBaseLo(n) / 4] = LO_256M_MASK;
    masks[hdmBaseHi(n) / 4] = 0xffffffff;
    masks[hdmSizeLo(n) / 4] = LO_256M_MASK;
    masks[hdmSizeHi(n) / 4] = 0xffffffff;
    masks[hdmCtrl(n) / 4] = CTRL_WRITE_MASK;
    masks[hdmTargetLo(n) / 4] = role === 'device' ? LO_256M_MASK : 0xffffffff;
    masks[hdmTargetHi(n) / 4] = 0xffffffff;
  }
  const resetValues = new Uint32Array(size / 4);
  resetValues[HDM_CAP / 4] = cap >>> 0;
  c = {
    masks: shareWithCopies(masks),
    resetValues: shareWithCopies(resetValues),
    caps: Object.freeze({ ...caps }),
  };
  hdmConstants.set(key, c);
  return c;
}

/** The HDM Decoder Capability structure of one component, as a 32-bit MMIO region. */
export class HdmDecoderBlock implements MmioRegion {
  readonly size: number;
  readonly decoderCount: number;
  readonly caps: HdmCaps;
  readonly role: HdmRole;
  readonly strict: boolean;
  readonly dpaLimit: bigint | undefined;
  private readonly regs: Uint32Array;
  private readonly masks: Uint32Array;
  private readonly resetValues: Uint32Array;
  /** Decoders committed with Lock-On-Commit: bit n for decoder n (at most 16: validateHdmCaps()). */
  private lockedMask = 0;
  /** Why decoder n's last COMMIT failed, by decoder: made on the first failure. */
  private errors: (string | undefined)[] | undefined;

  /** @throws EINVAL for an HdmCaps that cannot be encoded */
  constructor(opts: HdmBlockOptions) {
    validateHdmCaps(opts.caps);
    this.decoderCount = opts.caps.decoderCount;
    this.role = opts.role;
    this.strict = opts.strict ?? true;
    this.dpaLimit = opts.dpaLimit;
    this.size = hdmStructureSize(this.decoderCount);
    this.regs = slabDwords(this.size / 4);
    let cap = setField(0, CAP_DECODER_COUNT, decoderCountToField(this.decoderCount) ?? 0);
    cap = setField(cap, CAP_TARGET_COUNT, opts.caps.targetCount);
    if (opts.caps.a11to8) cap |= CAP_A11TO8;
    if (opts.caps.a14to12) cap |= CAP_A14TO12;
    if (opts.poisonOnDecodeErrorCapable) cap |= CAP_POISON_ON_DECODE_ERR;
    if (opts.caps.iw3612) cap |= CAP_IW_3_6_12;
    if (opts.caps.iw16) cap |= CAP_IW_16;
    this.regs[HDM_CAP / 4] = cap >>> 0;
    const c = constantArrays(
      this.decoderCount,
      this.role,
      opts.poisonOnDecodeErrorCapable ?? false,
      cap,
      opts.caps,
    );
    this.caps = c.caps;
    this.masks = c.masks;
    this.resetValues = c.resetValues;
  }

  /** Notes why decoder `n`'s COMMIT failed (undefined: it did not). */
  private setError(n: number, problem: string | undefined): void {
    if (problem === undefined && this.errors === undefined) return;
    this.errors ??= new Array<string | undefined>(this.decoderCount).fill(undefined);
    this.errors[n] = problem;
  }

  /** 32-bit read; misaligned or out-of-range offsets read 0. */
  read32(offset: number): number {
    if (offset < 0 || offset >= this.size || offset & 3) return 0;
    return this.regs[offset >> 2] ?? 0;
  }

  /**
   * 32-bit write: `(old & ~mask) | (value & mask)`, then the CTRL side effect (commit /
   * de-commit). Writes to a locked decoder's registers are dropped.
   */
  write32(offset: number, value: number): void {
    if (offset < 0 || offset >= this.size || offset & 3) return;
    const idx = offset >> 2;
    const n = offset >= 0x10 ? (offset - 0x10) >> 5 : -1;
    if (n >= 0 && this.isLocked(n)) return;
    const mask = this.masks[idx] ?? 0;
    const old = this.regs[idx] ?? 0;
    let v = ((old & ~mask) | (value & mask)) >>> 0;
    if (n >= 0 && offset === hdmCtrl(n)) v = this.commitSideEffect(n, v);
    this.regs[idx] = v >>> 0;
  }

  /** The reason the last COMMIT of decoder n set ERR_NOT_COMMITTED (strict mode), if any. */
  commitError(n: number): string | undefined {
    return this.errors?.[n];
  }

  /** True once decoder n was committed with Lock-On-Commit (frozen until reset). */
  isLocked(n: number): boolean {
    return n >= 0 && n < 32 && ((this.lockedMask >>> n) & 1) === 1;
  }

  /** Global Control bit 1 (HDM Decoder Enable). */
  get enabled(): boolean {
    return ((this.regs[HDM_GLOBAL_CTRL / 4] ?? 0) & GLOBAL_HDM_DECODER_ENABLE) !== 0;
  }

  /** Conventional reset: every register back to its reset value, locks released. */
  reset(): void {
    this.regs.set(this.resetValues);
    this.lockedMask = 0;
    this.errors = undefined;
  }

  /** Decoder n's registers decoded (base/size/skip in bytes). */
  snapshot(n: number): DecoderSnapshot {
    const r = (off: number) => this.regs[off >> 2] ?? 0;
    const ctrl = r(hdmCtrl(n));
    return {
      base: join64(r(hdmBaseLo(n)) & LO_256M_MASK, r(hdmBaseHi(n))),
      size: join64(r(hdmSizeLo(n)) & LO_256M_MASK, r(hdmSizeHi(n))),
      skip: this.role === 'device' ? join64(r(hdmSkipLo(n)) & LO_256M_MASK, r(hdmSkipHi(n))) : 0n,
      eiw: getField(ctrl, CTRL_IW),
      eig: getField(ctrl, CTRL_IG),
      committed: (ctrl & CTRL_COMMITTED) !== 0,
    };
  }

  /** Port number in target list slot `pos` (0..7) of decoder n. */
  targetAt(n: number, pos: number): number {
    const reg = this.regs[(pos < 4 ? hdmTargetLo(n) : hdmTargetHi(n)) >> 2] ?? 0;
    return (reg >>> ((pos % 4) * 8)) & 0xff;
  }

  /**
   * Switch / host-bridge decode (QEMU cxl_hdm_find_target()): the first decoder whose range
   * holds `hpa` must be committed; the target is the target-list entry at the HPA's interleave
   * position. undefined when nothing decodes it.
   */
  decodeToTarget(hpa: bigint): { decoder: number; target: number } | undefined {
    for (let n = 0; n < this.decoderCount; n++) {
      const d = this.snapshot(n);
      if (hpa < d.base || hpa >= d.base + d.size) continue;
      if (!d.committed) return undefined;
      const ways = eiwToWays(d.eiw);
      const gran = eigToGranularity(d.eig);
      if (ways === undefined || gran === undefined) return undefined;
      const pos = interleavePosition(hpa, ways, gran);
      if (pos > 7) return undefined;
      return { decoder: n, target: this.targetAt(n, pos) };
    }
    return undefined;
  }

  /**
   * Device decode (QEMU cxl_type3_dpa(), CXL 3.1 §8.2.4.20.13): DPA = Σ over lower decoders of
   * (skip + size/ways) + this decoder's skip + the HPA offset with the interleave bits removed.
   * Decode stops (undefined) at the first uncommitted decoder.
   */
  decodeToDpa(hpa: bigint): { decoder: number; dpa: bigint } | undefined {
    let dpaBase = 0n;
    for (let n = 0; n < this.decoderCount; n++) {
      const d = this.snapshot(n);
      dpaBase += d.skip;
      if (!d.committed) return undefined;
      const ways = eiwToWays(d.eiw);
      const gran = eigToGranularity(d.eig);
      if (ways === undefined || gran === undefined) return undefined;
      if (hpa < d.base || hpa >= d.base + d.size) {
        dpaBase += d.size / BigInt(ways);
        continue;
      }
      return { decoder: n, dpa: dpaBase + hpaOffsetToDpaOffset(hpa - d.base, ways, gran) };
    }
    return undefined;
  }

  /**
   * Inverse of {@link decodeToDpa} for a device at interleave `position` of its decoders'
   * sets: the HPA a DPA is reached at, or undefined when no committed decoder maps it.
   */
  dpaToHpa(dpa: bigint, position: number): bigint | undefined {
    let dpaBase = 0n;
    for (let n = 0; n < this.decoderCount; n++) {
      const d = this.snapshot(n);
      if (!d.committed) return undefined;
      const ways = eiwToWays(d.eiw);
      const gran = eigToGranularity(d.eig);
      if (ways === undefined || gran === undefined) return undefined;
      const start = dpaBase + d.skip;
      const len = d.size / BigInt(ways);
      if (dpa >= start && dpa < start + len)
        return dpaOffsetToHpa(dpa - start, { base: d.base, ways, granularity: gran, position });
      dpaBase = start + len;
    }
    return undefined;
  }

  /**
   * Firmware pre-commit (a decoder the BIOS committed before the OS, topology
   * PreCommittedDecoder): programs base, size, target list or DPA skip, then CTRL with COMMIT
   * (and LOCK when asked) through the same write path as the guest, and sets Global Control
   * HDM Decoder Enable as firmware does.
   * @throws EINVAL for values the registers cannot hold or a commit the block rejects
   * @throws EBUSY when the decoder is locked
   */
  program(
    index: number,
    d: PreCommittedDecoder,
    opts: { targetType: 'hostonly' | 'devmem' },
  ): void {
    const where = `HDM decoder ${index}`;
    if (!Number.isInteger(index) || index < 0 || index >= this.decoderCount)
      throw new Errno('EINVAL', `${where} does not exist (decoder count ${this.decoderCount})`);
    if (this.isLocked(index)) throw new Errno('EBUSY', `${where} is locked`);
    const eiw = waysToEiw(d.ways);
    if (eiw === undefined)
      throw new Errno('EINVAL', `${where}: interleave ways ${d.ways} not supported`);
    const eig = granularityToEig(d.granularity);
    if (eig === undefined)
      throw new Errno('EINVAL', `${where}: interleave granularity ${d.granularity} not supported`);
    const aligned = (v: bigint) => v >= 0n && v % SZ_256M === 0n && v < 1n << 64n;
    if (!aligned(d.base) || !aligned(d.size) || d.size === 0n)
      throw new Errno('EINVAL', `${where}: base and size must be non-zero multiples of 256 MiB`);
    let tl = 0n;
    if (this.role === 'switch') {
      const t = d.targets ?? [];
      if (
        t.length !== d.ways ||
        t.some((p) => !Number.isInteger(p) || p < 0 || p > 255) ||
        t.length > 8
      )
        throw new Errno(
          'EINVAL',
          `${where}: need ${d.ways} target port numbers (0..255, at most 8)`,
        );
      t.forEach((p, i) => {
        tl |= BigInt(p) << BigInt(8 * i);
      });
    } else {
      tl = d.skip ?? 0n;
      if (!aligned(tl))
        throw new Errno('EINVAL', `${where}: DPA skip must be a multiple of 256 MiB`);
    }
    this.write32(hdmBaseHi(index), hi32(d.base));
    this.write32(hdmBaseLo(index), lo32(d.base));
    this.write32(hdmSizeHi(index), hi32(d.size));
    this.write32(hdmSizeLo(index), lo32(d.size));
    this.write32(hdmTargetHi(index), hi32(tl));
    this.write32(hdmTargetLo(index), lo32(tl));
    let ctrl = setField(setField(0, CTRL_IG, eig), CTRL_IW, eiw) | CTRL_COMMIT;
    if (d.lock) ctrl |= CTRL_LOCK_ON_COMMIT;
    if (opts.targetType === 'hostonly') ctrl |= CTRL_TARGET_TYPE_HOSTONLY;
    this.write32(hdmCtrl(index), ctrl >>> 0);
    const now = this.read32(hdmCtrl(index));
    if ((now & CTRL_COMMITTED) === 0)
      throw new Errno('EINVAL', `${where}: commit rejected: ${this.errors?.[index] ?? 'unknown'}`);
    this.write32(HDM_GLOBAL_CTRL, this.read32(HDM_GLOBAL_CTRL) | GLOBAL_HDM_DECODER_ENABLE);
  }

  /** CTRL write: COMMIT=1 → COMMITTED (or ERR in strict mode), COMMIT=0 → de-commit. */
  private commitSideEffect(n: number, ctrl: number): number {
    let v = ctrl & ~CTRL_ERR_NOT_COMMITTED & ~CTRL_COMMITTED;
    if ((ctrl & CTRL_COMMIT) === 0) {
      this.setError(n, undefined);
      return v >>> 0;
    }
    let problem: string | undefined;
    if (this.strict) {
      const snaps: DecoderSnapshot[] = [];
      for (let i = 0; i < this.decoderCount; i++) snaps.push(this.snapshot(i));
      const cur = snaps[n];
      if (cur) {
        cur.eiw = getField(v, CTRL_IW);
        cur.eig = getField(v, CTRL_IG);
      }
      problem = commitProblem(snaps, n, this.caps, this.role, this.dpaLimit);
    }
    this.setError(n, problem);
    if (problem) return (v | CTRL_ERR_NOT_COMMITTED) >>> 0;
    v |= CTRL_COMMITTED;
    if (v & CTRL_LOCK_ON_COMMIT) this.lockedMask = (this.lockedMask | (1 << n)) >>> 0;
    return v >>> 0;
  }
}
