/**
 * DOC: the MMIO address map — which register block answers a physical address.
 *
 * Two kinds of mappings: fixed ones (the host bridges' CHBCR blocks, at the addresses the CHBS
 * advertises) and PCI BARs, decoded from the functions' *current* configuration (BAR value and
 * Command.Memory), so a guest that moves or disables a BAR sees the block move or vanish as on
 * hardware. (Upstream bridge windows are not checked.) The BAR map is cached and rebuilt after
 * any configuration write to a header register.
 *
 * Accesses: 32-bit is the unit (CXL 3.1 §8.2.2); 64-bit goes to the block's read64/write64 when
 * it has one (mailbox command/status), else to two 32-bit accesses, low dword first. Byte copies
 * (memcpy_fromio/memcpy_toio) use dword accesses (read-modify-write for partial dwords).
 * Unmapped reads return 0 and unmapped writes are dropped (QEMU's unassigned memory).
 */
import type { MmioBus } from '../../bus/index.ts';
import { resetInCopies } from '../../kernel/graph-copy.ts';
import type { PciFunctionModel } from '../dev/model.ts';
import type { MmioRegion } from '../mmio-region.ts';

const byBase = (a: { base: bigint }, b: { base: bigint }) =>
  a.base < b.base ? -1 : a.base > b.base ? 1 : 0;

/**
 * Sorts mappings by base (a stable sort, as Array.prototype.sort is): through numbers, exact for
 * addresses below 2^53 (every physical address here), else through bigint comparisons.
 */
function sortByBase<M extends { base: bigint }>(ms: M[]): M[] {
  if (!ms.every((m) => m.base < 1n << 53n)) return ms.sort(byBase);
  const keyed = ms.map((m, i) => ({ k: Number(m.base), i, m }));
  keyed.sort((a, b) => a.k - b.k || a.i - b.i);
  return keyed.map((x) => x.m);
}

interface Mapping {
  base: bigint;
  end: bigint;
  region: MmioRegion;
  /**
   * Human name for inspection of a fixed mapping ('CHBCR cxl.0'); a BAR's is made when asked
   * ({@link mappingName}: '0000:0d:00.0 BAR0'), not kept per mapping.
   */
  name: string | undefined;
  /** The function and BAR index of a BAR mapping. */
  fn?: PciFunctionModel;
  bar?: number;
  /** A fixed mapping (CHBCR), not a BAR. */
  fixed?: boolean;
  /** Whether another fixed mapping overlaps this one (computed on first byte copy). */
  overlaps?: boolean;
}

/** A mapping's name for inspection (a BAR's: '<function> BAR<n>'). */
function mappingName(m: Mapping): string {
  return m.name ?? `${m.fn?.id} BAR${m.bar}`;
}

/** A config-space listener of `map`: header writes (BARs, command) drop its BAR cache. */
function barListener(offset: number, _size: number, map: MmioMap): void {
  map.headerWritten(offset);
}

/** The platform's MMIO decode. */
export class MmioMap implements MmioBus {
  private readonly fixed: Mapping[] = [];
  private readonly functions: PciFunctionModel[] = [];
  private barCache: Mapping[] | undefined;

  /** Maps a register block at a fixed address. */
  addFixed(base: bigint, region: MmioRegion, name: string): void {
    for (const f of this.fixed) f.overlaps = undefined;
    this.fixed.push({ base, end: base + BigInt(region.size), region, name, fixed: true });
    this.sorted = undefined;
    this.barCache = undefined;
  }

  /** Lets a function's BARs decode; header writes invalidate the cache. */
  addFunction(fn: PciFunctionModel): void {
    this.functions.push(fn);
    fn.config.addListener(barListener, this as MmioMap);
    this.barCache = undefined;
  }

  /** A function's config header (below 0x40) was written: the BAR mappings may have moved. */
  headerWritten(offset: number): void {
    if (offset < 0x40) this.barCache = undefined;
  }

  private bars(): Mapping[] {
    if (this.barCache) return this.barCache;
    const out: Mapping[] = [];
    for (const fn of this.functions) {
      for (const b of fn.bars) {
        const base = fn.config.barAddress(b.index);
        const decl = fn.config.bars[b.index];
        if (base === undefined || !decl) continue;
        out.push({
          base,
          end: base + decl.size,
          region: b.region,
          name: undefined,
          fn,
          bar: b.index,
        });
      }
    }
    this.barCache = out;
    return out;
  }

  /** Every current mapping, sorted by address (inspection). */
  mappings(): { base: bigint; size: bigint; name: string }[] {
    return [...this.fixed, ...this.bars()]
      .map((m) => ({ base: m.base, size: m.end - m.base, name: mappingName(m) }))
      .sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  }

  /** Fixed and BAR mappings sorted by base, for binary search (rebuilt with the BAR cache). */
  private sorted: Mapping[] | undefined;
  private sortedFor: Mapping[] | undefined;
  private last: Mapping | undefined;
  /** Fixed mappings sorted by base when they do not overlap (else undefined: linear scan). */
  private fixedSorted: Mapping[] | undefined;

  private allSorted(): Mapping[] {
    const bars = this.bars();
    if (!this.sorted || this.sortedFor !== bars) {
      this.sorted = sortByBase([...this.fixed, ...bars]);
      this.sortedFor = bars;
      this.last = undefined;
      const f = [...this.fixed].sort(byBase);
      this.fixedSorted = f.every((m, i) => i === 0 || (f[i - 1] as Mapping).end <= m.base)
        ? f
        : undefined;
    }
    return this.sorted;
  }

  /** The fixed mapping holding `addr` (the first added, if several overlap). */
  private fixedAt(addr: bigint): Mapping | undefined {
    const f = this.fixedSorted;
    if (!f) {
      for (const m of this.fixed) if (addr >= m.base && addr < m.end) return m;
      return undefined;
    }
    let lo = 0;
    let hi = f.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = f[mid] as Mapping;
      if (addr < m.base) hi = mid - 1;
      else if (addr >= m.end) lo = mid + 1;
      else return m;
    }
    return undefined;
  }

  /**
   * The mapping decoding `addr` and whether it answers there (a BAR larger than its block
   * decodes addresses past the block, which read as 0). Fixed mappings win over BARs.
   */
  private find(addr: bigint): Mapping | undefined {
    const all = this.allSorted();
    const l = this.last;
    if (l && addr >= l.base && addr < l.end) return l;
    const f = this.fixedAt(addr);
    if (f) return f;
    let lo = 0;
    let hi = all.length - 1;
    let found: Mapping | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = all[mid] as Mapping;
      if (addr < m.base) hi = mid - 1;
      else {
        if (addr < m.end) found = m;
        lo = mid + 1;
      }
    }
    if (found) this.last = found;
    return found;
  }

  /** The block and the offset inside it for an address (fixed mappings win over BARs). */
  lookup(addr: bigint): { region: MmioRegion; offset: number } | undefined {
    const m = this.find(addr);
    if (!m) return undefined;
    const offset = Number(addr - m.base);
    return offset < m.region.size ? { region: m.region, offset } : undefined;
  }

  /**
   * When the dwords covering [addr, addr + len) all fall in one block (the usual mailbox
   * payload copy), that block, the aligned offset and the bytes to skip in the first dword.
   */
  private span(
    addr: bigint,
    len: number,
  ): { region: MmioRegion; offset: number; skip: number } | undefined {
    if (len === 0) return undefined;
    const aligned = addr & ~3n;
    const m = this.find(aligned);
    if (!m) return undefined;
    const skip = Number(addr - aligned);
    const offset = Number(aligned - m.base);
    const end = offset + ((skip + len + 3) & ~3);
    if (end > m.region.size || BigInt(end) > m.end - m.base) return undefined;
    m.overlaps ??= this.fixed.some((f) => f !== m && f.base < m.end && m.base < f.end);
    // overlapping blocks keep the per-dword decode (fixed mappings win dword by dword)
    return m.overlaps ? undefined : { region: m.region, offset, skip };
  }

  read32(addr: bigint): number {
    const m = this.find(addr);
    if (!m) return 0;
    const offset = Number(addr - m.base);
    return offset < m.region.size ? m.region.read32(offset) >>> 0 : 0;
  }

  write32(addr: bigint, value: number): void {
    const m = this.find(addr);
    if (!m) return;
    const offset = Number(addr - m.base);
    if (offset < m.region.size) m.region.write32(offset, value >>> 0);
  }

  read64(addr: bigint): bigint {
    const hit = this.lookup(addr);
    if (!hit) return 0n;
    if (hit.region.read64) return BigInt.asUintN(64, hit.region.read64(hit.offset));
    return BigInt(this.read32(addr)) | (BigInt(this.read32(addr + 4n)) << 32n);
  }

  write64(addr: bigint, value: bigint): void {
    const hit = this.lookup(addr);
    if (!hit) return;
    if (hit.region.write64) {
      hit.region.write64(hit.offset, BigInt.asUintN(64, value));
      return;
    }
    this.write32(addr, Number(value & 0xffffffffn));
    this.write32(addr + 4n, Number((value >> 32n) & 0xffffffffn));
  }

  readBytes(addr: bigint, len: number): Uint8Array {
    const out = new Uint8Array(len);
    const block = this.span(addr, len);
    if (block) {
      // memcpy_fromio within one block: one decode, then dword reads at number offsets
      const { region, offset, skip } = block;
      for (let i = 0, o = offset; i < len; o += 4) {
        const v = region.read32(o) >>> 0;
        for (let b = i === 0 ? skip : 0; b < 4 && i < len; b++, i++)
          out[i] = (v >>> (8 * b)) & 0xff;
      }
      return out;
    }
    let i = 0;
    while (i < len) {
      const a = addr + BigInt(i);
      const aligned = a & ~3n;
      const skip = Number(a - aligned);
      const v = this.read32(aligned);
      for (let b = skip; b < 4 && i < len; b++, i++) out[i] = (v >>> (8 * b)) & 0xff;
    }
    return out;
  }

  writeBytes(addr: bigint, data: Uint8Array): void {
    const block = this.span(addr, data.length);
    if (block) {
      // memcpy_toio within one block (read-modify-write of partial dwords, as below)
      const { region, offset, skip } = block;
      for (let i = 0, o = offset, sk = skip; i < data.length; o += 4, sk = 0) {
        const n = Math.min(4 - sk, data.length - i);
        let v = n === 4 ? 0 : region.read32(o) >>> 0;
        for (let b = 0; b < n; b++) {
          const shift = 8 * (sk + b);
          v = (v & ~(0xff << shift)) | ((data[i + b] ?? 0) << shift);
        }
        region.write32(o, v >>> 0);
        i += n;
      }
      return;
    }
    let i = 0;
    while (i < data.length) {
      const a = addr + BigInt(i);
      const aligned = a & ~3n;
      const skip = Number(a - aligned);
      const n = Math.min(4 - skip, data.length - i);
      let v = n === 4 ? 0 : this.read32(aligned);
      for (let b = 0; b < n; b++) {
        const shift = 8 * (skip + b);
        v = (v & ~(0xff << shift)) | ((data[i + b] ?? 0) << shift);
      }
      this.write32(aligned, v >>> 0);
      i += n;
    }
  }
}

// the BAR decode's caches are a function of the copied config spaces: a copy makes them again
resetInCopies(MmioMap.prototype, ['barCache', 'sorted', 'sortedFor', 'last', 'fixedSorted']);
