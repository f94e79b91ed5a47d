/**
 * DOC: the C library string conversions libcxl and cxl/filter.c rely on, with glibc semantics.
 *
 * strtoull/strtoul/strtol(buf, NULL, 0) (leading blanks, sign, 0x/0 prefixes, saturation on
 * overflow, negation modulo 2^64), sscanf("<prefix>%d") and the integer widths of the C fields the
 * results are stored in. 64-bit quantities are bigint; 32-bit ones are numbers.
 */

const U64_MAX = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);

/** C isspace() for the "C" locale. */
function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

/** Value of the digit character code `c` in bases up to 36, or 99. */
function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 122) return c - 87; // a-z
  if (c >= 65 && c <= 90) return c - 55; // A-Z
  return 99;
}

/**
 * Digits of `base` starting at `i`: their value (unbounded) and where they end. Runs of up
 * to 10 digits are summed as numbers (exact: 36^10 < 2^53) and folded into the bigint.
 */
function digits(s: string, i: number, base: number): { v: bigint; end: number } {
  let v = 0n;
  let j = i;
  for (;;) {
    let chunk = 0;
    let scale = 1;
    let k = 0;
    for (; k < 10 && j < s.length; k++, j++) {
      const d = digitValue(s.charCodeAt(j));
      if (d >= base) break;
      chunk = chunk * base + d;
      scale *= base;
    }
    if (k > 0) v = v * BigInt(scale) + BigInt(chunk);
    if (k < 10) return { v, end: j };
  }
}

/** Sign, magnitude and end of a strto*() subject sequence; end 0 when there is none. */
function scan(s: string, base0: number): { neg: boolean; mag: bigint; end: number } {
  let i = 0;
  while (isSpace(s[i])) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  let base = base0;
  if ((base === 0 || base === 16) && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
    const d = digits(s, i + 2, 16);
    if (d.end > i + 2) return { neg, mag: d.v, end: d.end };
    return { neg, mag: 0n, end: i + 1 }; // "0x" without digits parses the "0"
  }
  if (base === 0) base = s[i] === '0' ? 8 : 10;
  const d = digits(s, i, base);
  if (d.end === i) return { neg: false, mag: 0n, end: 0 };
  return { neg, mag: d.v, end: d.end };
}

/** strtoull(s, &end, base): value as unsigned 64-bit and the index where parsing stopped. */
export function strtoullEnd(s: string, base = 0): { value: bigint; end: number } {
  const { neg, mag, end } = scan(s, base);
  if (mag > U64_MAX) return { value: U64_MAX, end };
  return { value: neg ? BigInt.asUintN(64, -mag) : mag, end };
}

/**
 * Whether `s` is, whole, a number BigInt() reads as strtoull(s, NULL, 0) does: "0", a decimal
 * of 1–16 digits without a leading zero, or "0x" and 1–16 hex digits (what sysfs attributes
 * print); then neither can overflow u64.
 */
function plainNumber(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 18) return false;
  const c0 = s.charCodeAt(0);
  if (c0 === 0x30) {
    if (n === 1) return true;
    if (s.charCodeAt(1) !== 0x78 || n < 3) return false; // "0x"
    for (let i = 2; i < n; i++) {
      const c = s.charCodeAt(i);
      if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)))
        return false;
    }
    return true;
  }
  if (n > 16) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** strtoull(s, NULL, 0) — also strtoul() on LP64. */
export function strtoull(s: string, base = 0): bigint {
  // the common case without the scanner's objects (cxlsim's speed note: `cxl list` parses
  // ~10 attributes per memdev and decoder)
  if (base === 0 && plainNumber(s)) return BigInt(s);
  return strtoullEnd(s, base).value;
}

/** strtol(s, NULL, base) on LP64 (saturates at LONG_MIN/LONG_MAX). */
export function strtol(s: string, base = 0): bigint {
  const { neg, mag } = scan(s, base);
  const v = neg ? -mag : mag;
  return v > I64_MAX ? I64_MAX : v < I64_MIN ? I64_MIN : v;
}

/** An unsigned long stored into an `unsigned int` field. */
export function toU32(v: bigint): number {
  return Number(BigInt.asUintN(32, v));
}

/** A long / unsigned long stored into an `int` field. */
export function toI32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** atoi(s): strtol(s, NULL, 10) stored into an int. */
export function atoi(s: string): number {
  return toI32(strtol(s, 10));
}

/**
 * sscanf(s, "<prefix>%d", &v) == 1: the literal prefix must match exactly, then %d skips blanks
 * and reads an optionally signed decimal (glibc: through strtol, then stored into an int).
 * @returns the int, or undefined when the conversion fails
 */
export function scanPrefixInt(s: string, prefix: string): number | undefined {
  if (!s.startsWith(prefix)) return undefined;
  // 1–9 digits right after the prefix (a device name's id): the int itself, without the
  // scanner's objects; anything else (blanks, a sign, a longer number) takes scanInt()
  const p = prefix.length;
  const n = s.length;
  let v = 0;
  let i = p;
  for (; i < n && i - p < 10; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + (c - 0x30);
  }
  if (i > p && i - p < 10) return v;
  const r = scanInt(s, p);
  return r?.v;
}

/** One %d conversion at `i`: value and end index, or undefined without digits. */
export function scanInt(s: string, i0: number): { v: number; end: number } | undefined {
  let i = i0;
  while (isSpace(s[i])) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  const d = digits(s, i, 10);
  if (d.end === i) return undefined;
  let v = neg ? -d.v : d.v;
  if (v > I64_MAX) v = I64_MAX;
  if (v < I64_MIN) v = I64_MIN;
  return { v: toI32(v), end: d.end };
}

/** sscanf(s, "<prefix>%d.%d", &a, &b) == 2. */
export function scanPrefixIntDotInt(s: string, prefix: string): [number, number] | undefined {
  if (!s.startsWith(prefix)) return undefined;
  const a = scanInt(s, prefix.length);
  if (!a || s[a.end] !== '.') return undefined;
  const b = scanInt(s, a.end + 1);
  if (!b) return undefined;
  return [a.v, b.v];
}

/** strtok_r(s, delims) over the whole string: the non-empty tokens. */
export function strtok(s: string, delims: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const c of s) {
    if (delims.includes(c)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

/** printf("%#llx", v): "0" for zero, else "0x" + lower-case hex. */
export function hexAlt(v: bigint): string {
  return v === 0n ? '0' : `0x${v.toString(16)}`;
}

/** printf("%02ld", v) for a signed value. */
export function pad2(v: bigint): string {
  const s = (v < 0n ? -v : v).toString();
  const body = v < 0n ? `-${s}` : s;
  return body.length >= 2 ? body : body.padStart(2, '0');
}

export { I64_MAX, U64_MAX };
