/**
 * DOC: the fast path of topology-file parsing: js-yaml, with the scalars of the `yaml` library's
 * YAML 1.2 core schema as schema.ts reads them (`intAsBigInt`).
 *
 * `yaml`'s `parseDocument()` keeps a position for every node (what an error needs to say
 * FILE:LINE:COL) and costs ~0.6–0.85 s for the 1.1 MB file of 4,096 generated endpoints;
 * js-yaml builds plain values only, ~0.1 s. schema.ts therefore reads a file here first and
 * keeps the result only when it validates; any file that js-yaml refuses or whose value does not
 * validate is read again by `yaml`, whose document gives the error and its position. So an error
 * is reported exactly as before, and a good file gives the value `yaml` gives (tested by a
 * property: tests/topology/yaml-fast.test.ts).
 *
 * What makes the two agree on a file both accept:
 * - mapping keys: a null key is '' as `yaml` makes it;
 * - scalars: `yaml`'s core tags, regex for regex (yaml/dist/schema/core: null, bool, int in
 *   octal `0o`, decimal and hex `0x` made `BigInt`s, float, exponent, `.inf`/`.nan`);
 * - a text with a `&`, `*` or `!` anywhere (an anchor, an alias or a tag, or only a comment or a
 *   string holding one) is left to `yaml`: it resolves tags with its own rules and caps alias
 *   expansion (`maxAliasCount`). Generated topology files have none.
 */
import {
  CORE_SCHEMA,
  defineMappingTag,
  defineScalarTag,
  load,
  mapTag,
  NOT_RESOLVED,
  type Schema,
} from 'js-yaml';

/** A resolver that refuses explicit tags (they go to `yaml`). */
function implicitOnly<T>(
  resolve: (source: string) => T | typeof NOT_RESOLVED,
): (source: string, isExplicit: boolean) => T | typeof NOT_RESOLVED {
  return (source, isExplicit) => (isExplicit ? NOT_RESOLVED : resolve(source));
}

const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT = /^(?:0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+)$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT =
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$|^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** This schema only loads. */
const NEVER_DUMPED = (): boolean => false;

/** `yaml`'s toJS() makes a null key (`~:`, `null:`, `:`) the key '' (stringifyKey()). */
const keyOf = (k: unknown): unknown => (k === null ? '' : k);

/** YAML 1.2 core schema with `yaml`'s scalar rules and `BigInt` integers. */
const SCHEMA: Schema = CORE_SCHEMA.withTags(
  defineMappingTag(mapTag.tagName, {
    ...mapTag,
    addPair: (c, k, v) => mapTag.addPair(c, keyOf(k), v),
    has: (c, k) => mapTag.has(c, keyOf(k)),
  }),
  defineScalarTag('tag:yaml.org,2002:null', {
    implicit: true,
    identify: NEVER_DUMPED,
    implicitFirstChars: ['', '~', 'n', 'N'],
    resolve: implicitOnly((s) => (NULL.test(s) ? null : NOT_RESOLVED)),
  }),
  defineScalarTag('tag:yaml.org,2002:bool', {
    implicit: true,
    identify: NEVER_DUMPED,
    implicitFirstChars: ['t', 'T', 'f', 'F'],
    resolve: implicitOnly((s) => (BOOL.test(s) ? s[0] === 't' || s[0] === 'T' : NOT_RESOLVED)),
  }),
  defineScalarTag('tag:yaml.org,2002:int', {
    implicit: true,
    identify: NEVER_DUMPED,
    implicitFirstChars: ['-', '+', ...'0123456789'],
    resolve: implicitOnly((s) => (INT.test(s) ? BigInt(s) : NOT_RESOLVED)),
  }),
  defineScalarTag('tag:yaml.org,2002:float', {
    implicit: true,
    identify: NEVER_DUMPED,
    implicitFirstChars: ['-', '+', '.', ...'0123456789'],
    resolve: implicitOnly((s) => {
      if (FLOAT_NAN.test(s))
        return s.slice(-3).toLowerCase() === 'nan'
          ? Number.NaN
          : s[0] === '-'
            ? Number.NEGATIVE_INFINITY
            : Number.POSITIVE_INFINITY;
      return FLOAT.test(s) ? Number.parseFloat(s) : NOT_RESOLVED;
    }),
  }),
);

/**
 * The value of a one-document YAML (or JSON) text as `yaml`'s `parseDocument(text, {
 * intAsBigInt: true }).toJS()` gives it, or `undefined` when this path does not take the text
 * (js-yaml refuses it, or it has anchors, aliases or explicit scalar tags): the caller then
 * parses it with `yaml`. Never throws.
 */
export function loadYamlFast(text: string): { value: unknown } | undefined {
  if (text.includes('&') || text.includes('*') || text.includes('!')) return undefined;
  try {
    return { value: load(text, { schema: SCHEMA }) };
  } catch {
    return undefined;
  }
}
