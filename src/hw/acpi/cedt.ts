/**
 * DOC: CEDT — the CXL Early Discovery Table (CXL 3.1 §9.18.1), as QEMU builds it.
 *
 * hw/acpi/cxl.c cxl_build_cedt(): one CHBS per pxb-cxl (in QOM tree walk order, see
 * qom-order.ts), then one CFMWS per fixed memory window in window-index order
 * (cedt_build_cfmws()); QEMU emits no CXIMS, cxlsim adds one per topology-file CXIMS after the
 * windows. {@link parseCedt} is the inverse, for tests and for `cxlsim` inspection; drivers
 * parse the bytes themselves (drivers/cxl/acpi.ts).
 *
 * Layouts (byte offsets, little-endian, packed): reference/cedt.md §1–§9, actbl1.h.
 */
import {
  ByteWriter,
  buildSdt,
  le,
  le64,
  parseSdtHeader,
  QEMU_SDT_HEADER,
  type SdtHeader,
} from './sdt.ts';

/** CEDT subtable types (enum acpi_cedt_type). */
export const CEDT_TYPE = { CHBS: 0, CFMWS: 1, CXIMS: 2, RDPAS: 3 } as const;

/** CHBS CXL version values and the register block length each requires. */
export const CHBS_VERSION_CXL11 = 0;
export const CHBS_VERSION_CXL20 = 1;
export const CHBS_LENGTH_CXL11 = 0x2000n;
export const CHBS_LENGTH_CXL20 = 0x10000n;

/** QEMU's CFMWS restrictions: type-2 | type-3 | volatile | persistent (cedt_build_cfmws()). */
export const QEMU_CFMWS_RESTRICTIONS = 0x0f;

/** CXL Host Bridge Structure (type 0, 32 bytes). */
export interface Chbs {
  type: 'chbs';
  /** _UID of the ACPI0016 device. */
  uid: number;
  /** 0 = CXL 1.1 (RCRB), 1 = CXL 2.0 (CHBCR). */
  cxlVersion: number;
  /** Register block base (HPA bytes). */
  base: bigint;
  /** Register block length in bytes. */
  length: bigint;
}

/** CXL Fixed Memory Window Structure (type 1, 36 + 4·NIW bytes). Encoded fields kept raw. */
export interface Cfmws {
  type: 'cfmws';
  /** Base HPA in bytes. */
  base: bigint;
  /** Window size in bytes. */
  size: bigint;
  /** Encoded interleave ways (ENIW). */
  eniw: number;
  /** 0 modulo, 1 XOR. */
  arithmetic: number;
  /** Encoded host bridge interleave granularity (HBIG). */
  hbig: number;
  restrictions: number;
  qtgId: number;
  /** Host bridge _UIDs in interleave order. */
  targets: number[];
}

/** CXL XOR Interleave Math Structure (type 2, 8 + 8·N bytes). */
export interface Cxims {
  type: 'cxims';
  /** Encoded granularity the maps apply to. */
  hbig: number;
  xormaps: bigint[];
}

/** A subtable cxlsim does not model (RDPAS, reserved types): kept as raw bytes. */
export interface CedtRaw {
  type: 'raw';
  bytes: Uint8Array;
}

export type CedtEntry = Chbs | Cfmws | Cxims | CedtRaw;

/** The whole table: header fields and subtables in table order. */
export interface Cedt {
  header: SdtHeader;
  entries: CedtEntry[];
}

/** Parse result: the table plus what a consumer may want to check. */
export interface ParsedCedt extends Cedt {
  /** True when the byte sum of the table is 0. */
  checksumOk: boolean;
  /** Problems found while walking (truncated subtable, bad signature); empty when clean. */
  problems: string[];
}

/** CFMWS ENIW/HBIG use the HDM decoder IW/IG encodings (CXL 3.1 §9.18.1.3). */
export { eigToGranularity, eiwToWays, granularityToEig, waysToEiw } from '../regs/hdm-math.ts';

function writeEntry(w: ByteWriter, e: CedtEntry): void {
  switch (e.type) {
    case 'chbs':
      w.int(CEDT_TYPE.CHBS, 1).int(0, 1).int(32, 2);
      w.int(e.uid, 4).int(e.cxlVersion, 4).int(0, 4).int(e.base, 8).int(e.length, 8);
      return;
    case 'cfmws':
      w.int(CEDT_TYPE.CFMWS, 1)
        .int(0, 1)
        .int(36 + 4 * e.targets.length, 2);
      w.int(0, 4).int(e.base, 8).int(e.size, 8);
      w.int(e.eniw, 1).int(e.arithmetic, 1).int(0, 2).int(e.hbig, 4);
      w.int(e.restrictions, 2).int(e.qtgId, 2);
      for (const t of e.targets) w.int(t, 4);
      return;
    case 'cxims':
      w.int(CEDT_TYPE.CXIMS, 1)
        .int(0, 1)
        .int(8 + 8 * e.xormaps.length, 2);
      w.int(0, 2).int(e.hbig, 1).int(e.xormaps.length, 1);
      for (const m of e.xormaps) w.int(m, 8);
      return;
    case 'raw':
      w.bytes(e.bytes);
      return;
  }
}

/**
 * Builds the CEDT bytes (header with length and checksum, then the subtables in order).
 * Mirrors cxl_build_cedt() + cedt_build_chbs()/cedt_build_cfmws().
 */
export function buildCedt(cedt: Cedt): Uint8Array {
  const w = new ByteWriter();
  for (const e of cedt.entries) writeEntry(w, e);
  return buildSdt('CEDT', cedt.header, w.finish());
}

/** The header QEMU writes for the CEDT (revision 1, BOCHS/BXPC). */
export function qemuCedtHeader(): SdtHeader {
  return { revision: 1, ...QEMU_SDT_HEADER };
}

/**
 * Parses CEDT bytes into subtables (the walk acpi_table_parse_cedt() does). Never throws:
 * malformed input is reported in `problems` and the walk stops at the first unreadable record.
 */
export function parseCedt(bytes: Uint8Array): ParsedCedt {
  const problems: string[] = [];
  const { signature, length, header } = parseSdtHeader(bytes);
  if (signature !== 'CEDT') problems.push(`signature '${signature}' is not CEDT`);
  const end = Math.min(length, bytes.length);
  if (length > bytes.length)
    problems.push(`length ${length} exceeds the ${bytes.length} bytes given`);
  let sum = 0;
  for (let i = 0; i < end; i++) sum = (sum + (bytes[i] ?? 0)) & 0xff;
  const entries: CedtEntry[] = [];
  let off = 36;
  while (off + 4 <= end) {
    const type = bytes[off] ?? 0;
    const len = le(bytes, off + 2, 2);
    if (len < 4 || off + len > end) {
      problems.push(`subtable at ${off} (type ${type}) has bad length ${len}`);
      break;
    }
    const rec = bytes.subarray(off, off + len);
    if (type === CEDT_TYPE.CHBS && len >= 32) {
      entries.push({
        type: 'chbs',
        uid: le(rec, 4, 4),
        cxlVersion: le(rec, 8, 4),
        base: le64(rec, 16),
        length: le64(rec, 24),
      });
    } else if (type === CEDT_TYPE.CFMWS && len >= 36) {
      const n = Math.floor((len - 36) / 4);
      const targets: number[] = [];
      for (let i = 0; i < n; i++) targets.push(le(rec, 36 + 4 * i, 4));
      entries.push({
        type: 'cfmws',
        base: le64(rec, 8),
        size: le64(rec, 16),
        eniw: rec[24] ?? 0,
        arithmetic: rec[25] ?? 0,
        hbig: le(rec, 28, 4),
        restrictions: le(rec, 32, 2),
        qtgId: le(rec, 34, 2),
        targets,
      });
    } else if (type === CEDT_TYPE.CXIMS && len >= 8) {
      const n = rec[7] ?? 0;
      const xormaps: bigint[] = [];
      for (let i = 0; i < n && 8 + 8 * i + 8 <= len; i++) xormaps.push(le64(rec, 8 + 8 * i));
      entries.push({ type: 'cxims', hbig: rec[6] ?? 0, xormaps });
    } else {
      entries.push({ type: 'raw', bytes: rec.slice() });
    }
    off += len;
  }
  return { header, entries, checksumOk: sum === 0, problems };
}
