/**
 * DOC: IDA — the kernel's smallest-free-id allocator (lib/idr.c ida_alloc / ida_free).
 * Device numbers (portN, memN, regionN, decoderX.Y) come from IDAs, so freed numbers are reused.
 */
export class Ida {
  /**
   * Allocated ids above {@link low} (never `low` itself): made on the first out-of-order
   * allocation or free; a sequentially used IDA (most: a port's decoders) is just `low`.
   */
  private used: Set<number> | undefined = undefined;
  /** Every id below `low` is allocated (so sequential allocation is O(1), not O(n)). */
  private low = 0;
  /** Lowest unused id ≥ min. */
  alloc(min = 0): number {
    let i = min > this.low ? min : this.low;
    while (this.used?.has(i)) i++;
    if (i === this.low) {
      this.low++;
      while (this.used?.delete(this.low)) this.low++;
    } else {
      this.used ??= new Set();
      this.used.add(i);
    }
    return i;
  }
  /** Releases an id. */
  free(id: number): void {
    if (id < this.low) {
      // the ids between it and `low` stay allocated
      if (id + 1 < this.low) this.used ??= new Set();
      for (let j = id + 1; j < this.low; j++) this.used?.add(j);
      this.low = id;
    } else this.used?.delete(id);
  }
  /** True if the id is allocated. */
  has(id: number): boolean {
    return id < this.low || (this.used?.has(id) ?? false);
  }
}
