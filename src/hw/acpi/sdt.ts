/**
 * DOC: ACPI system description table header and byte helpers (ACPI 6.5 §5.2.6).
 *
 * Every SDT starts with the same 36-byte header; QEMU writes it in acpi_table_begin() /
 * acpi_table_end() (hw/acpi/aml-build.c) with OEM ID "BOCHS ", OEM table ID "BXPC    ",
 * OEM revision 1, creator ID "BXPC" and creator revision 1 — the values every capture shows.
 * All multi-byte fields are little-endian; the table is byte-packed.
 */

/** Header length in bytes. */
export const SDT_HEADER_LEN = 36;

/** The 36-byte SDT header (signature and length are handled by the builder). */
export interface SdtHeader {
  revision: number;
  /** 6 ASCII characters, space padded. */
  oemId: string;
  /** 8 ASCII characters, space padded. */
  oemTableId: string;
  oemRevision: number;
  /** 4 ASCII characters. */
  creatorId: string;
  creatorRevision: number;
}

/** What QEMU puts in every table it builds (ACPI_BUILD_APPNAME6/8, "BXPC", 1). */
export const QEMU_SDT_HEADER: Omit<SdtHeader, 'revision'> = {
  oemId: 'BOCHS ',
  oemTableId: 'BXPC    ',
  oemRevision: 1,
  creatorId: 'BXPC',
  creatorRevision: 1,
};

/** A growable little-endian byte buffer (QEMU's build_append_int_noprefix). */
export class ByteWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  get length(): number {
    return this.len;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Appends `size` bytes of `value`, little-endian. */
  int(value: number | bigint, size: 1 | 2 | 4 | 8): this {
    this.ensure(size);
    let v = BigInt.asUintN(size * 8, BigInt(value));
    for (let i = 0; i < size; i++) {
      this.buf[this.len++] = Number(v & 0xffn);
      v >>= 8n;
    }
    return this;
  }

  /** Appends ASCII text padded (or cut) to exactly `size` bytes with `pad`. */
  ascii(text: string, size: number, pad = ' '): this {
    this.ensure(size);
    const s = text.padEnd(size, pad).slice(0, size);
    for (let i = 0; i < size; i++) this.buf[this.len++] = s.charCodeAt(i) & 0xff;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  /** Overwrites a little-endian field already written. */
  patch(offset: number, value: number | bigint, size: 1 | 2 | 4 | 8): void {
    let v = BigInt.asUintN(size * 8, BigInt(value));
    for (let i = 0; i < size; i++) {
      this.buf[offset + i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Little-endian reads over a byte array (bounds are the caller's business). */
export function le(bytes: Uint8Array, offset: number, size: 1 | 2 | 4): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + (bytes[offset + i] ?? 0);
  return v;
}

/** Little-endian 64-bit read. */
export function le64(bytes: Uint8Array, offset: number): bigint {
  return (BigInt(le(bytes, offset + 4, 4)) << 32n) | BigInt(le(bytes, offset, 4));
}

/** ASCII text of a fixed-size field. */
export function asciiAt(bytes: Uint8Array, offset: number, size: number): string {
  let s = '';
  for (let i = 0; i < size; i++) s += String.fromCharCode(bytes[offset + i] ?? 0);
  return s;
}

/** Byte sum modulo 256 — 0 for a table with a valid checksum. */
export function byteSum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return sum;
}

/**
 * Writes the SDT header in front of `body` and fixes up length and checksum
 * (acpi_table_begin()/acpi_table_end()).
 */
export function buildSdt(signature: string, header: SdtHeader, body: Uint8Array): Uint8Array {
  const w = new ByteWriter();
  w.ascii(signature, 4)
    .int(SDT_HEADER_LEN + body.length, 4)
    .int(header.revision, 1)
    .int(0, 1) // checksum, patched below
    .ascii(header.oemId, 6)
    .ascii(header.oemTableId, 8)
    .int(header.oemRevision, 4)
    .ascii(header.creatorId, 4)
    .int(header.creatorRevision, 4)
    .bytes(body);
  const out = w.finish();
  out[9] = (0x100 - byteSum(out)) & 0xff;
  return out;
}

/** Parses an SDT header. Returns the header, the signature and the declared length. */
export function parseSdtHeader(bytes: Uint8Array): {
  signature: string;
  length: number;
  checksum: number;
  header: SdtHeader;
} {
  return {
    signature: asciiAt(bytes, 0, 4),
    length: le(bytes, 4, 4),
    checksum: bytes[9] ?? 0,
    header: {
      revision: bytes[8] ?? 0,
      oemId: asciiAt(bytes, 10, 6),
      oemTableId: asciiAt(bytes, 16, 8),
      oemRevision: le(bytes, 24, 4),
      creatorId: asciiAt(bytes, 28, 4),
      creatorRevision: le(bytes, 32, 4),
    },
  };
}
