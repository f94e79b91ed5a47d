/**
 * DOC: QMP argument checking as QEMU's QAPI input visitor does it (qapi/qobject-input-visitor.c,
 * qapi/qapi-visit-core.c), for the argument shapes the CXL commands use. Messages are QEMU's:
 * "Parameter 'x' is missing", "Invalid parameter type for 'x', expected: integer",
 * "Parameter 'x' expects uint8_t", "Parameter 'x' does not accept value 'y'",
 * "Parameter 'x' is unexpected". Nested names read "errors[0].type" as QEMU's full_name().
 */

/** A QMP error reply's class and description. */
export class QmpError extends Error {
  readonly errorClass: 'GenericError' | 'CommandNotFound';
  readonly desc: string;
  constructor(errorClass: 'GenericError' | 'CommandNotFound', desc: string) {
    super(desc);
    this.errorClass = errorClass;
    this.desc = desc;
  }
}

/** An argument type: a scalar name, an enum's values, an array of one type, or a struct. */
export type QType =
  | 'str'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'size'
  | 'int16'
  | { enum: readonly string[] }
  | { array: QType }
  | { struct: QStruct };

/** Members of a struct; a name starting with '*' is optional. */
export type QStruct = Record<string, QType>;

const RANGES: Record<string, [bigint, bigint, string]> = {
  uint8: [0n, 0xffn, 'uint8_t'],
  uint16: [0n, 0xffffn, 'uint16_t'],
  uint32: [0n, 0xffffffffn, 'uint32_t'],
  uint64: [0n, (1n << 64n) - 1n, 'uint64_t'],
  size: [0n, (1n << 64n) - 1n, 'uint64_t'],
  int16: [-0x8000n, 0x7fffn, 'int16_t'],
};

/** Visits `v` as type `t`; returns the value (integers as bigint). @throws QmpError */
export function visit(name: string, t: QType, v: unknown): unknown {
  if (typeof t === 'string') {
    if (t === 'str') {
      if (typeof v !== 'string')
        throw new QmpError(
          'GenericError',
          `Invalid parameter type for '${name}', expected: string`,
        );
      return v;
    }
    if (typeof v !== 'number' && typeof v !== 'bigint')
      throw new QmpError('GenericError', `Invalid parameter type for '${name}', expected: integer`);
    if (typeof v === 'number' && !Number.isInteger(v))
      throw new QmpError('GenericError', `Invalid parameter type for '${name}', expected: integer`);
    const n = BigInt(v);
    const [lo, hi, cname] = RANGES[t] as [bigint, bigint, string];
    if (n < lo || n > hi)
      throw new QmpError('GenericError', `Parameter '${name}' expects ${cname}`);
    return n;
  }
  if ('enum' in t) {
    if (typeof v !== 'string')
      throw new QmpError('GenericError', `Invalid parameter type for '${name}', expected: string`);
    if (!t.enum.includes(v))
      throw new QmpError('GenericError', `Parameter '${name}' does not accept value '${v}'`);
    return v;
  }
  if ('array' in t) {
    if (!Array.isArray(v))
      throw new QmpError('GenericError', `Invalid parameter type for '${name}', expected: array`);
    return v.map((x, i) => visit(`${name}[${i}]`, t.array, x));
  }
  return visitStruct(name, t.struct, v);
}

/** Visits an object against a struct's members. @throws QmpError */
export function visitStruct(
  name: string | undefined,
  members: QStruct,
  v: unknown,
): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new QmpError(
      'GenericError',
      `Invalid parameter type for '${name ?? 'null'}', expected: object`,
    );
  const obj = v as Record<string, unknown>;
  const full = (m: string) => (name ? `${name}.${m}` : m);
  const out: Record<string, unknown> = {};
  for (const [key, t] of Object.entries(members)) {
    const opt = key.startsWith('*');
    const m = opt ? key.slice(1) : key;
    if (!(m in obj)) {
      if (opt) continue;
      throw new QmpError('GenericError', `Parameter '${full(m)}' is missing`);
    }
    out[m] = visit(full(m), t, obj[m]);
  }
  const known = new Set(Object.keys(members).map((k) => k.replace(/^\*/, '')));
  for (const k of Object.keys(obj))
    if (!known.has(k)) throw new QmpError('GenericError', `Parameter '${full(k)}' is unexpected`);
  return out;
}

/**
 * JSON.parse of QMP arguments, with integers that do not fit a double re-read from the text as
 * bigints (QMP integers are 64-bit). Object members only; array elements stay numbers.
 * @throws SyntaxError for text that is not JSON
 */
export function parseQmpJson(text: string): unknown {
  const parsed: unknown = JSON.parse(text);
  const big = new Map<string, bigint>();
  for (const m of text.matchAll(/"([^"\\]+)"\s*:\s*(-?\d+)(?![\d.eE])/g))
    big.set(m[1] as string, BigInt(m[2] as string));
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'number' && Number.isInteger(v) && key !== undefined && big.has(key))
      return big.get(key);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(parsed);
}
