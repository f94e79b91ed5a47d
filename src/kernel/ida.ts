/**
 * DOC: IDA — the kernel's smallest-free-id allocator (lib/idr.c ida_alloc / ida_free).
 * Device numbers (portN, memN, regionN, decoderX.Y) come from IDAs, so freed numbers are reused.
 */
export class Ida {
  private readonly used = new Set<number>();
  /** Every id below `low` is allocated (so sequential allocation is O(1), not O(n)). */
  private low = 0;
  /** Lowest unused id ≥ min. */
  alloc(min = 0): number {
    let i = min > this.low ? min : this.low;
    while (this.used.has(i)) i++;
    this.used.add(i);
    if (min <= this.low) this.low = i + 1;
    return i;
  }
  /** Releases an id. */
  free(id: number): void {
    if (this.used.delete(id) && id < this.low) this.low = id;
  }
  /** True if the id is allocated. */
  has(id: number): boolean {
    return this.used.has(id);
  }
}
