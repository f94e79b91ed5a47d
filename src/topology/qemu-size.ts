/**
 * DOC: QEMU's number and size syntax (util/cutils.c).
 *
 * {@link qemuStrtosz} follows `do_strtosz()`: a decimal integer, an optional fraction, and an
 * optional one-letter suffix B, K, M, G, T, P, E (either case, powers of 1024); "0x…" is
 * hexadecimal and then takes neither fraction nor suffix; a fraction needs a suffix other
 * than B; a minus sign is rejected; the result must fit in 64 bits. The default suffix is B for
 * `size=` properties and M for the legacy `-m 2048` form. {@link qemuStrtou64} is
 * `qemu_strtou64(…, 0)`: decimal, 0x hex or leading-0 octal. All values are bytes as bigint.
 */

const U64_MAX = (1n << 64n) - 1n;

/** Suffix letter → power of the unit (B=0, K=1 … E=6). */
const SUFFIX_POWER: Record<string, number> = { B: 0, K: 1, M: 2, G: 3, T: 4, P: 5, E: 6 };

/** Result of a parse: the value, or the errno QEMU's parser would return. */
export type ParseResult = { ok: true; value: bigint } | { ok: false; error: 'EINVAL' | 'ERANGE' };

function suffixMul(c: string | undefined, unit: bigint): bigint | undefined {
  if (c === undefined || c === '') return undefined;
  const p = SUFFIX_POWER[c.toUpperCase()];
  return p === undefined ? undefined : unit ** BigInt(p);
}

/**
 * `qemu_strtosz()` family: parses "256M", "4G", "1.5G", "0x10000000", "2048" into bytes.
 * @param defaultSuffix suffix assumed when none is given ('B' for size properties, 'M' for -m).
 */
export function qemuStrtosz(text: string, defaultSuffix: 'B' | 'M' = 'B'): ParseResult {
  const unit = 1024n;
  const m = /^\s*(\d+)/.exec(text);
  if (!m || m[1] === undefined) return { ok: false, error: 'EINVAL' };
  let rest = text.slice(m[0].length);
  let val = BigInt(m[1]);
  let frac = 0;
  if (val === 0n && (rest[0] === 'x' || rest[0] === 'X')) {
    const h = /^[xX]([0-9a-fA-F]+)/.exec(rest);
    if (!h || h[1] === undefined) return { ok: false, error: 'EINVAL' };
    val = BigInt(`0x${h[1]}`);
    rest = rest.slice(h[0].length);
    if (rest[0] === '.' || suffixMul(rest[0], unit) !== undefined)
      return { ok: false, error: 'EINVAL' };
    if (val > U64_MAX) return { ok: false, error: 'ERANGE' };
  } else if (rest[0] === '.') {
    const f = /^\.(\d*)/.exec(rest);
    frac = Number(`0.${f?.[1] ?? ''}0`);
    rest = rest.slice(f?.[0].length ?? 1);
  }
  let mul = suffixMul(rest[0], unit);
  if (mul !== undefined) rest = rest.slice(1);
  else mul = suffixMul(defaultSuffix, unit) ?? 1n;
  if (rest !== '') return { ok: false, error: 'EINVAL' };
  if (mul === 1n && frac !== 0) return { ok: false, error: 'EINVAL' };
  const fracBytes = BigInt(Math.trunc(frac * Number(mul)));
  const total = val * mul + fracBytes;
  if (total > U64_MAX) return { ok: false, error: 'ERANGE' };
  return { ok: true, value: total };
}

/** `qemu_strtou64(text, NULL, 0)`: decimal, 0x hexadecimal or leading-0 octal, whole string. */
export function qemuStrtou64(text: string): ParseResult {
  const t = text.trim();
  let v: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) v = BigInt(t);
  else if (/^0[0-7]*$/.test(t)) v = t.length > 1 ? BigInt(`0o${t.slice(1)}`) : 0n;
  else if (/^[1-9]\d*$/.test(t)) v = BigInt(t);
  else return { ok: false, error: 'EINVAL' };
  return v > U64_MAX ? { ok: false, error: 'ERANGE' } : { ok: true, value: v };
}

/**
 * Formats bytes the short way QEMU users write them: "256M", "4G", "128K" when exact, else
 * "0x…" hexadecimal. Round-trips through {@link qemuStrtosz}.
 */
export function formatSize(bytes: bigint): string {
  if (bytes === 0n) return '0';
  for (const [s, p] of [
    ['E', 6],
    ['P', 5],
    ['T', 4],
    ['G', 3],
    ['M', 2],
    ['K', 1],
  ] as const) {
    const m = 1024n ** BigInt(p);
    if (bytes % m === 0n) return `${bytes / m}${s}`;
  }
  return `0x${bytes.toString(16)}`;
}
