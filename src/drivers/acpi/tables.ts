/**
 * DOC: ACPI table access for drivers (drivers/acpi/tables.c acpi_table_parse_cedt and the
 * actbl1.h CEDT structures, read field by field from the table bytes).
 */
import type { Kernel } from '../../kernel/kernel.ts';
import { env } from '../env.ts';

/** A CEDT subtable: its type, offset in the table, declared length and a view of its bytes. */
export interface CedtSubtable {
  type: number;
  offset: number;
  length: number;
  bytes: DataView;
}

/** CEDT subtable types (enum acpi_cedt_type). */
export const ACPI_CEDT_TYPE_CHBS = 0;
export const ACPI_CEDT_TYPE_CFMWS = 1;
export const ACPI_CEDT_TYPE_CXIMS = 2;

/**
 * acpi_table_parse_cedt(): calls `handler` for each subtable of `type`, in table order.
 * Walks records by their length field; stops at a record that is too short or runs past the
 * table (as acpi_parse_entries_array does). Returns the count, or -1 when there is no CEDT.
 */
export function acpiTableParseCedt(
  kernel: Kernel,
  type: number,
  handler: (s: CedtSubtable) => void,
): number {
  const t = env(kernel).hw.acpi.table('CEDT');
  if (!t || t.length < 36) return -1;
  const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
  const total = Math.min(dv.getUint32(4, true), t.length);
  let off = 36;
  let count = 0;
  while (off + 4 <= total) {
    const st = dv.getUint8(off);
    const len = dv.getUint16(off + 2, true);
    if (len < 4 || off + len > total) break;
    if (st === type) {
      handler({
        type: st,
        offset: off,
        length: len,
        bytes: new DataView(t.buffer, t.byteOffset + off, len),
      });
      count++;
    }
    off += len;
  }
  return count;
}

/** CHBS fields (struct acpi_cedt_chbs). */
export function readChbs(s: CedtSubtable): {
  uid: number;
  cxlVersion: number;
  base: bigint;
  length: bigint;
} {
  const b = s.bytes;
  const ok = s.length >= 0x20;
  return {
    uid: ok ? b.getUint32(4, true) : 0,
    cxlVersion: ok ? b.getUint32(8, true) : 0xffffffff,
    base: ok ? b.getBigUint64(0x10, true) : 0n,
    length: ok ? b.getBigUint64(0x18, true) : 0n,
  };
}

/** CFMWS fields (struct acpi_cedt_cfmws); targets read as far as the record holds them. */
export function readCfmws(s: CedtSubtable): {
  baseHpa: bigint;
  windowSize: bigint;
  eniw: number;
  arithmetic: number;
  hbig: number;
  restrictions: number;
  qtgId: number;
  targets: number[];
} {
  const b = s.bytes;
  const get = <T>(f: () => T, d: T) => {
    try {
      return f();
    } catch {
      return d;
    }
  };
  const targets: number[] = [];
  for (let o = 0x24; o + 4 <= s.length; o += 4) targets.push(b.getUint32(o, true));
  return {
    baseHpa: get(() => b.getBigUint64(0x08, true), 0n),
    windowSize: get(() => b.getBigUint64(0x10, true), 0n),
    eniw: get(() => b.getUint8(0x18), 0),
    arithmetic: get(() => b.getUint8(0x19), 0),
    hbig: get(() => b.getUint32(0x1c, true), 0),
    restrictions: get(() => b.getUint16(0x20, true), 0),
    qtgId: get(() => b.getUint16(0x22, true), 0),
    targets,
  };
}

/** CXIMS fields (struct acpi_cedt_cxims). */
export function readCxims(s: CedtSubtable): { hbig: number; xormaps: bigint[] } {
  const b = s.bytes;
  if (s.length < 8) return { hbig: 0, xormaps: [] };
  const n = b.getUint8(7);
  const xormaps: bigint[] = [];
  for (let i = 0; i < n && 8 + i * 8 + 8 <= s.length; i++)
    xormaps.push(b.getBigUint64(8 + i * 8, true));
  return { hbig: b.getUint8(6), xormaps };
}
