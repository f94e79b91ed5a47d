/**
 * DOC: mutators — bytes (CEDT tables), text (QEMU lines, YAML) and the interesting values
 * parsers trip on (0, all ones, powers of two ± 1, huge lengths, lone quotes, NULs).
 */
import type { Rng } from './rng.ts';

const INTERESTING_32 = [
  0, 1, 2, 3, 4, 7, 8, 0x10, 0x20, 0x24, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff,
  0x80000000, 0xffffffff,
];

/** A mutated copy of `b`: 1–4 of byte flips, interesting 8/16/32-bit values, cuts, repeats. */
export function mutateBytes(r: Rng, b: Uint8Array): Uint8Array {
  let c = Uint8Array.from(b);
  const n = 1 + r.int(4);
  for (let k = 0; k < n; k++) {
    const at = r.int(Math.max(1, c.length));
    const dv = new DataView(c.buffer, c.byteOffset, c.byteLength);
    switch (r.int(8)) {
      case 0:
        if (at < c.length) c[at] = (c[at] as number) ^ (1 << r.int(8));
        break;
      case 1:
        if (at < c.length) c[at] = r.int(256);
        break;
      case 2:
        if (at + 2 <= c.length) dv.setUint16(at, r.pick(INTERESTING_32) & 0xffff, true);
        break;
      case 3:
        if (at + 4 <= c.length) dv.setUint32(at, r.pick(INTERESTING_32), true);
        break;
      case 4:
        if (at + 8 <= c.length) {
          dv.setUint32(at, r.u32(), true);
          dv.setUint32(at + 4, r.pick(INTERESTING_32), true);
        }
        break;
      case 5:
        c = c.slice(0, at); // truncation
        break;
      case 6: {
        // repeat a slice (a duplicated subtable, more or less)
        const len = 1 + r.int(64);
        const piece = c.slice(at, at + len);
        const out = new Uint8Array(c.length + piece.length);
        out.set(c.subarray(0, at));
        out.set(piece, at);
        out.set(c.subarray(at), at + piece.length);
        c = out;
        break;
      }
      default:
        if (at + 4 <= c.length) dv.setUint32(at, 0, true);
    }
  }
  return c;
}

const JUNK = [
  '',
  ' ',
  ',',
  '=',
  '"',
  "'",
  '\\',
  '\n',
  '#',
  '$X',
  '\0',
  '-',
  '--',
  '0',
  '-1',
  '1',
  '4096',
  '0x10000000000000000',
  '256M',
  '1T',
  '99999999999999999999',
  'on',
  'off',
  'cxl-type3',
  'cxl-rp',
  'pxb-cxl',
  'cxl-upstream',
  'cxl-downstream',
  'memory-backend-file',
  'id=x',
  'bus=x',
  'port=0',
  'cxl-fmw.0.targets.0=cxl.1',
  'cxl-fmw.0.size=4G',
  'ä',
  '\u{1F600}',
];

/** A mutated copy of text: words and characters deleted, duplicated, swapped or replaced. */
export function mutateText(r: Rng, t: string): string {
  const words = t.split(/(\s+|,|=)/);
  const n = 1 + r.int(5);
  for (let k = 0; k < n; k++) {
    const at = r.int(Math.max(1, words.length));
    switch (r.int(7)) {
      case 0:
        words.splice(at, 1);
        break;
      case 1:
        words.splice(at, 0, words[r.int(words.length)] ?? '');
        break;
      case 2:
        words[at] = r.pick(JUNK);
        break;
      case 3: {
        const w = words[at] ?? '';
        const i = r.int(w.length + 1);
        words[at] = w.slice(0, i) + r.pick(JUNK) + w.slice(i + r.int(3));
        break;
      }
      case 4: {
        const j = r.int(words.length);
        const a = words[at] ?? '';
        words[at] = words[j] ?? '';
        words[j] = a;
        break;
      }
      case 5:
        words[at] = (words[at] ?? '').replace(/\d+/, () => String(r.pick(INTERESTING_32)));
        break;
      default:
        words.splice(at, 0, ' ', r.pick(JUNK));
    }
  }
  return words.join('');
}
