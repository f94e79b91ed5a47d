/**
 * DOC: a fast path for the plain block YAML that `cxlsim gen` writes (and most hand-written
 * topology files are): `key: value` mappings, `- ` sequences, plain and simple double-quoted
 * scalars, nothing else.
 *
 * It returns exactly what `parseDocument(text, { intAsBigInt: true }).toJS()` of the yaml
 * package (YAML 1.2, core schema) returns for such a text, or undefined as soon as the text
 * has anything outside that subset (but the empty flow collections `{}` and `[]`) — comments, blank lines, tabs, flow collections, anchors,
 * tags, directives, quoting with escapes, multi-line scalars, empty values, duplicate keys,
 * null-like or non-decimal numbers, non-ASCII — and then the caller parses it with the yaml
 * package as before (which also reports any error with its position). A 4096-endpoint
 * topology (1.1 MB, 40 k lines) takes ~30 ms here against ~600 ms through the yaml package's
 * document model, which `boot` and every command that boots a stored topology pay.
 */

/** Thrown (and caught in {@link fastYaml}) when the text leaves the subset. */
class Bail {}
const BAIL = new Bail();

/** One line: its indentation and what follows it (a seq item's rest is re-indented). */
interface Line {
  indent: number;
  text: string;
}

/** A mapping key: plain, starting with a letter or '_' (so never a number, bool or null). */
const KEY = /^([A-Za-z_][A-Za-z0-9_-]*):(?: (.*))?$/;
/** Characters of a plain scalar value accepted here (first character, then the rest). */
const PLAIN = /^[A-Za-z0-9_/.][A-Za-z0-9 _.,:/+=@-]*$/;
/** A double-quoted scalar without escapes or quotes inside. */
const QUOTED = /^"([ !#-[\]-~]*)"$/;
/** Decimal integers as the core schema reads them, without sign or leading zero. */
const DEC = /^(?:0|[1-9][0-9]*)$/;
/** Scalars the core schema resolves to something else than a string (and not DEC). */
const SPECIAL = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
  /^0o[0-7]+$/,
  /^[-+]?[0-9]+$/,
  /^0x[0-9a-fA-F]+$/,
];

/** A scalar value as the core schema resolves it (ints as bigint), or an empty `{}`/`[]`. */
function scalar(s: string): unknown {
  if (s === '{}') return {};
  if (s === '[]') return [];
  const q = QUOTED.exec(s);
  if (q) return q[1];
  if (!PLAIN.test(s) || s.endsWith(':') || s.endsWith(' ') || s.includes(': ')) throw BAIL;
  if (DEC.test(s)) return BigInt(s);
  if (s === 'true') return true;
  if (s === 'false') return false;
  for (const re of SPECIAL) if (re.test(s)) throw BAIL;
  return s;
}

/** Recursive descent over the lines. */
class Parser {
  private i = 0;
  private readonly lines: Line[];
  constructor(lines: Line[]) {
    this.lines = lines;
  }

  /** Whether line `i` is a sequence item. */
  private item(i: number): boolean {
    return (this.lines[i] as Line).text.startsWith('- ');
  }

  /** The whole text: one mapping at indentation 0. */
  document(): unknown {
    const first = this.lines[0];
    if (first?.indent !== 0 || this.item(0)) throw BAIL;
    const v = this.map(0);
    if (this.i !== this.lines.length) throw BAIL;
    return v;
  }

  /** A block mapping whose keys are at column `ind`, from the current line. */
  private map(ind: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const lines = this.lines;
    while (this.i < lines.length) {
      const l = lines[this.i] as Line;
      if (l.indent < ind) break;
      if (l.indent > ind || this.item(this.i)) {
        // a sequence item at the key column ends this mapping only if a sequence holds it
        if (l.indent === ind) break;
        throw BAIL;
      }
      const m = KEY.exec(l.text);
      if (!m) throw BAIL;
      const key = m[1] as string;
      if (key === '__proto__' || Object.hasOwn(out, key)) throw BAIL;
      this.i++;
      if (m[2] !== undefined) {
        out[key] = scalar(m[2]);
        continue;
      }
      // `key:` alone: a block below it (deeper, or a sequence at the key's own column)
      const next = lines[this.i];
      if (!next) throw BAIL;
      if (next.indent > ind) out[key] = this.block(next.indent);
      else if (next.indent === ind && this.item(this.i)) out[key] = this.seq(ind);
      else throw BAIL; // an empty value (null)
    }
    return out;
  }

  /** A mapping or a sequence at column `ind`. */
  private block(ind: number): unknown {
    return this.item(this.i) ? this.seq(ind) : this.map(ind);
  }

  /** A block sequence whose `- ` are at column `ind`. */
  private seq(ind: number): unknown[] {
    const out: unknown[] = [];
    const lines = this.lines;
    while (this.i < lines.length) {
      const l = lines[this.i] as Line;
      if (l.indent < ind) break;
      if (l.indent > ind || !this.item(this.i)) {
        if (l.indent === ind) break; // a key of the mapping that holds this sequence
        throw BAIL;
      }
      const rest = l.text.slice(2);
      if (rest.startsWith('-') || rest.startsWith(' ') || rest === '') throw BAIL;
      if (KEY.test(rest)) {
        // `- key: …`: a mapping whose keys are at column ind + 2, this line its first
        lines[this.i] = { indent: ind + 2, text: rest };
        out.push(this.map(ind + 2));
      } else {
        out.push(scalar(rest));
        this.i++;
      }
    }
    return out;
  }
}

/**
 * `text` parsed as the yaml package would (see the DOC block), or undefined when it is not
 * in the subset this reads.
 */
export function fastYaml(text: string): unknown {
  // printable ASCII and newlines only: no tabs, CR, BOM or non-ASCII (and so no escapes)
  if (!/^[\n -~]*$/.test(text) || text.includes('#')) return undefined;
  const raw = text.split('\n');
  if (raw[raw.length - 1] === '') raw.pop();
  const lines: Line[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const s = raw[i] as string;
    let n = 0;
    while (s.charCodeAt(n) === 0x20) n++;
    if (n === s.length) return undefined; // a blank line
    lines[i] = { indent: n, text: s.slice(n) };
  }
  try {
    return new Parser(lines).document();
  } catch (e) {
    if (e === BAIL) return undefined;
    throw e;
  }
}
