/**
 * The small C helpers the commands depend on: parse_size64() (util/size.c), ALIGN_DOWN
 * (util/size.h) with create-region's int alignment, and region.c to_csv() with its separator quirk.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alignDown } from '../../src/ndctl/cxl/region-create.ts';
import { toCsv } from '../../src/ndctl/cxl/region-parse.ts';
import { U64_MAX } from '../../src/ndctl/util/cstr.ts';
import { parseSize64 } from '../../src/ndctl/util/size.ts';

describe('parse_size64', () => {
  it('a number with a K/M/G/T suffix is that many binary units', () => {
    const units: Array<[string, bigint]> = [
      ['', 1n],
      ['k', 1n << 10n],
      ['M', 1n << 20n],
      ['g', 1n << 30n],
      ['T', 1n << 40n],
    ];
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 20n) - 1n }),
        fc.constantFrom(...units),
        (n, [sfx, unit]) => {
          expect(parseSize64(`${n}${sfx}`)).toBe(n * unit);
          expect(parseSize64(`0x${n.toString(16)}${sfx}`)).toBe(n * unit);
        },
      ),
    );
  });
  it('junk, a second suffix and overflow give ULLONG_MAX', () => {
    for (const s of ['1Q', '1MB', 'abc', '99999999999999999999', '16777216T', '1 M'])
      expect(parseSize64(s)).toBe(U64_MAX);
    expect(parseSize64('')).toBe(0n);
    expect(parseSize64('010')).toBe(8n);
  });
});

describe('ALIGN_DOWN', () => {
  it('equals rounding down for power-of-two alignments', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1n << 50n }),
        fc.constantFrom(1, 2, 4, 8),
        (x, ways) => {
          const a = 0x10000000 * ways;
          const expected = x - (x % BigInt(a));
          expect(alignDown(x, a | 0)).toBe(expected);
        },
      ),
    );
  });
});

describe('to_csv', () => {
  it('joins tokens with commas, with the original separator quirk', () => {
    expect(toCsv([])).toEqual({ csv: undefined, count: 0 });
    expect(toCsv(['mem0', 'mem1'])).toEqual({ csv: 'mem0,mem1', count: 2 });
    expect(toCsv(['mem0,mem1'])).toEqual({ csv: 'mem0,mem1,', count: 2 });
    expect(toCsv(['mem0 mem1', 'mem2'])).toEqual({ csv: 'mem0,mem1,mem2,', count: 3 });
  });
});
