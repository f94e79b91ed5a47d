import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackingStore, PAGE_SIZE } from '../../../src/hw/regs/backing-store.ts';
import { Errno } from '../../../src/kernel/errno.ts';

describe('BackingStore (sparse media)', () => {
  it('random writes then reads agree with a flat byte array', () => {
    const SIZE = 64 * 1024;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: SIZE - 1 }),
            data: fc.uint8Array({ minLength: 0, maxLength: 9000 }),
          }),
          { maxLength: 12 },
        ),
        fc.integer({ min: 0, max: SIZE - 1 }),
        fc.integer({ min: 0, max: 20000 }),
        (writes, rAt, rLen) => {
          const s = new BackingStore(BigInt(SIZE));
          const flat = new Uint8Array(SIZE);
          for (const w of writes) {
            const data = w.data.subarray(0, SIZE - w.at);
            s.write(BigInt(w.at), data);
            flat.set(data, w.at);
          }
          const len = Math.min(rLen, SIZE - rAt);
          expect(s.read(BigInt(rAt), len)).toEqual(flat.subarray(rAt, rAt + len));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a 16 TiB device costs nothing until written; untouched memory reads as zeros', () => {
    const s = new BackingStore(16n << 40n);
    const end = (16n << 40n) - 3n;
    s.write(end, new Uint8Array([1, 2, 3]));
    s.write(1n << 40n, new Uint8Array(PAGE_SIZE * 3)); // zeros allocate nothing
    expect(s.read(end - 1n, 4)).toEqual(new Uint8Array([0, 1, 2, 3]));
    expect(s.read(5n << 40n, 16)).toEqual(new Uint8Array(16));
    expect(s.allocatedPages).toBe(1);
  });

  it('fill: zero fills drop pages, other values are stored', () => {
    const s = new BackingStore(1n << 30n);
    s.write(0n, new Uint8Array(3 * PAGE_SIZE).fill(7));
    s.fill(10n, BigInt(2 * PAGE_SIZE), 0);
    expect(s.read(0n, 12)).toEqual(new Uint8Array([7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 0]));
    expect(s.read(BigInt(2 * PAGE_SIZE + 10), 2)).toEqual(new Uint8Array([7, 7]));
    s.fill(0n, 1n << 30n, 0);
    expect(s.allocatedPages).toBe(0);
    s.fill(5n, 3n, 0xab);
    expect(s.read(4n, 5)).toEqual(new Uint8Array([0, 0xab, 0xab, 0xab, 0]));
  });

  it('accesses outside the store fail with EINVAL, not a crash', () => {
    const s = new BackingStore(4096n);
    expect(() => s.read(4090n, 7)).toThrow(Errno);
    expect(() => s.write(-1n, new Uint8Array(1))).toThrow(/outside the backing store/);
    expect(() => new BackingStore(-1n)).toThrow(Errno);
  });
});
