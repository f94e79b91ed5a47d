import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KernelLog } from '../../src/kernel/log.ts';
import { kstrtoint, parseModuleArgs } from '../../src/kernel/params.ts';

describe('kernel/params.c', () => {
  it('kstrtoint(s, 0): the bases, the sign, one newline, the int range', () => {
    const cases: [string, number | undefined][] = [
      ['1', 1],
      ['0', 0],
      ['-7', -7],
      ['+3', 3],
      ['0x1f', 31],
      ['0X1F', 31],
      ['010', 8],
      ['1\n', 1],
      ['2147483647', 2147483647],
      ['-2147483648', -2147483648],
      ['2147483648', undefined],
      ['y', undefined],
      ['', undefined],
      ['08', undefined],
      ['1 ', undefined],
      ['0x', undefined],
    ];
    for (const [s, v] of cases) expect(kstrtoint(s), JSON.stringify(s)).toBe(v);
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
        expect(kstrtoint(String(n))).toBe(n);
        if (n >= 0) expect(kstrtoint(`0x${n.toString(16)}`)).toBe(n);
      }),
      { numRuns: 200, seed: 3 },
    );
  });

  it("parse_args(): an undeclared parameter is logged (pr_warn) and dropped; '-' and '_' alike", () => {
    const log = new KernelLog();
    const kept = parseModuleArgs(
      log,
      'cxl_test',
      ['interleave_arithmetic'],
      ['interleave-arithmetic=1', 'foo=2', 'bar'],
    );
    expect(kept).toEqual(['interleave-arithmetic=1']);
    expect(log.lines.map((l) => [l.level, l.text])).toEqual([
      [4, "cxl_test: unknown parameter 'foo' ignored"],
      [4, "cxl_test: unknown parameter 'bar' ignored"],
    ]);
  });
});
