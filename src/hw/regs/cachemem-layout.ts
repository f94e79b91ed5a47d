/**
 * DOC: which CXL.cachemem capabilities a component has, in which header slot, at which pointer
 * (CXL 3.1 §8.2.4, Table 8-22; QEMU cxl_component_register_init_common() and
 * include/hw/cxl/cxl_component.h).
 *
 * QEMU keeps the capability structures at fixed offsets inside the 4 KiB CXL.cachemem area
 * and a fixed header slot per capability (RAS 1, Link 2, HDM 3, Ext. Security 4, Snoop 5);
 * a capability a component does not have leaves a NULL (all-zero) header in its slot, which
 * software skips. What each component gets:
 *
 * | QEMU 7.2 (the captures)           | slots                        |
 * |-----------------------------------|------------------------------|
 * | host bridge, root port (ROOT_PORT)| RAS, Link, HDM, ExtSec, Snoop|
 * | USP, type-3 (UPSTREAM, TYPE3)     | RAS, Link, HDM               |
 * | DSP (DOWNSTREAM)                  | RAS, Link                    |
 *
 * QEMU ≥ 9.0 (10.1): host bridges are CXL2_RC — no RAS (slot 1 NULL); root ports lose HDM
 * (slot 3 NULL); a passthrough host bridge (one root port, `hdm_for_passthrough=off`) clears
 * the HDM header's ID to 0 (version and pointer stay). 9.0 also reserved room for the CXL r3.1
 * structures — Link 0x38 → 0x50 bytes, IDE 0x20 → 0x24 — so HDM moved from 0x110 to 0x128,
 * Ext. Security from 0x260 to 0x278 and Snoop from 0xa84 to 0xaa0, and capability versions
 * changed (RAS 3, HDM 3, ExtSec 2). 7.2's pointers are the ones the capture's dmesg shows:
 * "Unknown CM cap ID: 2 (0x80)", "4 (0xd8)", "found HDM decoder capability (0x110)",
 * "6 (0x260)", "8 (0xa84)".
 * Type-2 devices (no QEMU model) are laid out like type-3 ones.
 */
import type { QemuVersion } from '../../profile.ts';
import { qemuHas } from '../qemu-compat.ts';
import { RAS_SIZE } from './ras.ts';

/** The component kinds cxlsim builds component register blocks for. */
export type ComponentKind = 'host-bridge' | 'root-port' | 'usp' | 'dsp' | 'type3' | 'type2';

/** Capability IDs — CXL 3.1 Table 8-22. */
export const CM_CAP_ID = {
  ARRAY: 1,
  RAS: 2,
  SECURITY: 3,
  LINK: 4,
  HDM: 5,
  EXTSEC: 6,
  IDE: 7,
  SNOOP: 8,
} as const;

/** One capability header slot: ID, version, pointer (offset from the CXL.cachemem area). */
export interface CapSlot {
  id: number;
  version: number;
  ptr: number;
}

/** Pointers of QEMU's fixed capability structures (from the CXL.cachemem area, 0x1000). */
export const RAS_PTR = 0x80;
export const LINK_PTR = RAS_PTR + RAS_SIZE; // security structure is 0 bytes: 0xd8
/** Link capability room: 0x38 in 7.2, 0x50 from QEMU 9.0 (CXL r3.1 size, {@link QEMU_COMPAT}.linkCapR31). */
export function linkSize(qemu: QemuVersion): number {
  return qemuHas(qemu, 'linkCapR31') ? 0x50 : 0x38;
}
/** Pointer of the HDM decoder capability: 0x110 in 7.2, 0x128 in 10.1. */
export function hdmPtr(qemu: QemuVersion): number {
  return LINK_PTR + linkSize(qemu);
}
/** QEMU reserves room for 10 decoders (HDM_DECODE_MAX) before Extended Security. */
export const HDM_RESERVED_SIZE = 0x10 + 0x20 * 10;
export const EXTSEC_SIZE = 8 * 256 + 4;

/**
 * A component's capability array: slots 1..n (null = NULL header) and the HDM pointer. Frozen
 * (shared by every component with the same layout).
 */
export interface CachememLayout {
  readonly slots: readonly (Readonly<CapSlot> | null)[];
  /** Pointer of the HDM structure when the component has HDM registers (even with ID 0). */
  readonly hdmPtr: number | undefined;
  readonly rasPtr: number | undefined;
}

/**
 * The capability array of a component. `hdmSize` is the HDM structure's size in bytes (the
 * decoders it has); beyond QEMU's 10 reserved decoders the later structures move up. The result
 * is frozen and shared (see {@link layouts}).
 */
export function cachememLayout(
  kind: ComponentKind,
  qemu: QemuVersion,
  opts: { hdmSize: number; passthrough?: boolean },
): CachememLayout {
  const key = `${kind}|${qemu}|${opts.hdmSize}|${opts.passthrough ?? false}`;
  let l = layouts.get(key);
  if (!l) {
    l = layoutOf(kind, qemu, opts);
    for (const s of l.slots) if (s) Object.freeze(s);
    Object.freeze(l.slots);
    Object.freeze(l);
    layouts.set(key, l);
  }
  return l;
}

/**
 * Layouts by kind, QEMU version, HDM size and passthrough: constant data, one frozen object per
 * combination, shared by every component (and every copy of a machine) that has it.
 */
const layouts = new Map<string, CachememLayout>();

/** {@link cachememLayout}, built. */
function layoutOf(
  kind: ComponentKind,
  qemu: QemuVersion,
  opts: { hdmSize: number; passthrough?: boolean },
): CachememLayout {
  const old = !qemuHas(qemu, 'r3Layouts');
  const HDM_PTR = hdmPtr(qemu);
  const extsec = Math.max(HDM_PTR + HDM_RESERVED_SIZE, HDM_PTR + opts.hdmSize);
  const snoop = extsec + EXTSEC_SIZE + (old ? 0x20 : 0x24);
  const ras: CapSlot = { id: CM_CAP_ID.RAS, version: old ? 2 : 3, ptr: RAS_PTR };
  const link: CapSlot = { id: CM_CAP_ID.LINK, version: 2, ptr: LINK_PTR };
  const hdm: CapSlot = { id: CM_CAP_ID.HDM, version: old ? 1 : 3, ptr: HDM_PTR };
  const ext: CapSlot = { id: CM_CAP_ID.EXTSEC, version: old ? 1 : 2, ptr: extsec };
  const snp: CapSlot = { id: CM_CAP_ID.SNOOP, version: 1, ptr: snoop };
  let slots: (CapSlot | null)[];
  switch (kind) {
    case 'host-bridge':
      if (old) slots = [ras, link, hdm, ext, snp];
      else slots = [null, link, opts.passthrough ? { ...hdm, id: 0 } : hdm, ext, snp];
      break;
    case 'root-port':
      slots = old ? [ras, link, hdm, ext, snp] : [ras, link, null, ext, snp];
      break;
    case 'usp':
    case 'type3':
    case 'type2':
      slots = [ras, link, hdm];
      break;
    case 'dsp':
      slots = [ras, link];
      break;
  }
  const hasHdm = slots[2] !== undefined && slots[2] !== null;
  return { slots, hdmPtr: hasHdm ? HDM_PTR : undefined, rasPtr: slots[0] ? RAS_PTR : undefined };
}
