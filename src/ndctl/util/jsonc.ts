/**
 * DOC: the json-c object model ndctl builds its output with, and json-c 0.16's printer.
 *
 * Objects keep insertion order and json_object_object_add() on an existing key replaces the value
 * in place (how a dport's `alias` from firmware_node overrides the physical_node one). Integers
 * remember whether json-c holds them as int64 or uint64, and an optional custom serializer
 * (util/json.c display_size / display_hex, installed for -u). Printing follows
 * json_object_to_json_string_ext(JSON_C_TO_STRING_PRETTY): two-space indent, `"key":value`,
 * `\/` escaping, `[` newline `]` for an empty array.
 */
import type { NdctlVersion } from '../../profile.ts';
import {
  JSONC_OF_NDCTL,
  type JsoncVersion,
  jsoncInlinesEmptyArray,
  ndctlHas,
} from '../versions.ts';
import { hexAlt, I64_MAX, pad2 } from './cstr.ts';

/** Which ndctl build prints: 76.1's display_hex reads a uint64 through get_int64 (saturating). */
export type Ndctl = NdctlVersion;

/** A custom serializer installed on an integer (util/json.c). */
export type Serializer = 'size' | 'hex';

export type JVal =
  | { t: 'obj'; e: Array<[string, JVal]> }
  | { t: 'arr'; a: JVal[] }
  | { t: 'str'; s: string }
  | { t: 'bool'; b: boolean }
  | { t: 'int'; v: bigint; u64: boolean; ser?: Serializer };

export type JObj = Extract<JVal, { t: 'obj' }>;
export type JArr = Extract<JVal, { t: 'arr' }>;

/** json_object_new_object() */
export function jObj(): JObj {
  return { t: 'obj', e: [] };
}

/** json_object_new_array() */
export function jArr(): JArr {
  return { t: 'arr', a: [] };
}

/** json_object_new_string() */
export function jStr(s: string): JVal {
  return { t: 'str', s };
}

/** json_object_new_boolean() */
export function jBool(b: boolean | number): JVal {
  return { t: 'bool', b: !!b };
}

/** json_object_new_int(): the argument is converted to int32_t. */
export function jInt(v: number | bigint): JVal {
  return { t: 'int', v: BigInt.asIntN(32, BigInt(v)), u64: false };
}

/** json_object_new_int64() */
export function jInt64(v: bigint): JVal {
  return { t: 'int', v: BigInt.asIntN(64, v), u64: false };
}

/** json_object_new_uint64() (util_json_new_u64 with HAVE_JSON_U64) */
export function jU64(v: bigint): JVal {
  return { t: 'int', v: BigInt.asUintN(64, v), u64: true };
}

/** json_object_object_add(): replaces an existing key's value in place, else appends. */
export function objAdd(o: JObj, key: string, v: JVal): void {
  const e = o.e;
  for (let i = 0; i < e.length; i++) {
    const kv = e[i] as [string, JVal];
    if (kv[0] === key) {
      kv[1] = v;
      return;
    }
  }
  e.push([key, v]);
}

/** json_object_array_add() */
export function arrAdd(a: JArr, v: JVal): void {
  a.a.push(v);
}

/** True when json_escape_str() rewrites some character of `s` (`"`, `\`, `/`, control bytes). */
function needsEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x2f || c === 0x5c) return true;
  }
  return false;
}

/** json_escape_str(): `"`, `\`, `/`, \b \n \r \t \f, other control bytes as \u00xx. */
export function jsonEscape(s: string): string {
  if (!needsEscape(s)) return s;
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '/') out += '\\/';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20) out += `\\u00${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

const SZ_1K = 1024n;
const SZ_1M = 1n << 20n;
const SZ_1G = 1n << 30n;
const SZ_1T = 1n << 40n;
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const sl = (v: bigint): bigint => BigInt.asIntN(64, v);

/** util/json.c display_size(): raw below 5000 KiB, else "x.xx MiB (y.yy MB)" / GiB / TiB. */
export function displaySize(v: { v: bigint; u64: boolean }): string {
  const bytes = u64(v.u64 && v.v > I64_MAX ? I64_MAX : v.v); // json_object_get_int64()
  if (bytes < 5000n * SZ_1K) return sl(bytes).toString();
  let iec: string;
  let jedec: string;
  if (bytes < 2n * SZ_1G) {
    const c = sl((u64(bytes * 200n) / SZ_1M + 1n) / 2n);
    iec = `${c / 100n}.${pad2(c % 100n)} MiB`;
    const m = sl((bytes / 5000n + 1n) / 2n);
    jedec = `${m / 100n}.${pad2(m % 100n)} MB`;
  } else if (bytes < 2n * SZ_1T) {
    const c = sl((u64(bytes * 200n) / SZ_1G + 1n) / 2n);
    iec = `${c / 100n}.${pad2(c % 100n)} GiB`;
    const g = sl((bytes / 5000000n + 1n) / 2n);
    jedec = `${g / 100n}.${pad2(g % 100n)} GB`;
  } else {
    const c = sl((u64(bytes * 200n) / SZ_1T + 1n) / 2n);
    iec = `${c / 100n}.${pad2(c % 100n)} TiB`;
    const t = sl((bytes / 5000000000n + 1n) / 2n);
    jedec = `${t / 100n}.${pad2(t % 100n)} TB`;
  }
  return `"${iec} (${jedec})"`;
}

/**
 * util/json.c display_hex(): "%#llx" of the value as read back: json_object_get_int64() before
 * ndctl 79, util_json_get_u64() (json-c uint64) since ({@link NDCTL_SINCE} jsonU64).
 */
export function displayHex(v: { v: bigint; u64: boolean }, ndctl: Ndctl): string {
  let val: bigint;
  if (!ndctlHas(ndctl, 'jsonU64')) val = u64(v.u64 && v.v > I64_MAX ? I64_MAX : v.v);
  else val = v.u64 ? v.v : v.v < 0n ? 0n : v.v;
  return `"${hexAlt(val)}"`;
}

/** Two-space indents by level. */
const INDENTS: string[] = [''];
function indent(level: number): string {
  let s = INDENTS[level];
  if (s === undefined) {
    s = '  '.repeat(level);
    INDENTS[level] = s;
  }
  return s;
}

/** A scalar's text, or undefined for containers. */
function scalarText(x: JVal, ndctl: Ndctl): string | undefined {
  switch (x.t) {
    case 'str':
      return `"${jsonEscape(x.s)}"`;
    case 'bool':
      return x.b ? 'true' : 'false';
    case 'int':
      if (x.ser === 'size') return displaySize(x);
      if (x.ser === 'hex') return displayHex(x, ndctl);
      return x.v.toString();
    default:
      return undefined;
  }
}

/**
 * Output text in pieces, joined into ~4096-piece chunks as it goes: the pieces die young and
 * only the chunks (the output itself) survive, which keeps a 10 MB listing cheap to collect.
 */
class Pieces {
  private readonly chunks: string[] = [];
  private buf: string[] = [];
  push(s: string): void {
    this.buf.push(s);
    if (this.buf.length >= 4096) {
      this.chunks.push(this.buf.join(''));
      this.buf = [];
    }
  }
  text(): string {
    this.chunks.push(this.buf.join(''));
    this.buf = [];
    return this.chunks.join('');
  }
}

/** `"key":` per key (keys repeat across thousands of objects). */
const quotedKeys = new Map<string, string>();
function quotedKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = `"${jsonEscape(k)}":`;
    if (quotedKeys.size < 4096) quotedKeys.set(k, q);
  }
  return q;
}

/** Appends `x` printed at `level` to `out` (what goes before it is already there). */
function emitPretty(x: JVal, level: number, ndctl: Ndctl, out: Pieces, inlineEmpty: boolean): void {
  const s = scalarText(x, ndctl);
  if (s !== undefined) {
    out.push(s);
    return;
  }
  if (x.t === 'obj') {
    if (x.e.length === 0) {
      out.push('{\n');
      out.push(indent(level));
      out.push('}');
      return;
    }
    out.push('{\n');
    const ind = indent(level + 1);
    for (let i = 0; i < x.e.length; i++) {
      const [k, val] = x.e[i] as [string, JVal];
      if (i > 0) out.push(',\n');
      out.push(ind);
      out.push(quotedKey(k));
      emitPretty(val, level + 1, ndctl, out, inlineEmpty);
    }
    out.push('\n');
    out.push(indent(level));
    out.push('}');
  } else if (x.t === 'arr') {
    if (x.a.length === 0) {
      if (inlineEmpty) {
        out.push('[]');
        return;
      }
      out.push('[\n');
      out.push(indent(level));
      out.push(']');
      return;
    }
    out.push('[\n');
    const ind = indent(level + 1);
    for (let i = 0; i < x.a.length; i++) {
      if (i > 0) out.push(',\n');
      out.push(ind);
      emitPretty(x.a[i] as JVal, level + 1, ndctl, out, inlineEmpty);
    }
    out.push('\n');
    out.push(indent(level));
    out.push(']');
  }
}

/**
 * json_object_to_json_string_ext(v, JSON_C_TO_STRING_PRETTY) as the json-c that ndctl build links
 * (default: the one of the modelled ndctl's distribution build, {@link JSONC_OF_NDCTL}).
 */
export function toJsonPretty(
  v: JVal,
  ndctl: Ndctl,
  jsonc: JsoncVersion = JSONC_OF_NDCTL[ndctl],
): string {
  const out = new Pieces();
  emitPretty(v, 0, ndctl, out, jsoncInlinesEmptyArray(jsonc));
  return out.text();
}

/** Appends `x` printed without whitespace (JSON_C_TO_STRING_PLAIN). */
function emitPlain(x: JVal, ndctl: Ndctl, out: Pieces): void {
  const s = scalarText(x, ndctl);
  if (s !== undefined) {
    out.push(s);
    return;
  }
  if (x.t === 'obj') {
    out.push('{');
    x.e.forEach(([k, val], i) => {
      if (i > 0) out.push(',');
      out.push(quotedKey(k));
      emitPlain(val, ndctl, out);
    });
    out.push('}');
  } else if (x.t === 'arr') {
    out.push('[');
    x.a.forEach((val, i) => {
      if (i > 0) out.push(',');
      emitPlain(val, ndctl, out);
    });
    out.push(']');
  }
}

/** json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN): `{"key":value,…}`, `[a,b]`. */
export function toJsonPlain(v: JVal, ndctl: Ndctl): string {
  const out = new Pieces();
  emitPlain(v, ndctl, out);
  return out.text();
}
