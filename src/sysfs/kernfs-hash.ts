/**
 * DOC: kernfs directory order.
 *
 * Real sysfs returns a directory's entries in ascending `kernfs_name_hash()` order, then by
 * name (fs/kernfs/dir.c: the rbtree is keyed by hash, then name). libcxl builds its lists in
 * readdir() order, so `cxl list` output order follows this hash.
 */

/** GOLDEN_RATIO_64 (include/linux/hash.h) as two 32-bit halves. */
const GOLDEN_HI = 0x61c88646;
const GOLDEN_LO = 0x80b583eb;
const TWO32 = 4294967296;

/** Bits 32..63 of the 64-bit product of two unsigned 32-bit numbers (exact in doubles). */
function mulHi32(a: number, b: number): number {
  const a1 = a >>> 16;
  const a0 = a & 0xffff;
  const b1 = b >>> 16;
  const b0 = b & 0xffff;
  // a*b = a1*b1*2^32 + (a1*b0 + a0*b1)*2^16 + a0*b0; the last two terms stay below 2^50
  return a1 * b1 + Math.floor(((a1 * b0 + a0 * b1) * 65536 + a0 * b0) / TWO32);
}

/**
 * `kernfs_name_hash(name, ns=NULL)` of a 64-bit kernel (fs/kernfs/dir.c; include/linux/
 * stringhash.h partial_name_hash() and end_name_hash() → hash_long(h, 32)). Result in
 * [2, 0x7ffffffe]. The kernel's `unsigned long` arithmetic is done on two 32-bit halves
 * (`hi`, `lo`), exactly: cxlsim's speed note, a BigInt per byte made hashing 30 k names
 * (bus/cxl/devices at 4096 endpoints) ~0.1 s.
 */
export function kernfsNameHash(name: string): number {
  let hi = 0;
  let lo = 0;
  const ascii = isAsciiName(name);
  const bytes = ascii ? undefined : Buffer.from(name, 'utf8');
  const n = bytes ? bytes.length : name.length;
  for (let i = 0; i < n; i++) {
    const b = bytes ? (bytes[i] as number) : name.charCodeAt(i);
    // 'char' is signed on x86: a byte ≥ 0x80 is sign-extended to 64 bits
    const cHi = b < 0x80 ? 0 : 0xffffffff;
    const cLo = b < 0x80 ? b : (b + 0xffffff00) >>> 0;
    // c << 4 and c >> 4 (logical), modulo 2^64
    const sHi = ((cHi << 4) | (cLo >>> 28)) >>> 0;
    const sLo = (cLo << 4) >>> 0;
    const rHi = cHi >>> 4;
    const rLo = ((cLo >>> 4) | (cHi << 28)) >>> 0;
    // (h + (c << 4) + (c >> 4)) * 11
    let sumLo = lo + sLo + rLo;
    const carry = Math.floor(sumLo / TWO32);
    sumLo -= carry * TWO32;
    const sumHi = (hi + sHi + rHi + carry) >>> 0;
    const mLo = sumLo * 11;
    const mCarry = Math.floor(mLo / TWO32);
    lo = mLo - mCarry * TWO32;
    hi = (sumHi * 11 + mCarry) >>> 0;
  }
  // hash_64(h, 32): bits 32..63 of h * GOLDEN_RATIO_64 (mod 2^64)
  const top = (mulHi32(lo, GOLDEN_LO) + Math.imul(lo, GOLDEN_HI) + Math.imul(hi, GOLDEN_LO)) >>> 0;
  let r = top & 0x7fffffff;
  if (r < 2) r += 2;
  if (r >= 0x7fffffff) r = 0x7fffffff - 1;
  return r;
}

/** Only 7-bit characters (one UTF-8 byte each). */
function isAsciiName(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
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

/** Names per sort key: the key is hash * INDEX_SPAN + index (exact below 2^53). */
const INDEX_SPAN = 2 ** 21;

/** From this many names on, {@link kernfsOrder} sorts a Float64Array. */
const TYPED_SORT_MIN = 1024;

/** Ascending numeric order. */
const numeric = (a: number, b: number): number => a - b;

/** Byte order of two names (what kernfs_name_compare()'s strcmp() gives). */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Sorts names into kernfs readdir order (hash, then byte order of the name). cxlsim's speed
 * note: one number per name (hash and position packed in a double) sorted by the typed array's
 * own numeric sort, then runs of equal hashes put in byte order — no key object and no
 * comparator call per pair (bus/cxl/devices holds 30 k names at 4096 endpoints).
 */
export function kernfsOrder(names: Iterable<string>): string[] {
  const list = Array.isArray(names) ? (names as string[]) : [...names];
  const n = list.length;
  if (n > INDEX_SPAN) {
    const keyed = list.map((name) => ({ h: cachedHash(name), name }));
    keyed.sort((a, b) => a.h - b.h || byteOrder(a.name, b.name));
    return keyed.map((k) => k.name);
  }
  // a directory's few dozen names in a plain array (a typed array this size is a separate
  // allocation outside the heap); bus/cxl/devices' tens of thousands in a Float64Array
  const keys: number[] | Float64Array = n > TYPED_SORT_MIN ? new Float64Array(n) : new Array(n);
  // a large directory's names (a bus's devices) are hashed here, not remembered: its listing
  // is cached by its owner, and 30 k more entries in the cache cost more than hashing them
  const hash = keys instanceof Float64Array ? kernfsNameHash : cachedHash;
  for (let i = 0; i < n; i++) keys[i] = hash(list[i] as string) * INDEX_SPAN + i;
  if (keys instanceof Float64Array) keys.sort();
  else keys.sort(numeric);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = list[(keys[i] as number) % INDEX_SPAN] as string;
  for (let i = 0; i < n; ) {
    const h = Math.floor((keys[i] as number) / INDEX_SPAN);
    let j = i + 1;
    while (j < n && Math.floor((keys[j] as number) / INDEX_SPAN) === h) j++;
    if (j - i > 1) {
      const run = out.slice(i, j).sort(byteOrder);
      for (let k = 0; k < run.length; k++) out[i + k] = run[k] as string;
    }
    i = j;
  }
  return out;
}
