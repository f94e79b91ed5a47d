/**
 * DOC: a device's media (QEMU's memory backend behind a type-3 device), sparse.
 *
 * Addressed by DPA (bytes, bigint). Pages of 4 KiB are allocated on first write and kept in a
 * Map, so sizes of TiBs cost nothing until written; untouched memory reads as zeros.
 */
import { Errno } from '../../kernel/errno.ts';

/** Page size of the sparse store (bytes). */
export const PAGE_SIZE = 4096;
const PAGE = BigInt(PAGE_SIZE);

/** Sparse byte store of `size` bytes. */
export class BackingStore {
  readonly size: bigint;
  /** Allocated pages by index: made on the first non-zero write (most devices get none). */
  private pages: Map<number, Uint8Array> | undefined;

  /** @throws EINVAL for a negative size */
  constructor(size: bigint) {
    if (size < 0n) throw new Errno('EINVAL', `backing store size ${size} is negative`);
    this.size = size;
  }

  /** Pages currently allocated (for tests and `cxlsim` statistics). */
  get allocatedPages(): number {
    return this.pages?.size ?? 0;
  }

  /** Copies `len` bytes from DPA `dpa`. @throws EINVAL when the range leaves the store */
  read(dpa: bigint, len: number): Uint8Array {
    this.check(dpa, len);
    const out = new Uint8Array(len);
    this.walk(dpa, len, (page, off, pos, n) => {
      if (page) out.set(page.subarray(off, off + n), pos);
    });
    return out;
  }

  /** Stores `data` at DPA `dpa`. @throws EINVAL when the range leaves the store */
  write(dpa: bigint, data: Uint8Array): void {
    this.check(dpa, data.length);
    this.walk(dpa, data.length, (page, off, pos, n, index) => {
      const chunk = data.subarray(pos, pos + n);
      let p = page;
      if (!p) {
        if (chunk.every((b) => b === 0)) return;
        p = new Uint8Array(PAGE_SIZE);
        this.pages ??= new Map();
        this.pages.set(index, p);
      }
      p.set(chunk, off);
    });
  }

  /**
   * Fills a range with one byte value (sanitize, media operations). Zero fills drop pages, so
   * zeroing a TiB device is cheap. @throws EINVAL when the range leaves the store
   */
  fill(dpa: bigint, len: bigint, value: number): void {
    if (dpa < 0n || len < 0n || dpa + len > this.size)
      throw new Errno(
        'EINVAL',
        `DPA range outside the backing store (size 0x${this.size.toString(16)})`,
      );
    const end = dpa + len;
    if ((value & 0xff) === 0) {
      const pages = this.pages;
      if (!pages) return;
      for (const [idx, page] of [...pages]) {
        const s = BigInt(idx) * PAGE;
        const lo = s > dpa ? s : dpa;
        const hi = s + PAGE < end ? s + PAGE : end;
        if (lo >= hi) continue;
        if (lo === s && hi === s + PAGE) pages.delete(idx);
        else page.fill(0, Number(lo - s), Number(hi - s));
      }
      return;
    }
    const step = 1n << 20n;
    for (let at = dpa; at < end; at += step) {
      const n = at + step > end ? end - at : step;
      this.write(at, new Uint8Array(Number(n)).fill(value));
    }
  }

  private check(dpa: bigint, len: number): void {
    if (!Number.isInteger(len) || len < 0 || dpa < 0n || dpa + BigInt(len) > this.size)
      throw new Errno(
        'EINVAL',
        `DPA range 0x${dpa.toString(16)}+0x${len.toString(16)} outside the backing store (size 0x${this.size.toString(16)})`,
      );
  }

  private walk(
    dpa: bigint,
    len: number,
    f: (page: Uint8Array | undefined, off: number, pos: number, n: number, index: number) => void,
  ): void {
    let pos = 0;
    while (pos < len) {
      const at = dpa + BigInt(pos);
      const index = Number(at / PAGE);
      const off = Number(at % PAGE);
      const n = Math.min(PAGE_SIZE - off, len - pos);
      f(this.pages?.get(index), off, pos, n, index);
      pos += n;
    }
  }
}
