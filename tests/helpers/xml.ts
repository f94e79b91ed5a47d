/**
 * A strict, small XML reader for tests (no npm XML parser is installed in this tree): elements,
 * attributes (quoted), text, comments, processing instructions and a DOCTYPE are read; any
 * unbalanced or malformed tag throws. Enough to check that an SVG is well-formed and to walk it.
 */

/** An element. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
}

const ENT: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const decode = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) => {
    if (e[0] === '#')
      return String.fromCodePoint(
        e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)),
      );
    const r = ENT[e];
    if (r === undefined) throw new Error(`unknown entity ${m}`);
    return r;
  });

/** Parses a document; returns its root element. @throws Error on malformed XML */
export function parseXml(src: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < src.length) {
    if (src.startsWith('<?', i)) {
      i = src.indexOf('?>', i) + 2;
      if (i < 2) throw new Error('unterminated <?');
    } else if (src.startsWith('<!--', i)) {
      i = src.indexOf('-->', i) + 3;
      if (i < 3) throw new Error('unterminated comment');
    } else if (src.startsWith('<!', i)) {
      i = src.indexOf('>', i) + 1;
      if (i < 1) throw new Error('unterminated <!');
    } else if (src.startsWith('</', i)) {
      const end = src.indexOf('>', i);
      const name = src.slice(i + 2, end).trim();
      const top = stack.pop();
      if (!top || top.name !== name) throw new Error(`mismatched </${name}> at ${i}`);
      i = end + 1;
    } else if (src[i] === '<') {
      const m =
        /^<([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(
          src.slice(i),
        );
      if (!m) throw new Error(`malformed tag at ${i}: ${src.slice(i, i + 40)}`);
      const attrs: Record<string, string> = {};
      for (const a of (m[2] ?? '').matchAll(/([A-Za-z_][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g))
        attrs[a[1] as string] = decode(a[2] ?? a[3] ?? '');
      const el: XmlElement = { name: m[1] as string, attrs, children: [] };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root) throw new Error('two root elements');
      else root = el;
      if (m[3] !== '/') stack.push(el);
      i += m[0].length;
    } else {
      const end = src.indexOf('<', i);
      const t = src.slice(i, end < 0 ? src.length : end);
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(decode(t));
      else if (t.trim() !== '') throw new Error('text outside the root element');
      i = end < 0 ? src.length : end;
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element below (and including) `el`, depth first. */
export function allElements(el: XmlElement): XmlElement[] {
  return [el, ...el.children.flatMap((c) => (typeof c === 'string' ? [] : allElements(c)))];
}

/** The text content of an element. */
export function textOf(el: XmlElement): string {
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}
