/**
 * DOC: the COMP_REGS region — the HDM decoder shadow (vfio_cxl_emu.c comp_reg_virt[],
 * vfio_cxl_comp_regs_rw(), comp_regs_dispatch_write(); CXL r4.0 §8.2.4.20).
 *
 * The region covers the CXL.mem register area of the component block from its start (region
 * offset 0 = the CXL Capability Array Header, component block + 0x1000) to the end of the HDM
 * Decoder Capability. Only 4-byte, 4-byte-aligned accesses are allowed (-EINVAL otherwise, and
 * past the end). Reads return the shadow; writes follow per-register rules:
 * - below the HDM capability (capability array, RAS…): read-only snapshot from open;
 * - HDM Decoder Capability (+0x00): HwInit, writes dropped;
 * - Global Control (+0x04): bits 31:2 reserved; bit 0 (poison enable) forced 0 unless the
 *   capability's Poison On Decode Error bit is set;
 * - decoder n BASE_LO / SIZE_LO: bits 27:0 reserved; BASE/SIZE (high and low) frozen while the
 *   decoder's LOCK (Lock-On-Commit, CTRL bit 8) is set;
 * - decoder n CTRL: ignored entirely while LOCK is set (cxlsim follows the spec's "locked
 *   until reset" and the series' RFC v2; a later NV-Kernels revision lets a write with LOCK=0
 *   clear LOCK alone — docs/vfio-cxl.md); else bits 15 and 31:28 reserved, UIG/UIW (23:16)
 *   device-reserved, UIO (14) and ISP (27:24) reserved without UIO capability, BI (13)
 *   reserved without CXL.cache; COMMITTED/ERR (10, 11) and the target type (12) keep their
 *   value; then COMMITTED := COMMIT (the commit completes at once, clearing COMMIT
 *   de-commits) — the hardware decoder is never touched;
 * - target list / DPA skip (+0x14, +0x18) and the reserved dword (+0x1c): writes discarded
 *   (an endpoint has no target list);
 * - offsets past the last implemented decoder inside the region: discarded.
 * {@link CompRegsShadow.resample} re-reads the HDM part from hardware and, for decoders that
 * firmware committed *and locked*, clears LOCK and zeroes BASE so the VMM can program the
 * guest physical address (vfio_cxl_reinit_comp_regs()).
 */
import { Errno } from '../../kernel/errno.ts';
import {
  GLOBAL_POISON_EN,
  GLOBAL_RESERVED_MASK,
  HDM_CAP,
  HDM_CAP_POISON_ON_DECODE_ERR,
  HDM_CAP_UIO_CAPABLE,
  HDM_CTRL_BI_RESERVED,
  HDM_CTRL_COMMIT,
  HDM_CTRL_COMMITTED,
  HDM_CTRL_DEVICE_BITS_RO,
  HDM_CTRL_DEVICE_RESERVED,
  HDM_CTRL_LOCK,
  HDM_CTRL_RESERVED,
  HDM_CTRL_RO_BITS,
  HDM_CTRL_UIO_RESERVED,
  HDM_DECODER_STRIDE,
  HDM_FIRST_DECODER,
  HDM_GLOBAL_CTRL,
  HDM_LO_RESERVED_MASK,
  HDM_N,
  hdmReg,
} from './regs.ts';

/** Geometry of the shadow. Offsets in bytes, relative to the CXL.mem area. */
export interface CompRegsGeometry {
  /** Offset of the HDM Decoder Capability inside the CXL.mem area (hdm_reg_offset). */
  hdmOffset: number;
  /** Bytes of the HDM capability (0x10 + 0x20 × decoders; hdm_reg_size). */
  hdmSize: number;
  /** Implemented HDM decoders (hdm_count). */
  hdmCount: number;
  /** DVSEC Cache_Capable: BI (CTRL bit 13) is reserved without it. */
  cacheCapable: boolean;
}

/** The emulated CXL.mem register area (comp_reg_virt[]). */
export class CompRegsShadow {
  readonly geometry: CompRegsGeometry;
  /** Region size in bytes: capability array prefix + HDM block. */
  readonly size: number;
  private readonly words: Uint32Array;
  private readonly readHw: (cmOffset: number) => number;

  /**
   * vfio_cxl_setup_virt_regs(): snapshots the whole area through `readHw` (a readl() at a
   * CXL.mem-relative byte offset), then applies the open-time LOCK/BASE rule.
   */
  constructor(geometry: CompRegsGeometry, readHw: (cmOffset: number) => number) {
    this.geometry = geometry;
    this.size = geometry.hdmOffset + geometry.hdmSize;
    this.words = new Uint32Array(this.size / 4);
    this.readHw = readHw;
    for (let i = 0; i < this.words.length; i++) this.words[i] = readHw(i * 4) >>> 0;
    this.resample();
  }

  /** The shadow dword at HDM-relative `off`. */
  hdm(off: number): number {
    return this.words[(this.geometry.hdmOffset + off) >> 2] ?? 0;
  }
  private setHdm(off: number, v: number): void {
    this.words[(this.geometry.hdmOffset + off) >> 2] = v >>> 0;
  }

  /** vfio_cxl_reinit_comp_regs(): HDM part from hardware; committed+locked → unlocked, BASE 0. */
  resample(): void {
    const g = this.geometry;
    for (let off = 0; off < g.hdmSize; off += 4) this.setHdm(off, this.readHw(g.hdmOffset + off));
    for (let n = 0; n < g.hdmCount; n++) {
      const ctrl = this.hdm(hdmReg(n, HDM_N.CTRL));
      if (!(ctrl & HDM_CTRL_COMMITTED) || !(ctrl & HDM_CTRL_LOCK)) continue;
      this.setHdm(hdmReg(n, HDM_N.CTRL), ctrl & ~HDM_CTRL_LOCK);
      this.setHdm(hdmReg(n, HDM_N.BASE_LO), 0);
      this.setHdm(hdmReg(n, HDM_N.BASE_HI), 0);
    }
  }

  /**
   * vfio_cxl_comp_regs_rw() for one access of `size` bytes at region offset `off`.
   * @throws EINVAL not a 4-byte aligned dword, or past the end of the region
   */
  private check(off: number, size: number): void {
    if (off < 0 || off >= this.size) throw new Errno('EINVAL', 'COMP_REGS access past the region');
    if (size !== 4 || off & 3)
      throw new Errno('EINVAL', 'COMP_REGS accesses must be 4 bytes, 4-byte aligned');
  }

  /** 32-bit read at region offset `off`. @throws EINVAL (see {@link check}) */
  read(off: number, size = 4): number {
    this.check(off, size);
    return this.words[off >> 2] ?? 0;
  }

  /** 32-bit write at region offset `off`. @throws EINVAL (see {@link check}) */
  write(off: number, value: number, size = 4): void {
    this.check(off, size);
    const g = this.geometry;
    if (off < g.hdmOffset) return; // capability array: read-only snapshot
    this.dispatch(off - g.hdmOffset, value >>> 0);
  }

  /** comp_regs_dispatch_write() at HDM-relative `off`. */
  private dispatch(off: number, v: number): void {
    if (off === HDM_CAP) return;
    if (off === HDM_GLOBAL_CTRL) {
      let val = v & ~GLOBAL_RESERVED_MASK;
      if (!(this.hdm(HDM_CAP) & HDM_CAP_POISON_ON_DECODE_ERR)) val &= ~GLOBAL_POISON_EN;
      this.setHdm(HDM_GLOBAL_CTRL, val);
      return;
    }
    if (off < HDM_FIRST_DECODER) return;
    const n = Math.floor((off - HDM_FIRST_DECODER) / HDM_DECODER_STRIDE);
    if (n >= this.geometry.hdmCount) return;
    const reg = (off - HDM_FIRST_DECODER) % HDM_DECODER_STRIDE;
    const locked = (this.hdm(hdmReg(n, HDM_N.CTRL)) & HDM_CTRL_LOCK) !== 0;
    switch (reg) {
      case HDM_N.BASE_LO:
      case HDM_N.SIZE_LO:
        if (!locked) this.setHdm(off, v & ~HDM_LO_RESERVED_MASK);
        return;
      case HDM_N.BASE_HI:
      case HDM_N.SIZE_HI:
        if (!locked) this.setHdm(off, v);
        return;
      case HDM_N.CTRL:
        if (!locked) this.setHdm(off, this.ctrlWrite(this.hdm(off), v));
        return;
      default:
        return; // target list / DPA skip, reserved dword
    }
  }

  /** hdm_decoder_n_ctrl_write() without the LOCK short-cut (handled by the caller). */
  private ctrlWrite(cur: number, v: number): number {
    const ro = HDM_CTRL_RO_BITS | HDM_CTRL_DEVICE_BITS_RO;
    let rsv = HDM_CTRL_RESERVED | HDM_CTRL_DEVICE_RESERVED;
    if (!(this.hdm(HDM_CAP) & HDM_CAP_UIO_CAPABLE)) rsv |= HDM_CTRL_UIO_RESERVED;
    if (!this.geometry.cacheCapable) rsv |= HDM_CTRL_BI_RESERVED;
    let val = ((v & ~rsv & ~ro) | (cur & ro)) >>> 0;
    if (val & HDM_CTRL_COMMIT) val |= HDM_CTRL_COMMITTED;
    else val &= ~HDM_CTRL_COMMITTED;
    return val >>> 0;
  }

  /** Decoder n's shadow as the guest sees it (base/size in bytes). */
  decoder(n: number): {
    base: bigint;
    size: bigint;
    ctrl: number;
    committed: boolean;
    locked: boolean;
  } {
    const lo = (r: number) => BigInt(this.hdm(hdmReg(n, r)) & ~HDM_LO_RESERVED_MASK) & 0xffffffffn;
    const hi = (r: number) => BigInt(this.hdm(hdmReg(n, r)) >>> 0) << 32n;
    const ctrl = this.hdm(hdmReg(n, HDM_N.CTRL));
    return {
      base: hi(HDM_N.BASE_HI) | lo(HDM_N.BASE_LO),
      size: hi(HDM_N.SIZE_HI) | lo(HDM_N.SIZE_LO),
      ctrl,
      committed: (ctrl & HDM_CTRL_COMMITTED) !== 0,
      locked: (ctrl & HDM_CTRL_LOCK) !== 0,
    };
  }
}
