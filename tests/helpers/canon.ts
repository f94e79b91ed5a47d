/**
 * DOC: canon — compare CXL guest views across boots whose device numbering differs.
 *
 * The rules of shared/tools/canon.py, rule for rule: memN, pmemN, endpointN, portN and
 * decoderP.N are renamed after stable identities read from the same sysfs dump
 *   memN -> MEM[<PCI function>], pmemN -> PMEM[<its memdev's PCI function>],
 *   endpointN -> EP[<its memdev's PCI function>], portN -> PORT[<uport name>],
 *   decoderP.N -> DEC[<port P's identity, or ROOT>].N
 * and JSON arrays are sorted by their Python `json.dumps(x, sort_keys=True)` text, so order that
 * comes from numbering drops out. JSON integers keep full 64-bit precision (bigint when unsafe).
 */
import { readFileSync } from 'node:fs';

/** A record of the dump as canon.py's entries() reads it: [kind, path, rest fields, body]. */
export interface CanonEntry {
  kind: string;
  path: string;
  rest: string[];
  body: string[];
}

/** canon.py entries(): every non-comment line opens a record; '|' lines append to the last one. */
export function canonEntries(text: string): CanonEntry[] {
  const out: CanonEntry[] = [];
  let cur: CanonEntry | undefined;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('|')) {
      cur?.body.push(line.slice(1));
      continue;
    }
    const f = line.split('\t');
    cur = { kind: f[0] ?? '', path: f.length > 1 ? (f[1] ?? '') : '', rest: f.slice(2), body: [] };
    out.push(cur);
  }
  return out;
}

/** Reads a dump file into canon entries. */
export function loadCanonEntries(file: string): CanonEntry[] {
  return canonEntries(readFileSync(file, 'utf8'));
}

const BDF = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.\d$/;

/** canon.py identity_map(): device name -> stable identity. */
export function identityMap(ents: CanonEntry[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const { kind, path } of ents) {
    const parts = path.split('/');
    const last = parts[parts.length - 1] ?? '';
    const parent = parts[parts.length - 2];
    if (kind === 'D' && /^mem\d+$/.test(last) && parent !== undefined && BDF.test(parent)) {
      m.set(last, `MEM[${parent}]`);
    }
  }
  const inner = (id: string): string => id.slice(4, -1);
  for (const { kind, path, rest } of ents) {
    const parts = path.split('/');
    const last = parts[parts.length - 1] ?? '';
    const parent = parts[parts.length - 2];
    if (kind === 'D' && /^pmem\d+$/.test(last) && parent !== undefined) {
      const mem = m.get(parent);
      if (mem !== undefined) m.set(last, `PMEM[${inner(mem)}]`);
    }
    if (kind === 'L' && last === 'uport' && parent !== undefined && rest.length > 0) {
      const tparts = (rest[0] ?? '').replace(/\/+$/, '').split('/');
      const target = tparts[tparts.length - 1] ?? '';
      const mem = m.get(target);
      if (/^endpoint\d+$/.test(parent) && mem !== undefined) m.set(parent, `EP[${inner(mem)}]`);
      else if (/^port\d+$/.test(parent)) m.set(parent, `PORT[${target}]`);
    }
  }
  for (const { kind, path } of ents) {
    const parts = path.split('/');
    const last = parts[parts.length - 1] ?? '';
    const d = /^decoder(\d+)\.(\d+)$/.exec(last);
    if (kind === 'D' && d) {
      const parent = path.includes('/') ? (parts[parts.length - 2] ?? '') : '';
      const owner = parent.startsWith('root') ? 'ROOT' : m.get(parent);
      if (owner) m.set(last, `DEC[${owner}].${d[2]}`);
    }
  }
  return m;
}

const TOKEN = /(?<![A-Za-z0-9_])(mem|pmem|endpoint|port|decoder)(\d+)(\.\d+)?(?![A-Za-z0-9_])/g;

/** canon.py rename(): every device token replaced by its identity (unknown ones kept). */
export function rename(s: string, m: Map<string, string>): string {
  return s.replace(TOKEN, (t) => m.get(t) ?? t);
}

/** canon.py canon_dump(): entries renamed; ndbus entries dropped; dev/uevent minors masked. */
export function canonDump(ents: CanonEntry[], m: Map<string, string>): CanonEntry[] {
  const out: CanonEntry[] = [];
  for (const { kind, path, rest, body } of ents) {
    if (/\/ndbus\d+(\/|$)/.test(path)) continue;
    const name = path.split('/').pop() ?? '';
    let b = body.map((x) => rename(x, m));
    if (name === 'dev') b = b.map((x) => x.replace(/^(\d+):\d+$/, '$1:N'));
    if (name === 'uevent') b = b.map((x) => x.replace(/^MINOR=\d+$/, 'MINOR=N'));
    out.push({ kind, path: rename(path, m), rest: rest.map((x) => rename(x, m)), body: b });
  }
  return out;
}

/** canon.py `dump` output text: header lines TAB joined, body lines prefixed '|'. */
export function canonDumpText(ents: CanonEntry[], m: Map<string, string>): string {
  let s = '';
  for (const e of canonDump(ents, m)) {
    s += `${[e.kind, e.path, ...e.rest].join('\t')}\n`;
    for (const x of e.body) s += `|${x}\n`;
  }
  return s;
}

/** Sets an own property (also for "__proto__", as JSON.parse does). */
function setKey(o: { [k: string]: Json }, k: string, v: Json): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** A parsed JSON value; integers beyond 2^53 are bigint so no digit is lost. */
export type Json = null | boolean | number | bigint | string | Json[] | { [k: string]: Json };

/** JSON.parse that keeps integers exact (bigint when not a safe integer). @throws SyntaxError */
export function parseJsonExact(text: string): Json {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw new SyntaxError(`bad JSON at offset ${i}`);
  };
  const value = (): Json => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const o: { [k: string]: Json } = {};
      ws();
      if (text[i] === '}') {
        i++;
        return o;
      }
      for (;;) {
        ws();
        const k = value();
        if (typeof k !== 'string') fail();
        ws();
        if (text[i++] !== ':') fail();
        setKey(o, k as string, value());
        ws();
        const d = text[i++];
        if (d === '}') return o;
        if (d !== ',') fail();
      }
    }
    if (c === '[') {
      i++;
      const a: Json[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return a;
      }
      for (;;) {
        a.push(value());
        ws();
        const d = text[i++];
        if (d === ']') return a;
        if (d !== ',') fail();
      }
    }
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') {
        if (text.charCodeAt(j) < 0x20) fail();
        j += text[j] === '\\' ? 2 : 1;
      }
      if (j >= text.length) fail();
      const str = JSON.parse(text.slice(i, j + 1)) as string;
      i = j + 1;
      return str;
    }
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (m) {
      i += m[0].length;
      if (m[1] === undefined && m[2] === undefined) {
        const b = BigInt(m[0]);
        return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(b)
          : b;
      }
      return Number(m[0]);
    }
    for (const [lit, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return v;
      }
    }
    return fail();
  };
  const v = value();
  ws();
  if (i !== text.length) fail();
  return v;
}

/** Python json.dumps string escaping with ensure_ascii=True. */
function pyString(s: string): string {
  let out = '"';
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    const ch = s[k] as string;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Python `json.dumps(v, sort_keys=True)` (default separators ', ' and ': '). */
export function pyJsonDumps(v: Json): string {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(', ')}]`;
  const keys = Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${pyString(k)}: ${pyJsonDumps(v[k] as Json)}`).join(', ')}}`;
}

/** canon.py canon_json(): keys and strings renamed, every array sorted by its sort_keys dump. */
export function canonJson(v: Json, m: Map<string, string>): Json {
  if (Array.isArray(v)) {
    const items = v.map((x) => canonJson(x, m)).map((x) => ({ x, k: pyJsonDumps(x) }));
    items.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
    return items.map((e) => e.x);
  }
  if (v !== null && typeof v === 'object') {
    const o: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) setKey(o, rename(k, m), canonJson(x, m));
    return o;
  }
  if (typeof v === 'string') return rename(v, m);
  return v;
}

/** canon.py `json` on a file's text: empty text is null, else parsed then canonicalised. */
export function canonJsonText(text: string, m: Map<string, string>): Json {
  const t = text.trim();
  return canonJson(t ? parseJsonExact(t) : null, m);
}
