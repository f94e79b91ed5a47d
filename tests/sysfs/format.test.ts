import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  hexll,
  kstrtobool,
  kstrtoint,
  kstrtoll,
  kstrtouint,
  kstrtoull,
  pa,
  sysfsStreq,
} from '../../src/sysfs/format.ts';
import { parseSysfsTxt } from '../helpers/sysfs-txt.ts';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'ok';
};

/** F records of the golden dumps whose file name matches. */
function captured(name: RegExp): string[] {
  const out: string[] = [];
  for (const f of ['minimal/00-boot', 'interleave/03-region-4way', 'minimal/02-create-namespace']) {
    const text = readFileSync(
      new URL(`../../sysfs-fixtures/${f}/sysfs.txt`, import.meta.url),
      'utf8',
    );
    for (const e of parseSysfsTxt(text))
      if (e.kind === 'F' && name.test(e.path) && !e.path.includes('/ndbus') && e.body.length === 1)
        out.push(e.body[0] as string);
  }
  return out;
}

describe('%#llx and %pa against the captures', () => {
  it('hexll reprints every captured %#llx value (decoder start/size, dpa_resource, serial, partition sizes)', () => {
    const values = captured(
      /\/(decoder\d+\.\d+\/(start|size|dpa_resource)|mem\d+\/(serial|ram\/size|pmem\/size)|region\d+\/(size|resource))$/,
    );
    expect(values.length).toBeGreaterThan(40);
    expect(values).toContain('0x0');
    expect(values).toContain('0xffffffffffffffff');
    for (const v of values) expect(hexll(kstrtoull(v))).toBe(v);
  });

  it('pa reprints every captured %pa value (endpoint dpa_size)', () => {
    const values = captured(/\/decoder\d+\.\d+\/dpa_size$/);
    expect(values).toContain('0x0000000000000000');
    expect(values).toContain('0x0000000010000000');
    for (const v of values) expect(pa(kstrtoull(v))).toBe(v);
  });

  it('treats values as u64', () => {
    expect(hexll(-1n)).toBe('0xffffffffffffffff');
    expect(pa(-1n)).toBe('0xffffffffffffffff');
  });
});

describe('kstrtox', () => {
  it('parses what the captured sysfs writes sent (failures/r05 step)', () => {
    // echo '0x10000000' > dpa_size, echo '0x200000000' > size, echo 4096 > interleave_granularity
    expect(kstrtoull('0x10000000\n')).toBe(0x10000000n);
    expect(kstrtoull('0x200000000\n')).toBe(0x200000000n);
    expect(kstrtoint('4096\n')).toBe(4096);
  });

  it('follows lib/kstrtox.c radix and error rules', () => {
    expect(kstrtoull('010')).toBe(8n);
    expect(kstrtoull('0X1f')).toBe(31n);
    expect(kstrtoull('+7\n')).toBe(7n);
    expect(kstrtoull('0')).toBe(0n);
    expect(kstrtoull('ff', 16)).toBe(255n);
    expect(kstrtoull('0xff', 16)).toBe(255n);
    expect(kstrtoull('18446744073709551615')).toBe((1n << 64n) - 1n);
    for (const bad of ['', '\n', ' 1', '1 ', '1\n\n', '-1', '08', '0x', '0xg', 'abc', '1a'])
      expect(
        code(() => kstrtoull(bad)),
        JSON.stringify(bad),
      ).toBe('EINVAL');
    expect(code(() => kstrtoull('18446744073709551616'))).toBe('ERANGE');
    expect(code(() => kstrtoull('0x10000000000000000x'))).toBe('ERANGE');
    expect(kstrtoll('-9223372036854775808')).toBe(-(1n << 63n));
    expect(code(() => kstrtoll('9223372036854775808'))).toBe('ERANGE');
    expect(kstrtoint('-1\n')).toBe(-1);
    expect(code(() => kstrtoint('2147483648'))).toBe('ERANGE');
    expect(code(() => kstrtouint('4294967296'))).toBe('ERANGE');
    expect(code(() => kstrtouint('-1'))).toBe('EINVAL');
  });

  it('round-trips any u64 through decimal, %#llx and octal text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
        expect(kstrtoull(`${v}\n`)).toBe(v);
        expect(kstrtoull(hexll(v))).toBe(v);
        expect(kstrtoull(`0${v.toString(8)}`)).toBe(v);
      }),
    );
  });

  it('kstrtobool looks at the first characters only', () => {
    for (const t of ['1', 'y', 'Y', 'yes', 'on', 'ON\n', '1\n'])
      expect(kstrtobool(t), t).toBe(true);
    for (const f of ['0', 'n', 'N', 'no', 'off', 'oF']) expect(kstrtobool(f), f).toBe(false);
    for (const bad of ['', 'o', 'true', '2', ' 1'])
      expect(
        code(() => kstrtobool(bad)),
        bad,
      ).toBe('EINVAL');
  });

  it('sysfsStreq ignores one trailing newline on either side', () => {
    expect(sysfsStreq('region0', 'region0\n')).toBe(true);
    expect(sysfsStreq('region0\n', 'region0')).toBe(true);
    expect(sysfsStreq('region0', 'region0')).toBe(true);
    expect(sysfsStreq('region0', 'region0\n\n')).toBe(false);
    expect(sysfsStreq('region0', 'region1')).toBe(false);
    expect(sysfsStreq('', '\n')).toBe(true);
  });
});
