import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSize, qemuStrtosz, qemuStrtou64 } from '../../src/topology/qemu-size.ts';

const KiB = 1024n;
const MiB = 1024n * KiB;
const GiB = 1024n * MiB;

describe('qemuStrtosz (util/cutils.c do_strtosz)', () => {
  it.each([
    ['256M', 256n * MiB],
    ['4G', 4n * GiB],
    ['4g', 4n * GiB],
    ['1M', MiB],
    ['128K', 128n * KiB],
    ['4k', 4096n],
    ['1T', 1024n * GiB],
    ['2E', 2n << 60n],
    ['512', 512n],
    ['512B', 512n],
    ['0x10000000', 0x10000000n],
    ['1.5G', 3n * 512n * MiB],
    ['0256M', 256n * MiB],
  ])('%s → %s bytes', (text, bytes) => {
    expect(qemuStrtosz(text)).toEqual({ ok: true, value: bytes });
  });

  it('uses M as the default suffix for the legacy -m form', () => {
    expect(qemuStrtosz('2048', 'M')).toEqual({ ok: true, value: 2n * GiB });
    expect(qemuStrtosz('2G', 'M')).toEqual({ ok: true, value: 2n * GiB });
  });

  it.each(['', 'G', '-1M', '1.5', '1.5B', '0x10M', '0x1.5', '4 G', '4GB', 'abc', '1Q'])(
    'rejects %j',
    (text) => {
      expect(qemuStrtosz(text)).toEqual({ ok: false, error: 'EINVAL' });
    },
  );

  it('reports overflow as ERANGE', () => {
    expect(qemuStrtosz('16E')).toEqual({ ok: false, error: 'ERANGE' });
    expect(qemuStrtosz('0x10000000000000000')).toEqual({ ok: false, error: 'ERANGE' });
  });

  it('formatSize round-trips through qemuStrtosz (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
        expect(qemuStrtosz(formatSize(v))).toEqual({ ok: true, value: v });
      }),
    );
  });

  it('formatSize writes exact unit multiples with their suffix', () => {
    expect(formatSize(256n * MiB)).toBe('256M');
    expect(formatSize(8n * GiB)).toBe('8G');
    expect(formatSize(3n * 512n * MiB)).toBe('1536M');
    expect(formatSize(1000n)).toBe('0x3e8');
    expect(formatSize(0n)).toBe('0');
  });
});

describe('qemuStrtou64 (base 0)', () => {
  it('reads decimal, hex and octal', () => {
    expect(qemuStrtou64('12')).toEqual({ ok: true, value: 12n });
    expect(qemuStrtou64('0x1f')).toEqual({ ok: true, value: 31n });
    expect(qemuStrtou64('017')).toEqual({ ok: true, value: 15n });
    expect(qemuStrtou64('0')).toEqual({ ok: true, value: 0n });
    expect(qemuStrtou64('18446744073709551615')).toEqual({ ok: true, value: (1n << 64n) - 1n });
  });

  it('rejects garbage, signs and overflow', () => {
    expect(qemuStrtou64('12a').ok).toBe(false);
    expect(qemuStrtou64('-1').ok).toBe(false);
    expect(qemuStrtou64('09').ok).toBe(false);
    expect(qemuStrtou64('18446744073709551616')).toEqual({ ok: false, error: 'ERANGE' });
  });
});
