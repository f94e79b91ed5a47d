import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/kernel/errno.ts';
import { splitShellWords } from '../../src/topology/qemu-shell.ts';

/** The word splitter as it was (character-by-character appends): the oracle for the linear one. */
function oracleSplit(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  let line = 1;
  const n = text.length;
  const flush = () => {
    if (inWord) words.push(cur);
    cur = '';
    inWord = false;
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
      if (next !== undefined) cur += next;
      inWord = true;
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0)
        throw new Errno('EINVAL', `unterminated ' quote in QEMU command line (line ${line})`);
      const q = text.slice(i + 1, end);
      line += q.split('\n').length - 1;
      cur += q;
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      const startLine = line;
      let j = i + 1;
      let q = '';
      for (;;) {
        const d = text[j];
        if (d === undefined)
          throw new Errno(
            'EINVAL',
            `unterminated " quote in QEMU command line (line ${startLine})`,
          );
        if (d === '"') break;
        if (
          d === '\\' &&
          (text[j + 1] === '"' ||
            text[j + 1] === '\\' ||
            text[j + 1] === '$' ||
            text[j + 1] === '`')
        ) {
          q += text[j + 1];
          j += 2;
          continue;
        }
        if (d === '\\' && text[j + 1] === '\n') {
          line++; // fixed: a continuation inside "…" counts its line (the old splitter missed it)
          j += 2;
          continue;
        }
        q += d;
        j++;
      }
      line += q.split('\n').length - 1;
      cur += q;
      inWord = true;
      i = j + 1;
      continue;
    }
    if (c === '#' && !inWord) {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (c === '\n') line++;
      flush();
      i++;
      continue;
    }
    cur += c;
    inWord = true;
    i++;
  }
  flush();
  return words;
}

/** Result or error message. */
function outcome(f: (t: string) => string[], t: string): string[] | string {
  try {
    return f(t);
  } catch (e) {
    return (e as Error).message;
  }
}

describe('splitShellWords', () => {
  it('splits like the character-by-character splitter on random shell text', () => {
    const piece = fc.constantFrom(
      'a',
      'b',
      '-',
      ',',
      '=',
      ' ',
      '\t',
      '\n',
      '\r',
      '\\',
      "'",
      '"',
      '#',
      '$',
      '`',
      'x y',
      '\\\n',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (ps) => {
        const t = ps.join('');
        expect(outcome(splitShellWords, t)).toEqual(outcome(oracleSplit, t));
      }),
      { numRuns: 3000 },
    );
  });

  it('splits a 15 MB word without per-character copies', () => {
    const w = splitShellWords(`qemu -append ${'a'.repeat(15_000_000)} -M q35`);
    expect(w.map((x) => x.length)).toEqual([4, 7, 15_000_000, 2, 3]);
    expect(() => splitShellWords('-M "q35')).toThrow(Errno);
  });
});
