/**
 * DOC: QEMU's two KEY=VALUE,... syntaxes.
 *
 * * {@link parseQemuOpts} — `QemuOpts` (util/qemu-option.c `opts_do_parse()`), used for
 *   `-device` and `-m`: the first parameter may omit its key (the implied name: `driver`,
 *   `size`), a bare `flag` means `flag=on` and `noflag` `flag=off`, `,,` is a literal comma,
 *   repeated keys are kept (the last wins when read). `id=` is taken out and must be an
 *   identifier (`id_wellformed()`).
 * * {@link keyvalParseInto} — keyval (util/keyval.c `keyval_parse_into()`), used for `-M` /
 *   `-machine` and `-object`: dotted keys build nested dictionaries, numeric fragments are
 *   list indexes (`cxl-fmw.0.targets.1`), every parse ends with `keyval_listify()`, which
 *   turns index-keyed dictionaries into lists and reports the first missing index
 *   ("Parameter 'cxl-fmw.1' missing"). Several `-M` options parse into one dictionary, later
 *   values replacing earlier ones.
 * Errors are thrown as {@link QemuError} with QEMU's words; the caller adds the location.
 */
import { QemuError } from './qemu-errors.ts';

/** A keyval value: a string, a dictionary (insertion-ordered) or a list. */
export type KvValue = string | KvDict | KvValue[];
/** A keyval dictionary (QDict). */
export type KvDict = Map<string, KvValue>;

/** Parsed QemuOpts: `id` and the parameters in order (duplicates kept). */
export interface QemuOpts {
  id: string | undefined;
  params: [string, string][];
}

/** The value of the last occurrence of `key` (how `qemu_opt_get()` reads QemuOpts). */
export function optGet(o: QemuOpts, key: string): string | undefined {
  for (let i = o.params.length - 1; i >= 0; i--) {
    const p = o.params[i];
    if (p && p[0] === key) return p[1];
  }
  return undefined;
}

/** `id_wellformed()`: a letter, then letters, digits, '-', '.', '_'. */
export function idWellformed(id: string): boolean {
  return /^[A-Za-z][A-Za-z0-9\-._]*$/.test(id);
}

/** Reads a value up to an unescaped ',' (",," is a comma). Returns [value, rest after ','] */
function getOptValue(s: string): [string, string] {
  let v = '';
  let i = 0;
  while (i < s.length) {
    if (s[i] === ',') {
      if (s[i + 1] === ',') {
        v += ',';
        i += 2;
        continue;
      }
      return [v, s.slice(i + 1)];
    }
    v += s[i];
    i++;
  }
  return [v, ''];
}

/**
 * `qemu_opts_parse()`: "cxl-rp,port=0,bus=cxl.0,id=rp0" with implied first key.
 * @throws QemuError "Parameter 'id' expects an identifier" for a malformed id.
 */
export function parseQemuOpts(text: string, implied: string | undefined): QemuOpts {
  const params: [string, string][] = [];
  let id: string | undefined;
  let s = text;
  let first = true;
  while (s.length > 0) {
    const len = s.search(/[=,]/) < 0 ? s.length : s.search(/[=,]/);
    let name: string;
    let value: string;
    if (s[len] !== '=') {
      if (first && implied !== undefined) {
        name = implied;
        [value, s] = getOptValue(s);
      } else {
        name = s.slice(0, len);
        s = s[len] === ',' ? s.slice(len + 1) : s.slice(len);
        if (name.startsWith('no') && name.length > 2) {
          name = name.slice(2);
          value = 'off';
        } else value = 'on';
      }
    } else {
      name = s.slice(0, len);
      [value, s] = getOptValue(s.slice(len + 1));
    }
    first = false;
    if (name === 'id') {
      if (!idWellformed(value))
        throw new QemuError("Parameter 'id' expects an identifier", {
          hint: "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.",
        });
      id = value;
      continue;
    }
    params.push([name, value]);
  }
  return { id, params };
}

/** `key_to_index()`: a decimal list index fragment, or -1. */
function keyToIndex(frag: string): number {
  if (!/^\d+$/.test(frag)) return -1;
  const n = Number(frag);
  return n > 0x7fffffff ? -1 : n;
}

/** Length of a QAPI name at the start of `s` (`parse_qapi_name(s, false)`), or -1. */
function qapiNameLength(s: string): number {
  const m = /^[A-Za-z][A-Za-z0-9\-_]*/.exec(s);
  return m ? m[0].length : -1;
}

/** `keyval_parse_put()`: stores a value (string) or finds/creates a sub-dictionary (undefined). */
function kvPut(
  cur: KvDict,
  keyInCur: string,
  value: string | undefined,
  fullKeyToHere: string,
): KvValue {
  const old = cur.get(keyInCur);
  if (old !== undefined) {
    const oldIsStr = typeof old === 'string';
    const oldIsDict = old instanceof Map;
    if ((value !== undefined && !oldIsStr) || (value === undefined && !oldIsDict))
      throw new QemuError(`Parameters '${fullKeyToHere}.*' used inconsistently`);
    if (value === undefined) return old;
  }
  const v: KvValue = value ?? new Map();
  cur.set(keyInCur, v);
  return v;
}

/** Parses one "key=value" item (`keyval_parse_one()`); returns the rest of the string. */
function kvParseOne(dict: KvDict, params: string, implied: string | undefined): string {
  const stop = params.search(/[=,]/);
  let len = stop < 0 ? params.length : stop;
  let key = params;
  let impliedValueEnd: number | undefined;
  if (len > 0 && params[len] !== '=' && implied !== undefined) {
    key = implied;
    impliedValueEnd = len;
    len = implied.length;
  }
  const keyEnd = len;
  let cur = dict;
  let pos = 0;
  let keyInCur = '';
  for (;;) {
    const rest = key.slice(pos, keyEnd);
    const digits = /^\d+/.exec(rest)?.[0];
    let n: number;
    if (pos !== 0 && digits !== undefined && keyToIndex(digits) >= 0) n = digits.length;
    else n = Math.max(0, qapiNameLength(rest));
    if (n === 0 || (pos + n < keyEnd && key[pos + n] !== '.'))
      throw new QemuError(`Invalid parameter '${key.slice(0, keyEnd)}'`);
    if (n > 127) {
      const frag = pos !== 0 || pos + n !== keyEnd ? ' fragment' : '';
      throw new QemuError(`Parameter${frag} '${rest.slice(0, n)}' is too long`);
    }
    if (pos !== 0) cur = kvPut(cur, keyInCur, undefined, key.slice(0, pos - 1)) as KvDict;
    keyInCur = rest.slice(0, n);
    pos += n;
    if (pos >= keyEnd || key[pos] !== '.') break;
    pos++;
  }
  let value: string;
  let s: string;
  if (impliedValueEnd !== undefined) {
    value = params.slice(0, impliedValueEnd);
    s = params.slice(impliedValueEnd);
    if (s[0] === ',') s = s.slice(1);
  } else {
    if (params[pos] !== '=')
      throw new QemuError(`Expected '=' after parameter '${key.slice(0, pos)}'`);
    [value, s] = getOptValue(params.slice(pos + 1));
  }
  kvPut(cur, keyInCur, value, key.slice(0, keyEnd));
  return s;
}

/**
 * `keyval_listify()`: dictionaries whose keys are all indexes become lists.
 * @throws QemuError "Parameter 'cxl-fmw.1' missing" / "Parameters 'x.*' used inconsistently".
 */
function kvListify(cur: KvDict, prefix: string): KvValue {
  let hasIndex = false;
  let hasMember = false;
  for (const [k, v] of cur) {
    if (keyToIndex(k) >= 0) hasIndex = true;
    else hasMember = true;
    if (v instanceof Map) cur.set(k, kvListify(v, `${prefix}${k}.`));
  }
  if (hasIndex && hasMember) throw new QemuError(`Parameters '${prefix}*' used inconsistently`);
  if (!hasIndex) return cur;
  let max = -1;
  for (const k of cur.keys()) max = Math.max(max, keyToIndex(k));
  const list: KvValue[] = [];
  const nelt = cur.size;
  for (let i = 0; i < Math.min(nelt + 1, max + 1); i++) {
    const v = [...cur.entries()].find(([k]) => keyToIndex(k) === i)?.[1];
    if (v === undefined) throw new QemuError(`Parameter '${prefix}${i}' missing`);
    list.push(v);
  }
  return list;
}

/**
 * `keyval_parse_into()`: parses `text` into `dict` (which may already hold earlier options).
 * @param implied key of a first parameter written without "key=" ('type', 'qom-type').
 * @throws QemuError with keyval's messages.
 */
export function keyvalParseInto(dict: KvDict, text: string, implied: string | undefined): KvDict {
  let s = text;
  let imp = implied;
  while (s.length > 0) {
    s = kvParseOne(dict, s, imp);
    imp = undefined;
  }
  kvListify(dict, '');
  return dict;
}

/** Convenience: a fresh dictionary parsed from `text`. */
export function keyvalParse(text: string, implied: string | undefined): KvDict {
  return keyvalParseInto(new Map(), text, implied);
}
