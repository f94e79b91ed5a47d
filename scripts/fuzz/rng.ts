/**
 * DOC: the fuzzer's seeded randomness: mulberry32 (32-bit state, fast, good enough to pick
 * mutations) and a per-case seed derived from the run seed, the section and the case number,
 * so that every failure is reproduced from the one seed it prints.
 */

/** A seeded generator of uint32 / floats / choices. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** A uint32. */
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }
  /** One element of a non-empty array. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
}

/** The seed of case `i` of `section` in the run seeded `seed` (FNV-1a over the three). */
export function caseSeed(seed: number, section: string, i: number): number {
  let h = 0x811c9dc5;
  for (const c of `${seed}:${section}:${i}`) {
    h ^= c.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
