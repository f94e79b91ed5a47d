/**
 * DOC: util/size.c __parse_size64() — a size option in bytes with an optional K/M/G/T suffix
 * (binary units), as `-s 512M`, `-s 0x10000000` or `-s 8G` are read.
 */
import { strtoullEnd, U64_MAX } from './cstr.ts';

const UNITS: Record<string, bigint> = { k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n };

/**
 * parse_size64(): strtoull(str, &end, 0), times the suffix's unit (wrapping like the C u64
 * multiply). @returns the size, or ULLONG_MAX when the text has trailing junk, overflows the
 * strtoull range or wraps below the plain number
 */
export function parseSize64(str: string): bigint {
  const { value, end } = strtoullEnd(str, 0);
  if (value === U64_MAX) return value;
  let val = value;
  let rest = str.slice(end);
  const unit = UNITS[(rest[0] ?? '').toLowerCase()];
  if (unit !== undefined) {
    val = BigInt.asUintN(64, val * unit);
    rest = rest.slice(1);
  }
  if (val < value || rest !== '') return U64_MAX;
  return val;
}
