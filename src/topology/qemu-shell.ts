/**
 * DOC: the shell's part of a pasted QEMU command line: word splitting without expansion
 * (`\`-newline joins lines, `#` comments, '…' and "…" quoting, `\` escapes; `$VAR` stays
 * as written), with each word's offset kept so that errors can name line and column.
 */
import { Errno } from '../kernel/errno.ts';

/**
 * Shell word splitting without expansion. Linear in the text: runs of ordinary characters
 * and quoted strings are sliced, never appended a character at a time.
 * @param starts when given, receives each word's start offset in `text` (UTF-16 units), so
 *   errors can name line and column.
 * @throws EINVAL "unterminated quote" (with the line number) for an open '…' or "…".
 */
export function splitShellWords(text: string, starts?: number[]): string[] {
  const words: string[] = [];
  let parts: string[] = [];
  let inWord = false;
  let wordStart = 0;
  let i = 0;
  let line = 1;
  const n = text.length;
  const special = /[\\'"# \t\n\r]/g;
  const flush = () => {
    if (inWord) {
      words.push(parts.length === 1 ? (parts[0] as string) : parts.join(''));
      starts?.push(wordStart);
    }
    parts = [];
    inWord = false;
  };
  const lines = (a: number, b: number) => {
    for (let k = text.indexOf('\n', a); k >= 0 && k < b; k = text.indexOf('\n', k + 1)) line++;
  };
  while (i < n) {
    const c = text[i] as string;
    if (c === '\\') {
      const next = text[i + 1];
      if (next === '\n') {
        line++;
        i += 2;
        continue;
      }
      if (next === '\r' && text[i + 2] === '\n') {
        line++;
        i += 3;
        continue;
      }
      if (next !== undefined) parts.push(next);
      if (!inWord) wordStart = i;
      inWord = true;
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0)
        throw new Errno('EINVAL', `unterminated ' quote in QEMU command line (line ${line})`);
      lines(i + 1, end);
      parts.push(text.slice(i + 1, end));
      if (!inWord) wordStart = i;
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      const startLine = line;
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        const b = text.indexOf('\\', j);
        if (q < 0)
          throw new Errno(
            'EINVAL',
            `unterminated " quote in QEMU command line (line ${startLine})`,
          );
        if (b < 0 || b > q) {
          lines(j, q);
          parts.push(text.slice(j, q));
          j = q + 1;
          break;
        }
        lines(j, b);
        parts.push(text.slice(j, b));
        const e = text[b + 1];
        if (e === '"' || e === '\\' || e === '$' || e === '`') {
          parts.push(e);
          j = b + 2;
        } else if (e === '\n') {
          line++;
          j = b + 2;
        } else {
          parts.push('\\');
          j = b + 1;
        }
      }
      if (!inWord) wordStart = i;
      inWord = true;
      i = j;
      continue;
    }
    if (c === '#' && !inWord) {
      const e = text.indexOf('\n', i);
      i = e < 0 ? n : e;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (c === '\n') line++;
      flush();
      i++;
      continue;
    }
    // a run of ordinary characters ('#' inside a word is ordinary)
    special.lastIndex = i + 1;
    let j = i + 1;
    for (;;) {
      const m = special.exec(text);
      if (!m) {
        j = n;
        break;
      }
      if (m[0] === '#') continue;
      j = m.index;
      break;
    }
    parts.push(text.slice(i, j));
    if (!inWord) wordStart = i;
    inWord = true;
    i = j;
  }
  flush();
  return words;
}
