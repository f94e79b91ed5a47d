/**
 * tests/helpers/canon.ts against shared/tools/canon.py: the identity map, the canonical dump and
 * canonical JSON recorded from canon.py itself (tests/list/golden/canon/), and the property canon
 * exists for: two boots of the same topology (interleave, interleave-dyndbg) whose devices are
 * numbered differently compare equal once canonicalised.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonDump,
  canonDumpText,
  canonJsonText,
  identityMap,
  type Json,
  loadCanonEntries,
  parseJsonExact,
  pyJsonDumps,
  rename,
} from '../helpers/canon.ts';
import { FIXTURES } from './golden.ts';

const GOLD = join(import.meta.dirname, 'golden', 'canon');
const A = join(FIXTURES, 'interleave', '00-boot');
const B = join(FIXTURES, 'interleave-dyndbg', '00-boot');
const FLAGS = ['plain', 'vvv', 'M', 'D', 'P', 'E', 'T', 'R', 'B', 'u-vvv', 'R-vvv', 'i-vvv'];

describe('canon identities', () => {
  it('maps names exactly as canon.py map does', () => {
    const m = identityMap(loadCanonEntries(join(B, 'sysfs.txt')));
    const want = JSON.parse(readFileSync(join(GOLD, 'interleave-dyndbg-00-boot.map.json'), 'utf8'));
    expect(Object.fromEntries(m)).toEqual(want);
  });

  it('agrees with the capture memdevs.txt (memN and its endpoint by PCI function)', () => {
    for (const dir of [A, B]) {
      const m = identityMap(loadCanonEntries(join(dir, 'sysfs.txt')));
      const lines = readFileSync(join(dir, 'memdevs.txt'), 'utf8').trim().split('\n');
      for (const l of lines) {
        const [mem = '', , host = '', ep = ''] = l.split('\t');
        const pci = host.replace('host=', '');
        expect(m.get(mem)).toBe(`MEM[${pci}]`);
        expect(m.get(ep.replace('endpoint=', ''))).toBe(`EP[${pci}]`);
      }
    }
  });

  it('renames whole tokens only', () => {
    const m = new Map([
      ['mem1', 'MEM[x]'],
      ['decoder3.0', 'DEC[y].0'],
    ]);
    expect(rename('mem1 pmem1 xmem1 mem10 mem1_ decoder3.0 decoder3.01', m)).toBe(
      'MEM[x] pmem1 xmem1 mem10 mem1_ DEC[y].0 decoder3.01',
    );
  });
});

describe('canon dump', () => {
  it('prints exactly what canon.py dump prints', () => {
    const ents = loadCanonEntries(join(B, 'sysfs.txt'));
    const text = canonDumpText(ents, identityMap(ents));
    const want = readFileSync(join(GOLD, 'interleave-dyndbg-00-boot.dump.sha256'), 'utf8').trim();
    expect(createHash('sha256').update(text).digest('hex')).toBe(want);
  });

  it('makes two boots of one topology equal (as sets of records), though the raw dumps differ', () => {
    const recs = (dir: string): string[] => {
      const ents = loadCanonEntries(join(dir, 'sysfs.txt'));
      return canonDump(ents, identityMap(ents))
        .map((e) => [e.kind, e.path, ...e.rest].join('\t') + e.body.map((b) => `\n|${b}`).join(''))
        .sort();
    };
    expect(readFileSync(join(A, 'sysfs.txt'), 'utf8')).not.toBe(
      readFileSync(join(B, 'sysfs.txt'), 'utf8'),
    );
    expect(recs(A)).toEqual(recs(B));
  });
});

describe('canon json', () => {
  it('renames and sorts like canon.py json (array order included)', () => {
    for (const [snap, flags, gold] of [
      [B, 'vvv', 'interleave-dyndbg-00-boot.vvv.json'],
      [
        join(FIXTURES, 'interleave', '03-region-4way'),
        'u-vvv',
        'interleave-03-region-4way.u-vvv.json',
      ],
    ] as const) {
      const m = identityMap(loadCanonEntries(join(snap, 'sysfs.txt')));
      const got = canonJsonText(readFileSync(join(snap, 'cxl-list', `${flags}.json`), 'utf8'), m);
      expect(got).toEqual(parseJsonExact(readFileSync(join(GOLD, gold), 'utf8')));
    }
  });

  it('makes every cxl list output of the two boots equal', () => {
    const ma = identityMap(loadCanonEntries(join(A, 'sysfs.txt')));
    const mb = identityMap(loadCanonEntries(join(B, 'sysfs.txt')));
    let rawDiffers = 0;
    for (const f of FLAGS) {
      const ta = readFileSync(join(A, 'cxl-list', `${f}.json`), 'utf8');
      const tb = readFileSync(join(B, 'cxl-list', `${f}.json`), 'utf8');
      if (ta !== tb) rawDiffers++;
      expect(canonJsonText(ta, ma)).toEqual(canonJsonText(tb, mb));
    }
    expect(rawDiffers).toBeGreaterThan(0);
  });

  it('keeps 64-bit integers exact and round-trips JSON text', () => {
    expect(parseJsonExact('[18446744073709551615, -9007199254740993, 1.5, 7]')).toEqual([
      18446744073709551615n,
      -9007199254740993n,
      1.5,
      7,
    ]);
    const arb = fc.jsonValue({ maxDepth: 3 }).filter((v) => !/\d{16,}/.test(JSON.stringify(v)));
    fc.assert(
      fc.property(arb, (v) => {
        const text = JSON.stringify(v);
        expect(parseJsonExact(text)).toEqual(JSON.parse(text) as Json);
      }),
    );
  });

  it('sorts keys and escapes like Python json.dumps(sort_keys=True)', () => {
    expect(pyJsonDumps({ b: [1, 'é/"\n'], a: null, c: true })).toBe(
      '{"a": null, "b": [1, "\\u00e9/\\"\\n"], "c": true}',
    );
  });
});
