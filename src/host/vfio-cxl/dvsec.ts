/**
 * DOC: the CXL Device DVSEC shadow (vfio_cxl_config.c: vfio_cxl_dvsec_readfn/_writefn and the
 * per-register handlers; CXL r4.0 §8.1.3). The guest's config accesses that land in the DVSEC
 * body are served from `vconfig`, a copy of the DVSEC taken from hardware at open; guest
 * writes never reach the device except the two things the series forwards on purpose.
 *
 * Per register (offsets from the DVSEC):
 * - 0x00–0x09 headers, 0x0a Capability, 0x16 Capability2, 0x38 Capability3, Range 1/2 Size
 *   (0x18/0x1c, 0x28/0x2c): HwInit/RO — writes dropped.
 * - 0x0c Control: RWL — ignored while Lock.CONFIG_LOCK is set; bits 13 and 15 (and 12
 *   without Cap3.P2P_Mem_Capable) are RsvdP and discarded; IO_Enable (bit 1) always reads 1.
 * - 0x0e Status: bit 14 Viral_Status RW1C; the rest RsvdZ.
 * - 0x10 Control2: bits 15:6 RsvdP (4 without Cap3.Volatile_HDM_Configurability, 5 without
 *   Cap2.Mod_Completion_Capable); Initiate Cache WB+I (1) is forwarded to the device with the
 *   Disable Caching value; Initiate CXL Reset (2) runs vfio_cxl_reset() when the device is CXL
 *   Reset capable; both doorbells read 0 (never stored).
 * - 0x12 Status2: read = hardware, except Reset Complete/Error (bits 1, 2) which come from the
 *   shadow the reset stamped; bits 3 (with Volatile HDM configurability) and 15 are RW1CS,
 *   forwarded to the device and cleared in the shadow.
 * - 0x14 Lock: RWO — the first write that sets CONFIG_LOCK sticks until a conventional reset;
 *   bits 15:1 RsvdP.
 * - 0x20/0x24, 0x30/0x34 Range Base High/Low: RWL in cxlsim (frozen by CONFIG_LOCK, as the
 *   spec's RWL and the series' RFC v2 have it; the NV-Kernels code stores them unlocked —
 *   docs/vfio-cxl.md); Base Low bits 27:0 reserved (cleared).
 * Byte writes merge with the other byte of the 16-bit register, except for the RW1C Status
 * registers, where only the written byte acts; a dword write at Control / Control2 also writes
 * Status / Status2 (the high half), one at 0x08 or 0x14 only its low register.
 */
import type { HostFunction } from './host.ts';
import {
  CAP2_MOD_COMPLETION_CAPABLE,
  CAP3_P2P_MEM_CAPABLE,
  CAP3_VOLATILE_HDM_CONFIGURABILITY,
  CTRL_IO_ENABLE,
  CTRL_P2P_MEM_ENABLE,
  CTRL_RESERVED_MASK,
  CTRL2_DESIRED_VOLATILE_HDM,
  CTRL2_DISABLE_CACHING,
  CTRL2_HW_BITS_MASK,
  CTRL2_INITIATE_CACHE_WBI,
  CTRL2_INITIATE_CXL_RESET,
  CTRL2_MOD_COMPLETION_ENABLE,
  CTRL2_RESERVED_MASK,
  DVSEC,
  LOCK_CONFIG_LOCK,
  LOCK_RESERVED_MASK,
  RANGE_BASE_LO_RESERVED_MASK,
  STATUS_VIRAL,
  STATUS2_CXL_RESET_COMPLETE,
  STATUS2_CXL_RESET_ERROR,
  STATUS2_PM_INIT_COMPLETION,
  STATUS2_VOLATILE_HDM_PRES_ERROR,
} from './regs.ts';

/** What the shadow needs from its device for the Control2 doorbells. */
export interface DvsecActions {
  /** True when the device is CXL Reset capable (Capability bit 7). */
  resetCapable(): boolean;
  /** vfio_cxl_reset(): revoke, reset, re-sample; returns 0 or a negative errno. */
  cxlReset(memClear: boolean): number;
}

/** Range Base registers (High, Low) of ranges 1 and 2. */
const BASE_HI = new Set<number>([DVSEC.RANGE1_BASE_HI, DVSEC.RANGE2_BASE_HI]);
const BASE_LO = new Set<number>([DVSEC.RANGE1_BASE_LO, DVSEC.RANGE2_BASE_LO]);
/** Status2 bits the reset stamps into the shadow. */
const STATUS2_SHADOW = STATUS2_CXL_RESET_COMPLETE | STATUS2_CXL_RESET_ERROR;

/** The CXL Device DVSEC as the guest sees it (vdev->vconfig for [dvsec, dvsec + len)). */
export class DvsecShadow {
  /** Config-space offset of the DVSEC and its length (DVSEC Header 1 length). */
  readonly offset: number;
  readonly length: number;
  private readonly vconfig: Uint8Array;
  private readonly host: HostFunction;
  private readonly actions: DvsecActions;

  constructor(host: HostFunction, offset: number, length: number, actions: DvsecActions) {
    this.host = host;
    this.offset = offset;
    this.length = length;
    this.actions = actions;
    this.vconfig = new Uint8Array(length);
    this.resample();
  }

  /**
   * vfio_config_init() + vfio_cxl_setup_dvsec_perms(): copies the DVSEC from hardware and
   * forces IO_Enable. Also what a conventional reset (FLR) leaves: Lock and Control as the
   * device has them.
   */
  resample(): void {
    for (let i = 0; i < this.length; i++) this.vconfig[i] = this.host.cfgRead(this.offset + i, 1);
    this.set16(DVSEC.CTRL, this.get16(DVSEC.CTRL) | CTRL_IO_ENABLE);
  }

  /** True when `abs` (a config-space offset) is inside the DVSEC. */
  contains(abs: number): boolean {
    return abs >= this.offset && abs < this.offset + this.length;
  }

  get16(off: number): number {
    return (this.vconfig[off] ?? 0) | ((this.vconfig[off + 1] ?? 0) << 8);
  }
  private set16(off: number, v: number): void {
    this.vconfig[off] = v & 0xff;
    this.vconfig[off + 1] = (v >>> 8) & 0xff;
  }
  get32(off: number): number {
    return (this.get16(off) | (this.get16(off + 2) << 16)) >>> 0;
  }
  private set32(off: number, v: number): void {
    this.set16(off, v & 0xffff);
    this.set16(off + 2, v >>> 16);
  }

  /** Status2 as the guest reads it: hardware, with the reset outcome bits from the shadow. */
  private status2(): number {
    const hw = this.host.cfgRead(this.offset + DVSEC.STATUS2, 2);
    return ((hw & ~STATUS2_SHADOW) | (this.get16(DVSEC.STATUS2) & STATUS2_SHADOW)) & 0xffff;
  }

  /** The value the guest reads at DVSEC-relative `off` (16-bit registers, any byte). */
  private byteAt(off: number): number {
    const reg = off & ~1;
    if (reg === DVSEC.STATUS2) {
      const v = this.status2();
      return off & 1 ? v >>> 8 : v & 0xff;
    }
    return this.vconfig[off] ?? 0;
  }

  /** Config read of 1, 2 or 4 bytes at config-space offset `abs` (inside the DVSEC). */
  read(abs: number, size: 1 | 2 | 4): number {
    const off = abs - this.offset;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.byteAt(off + i);
    return v >>> 0;
  }

  /** Config write of 1, 2 or 4 bytes at config-space offset `abs` (vfio_cxl_dvsec_writefn). */
  write(abs: number, size: 1 | 2 | 4, value: number): void {
    const off = abs - this.offset;
    const dword = off & ~3;
    if (BASE_HI.has(dword) || BASE_LO.has(dword)) {
      this.writeBase(dword, off - dword, size, value >>> 0);
      return;
    }
    const reg = off & ~1;
    const byteIn = off - reg;
    let w16: number;
    if (size === 1) {
      const cur = this.get16(reg);
      const b = value & 0xff;
      w16 = byteIn ? (cur & 0x00ff) | (b << 8) : (cur & 0xff00) | b;
    } else w16 = value & 0xffff;
    const high = size === 4 && byteIn === 0 ? (value >>> 16) & 0xffff : undefined;
    switch (reg) {
      case DVSEC.CTRL:
        this.writeControl(w16);
        if (high !== undefined) this.writeStatus(high);
        return;
      case DVSEC.STATUS:
        this.writeStatus(size === 1 ? (value & 0xff) << (8 * byteIn) : w16);
        return;
      case DVSEC.CTRL2:
        this.writeControl2(w16);
        if (high !== undefined) this.writeStatus2(high);
        return;
      case DVSEC.STATUS2:
        this.writeStatus2(size === 1 ? (value & 0xff) << (8 * byteIn) : w16);
        return;
      case DVSEC.LOCK:
        this.writeLock(w16);
        return;
      default:
        return; // headers, capabilities, range sizes: RO
    }
  }

  private locked(): boolean {
    return (this.get16(DVSEC.LOCK) & LOCK_CONFIG_LOCK) !== 0;
  }

  /** cxl_dvsec_control_write(). */
  private writeControl(v: number): void {
    if (this.locked()) return;
    let rsv = CTRL_RESERVED_MASK;
    if (!(this.get16(DVSEC.CAP3) & CAP3_P2P_MEM_CAPABLE)) rsv |= CTRL_P2P_MEM_ENABLE;
    this.set16(DVSEC.CTRL, (v & ~rsv) | CTRL_IO_ENABLE);
  }

  /** cxl_dvsec_status_write(): Viral_Status is RW1C, everything else RsvdZ. */
  private writeStatus(v: number): void {
    this.set16(DVSEC.STATUS, this.get16(DVSEC.STATUS) & ~(v & STATUS_VIRAL));
  }

  /** cxl_dvsec_control2_write(). */
  private writeControl2(v: number): void {
    let rsv = CTRL2_RESERVED_MASK;
    if (!(this.get16(DVSEC.CAP3) & CAP3_VOLATILE_HDM_CONFIGURABILITY))
      rsv |= CTRL2_DESIRED_VOLATILE_HDM;
    if (!(this.get16(DVSEC.CAP2) & CAP2_MOD_COMPLETION_CAPABLE)) rsv |= CTRL2_MOD_COMPLETION_ENABLE;
    const val = v & ~rsv;
    if (val & CTRL2_INITIATE_CACHE_WBI) {
      const hw = CTRL2_INITIATE_CACHE_WBI | (val & CTRL2_DISABLE_CACHING);
      this.host.cfgWrite(this.offset + DVSEC.CTRL2, 2, hw);
    }
    this.set16(DVSEC.CTRL2, val & ~CTRL2_HW_BITS_MASK);
    if (val & CTRL2_INITIATE_CXL_RESET && this.actions.resetCapable()) {
      // vfio_cxl_reset(): outcome bits cleared first, stamped when the reset is done.
      this.set16(DVSEC.STATUS2, this.get16(DVSEC.STATUS2) & ~STATUS2_SHADOW);
      const rc = this.actions.cxlReset((val & 0x8) !== 0);
      const hw = this.host.cfgRead(this.offset + DVSEC.STATUS2, 2) & ~STATUS2_SHADOW;
      this.set16(DVSEC.STATUS2, hw | (rc ? STATUS2_CXL_RESET_ERROR : STATUS2_CXL_RESET_COMPLETE));
    }
  }

  /** cxl_dvsec_status2_write(): RW1CS bits forwarded to the device and cleared in the shadow. */
  private writeStatus2(v: number): void {
    const abs = this.offset + DVSEC.STATUS2;
    for (const bit of [STATUS2_VOLATILE_HDM_PRES_ERROR, STATUS2_PM_INIT_COMPLETION]) {
      if (!(v & bit)) continue;
      if (
        bit === STATUS2_VOLATILE_HDM_PRES_ERROR &&
        !(this.get16(DVSEC.CAP3) & CAP3_VOLATILE_HDM_CONFIGURABILITY)
      )
        continue;
      this.host.cfgWrite(abs, 2, bit);
      this.set16(DVSEC.STATUS2, this.get16(DVSEC.STATUS2) & ~bit);
    }
  }

  /** cxl_dvsec_lock_write(): RWO. */
  private writeLock(v: number): void {
    if (this.locked()) return;
    this.set16(DVSEC.LOCK, v & ~LOCK_RESERVED_MASK);
  }

  /** Range Base High/Low (dvsec_virt_merge_write32 + cxl_range_base_lo_write), RWL. */
  private writeBase(reg: number, byteIn: number, size: number, value: number): void {
    if (this.locked() || byteIn + size > 4) return;
    const cur = this.get32(reg);
    let v: number;
    if (size === 4) v = value;
    else {
      const mask = (((1 << (size * 8)) - 1) << (byteIn * 8)) >>> 0;
      v = ((cur & ~mask) | ((value << (byteIn * 8)) & mask)) >>> 0;
    }
    if (BASE_LO.has(reg)) v = (v & ~RANGE_BASE_LO_RESERVED_MASK) >>> 0;
    this.set32(reg, v);
  }

  /** Raw shadow bytes (inspection: `cxlsim vfio show`). */
  bytes(): Uint8Array {
    const out = this.vconfig.slice();
    const s2 = this.status2();
    out[DVSEC.STATUS2] = s2 & 0xff;
    out[DVSEC.STATUS2 + 1] = s2 >>> 8;
    return out;
  }
}
