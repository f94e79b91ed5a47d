/**
 * DOC: what the guest's register and memory accesses reach through the VMM (QEMU hw/vfio/pci.c
 * with the vfio-cxl series: the COMP_REGS overlay over the sparse-mmapped component BAR, and the
 * DPA region mapped at the decoder's guest physical address).
 *
 * - {@link VfioComponentBar}: the guest's component-register BAR. The CXL.mem span that
 *   COMP_REGS covers (BAR offset `hdm_regs_offset` onwards) goes to the host's COMP_REGS region
 *   (32-bit accesses; a refused access reads all-ones, as QEMU's failed vfio region read does);
 *   every other offset is the host BAR itself (the sparse mmap areas).
 * - {@link VfioHdmView}: the guest-visible HDM capability for the platform's data path and
 *   inspection: register reads/writes through COMP_REGS, and decode as QEMU maps the DPA
 *   region — decoder 0 (x1) at its COMMITTED base, only while the host region is active.
 * - {@link VfioDpaStore}: the device memory seen through the DPA region (host HPA → the
 *   physical device's decoder → its media).
 */
import type { VfioPciDevice } from '../../host/vfio-cxl/index.ts';
import type { HdmCaps } from '../../topology/model.ts';
import type { MmioRegion } from '../mmio-region.ts';
import { BackingStore } from '../regs/backing-store.ts';
import { HdmDecoderBlock } from '../regs/hdm.ts';
import type { DecoderSnapshot } from '../regs/hdm-commit.ts';

/** The guest-facing component-register BAR of a vfio-cxl device. */
export class VfioComponentBar implements MmioRegion {
  readonly size: number;
  private readonly dev: VfioPciDevice;
  private readonly bar: number;

  constructor(dev: VfioPciDevice, bar: number) {
    this.dev = dev;
    this.bar = bar;
    this.size = Number(dev.host.barLength(bar));
  }

  /** Offset inside COMP_REGS for a BAR offset, or undefined (host BAR). */
  private comp(offset: number): number | undefined {
    const c = this.dev.cxl;
    if (!c || c.regs.bar !== this.bar) return undefined;
    const start = c.regs.offset + 0x1000;
    return offset >= start && offset < start + c.comp.size ? offset - start : undefined;
  }

  read32(offset: number): number {
    const o = this.comp(offset);
    if (o === undefined) return this.dev.host.barRead32(this.bar, offset);
    try {
      return this.dev.cxl?.comp.read(o) ?? 0xffffffff;
    } catch {
      return 0xffffffff;
    }
  }

  write32(offset: number, value: number): void {
    const o = this.comp(offset);
    if (o === undefined) {
      this.dev.host.barWrite32(this.bar, offset, value);
      return;
    }
    try {
      this.dev.cxl?.comp.write(o, value);
    } catch {
      // a refused vfio region write is dropped
    }
  }
}

/** The guest-visible HDM Decoder Capability of a vfio-cxl device (through COMP_REGS). */
export class VfioHdmView extends HdmDecoderBlock {
  private readonly dev: VfioPciDevice;

  constructor(dev: VfioPciDevice, caps: HdmCaps) {
    super({ caps, role: 'device', strict: false });
    this.dev = dev;
  }

  private get hdmOffset(): number {
    return this.dev.cxl?.comp.geometry.hdmOffset ?? 0;
  }

  override read32(offset: number): number {
    try {
      return this.dev.cxl?.comp.read(this.hdmOffset + offset) ?? 0;
    } catch {
      return 0;
    }
  }

  override write32(offset: number, value: number): void {
    try {
      this.dev.cxl?.comp.write(this.hdmOffset + offset, value);
    } catch {
      // dropped
    }
  }

  override isLocked(n: number): boolean {
    return this.dev.cxl?.comp.decoder(n).locked ?? false;
  }

  override get enabled(): boolean {
    return ((this.read32(0x04) >>> 1) & 1) === 1;
  }

  /** A VMM cannot reset the device's decoders through the guest view. */
  override reset(): void {}

  override snapshot(n: number): DecoderSnapshot {
    const d = this.dev.cxl?.comp.decoder(n);
    const ctrl = d?.ctrl ?? 0;
    return {
      base: d?.base ?? 0n,
      size: d?.size ?? 0n,
      skip: 0n,
      eiw: (ctrl >>> 4) & 0xf,
      eig: ctrl & 0xf,
      committed: d?.committed ?? false,
    };
  }

  override decodeToTarget(): undefined {
    return undefined;
  }

  /** QEMU's mapping of the DPA region at decoder 0's committed base (x1). */
  override decodeToDpa(hpa: bigint): { decoder: number; dpa: bigint } | undefined {
    const c = this.dev.cxl;
    if (!c?.regionActive) return undefined;
    const d = c.comp.decoder(0);
    if (!d.committed || hpa < d.base || hpa >= d.base + d.size) return undefined;
    const dpa = hpa - d.base;
    return dpa < c.regionSize ? { decoder: 0, dpa } : undefined;
  }

  override dpaToHpa(dpa: bigint): bigint | undefined {
    const c = this.dev.cxl;
    if (!c) return undefined;
    const d = c.comp.decoder(0);
    return d.committed && dpa < d.size ? d.base + dpa : undefined;
  }
}

/** Device memory through the DPA region (region offset = DPA). */
export class VfioDpaStore extends BackingStore {
  private readonly dev: VfioPciDevice;

  constructor(dev: VfioPciDevice, size: bigint) {
    super(size);
    this.dev = dev;
  }

  override read(dpa: bigint, len: number): Uint8Array {
    return this.dev.dpaRead(dpa, len);
  }

  override write(dpa: bigint, data: Uint8Array): void {
    this.dev.dpaWrite(dpa, data);
  }
}
