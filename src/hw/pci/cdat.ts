/**
 * DOC: CDAT — the Coherent Device Attribute Table a CXL function serves through DOE
 * (CDAT 1.03 §2–3; QEMU hw/cxl/cxl-cdat.c, hw/mem/cxl_type3.c ct3_build_cdat_table(),
 * hw/pci-bridge/cxl_upstream.c build_cdat_table()).
 *
 * Entry 0 is the 16-byte header (length, revision 2, checksum, sequence 0); entries 1… are the
 * structures. A type-3 gets, per memory region (volatile first at DPA 0, then persistent):
 * DSMAS (handle, NV flag for pmem, DPA base/length), four DSLBIS (read/write latency 150/250 ns
 * in 10 ns units, read/write bandwidth 16 GB/s) and a DSEMTS (EFI type 2 for pmem, 1 =
 * EFI_MEMORY_SP for volatile). A switch USP gets two SSLBIS (USP↔each DSP latency 150 ns,
 * bandwidth 16) listing DSP port numbers in devfn order.
 *
 * Checksum: the byte sum of header and structures is 0 (ct3_build_cdat(); older QEMU added the
 * header's length as one integer, covering only its low byte — the same result for every table
 * QEMU 7.2 can build, which stay below 256 bytes).
 */
import { shareWithCopies } from '../../kernel/graph-copy.ts';

/** CDAT structure types. */
export const CDAT_TYPE = {
  DSMAS: 0,
  DSLBIS: 1,
  DSMSCIS: 2,
  DSIS: 3,
  DSEMTS: 4,
  SSLBIS: 5,
} as const;
/** HMAT data types used in DSLBIS/SSLBIS. */
export const HMAT_LB = {
  ACCESS_LATENCY: 0,
  READ_LATENCY: 1,
  WRITE_LATENCY: 2,
  ACCESS_BANDWIDTH: 3,
  READ_BANDWIDTH: 4,
  WRITE_BANDWIDTH: 5,
} as const;
/** DSMAS flags: non-volatile (bit 2), dynamic capacity (bit 3). */
export const DSMAS_FLAG_NV = 1 << 2;
/** SSLBIS port id of the upstream port. */
export const CDAT_PORT_ID_USP = 0x100;
/** CDAT revision QEMU reports (CXL_CDAT_REV). */
export const CDAT_REVISION = 2;

/** Little-endian field writer over a structure's bytes (plain byte stores: structures are small). */
class Le {
  readonly bytes: Uint8Array;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  u8(o: number, v: number): this {
    this.bytes[o] = v & 0xff;
    return this;
  }
  u16(o: number, v: number): this {
    return this.u8(o, v).u8(o + 1, v >>> 8);
  }
  u32(o: number, v: number): this {
    return this.u16(o, v & 0xffff).u16(o + 2, (v >>> 16) & 0xffff);
  }
  u64(o: number, v: bigint): this {
    const x = BigInt.asUintN(64, v);
    return this.u32(o, Number(x & 0xffffffffn)).u32(o + 4, Number(x >> 32n));
  }
}

function header(s: Le, type: number, length: number): Le {
  return s.u8(0, type).u8(1, 0).u16(2, length);
}

function dslbis(handle: number, dataType: number, baseUnit: bigint, value: number): Uint8Array {
  return header(new Le(24), CDAT_TYPE.DSLBIS, 24)
    .u8(4, handle)
    .u8(5, 0) // HMAT_LB_MEM_MEMORY
    .u8(6, dataType)
    .u64(8, baseUnit)
    .u16(16, value).bytes;
}

/** ct3_build_cdat_entries_for_mr(): the six structures for one memory region. */
export function cdatEntriesForRegion(
  handle: number,
  size: bigint,
  isPmem: boolean,
  dpaBase: bigint,
): Uint8Array[] {
  const dsmas = header(new Le(24), CDAT_TYPE.DSMAS, 24)
    .u8(4, handle)
    .u8(5, isPmem ? DSMAS_FLAG_NV : 0)
    .u64(8, dpaBase)
    .u64(16, size).bytes;
  const dsemts = header(new Le(24), CDAT_TYPE.DSEMTS, 24)
    .u8(4, handle)
    .u8(5, isPmem ? 2 : 1)
    .u64(8, 0n)
    .u64(16, size).bytes;
  return [
    dsmas,
    dslbis(handle, HMAT_LB.READ_LATENCY, 10000n, 15),
    dslbis(handle, HMAT_LB.WRITE_LATENCY, 10000n, 25),
    dslbis(handle, HMAT_LB.READ_BANDWIDTH, 1000n, 16),
    dslbis(handle, HMAT_LB.WRITE_BANDWIDTH, 1000n, 16),
    dsemts,
  ];
}

/** ct3_build_cdat_table(): volatile region (handle 0, DPA 0) then persistent. */
export function type3CdatEntries(volatileSize: bigint, persistentSize: bigint): Uint8Array[] {
  const out: Uint8Array[] = [];
  let handle = 0;
  if (volatileSize > 0n) out.push(...cdatEntriesForRegion(handle++, volatileSize, false, 0n));
  if (persistentSize > 0n)
    out.push(...cdatEntriesForRegion(handle++, persistentSize, true, volatileSize));
  return out;
}

/** cxl_upstream.c build_cdat_table(): latency and bandwidth SSLBIS over the DSP port ids. */
export function uspCdatEntries(dspPortIds: number[]): Uint8Array[] {
  if (dspPortIds.length === 0) return [];
  const size = 16 + 8 * dspPortIds.length;
  const make = (dataType: number, unit: bigint, value: number) => {
    const s = header(new Le(size), CDAT_TYPE.SSLBIS, size).u8(4, dataType).u64(8, unit);
    dspPortIds.forEach((id, i) => {
      s.u16(16 + 8 * i, CDAT_PORT_ID_USP)
        .u16(18 + 8 * i, id)
        .u16(20 + 8 * i, value);
    });
    return s.bytes;
  };
  return [make(HMAT_LB.ACCESS_LATENCY, 10000n, 15), make(HMAT_LB.ACCESS_BANDWIDTH, 1024n, 16)];
}

/** The CDAT header for `entries` as ct3_build_cdat() computes it. */
export function cdatHeader(entries: readonly Uint8Array[]): Uint8Array {
  let sum = 0;
  let length = 16;
  for (const e of entries) {
    length += e.length;
    for (const b of e) sum = (sum + b) & 0xff;
  }
  const h = new Le(16).u32(0, length).u8(4, CDAT_REVISION).u32(12, 0).bytes;
  for (const b of h) sum = (sum + b) & 0xff;
  h[5] = (0x100 - sum) & 0xff;
  return h;
}

/** DOE table-access entries: [header, structure 1, …]. */
export function cdatDoeEntries(entries: readonly Uint8Array[]): Uint8Array[] {
  return [cdatHeader(entries), ...entries];
}

/** The whole table as one byte string (what the kernel's CDAT sysfs file shows). */
export function cdatTableBytes(entries: readonly Uint8Array[]): Uint8Array {
  const parts = cdatDoeEntries(entries);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * `entries`, read-only from now on: QEMU builds a function's CDAT once at realize and nothing
 * writes it afterwards (the guest only reads it through DOE), so the array is frozen and its
 * structures are shared with every copy of the machine instead of copied
 * (src/kernel/graph-copy.ts).
 */
export function frozenCdat(entries: Uint8Array[]): readonly Uint8Array[] {
  for (const e of entries) shareWithCopies(e);
  return Object.freeze(entries);
}

/** A type-3 device's CDAT and its DOE entries (both frozen, see {@link frozenCdat}). */
export interface Type3Cdat {
  cdat: readonly Uint8Array[];
  doeEntries: readonly Uint8Array[];
}

/** {@link type3Cdat} tables by capacity, at most {@link TYPE3_CDAT_KEPT}. */
const type3Cdats = new Map<string, Type3Cdat>();
const TYPE3_CDAT_KEPT = 256;

/**
 * The CDAT of a type-3 device with these capacities (ct3_build_cdat_table(): the table depends on
 * them only) and its DOE entries: frozen values that every device of the same capacities shares
 * (as do copies of the machine) — a machine holds one table per distinct size, not one per device.
 */
export function type3Cdat(volatileSize: bigint, persistentSize: bigint): Type3Cdat {
  const key = `${volatileSize}:${persistentSize}`;
  let t = type3Cdats.get(key);
  if (!t) {
    const cdat = frozenCdat(type3CdatEntries(volatileSize, persistentSize));
    t = Object.freeze({ cdat, doeEntries: frozenCdat(cdatDoeEntries(cdat)) });
    if (type3Cdats.size < TYPE3_CDAT_KEPT) type3Cdats.set(key, t);
  }
  return t;
}
