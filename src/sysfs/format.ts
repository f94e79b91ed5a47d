/**
 * DOC: the kernel's printf and parse helpers used by sysfs show()/store() functions.
 *
 * Formats (lib/vsprintf.c):
 * - {@link hexll} is `%#llx`. The kernel prints zero as `0x0` (glibc prints `0`); the
 *   captures show `0x0` for an idle decoder's `size` and for `ram/size`.
 * - {@link pa} is `%pa` (phys_addr_t): `0x` and 16 zero-padded hex digits, as endpoint
 *   decoder `dpa_size` shows (`0x0000000010000000`).
 *
 * Parsers (lib/kstrtox.c): {@link kstrtoull} and friends accept what `echo` writes (one
 * trailing newline), base 0 meaning `0x` hex, leading-`0` octal, else decimal. Errors are
 * the kernel's: -EINVAL when nothing parses or junk follows, -ERANGE on overflow.
 * {@link kstrtobool} looks only at the first one or two characters (`y/Y/1`, `n/N/0`,
 * `on`, `off`). {@link sysfsStreq} compares ignoring one trailing newline on either side.
 */
import { Errno } from '../kernel/errno.ts';

const U64 = (1n << 64n) - 1n;

/** `%#llx`: "0x" + lower-case hex of the value as u64; 0 → "0x0". */
export function hexll(v: bigint): string {
  return `0x${BigInt.asUintN(64, v).toString(16)}`;
}

/** `%pa`: "0x" + 16 zero-padded lower-case hex digits (phys_addr_t is 64-bit). */
export function pa(v: bigint): string {
  return `0x${BigInt.asUintN(64, v).toString(16).padStart(16, '0')}`;
}

/** Digit value of a character in any base up to 16, or 16 when it is no hex digit. */
function digit(c: string): number {
  const code = c.charCodeAt(0) | 0x20; // _tolower() for letters
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return 16;
}

/**
 * `_parse_integer_fixup_radix()`: base 0 → 16 for "0x" followed by a hex digit, 8 for a
 * leading "0", else 10; base 16 strips a "0x" prefix. Returns the base and digits offset.
 */
function fixupRadix(s: string, base: number): { base: number; at: number } {
  const hexPrefix = s[0] === '0' && (s[1] === 'x' || s[1] === 'X') && digit(s[2] ?? '') < 16;
  if (base === 0) {
    if (hexPrefix) return { base: 16, at: 2 };
    if (s[0] === '0') return { base: 8, at: 0 };
    return { base: 10, at: 0 };
  }
  if (base === 16 && hexPrefix) return { base: 16, at: 2 };
  return { base, at: 0 };
}

/**
 * `_kstrtoull()`: parses an unsigned 64-bit integer; one trailing "\n" is allowed.
 * @throws EINVAL when no digit parses or anything but a single newline follows
 * @throws ERANGE when the value exceeds 2^64 - 1
 */
function parseU64(s: string, base0: number): bigint {
  const { base, at } = fixupRadix(s, base0);
  const b = BigInt(base);
  let res = 0n;
  let i = at;
  let overflow = false;
  for (; i < s.length; i++) {
    const d = digit(s[i] as string);
    if (d >= base) break;
    res = res * b + BigInt(d);
    if (res > U64) overflow = true;
  }
  if (overflow) throw new Errno('ERANGE');
  if (i === at) throw new Errno('EINVAL');
  if (s[i] === '\n') i++;
  if (i !== s.length) throw new Errno('EINVAL');
  return res;
}

/**
 * The C string a store sees: kernfs NUL-terminates the written bytes, and writers such as
 * ndctl send the terminating NUL too (`write(fd, buf, strlen(buf) + 1)`), so parsing stops
 * at the first NUL while stores that count bytes (uuid_store) still see the full length.
 */
export function cstr(buf: string): string {
  const i = buf.indexOf('\0');
  return i < 0 ? buf : buf.slice(0, i);
}

/**
 * `kstrtoull(buf, base, &val)`: unsigned 64-bit. A leading '+' is accepted; base 0
 * auto-detects 0x hex / 0 octal / decimal; one trailing newline is allowed.
 * @throws EINVAL for empty input, a sign other than '+', or trailing junk
 * @throws ERANGE for values above 0xffffffffffffffff
 */
export function kstrtoull(raw: string, base = 0): bigint {
  const buf = cstr(raw);
  return parseU64(buf.startsWith('+') ? buf.slice(1) : buf, base);
}

/**
 * `kstrtoll(buf, base, &val)`: signed 64-bit ('-' allowed).
 * @throws EINVAL for malformed input
 * @throws ERANGE outside [-2^63, 2^63 - 1]
 */
export function kstrtoll(raw: string, base = 0): bigint {
  const buf = cstr(raw);
  if (buf.startsWith('-')) {
    const v = parseU64(buf.slice(1), base);
    if (v > 1n << 63n) throw new Errno('ERANGE');
    return -v;
  }
  const v = kstrtoull(buf, base);
  if (v > (1n << 63n) - 1n) throw new Errno('ERANGE');
  return v;
}

/**
 * `kstrtouint(buf, base, &val)`: unsigned 32-bit.
 * @throws EINVAL for malformed input
 * @throws ERANGE above 0xffffffff
 */
export function kstrtouint(buf: string, base = 0): number {
  const v = kstrtoull(buf, base);
  if (v > 0xffffffffn) throw new Errno('ERANGE');
  return Number(v);
}

/**
 * `kstrtoint(buf, base, &val)`: signed 32-bit, as region `interleave_ways` and
 * `interleave_granularity` stores parse their input.
 * @throws EINVAL for malformed input
 * @throws ERANGE outside [-2^31, 2^31 - 1]
 */
export function kstrtoint(buf: string, base = 0): number {
  const v = kstrtoll(buf, base);
  if (v < -(1n << 31n) || v > (1n << 31n) - 1n) throw new Errno('ERANGE');
  return Number(v);
}

/**
 * `kstrtobool(s, &res)`: true for 'y', 'Y', '1', "on"; false for 'n', 'N', '0', "off"
 * (only the first one or two characters are looked at, as the kernel does).
 * @throws EINVAL for anything else
 */
export function kstrtobool(raw: string): boolean {
  const s = cstr(raw);
  const c = s[0];
  if (c === 'y' || c === 'Y' || c === '1') return true;
  if (c === 'n' || c === 'N' || c === '0') return false;
  if (c === 'o' || c === 'O') {
    const d = s[1];
    if (d === 'n' || d === 'N') return true;
    if (d === 'f' || d === 'F') return false;
  }
  throw new Errno('EINVAL');
}

/**
 * `sysfs_streq(s1, s2)`: string equality where either side may carry one trailing
 * newline ("region0\n" equals "region0"; "a\n\n" does not equal "a").
 */
export function sysfsStreq(a: string, b: string): boolean {
  const s1 = cstr(a);
  const s2 = cstr(b);
  if (s1 === s2) return true;
  if (s2 === `${s1}\n`) return true;
  if (s1 === `${s2}\n`) return true;
  return false;
}
