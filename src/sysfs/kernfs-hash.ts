/**
 * DOC: kernfs directory order.
 *
 * Real sysfs returns a directory's entries in ascending `kernfs_name_hash()` order, then by
 * name (fs/kernfs/dir.c: the rbtree is keyed by hash, then name). libcxl builds its lists in
 * readdir() order, so `cxl list` output order follows this hash.
 */

const M64 = (1n << 64n) - 1n;
const GOLDEN_RATIO_64 = 0x61c8864680b583ebn;

/**
 * `kernfs_name_hash(name, ns=NULL)` of a 64-bit kernel (include/linux/stringhash.h
 * partial_name_hash / end_name_hash → hash_long(h, 32)). Result in [2, 0x7ffffffe].
 */
export function kernfsNameHash(name: string): number {
  let h = 0n;
  for (const b of Buffer.from(name, 'utf8')) {
    const c = b < 0x80 ? BigInt(b) : (BigInt(b) - 0x100n) & M64; // 'char' is signed on x86
    h = ((h + ((c << 4n) & M64) + (c >> 4n)) * 11n) & M64;
  }
  let r = Number(((h * GOLDEN_RATIO_64) & M64) >> 32n) & 0x7fffffff;
  if (r < 2) r += 2;
  if (r >= 0x7fffffff) r = 0x7fffffff - 1;
  return r;
}

const cache = new Map<string, number>();

/** Cached hash (names repeat across thousands of device directories). */
export function cachedHash(name: string): number {
  let h = cache.get(name);
  if (h === undefined) {
    h = kernfsNameHash(name);
    cache.set(name, h);
  }
  return h;
}

/** Sorts names into kernfs readdir order (hash, then byte order of the name). */
export function kernfsOrder(names: Iterable<string>): string[] {
  const keyed: { h: number; n: string }[] = [];
  for (const n of names) keyed.push({ h: cachedHash(n), n });
  keyed.sort((a, b) => a.h - b.h || Buffer.compare(Buffer.from(a.n), Buffer.from(b.n)));
  return keyed.map((k) => k.n);
}
