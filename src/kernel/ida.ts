/**
 * DOC: IDA — the kernel's smallest-free-id allocator (lib/idr.c ida_alloc / ida_free).
 * Device numbers (portN, memN, regionN, decoderX.Y) come from IDAs, so freed numbers are reused.
 */
export class Ida {
  private readonly used = new Set<number>();
  /** Lowest unused id ≥ min. */
  alloc(min = 0): number {
    let i = min;
    while (this.used.has(i)) i++;
    this.used.add(i);
    return i;
  }
  /** Releases an id. */
  free(id: number): void {
    this.used.delete(id);
  }
  /** True if the id is allocated. */
  has(id: number): boolean {
    return this.used.has(id);
  }
}
