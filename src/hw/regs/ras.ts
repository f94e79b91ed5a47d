/**
 * DOC: CXL RAS Capability structure — CXL 3.1 §8.2.4.17 (QEMU ras_init_common()).
 *
 * Offsets relative to the capability (0x58 bytes). Status registers are RW1C (QEMU's type-3
 * write handler clears on 1; the generic one keeps them as plain RW bits that are never set),
 * mask and severity registers are RW with QEMU's masks and reset values, the capability/control
 * register is RO with "multiple header recording capable" (bit 9) set, the header log is RO.
 */

import type { MmioRegion } from '../mmio-region.ts';
import { slabDwords } from '../slab.ts';
import { field } from './bits.ts';

export const RAS_UNC_ERR_STATUS = 0x00;
export const RAS_UNC_ERR_MASK = 0x04;
export const RAS_UNC_ERR_SEVERITY = 0x08;
export const RAS_COR_ERR_STATUS = 0x0c;
export const RAS_COR_ERR_MASK = 0x10;
export const RAS_ERR_CAP_CTRL = 0x14;
export const RAS_HEADER_LOG = 0x18;
/** First Error Pointer — §8.2.4.17.7. */
export const RAS_FIRST_ERROR_POINTER = field(0, 6);
/** Bits defined for uncorrectable errors (11:0, 16:14) and correctable errors (6:0). */
export const RAS_UNC_BITS = 0x1cfff;
export const RAS_COR_BITS = 0x7f;
/** Size of the RAS capability structure in bytes. */
export const RAS_SIZE = 0x58;

/** The RAS capability registers of one component. */
export class RasBlock implements MmioRegion {
  readonly size = RAS_SIZE;
  private readonly regs = slabDwords(RAS_SIZE / 4);

  constructor() {
    this.reset();
  }

  /** Reset values as QEMU ras_init_common() sets them. */
  reset(): void {
    this.regs.fill(0);
    this.regs[RAS_UNC_ERR_MASK / 4] = RAS_UNC_BITS;
    this.regs[RAS_UNC_ERR_SEVERITY / 4] = RAS_UNC_BITS;
    this.regs[RAS_COR_ERR_MASK / 4] = RAS_COR_BITS;
    this.regs[RAS_ERR_CAP_CTRL / 4] = 0x200;
  }

  read32(offset: number): number {
    if (offset < 0 || offset >= this.size || offset & 3) return 0;
    return this.regs[offset >> 2] ?? 0;
  }

  /** RW1C for the status registers, masked RW for mask/severity, everything else RO. */
  write32(offset: number, value: number): void {
    const i = offset >> 2;
    const old = this.regs[i] ?? 0;
    switch (offset) {
      case RAS_UNC_ERR_STATUS:
        this.regs[i] = old & ~(value & RAS_UNC_BITS);
        break;
      case RAS_COR_ERR_STATUS:
        this.regs[i] = old & ~(value & RAS_COR_BITS);
        break;
      case RAS_UNC_ERR_MASK:
      case RAS_UNC_ERR_SEVERITY:
        this.regs[i] = value & RAS_UNC_BITS;
        break;
      case RAS_COR_ERR_MASK:
        this.regs[i] = value & RAS_COR_BITS;
        break;
      default:
        break;
    }
  }

  /**
   * Error injection (QMP cxl-inject-uncorrectable-errors / -correctable-error): sets status
   * bit `bitNo` unless masked; for the first uncorrectable error also the First Error Pointer.
   * Returns whether the error was recorded (not masked).
   */
  inject(kind: 'uncorrectable' | 'correctable', bitNo: number): boolean {
    const [st, mk] =
      kind === 'uncorrectable'
        ? [RAS_UNC_ERR_STATUS, RAS_UNC_ERR_MASK]
        : [RAS_COR_ERR_STATUS, RAS_COR_ERR_MASK];
    const m = 1 << bitNo;
    if (((this.regs[mk / 4] ?? 0) & m) !== 0) return false;
    const before = this.regs[st / 4] ?? 0;
    this.regs[st / 4] = (before | m) >>> 0;
    if (kind === 'uncorrectable' && before === 0) {
      const cc = this.regs[RAS_ERR_CAP_CTRL / 4] ?? 0;
      this.regs[RAS_ERR_CAP_CTRL / 4] = ((cc & ~RAS_FIRST_ERROR_POINTER.mask) | bitNo) >>> 0;
    }
    return true;
  }
}
