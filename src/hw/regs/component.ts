/**
 * DOC: the 64 KiB component register block — CXL 3.1 §8.2.3/§8.2.4 (QEMU
 * cxl_component_register_block_init(), cache_mem_ops).
 *
 * 0x0000–0x0fff CXL.io (reads 0), 0x1000–0x1fff CXL.cachemem: the capability array header
 * (ID 1, version 1, cachemem version 1, array size) and one header per slot, then the
 * capability structures at the pointers of cachemem-layout.ts; RAS and HDM are live register
 * blocks, Link / Extended Security / Snoop read 0. Everything above 0x2000 reads 0. Accesses
 * are 32-bit (§8.2.2): the block has no read64/write64 (the bus splits 64-bit accesses).
 */
import { shareWithCopies } from '../../kernel/graph-copy.ts';
import type { QemuVersion } from '../../profile.ts';
import type { HdmCaps } from '../../topology/model.ts';
import type { MmioRegion } from '../mmio-region.ts';
import { qemuHas } from '../qemu-compat.ts';
import { field, setField } from './bits.ts';
import { type CachememLayout, type ComponentKind, cachememLayout } from './cachemem-layout.ts';
import { HdmDecoderBlock, hdmStructureSize, validateHdmCaps } from './hdm.ts';
import { RAS_SIZE, RasBlock } from './ras.ts';

export type { ComponentKind } from './cachemem-layout.ts';

/** Size of a component register block (CXL_COMPONENT_REG_BLOCK_SIZE). */
export const COMPONENT_BLOCK_SIZE = 0x10000;
/** Offset of the CXL.cachemem area (CXL_CM_OFFSET). */
export const CM_OFFSET = 0x1000;
export const CM_SIZE = 0x1000;
/** CXL Capability Header (array header) fields — §8.2.4.1. */
export const CM_HDR_ID = field(0, 16);
export const CM_HDR_VERSION = field(16, 4);
export const CM_HDR_CACHEMEM_VERSION = field(20, 4);
export const CM_HDR_ARRAY_SIZE = field(24, 8);
/** Capability header n: ID [15:0], version [19:16], pointer [31:20] — §8.2.4.2. */
export const CAP_HDR_ID = field(0, 16);
export const CAP_HDR_VERSION = field(16, 4);
export const CAP_HDR_PTR = field(20, 12);

/** A component register block with its live HDM decoders (undefined when it has none). */
export interface ComponentRegisters extends MmioRegion {
  readonly kind: ComponentKind;
  /** HDM decoders, or undefined: no HDM capability, or a passthrough host bridge. */
  readonly hdm: HdmDecoderBlock | undefined;
  /** RAS capability registers (error injection), when the component has one. */
  readonly ras: RasBlock | undefined;
  /** QEMU 10.1 passthrough host bridge: HDM header ID reads 0, route to the only root port. */
  readonly passthrough: boolean;
  readonly layout: CachememLayout;
  /** Conventional reset of every register (unlocks locked decoders). */
  reset(): void;
}

/** Options of {@link createComponentRegisters}. */
export interface ComponentOptions {
  qemu: QemuVersion;
  /** Host bridge with one root port and `hdm_for_passthrough=off` (QEMU 10.1 only; 7.2 ignores it). */
  passthrough?: boolean;
  /** Spec commit checks in the HDM block (default true; false = QEMU's unchecked commit). */
  strict?: boolean;
  /** Endpoints: DPA capacity in bytes, for the strict commit check. */
  dpaLimit?: bigint;
}

/**
 * The HDM capability QEMU gives a component (hdm_init_common() + the device reset hooks):
 * 1 decoder in 7.2, 4 (CXL_HDM_DECODER_COUNT) in 10.1; 8 targets for host bridges
 * (pxb_cxl_dev_reset) and USPs (cxl_usp_reset), else 1; 256 B and 4 KiB capable (A11to8,
 * A14to12); 3/6/12 and 16-way only for 10.1 type-3 devices (QEMU ≥ 9.1). undefined when the
 * component has no HDM capability.
 */
export function defaultHdmCaps(kind: ComponentKind, qemu: QemuVersion): HdmCaps | undefined {
  if (cachememLayout(kind, qemu, { hdmSize: 0 }).hdmPtr === undefined) return undefined;
  const wide = qemuHas(qemu, 'hdmFourDecoders') && kind === 'type3';
  return {
    decoderCount: qemuHas(qemu, 'hdmFourDecoders') ? 4 : 1,
    targetCount: kind === 'host-bridge' || kind === 'usp' ? 8 : 1,
    a11to8: true,
    a14to12: true,
    iw3612: wide,
    iw16: wide,
  };
}

/**
 * Builds a component register block. `hdm` overrides the HDM capability (topology files,
 * cxl_test); it is ignored for components without one (DSPs; root ports in 10.1).
 * @throws EINVAL for an HdmCaps the registers cannot encode
 */
export function createComponentRegisters(
  kind: ComponentKind,
  hdm: HdmCaps | undefined,
  opts: ComponentOptions,
): ComponentRegisters {
  const dflt = defaultHdmCaps(kind, opts.qemu);
  const caps = dflt ? (hdm ?? dflt) : undefined;
  if (caps) validateHdmCaps(caps);
  const passthrough =
    kind === 'host-bridge' &&
    qemuHas(opts.qemu, 'hdmForPassthrough') &&
    (opts.passthrough ?? false);
  const layout = cachememLayout(kind, opts.qemu, {
    hdmSize: caps ? hdmStructureSize(caps.decoderCount) : 0,
    passthrough,
  });
  const block = caps
    ? new HdmDecoderBlock({
        caps,
        role: kind === 'type3' || kind === 'type2' ? 'device' : 'switch',
        strict: opts.strict ?? true,
        ...(opts.dpaLimit !== undefined ? { dpaLimit: opts.dpaLimit } : {}),
      })
    : undefined;
  const ras = layout.rasPtr !== undefined ? new RasBlock() : undefined;
  return new ComponentBlock(kind, layout, passthrough, block, ras, headersOf(layout));
}

/**
 * The capability header array of a layout (dword 0: CXL Capability Header, then one header per
 * slot), as QEMU's cxl_component_register_init_common() writes it: read-only registers, so one
 * array per (shared, frozen) layout, shared by every component and every copy of a machine —
 * nothing writes it after this.
 */
function headersOf(layout: CachememLayout): Uint32Array {
  const known = headerArrays.get(layout);
  if (known) return known;
  const headers = new Uint32Array(layout.slots.length + 1);
  let h0 = setField(0, CM_HDR_ID, 1);
  h0 = setField(h0, CM_HDR_VERSION, 1);
  h0 = setField(h0, CM_HDR_CACHEMEM_VERSION, 1);
  headers[0] = setField(h0, CM_HDR_ARRAY_SIZE, layout.slots.length);
  layout.slots.forEach((s, i) => {
    if (!s) return;
    headers[i + 1] = setField(
      setField(setField(0, CAP_HDR_ID, s.id), CAP_HDR_VERSION, s.version),
      CAP_HDR_PTR,
      s.ptr,
    );
  });

  headerArrays.set(layout, headers);
  return shareWithCopies(headers);
}

/** {@link headersOf} per layout (layouts are module-level frozen data). */
const headerArrays = new Map<CachememLayout, Uint32Array>();

/** The {@link ComponentRegisters} of {@link createComponentRegisters}. */
class ComponentBlock implements ComponentRegisters {
  readonly kind: ComponentKind;
  readonly size = COMPONENT_BLOCK_SIZE;
  readonly hdm: HdmDecoderBlock | undefined;
  readonly ras: RasBlock | undefined;
  readonly passthrough: boolean;
  readonly layout: CachememLayout;
  /** The live HDM block, also when passthrough hides it from `hdm`. */
  private readonly block: HdmDecoderBlock | undefined;
  /** Capability header array (dword 0: CXL Capability Header). */
  private readonly headers: Uint32Array;

  constructor(
    kind: ComponentKind,
    layout: CachememLayout,
    passthrough: boolean,
    block: HdmDecoderBlock | undefined,
    ras: RasBlock | undefined,
    headers: Uint32Array,
  ) {
    this.kind = kind;
    this.layout = layout;
    this.passthrough = passthrough;
    this.hdm = passthrough ? undefined : block;
    this.block = block;
    this.ras = ras;
    this.headers = headers;
  }

  /** The live block and offset inside it for a CXL.cachemem offset, if any. */
  private route(cm: number): [MmioRegion, number] | undefined {
    const { ras, block, layout } = this;
    if (ras && layout.rasPtr !== undefined && cm >= layout.rasPtr && cm < layout.rasPtr + RAS_SIZE)
      return [ras, cm - layout.rasPtr];
    if (
      block &&
      layout.hdmPtr !== undefined &&
      cm >= layout.hdmPtr &&
      cm < layout.hdmPtr + block.size
    )
      return [block, cm - layout.hdmPtr];
    return undefined;
  }

  read32(offset: number): number {
    if (offset & 3 || offset < CM_OFFSET || offset >= CM_OFFSET + CM_SIZE) return 0;
    const cm = offset - CM_OFFSET;
    if (cm < this.headers.length * 4) return this.headers[cm >> 2] ?? 0;
    const r = this.route(cm);
    return r ? r[0].read32(r[1]) : 0;
  }

  write32(offset: number, value: number): void {
    if (offset & 3 || offset < CM_OFFSET || offset >= CM_OFFSET + CM_SIZE) return;
    const r = this.route(offset - CM_OFFSET);
    if (r) r[0].write32(r[1], value >>> 0);
  }

  reset(): void {
    this.block?.reset();
    this.ras?.reset();
  }
}
