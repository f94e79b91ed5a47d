/**
 * DOC: the order in which QEMU's QOM tree walk visits devices, for the CHBS order in the CEDT.
 *
 * cxl_build_cedt() (hw/acpi/cxl.c) emits the CHBS records from
 * object_child_foreach_recursive(object_get_root(), cxl_foreach_pxb_hb, …). A QOM object keeps
 * its children in `obj->properties`, a GLib GHashTable keyed by the child name, and
 * do_object_child_foreach() walks it with g_hash_table_iter_next(), i.e. in *bucket order*.
 * Every `-device …,id=X` is a child named X of the container /machine/peripheral, so the CHBS
 * order is the bucket order of the pxb-cxl ids in that container's hash table — neither the
 * command-line order nor the bus-number order (the interleave capture lists UID 0x0c before
 * 0x40, the threeway capture 0x78, 0x50, 0x28).
 *
 * This file models GLib 2.74's GHashTable (glib/ghash.c, the GLib of Debian 12's QEMU 7.2):
 * open addressing over 2^shift buckets (initial shift 3), initial bucket
 * `(hash * 11) % prime_mod[shift]`, triangular probing `(i + ++step) & mask`, g_str_hash
 * (djb2 over signed chars), growth when the table is 15/16 full
 * (`size <= noccupied + noccupied/16`) to the closest shift of `nnodes * 1.333`, and the
 * in-place rehash of g_hash_table_resize() (walks old buckets in order, evicts into the
 * first free-in-this-pass bucket). Nothing is ever removed, so there are no tombstones.
 */

/** prime_mod[] of ghash.c: the largest prime below 2^shift. */
const PRIME_MOD = [
  1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071,
  262139, 524287, 1048573, 2097143, 4194301, 8388593, 16777213, 33554393, 67108859, 134217689,
  268435399, 536870909, 1073741789, 2147483647,
];
const MIN_SHIFT = 3;

/** g_str_hash(): djb2 over the bytes as *signed* chars, 32-bit wrap-around. */
export function gStrHash(s: string): number {
  let h = 5381;
  for (const c of new TextEncoder().encode(s))
    h = (Math.imul(h, 33) + (c < 128 ? c : c - 256)) >>> 0;
  return h >>> 0;
}

/** A string set laid out exactly as a GHashTable with g_str_hash/g_str_equal. */
export class GStrHashTable {
  private shift = MIN_SHIFT;
  private hashes: number[] = new Array(1 << MIN_SHIFT).fill(0);
  private keys: (string | undefined)[] = new Array(1 << MIN_SHIFT).fill(undefined);
  private nnodes = 0;
  private noccupied = 0;

  private get size(): number {
    return 1 << this.shift;
  }

  private toIndex(hash: number): number {
    return (Math.imul(hash, 11) >>> 0) % (PRIME_MOD[this.shift] ?? 1);
  }

  /** g_hash_table_insert() of a new or existing key. */
  insert(key: string): void {
    let hash = gStrHash(key);
    if (hash < 2) hash = 2; // HASH_IS_REAL
    const mask = this.size - 1;
    let i = this.toIndex(hash);
    let step = 0;
    while (this.hashes[i] !== 0) {
      if (this.hashes[i] === hash && this.keys[i] === key) return;
      step++;
      i = (i + step) & mask;
    }
    this.hashes[i] = hash;
    this.keys[i] = key;
    this.nnodes++;
    this.noccupied++;
    this.maybeResize();
  }

  private maybeResize(): void {
    const size = this.size;
    const n = this.noccupied;
    if ((size > this.nnodes * 4 && size > 1 << MIN_SHIFT) || size <= n + Math.floor(n / 16))
      this.resize();
  }

  private resize(): void {
    const oldSize = this.size;
    let want = Math.trunc(this.nnodes * 1.333);
    let shift = 0;
    while (want) {
      want >>= 1;
      shift++;
    }
    this.shift = Math.max(shift, MIN_SHIFT);
    const size = this.size;
    const mask = size - 1;
    for (let i = oldSize; i < size; i++) {
      this.hashes[i] = 0;
      this.keys[i] = undefined;
    }
    const moved = new Array<boolean>(Math.max(oldSize, size)).fill(false);
    for (let i = 0; i < oldSize; i++) {
      let nodeHash = this.hashes[i] ?? 0;
      if (nodeHash < 2) {
        this.hashes[i] = 0;
        continue;
      }
      if (moved[i]) continue;
      this.hashes[i] = 0;
      let key = this.keys[i];
      this.keys[i] = undefined;
      for (;;) {
        let h = this.toIndex(nodeHash);
        let step = 0;
        while (moved[h]) {
          step++;
          h = (h + step) & mask;
        }
        moved[h] = true;
        const replaced = this.hashes[h] ?? 0;
        this.hashes[h] = nodeHash;
        if (replaced < 2) {
          this.keys[h] = key;
          break;
        }
        nodeHash = replaced;
        const k2 = this.keys[h];
        this.keys[h] = key;
        key = k2;
      }
    }
    this.hashes.length = size;
    this.keys.length = size;
    this.noccupied = this.nnodes;
  }

  /** Keys in g_hash_table_iter_next() order (bucket order). */
  iterationOrder(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.size; i++) {
      const k = this.keys[i];
      if ((this.hashes[i] ?? 0) >= 2 && k !== undefined) out.push(k);
    }
    return out;
  }
}

/**
 * Order in which object_child_foreach() visits the children of /machine/peripheral, given the
 * device ids in the order QEMU created them (-device order).
 */
export function qomPeripheralOrder(idsInCreationOrder: readonly string[]): string[] {
  const t = new GStrHashTable();
  for (const id of idsInCreationOrder) t.insert(id);
  return t.iterationOrder();
}
