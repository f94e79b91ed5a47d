/**
 * DOC: the CXL DVSECs QEMU puts in a function's extended configuration space
 * (hw/cxl/cxl-component-utils.c cxl_component_create_dvsec(); include/hw/cxl/cxl_pci.h).
 *
 * Each DVSEC is an extended capability (ID 0x23, version 1) followed by DVSEC Header 1
 * (vendor 0x1E98, revision, length) and Header 2 (DVSEC ID); they are laid out back to back
 * from the device's `dvsec_offset`. Write masks are QEMU's, per DVSEC ID. CXL 3.1 §8.1.
 *
 * Revisions and lengths by QEMU version (captures of QEMU 7.2; cxl_pci.h of QEMU 10.x):
 *   PCIe DVSEC for CXL Devices (0): 7.2 rev 1 / 0x38, 10.1 rev 3 / 0x3c (adds Capability3);
 *   Flex Bus Port (7): 7.2 rev 1 / 0x14, 10.1 rev 2 / 0x20;
 *   Port Extensions (3) rev 0 / 0x28, GPF Port (4) and GPF Device (5) rev 0 / 0x10,
 *   Register Locator (8) rev 0 / 0x24 (three entries, unused ones zero).
 */
import type { QemuVersion } from '../../profile.ts';
import { qemuHas } from '../qemu-compat.ts';
import type { PciConfigSpace } from './config-space.ts';
import { EXT_CAP_ID } from './regs.ts';

/** CXL's PCI-SIG vendor ID, used in every DVSEC header. */
export const CXL_VENDOR_ID = 0x1e98;

/** DVSEC IDs (CXL 3.1 Table 8-2). */
export const DVSEC_ID = {
  CXL_DEVICE: 0,
  FUNCTION_MAP: 2,
  PORT_EXTENSIONS: 3,
  GPF_PORT: 4,
  GPF_DEVICE: 5,
  FLEXBUS_PORT: 7,
  REGISTER_LOCATOR: 8,
} as const;

/** Register Block Identifiers of the Register Locator DVSEC. */
export const REG_BLOCK = { EMPTY: 0, COMPONENT: 1, BAR_VIRT_ACL: 2, DEVICE: 3 } as const;

/** Which QEMU component type a DVSEC belongs to (decides the Flex Bus control write mask). */
export type DvsecOwner = 'root-port' | 'usp' | 'dsp' | 'type3' | 'type2' | 'switch-cci';

/** One Register Locator entry: BAR index, block identifier, offset in the BAR. */
export interface RegLocEntry {
  bar: number;
  blockId: number;
  offset: bigint;
}

/** Lays out DVSECs from a start offset, as cxl_component_create_dvsec() does. */
export class DvsecBuilder {
  offset: number;
  /** DVSEC id → [offset, length] (cxl->dvsecs[]). */
  readonly ranges = new Map<number, [number, number]>();

  private readonly cs: PciConfigSpace;
  private readonly owner: DvsecOwner;

  constructor(cs: PciConfigSpace, owner: DvsecOwner, start: number) {
    this.cs = cs;
    this.owner = owner;
    this.offset = start;
  }

  /**
   * Adds one DVSEC of `length` bytes; `fill` writes the body through absolute offsets.
   * @returns the DVSEC's offset
   */
  add(id: number, revision: number, length: number, fill: (at: number) => void): number {
    const at = this.offset;
    const cs = this.cs;
    cs.addExtCapability(EXT_CAP_ID.DVSEC, 1, at, length);
    cs.set32(at + 4, ((length & 0xfff) << 20) | ((revision & 0xf) << 16) | CXL_VENDOR_ID);
    cs.set16(at + 8, id);
    fill(at);
    this.masks(id, at);
    this.ranges.set(id, [at, length]);
    this.offset += length;
    return at;
  }

  private masks(id: number, at: number): void {
    const w = this.cs.wmask;
    switch (id) {
      case DVSEC_ID.CXL_DEVICE:
        w[at + 0x0c] = 0xfd; // Control (RW-lock)
        w[at + 0x0d] = 0x4f;
        w[at + 0x10] = 0x0f; // Control2
        w[at + 0x14] = 0x01; // Lock (RWO)
        w.fill(0xff, at + 0x20, at + 0x24); // Range 1 Base High
        w[at + 0x27] = 0xf0; // Range 1 Base Low [31:28]
        w.fill(0xff, at + 0x30, at + 0x34);
        w[at + 0x37] = 0xf0;
        return;
      case DVSEC_ID.PORT_EXTENSIONS:
        w[at + 0x0c] = 0x0f; // Port Control
        w[at + 0x0d] = 0x40;
        w[at + 0x0e] = 0xff; // Alt bus base/limit
        w[at + 0x0f] = 0xff;
        for (const o of [0x10, 0x12, 0x14, 0x16]) {
          w[at + o] = 0xf0;
          w[at + o + 1] = 0xff;
        }
        w.fill(0xff, at + 0x18, at + 0x20);
        return;
      case DVSEC_ID.GPF_PORT:
        w[at + 0x0c] = 0x0f;
        w[at + 0x0d] = 0x0f;
        w[at + 0x0e] = 0x0f;
        w[at + 0x0f] = 0x0f;
        return;
      case DVSEC_ID.GPF_DEVICE:
        w[at + 0x0a] = 0x0f;
        w[at + 0x0b] = 0x0f;
        w.fill(0xff, at + 0x0c, at + 0x10);
        return;
      case DVSEC_ID.FLEXBUS_PORT:
        if (this.owner === 'root-port') w[at + 0x0c] = 0xbd;
        else if (this.owner === 'dsp') w[at + 0x0c] = 0xfd;
        return;
      default:
        return;
    }
  }

  /** CXL Extensions DVSEC for Ports (ID 3). `status` = Port Extension Status. */
  portExtensions(status = 0): number {
    return this.add(DVSEC_ID.PORT_EXTENSIONS, 0, 0x28, (at) => this.cs.set16(at + 0x0a, status));
  }

  /** GPF DVSEC for CXL Port (ID 4): phase 1 and phase 2 timeouts 1 µs. */
  gpfPort(): number {
    return this.add(DVSEC_ID.GPF_PORT, 0, 0x10, (at) => {
      this.cs.set16(at + 0x0c, 1);
      this.cs.set16(at + 0x0e, 1);
    });
  }

  /** GPF DVSEC for CXL Device (ID 5): phase 2 duration 3 s (0x603), power 0x33 mW. */
  gpfDevice(): number {
    return this.add(DVSEC_ID.GPF_DEVICE, 0, 0x10, (at) => {
      this.cs.set16(at + 0x0a, 0x603);
      this.cs.set32(at + 0x0c, 0x33);
    });
  }

  /** PCIe DVSEC for Flex Bus Port (ID 7); received modified TS data phase 1 = 0xef as QEMU. */
  flexBusPort(qemu: QemuVersion, cap: number, ctrl: number, status: number): number {
    const v3 = qemuHas(qemu, 'r3Layouts');
    return this.add(DVSEC_ID.FLEXBUS_PORT, v3 ? 2 : 1, v3 ? 0x20 : 0x14, (at) => {
      this.cs.set16(at + 0x0a, cap);
      this.cs.set16(at + 0x0c, ctrl);
      this.cs.set16(at + 0x0e, status);
      this.cs.set32(at + 0x10, 0xef);
    });
  }

  /** Register Locator DVSEC (ID 8) with up to three entries. */
  registerLocator(entries: RegLocEntry[]): number {
    return this.add(DVSEC_ID.REGISTER_LOCATOR, 0, 0x24, (at) => {
      entries.slice(0, 3).forEach((e, i) => {
        const lo = Number(e.offset & 0xffff0000n) | ((e.blockId & 0xff) << 8) | (e.bar & 7);
        this.cs.set32(at + 0x0c + 8 * i, lo >>> 0);
        this.cs.set32(at + 0x10 + 8 * i, Number(e.offset >> 32n));
      });
    });
  }

  /**
   * PCIe DVSEC for CXL Devices (ID 0). `ranges` are DVSEC range sizes in bytes (at most two);
   * each gets Memory_Info_Valid | Memory_Active, media type 2 and memory class 2 as QEMU
   * build_dvsecs() writes ((2 << 5) | (2 << 2) | 0x3).
   */
  cxlDevice(
    qemu: QemuVersion,
    fields: { cap: number; ctrl: number; status2: number; ranges: bigint[]; bases?: bigint[] },
  ): number {
    const v3 = qemuHas(qemu, 'r3Layouts');
    return this.add(DVSEC_ID.CXL_DEVICE, v3 ? 3 : 1, v3 ? 0x3c : 0x38, (at) => {
      const cs = this.cs;
      cs.set16(at + 0x0a, fields.cap);
      cs.set16(at + 0x0c, fields.ctrl);
      cs.set16(at + 0x12, fields.status2);
      fields.ranges.slice(0, 2).forEach((size, i) => {
        const r = at + 0x18 + 0x10 * i;
        cs.set32(r, Number(size >> 32n));
        cs.set32(r + 4, (Number(size & 0xf0000000n) | (2 << 5) | (2 << 2) | 0x3) >>> 0);
        const base = fields.bases?.[i] ?? 0n;
        cs.set32(r + 8, Number(base >> 32n));
        cs.set32(r + 12, Number(base & 0xf0000000n) >>> 0);
      });
    });
  }
}
