import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createComponentRegisters } from '../../../src/hw/regs/component.ts';
import { HdmDecoderBlock } from '../../../src/hw/regs/hdm.ts';
import { Errno } from '../../../src/kernel/errno.ts';
import type { HdmCaps } from '../../../src/topology/model.ts';
import { COMMITTED, ERR, hdmOffset, programDecoder, resetDecoder } from './hdm-driver.ts';

const G = 0x10000000n; // 256 MiB
const hb10 = (strict = true) => {
  const r = createComponentRegisters('host-bridge', undefined, { qemu: '11.1', strict });
  return { r, h: hdmOffset(r) };
};
const ok = { base: 0x100000000n, size: 4n * G, eiw: 1, eig: 0, targets: [0, 1] };

describe('HDM decoder registers through MMIO', () => {
  it('capability register is read-only; base/size low dwords keep bits 31:28 only', () => {
    const { r, h } = hb10();
    const cap = r.read32(h);
    r.write32(h, 0);
    expect(r.read32(h)).toBe(cap);
    r.write32(h + 0x10, 0xffffffff);
    expect(r.read32(h + 0x10)).toBe(0xf0000000);
    r.write32(h + 0x14, 0xffffffff);
    expect(r.read32(h + 0x14)).toBe(0xffffffff);
  });

  it('CTRL: software cannot set COMMITTED/ERR or bits above 12', () => {
    const { r, h } = hb10();
    r.write32(h + 0x20, 0xffffffff & ~(1 << 9));
    expect(r.read32(h + 0x20)).toBe(0x13ff & ~(1 << 9));
  });

  it('endpoint DPA skip low keeps bits 31:28; switch target list low is fully writable', () => {
    const t3 = createComponentRegisters('type3', undefined, { qemu: '11.1' });
    const h = hdmOffset(t3);
    t3.write32(h + 0x24, 0x12345678);
    expect(t3.read32(h + 0x24)).toBe(0x10000000);
    const { r, h: hh } = hb10();
    r.write32(hh + 0x24, 0x12345678);
    expect(r.read32(hh + 0x24)).toBe(0x12345678);
  });

  it('COMMIT sets COMMITTED; clearing COMMIT de-commits', () => {
    const { r, h } = hb10();
    expect(programDecoder(r, h, 0, ok) & (COMMITTED | ERR)).toBe(COMMITTED);
    expect(resetDecoder(r, h, 0) & COMMITTED).toBe(0);
  });

  it('strict: committing decoder 1 before decoder 0 sets ERR; non-strict commits (QEMU)', () => {
    const next = { ...ok, base: ok.base + ok.size };
    const s = hb10(true);
    expect(programDecoder(s.r, s.h, 1, next) & (COMMITTED | ERR)).toBe(ERR);
    expect(s.r.hdm?.commitError(1)).toMatch(/out-of-order/);
    const q = hb10(false);
    expect(programDecoder(q.r, q.h, 1, next) & (COMMITTED | ERR)).toBe(COMMITTED);
  });

  it('ERR clears on the next CTRL write (the kernel clears COMMIT after ERR)', () => {
    const { r, h } = hb10();
    programDecoder(r, h, 1, ok);
    expect(r.read32(h + 0x40) & ERR).toBe(ERR);
    r.write32(h + 0x40, r.read32(h + 0x40) & ~(1 << 9));
    expect(r.read32(h + 0x40) & (ERR | COMMITTED)).toBe(0);
  });

  it.each([
    ['reserved IW encoding 5', { ...ok, eiw: 5 }, /reserved interleave ways/],
    ['reserved IG encoding 7', { ...ok, eig: 7 }, /reserved interleave granularity/],
    [
      '3-way without the 3/6/12 capability',
      { ...ok, eiw: 8, size: 3n * G, targets: [0, 1, 2] },
      /3-way/,
    ],
    ['16-way on a host bridge', { ...ok, eiw: 4, size: 16n * G }, /16-way/],
    [
      '4-way at 16 KiB needs HPA bit 15',
      { ...ok, eiw: 2, eig: 6, targets: [0, 1, 2, 3] },
      /bit 15/,
    ],
    [
      'size not a multiple of 256 MiB x ways',
      { ...ok, eiw: 2, size: 2n * G, targets: [0, 1, 2, 3] },
      /multiple/,
    ],
  ])('strict: %s sets ERR', (_, d, why) => {
    const { r, h } = hb10();
    expect(programDecoder(r, h, 0, d) & (COMMITTED | ERR)).toBe(ERR);
    expect(r.hdm?.commitError(0)).toMatch(why);
  });

  it('strict: a decoder whose range starts below the previous one sets ERR', () => {
    const { r, h } = hb10();
    programDecoder(r, h, 0, ok);
    expect(programDecoder(r, h, 1, { ...ok, base: ok.base + G }) & ERR).toBe(ERR);
    expect(programDecoder(r, h, 1, { ...ok, base: ok.base + ok.size }) & COMMITTED).toBe(COMMITTED);
  });

  it('ways beyond the target count set ERR on switches; 3/6/12 and 16-way pass on 10.1 type-3', () => {
    const usp = createComponentRegisters(
      'usp',
      { decoderCount: 1, targetCount: 2, a11to8: true, a14to12: true, iw3612: false, iw16: false },
      { qemu: '11.1' },
    );
    expect(
      programDecoder(usp, hdmOffset(usp), 0, { ...ok, eiw: 2, targets: [0, 1, 2, 3] }) & ERR,
    ).toBe(ERR);
    const t3 = createComponentRegisters('type3', undefined, { qemu: '11.1' });
    const h = hdmOffset(t3);
    expect(
      programDecoder(t3, h, 0, { base: ok.base, size: 12n * G, eiw: 10, eig: 0 }) & COMMITTED,
    ).toBe(COMMITTED);
  });

  it('Lock-On-Commit freezes every register of the decoder until reset()', () => {
    const { r, h } = hb10();
    programDecoder(r, h, 0, { ...ok, lock: true });
    const snap = [0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x28].map((o) => r.read32(h + o));
    expect(resetDecoder(r, h, 0) & COMMITTED).toBe(COMMITTED);
    r.write32(h + 0x24, 0xdeadbeef);
    expect([0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x28].map((o) => r.read32(h + o))).toEqual(snap);
    expect(r.hdm?.isLocked(0)).toBe(true);
    r.reset();
    expect(r.read32(h + 0x20)).toBe(0);
    expect(programDecoder(r, h, 0, ok) & COMMITTED).toBe(COMMITTED);
  });

  it('Global Control: HDM Decoder Enable is RW; poison enable only when capable', () => {
    const { r, h } = hb10();
    r.write32(h + 4, 3);
    expect(r.read32(h + 4)).toBe(2);
    const b = new HdmDecoderBlock({
      caps: {
        decoderCount: 1,
        targetCount: 1,
        a11to8: true,
        a14to12: true,
        iw3612: false,
        iw16: false,
      },
      role: 'device',
      poisonOnDecodeErrorCapable: true,
    });
    b.write32(4, 3);
    expect(b.read32(4)).toBe(3);
    expect(b.read32(0) & (1 << 10)).toBe(1 << 10);
  });

  it('program() is the firmware path: commits, locks, enables HDM decode, rejects nonsense', () => {
    const t3 = createComponentRegisters('type3', undefined, { qemu: '11.1', dpaLimit: 2n * G });
    const hdm = t3.hdm as HdmDecoderBlock;
    hdm.program(
      0,
      { index: 0, base: 0x200000000n, size: G, ways: 1, granularity: 256, lock: true },
      { targetType: 'hostonly' },
    );
    expect(hdm.isLocked(0)).toBe(true);
    expect(hdm.enabled).toBe(true);
    expect(t3.read32(hdmOffset(t3) + 0x20) & (1 << 12)).toBe(1 << 12);
    expect(() =>
      hdm.program(
        0,
        { index: 0, base: 0n, size: G, ways: 1, granularity: 256 },
        { targetType: 'hostonly' },
      ),
    ).toThrow(/locked/);
    const bad = { index: 1, base: 0x300000000n, size: 4n * G, ways: 1, granularity: 256 };
    expect(() => hdm.program(1, bad, { targetType: 'hostonly' })).toThrow(/capacity/);
    expect(() => hdm.program(1, { ...bad, ways: 5 }, { targetType: 'hostonly' })).toThrow(Errno);
    expect(() => hdm.program(7, bad, { targetType: 'hostonly' })).toThrow(/does not exist/);
  });
});

const WAYS = [1, 2, 3, 4, 6, 8, 12, 16];
const caps: HdmCaps = {
  decoderCount: 4,
  targetCount: 8,
  a11to8: true,
  a14to12: true,
  iw3612: true,
  iw16: true,
};

/** Reference device decode from reference/registers.md §6.6, written with QEMU's bit masks. */
function refDpaOffset(off: bigint, eiw: number, eig: number): bigint {
  const low = off & ((1n << BigInt(8 + eig)) - 1n);
  if (eiw < 8) return low | ((off >> BigInt(8 + eig + eiw)) << BigInt(8 + eig));
  return low | (((off >> BigInt(eig + eiw)) / 3n) << BigInt(eig + 8));
}
/** IW encodings, CXL 3.1 §8.2.4.20.7. */
const EIW: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3, 16: 4, 3: 8, 6: 9, 12: 10 };
const eiwOf = (w: number) => EIW[w] ?? -1;

describe('decode math (property)', () => {
  it('device decode equals the spec/QEMU bit formulas, and dpaToHpa inverts it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...WAYS),
        fc.integer({ min: 0, max: 6 }),
        fc.bigInt({ min: 1n, max: 64n }),
        fc.bigInt({ min: 0n, max: (1n << 20n) - 1n }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        (ways, eig, k, baseG, frac) => {
          // strict: false — the math must hold for every encodable set, capable or not
          const b = new HdmDecoderBlock({ caps, role: 'device', strict: false });
          const base = baseG * G;
          const size = k * G * BigInt(ways);
          b.program(
            0,
            { index: 0, base, size, ways, granularity: 256 << eig },
            { targetType: 'hostonly' },
          );
          const hpa = base + BigInt(Math.floor(frac * Number(size)));
          const got = b.decodeToDpa(hpa);
          expect(got?.dpa).toBe(refDpaOffset(hpa - base, eiwOf(ways), eig));
          const pos = Number((hpa / BigInt(256 << eig)) % BigInt(ways));
          expect(b.dpaToHpa(got?.dpa ?? -1n, pos)).toBe(hpa);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('switch decode picks target list slot (HPA >> (8 + IG)) mod ways; each member gets its own DPAs', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 3, 4, 6, 8),
        fc.integer({ min: 0, max: 4 }),
        fc.bigInt({ min: 1n, max: 1n << 16n }),
        fc.array(fc.bigInt({ min: 0n, max: (1n << 34n) - 1n }), { minLength: 1, maxLength: 20 }),
        (ways, eig, baseG, offs) => {
          const gran = 256 << eig;
          const base = baseG * G;
          const size = 4n * G * BigInt(ways);
          const sw = new HdmDecoderBlock({ caps, role: 'switch', strict: false });
          const ports = Array.from({ length: ways }, (_, i) => 0x10 + 3 * i);
          sw.program(
            0,
            { index: 0, base, size, ways, granularity: gran, targets: ports },
            { targetType: 'hostonly' },
          );
          const devs = ports.map(
            () => new HdmDecoderBlock({ caps, role: 'device', strict: false }),
          );
          for (const d of devs)
            d.program(
              0,
              { index: 0, base, size, ways, granularity: gran },
              { targetType: 'hostonly' },
            );
          const seen = new Map<string, bigint>();
          for (const o of offs) {
            const hpa = base + (o % size);
            const t = sw.decodeToTarget(hpa);
            const pos = Number((hpa / BigInt(gran)) % BigInt(ways));
            expect(t).toEqual({ decoder: 0, target: ports[pos] });
            const dpa = devs[pos]?.decodeToDpa(hpa)?.dpa ?? -1n;
            expect(dpa).toBeGreaterThanOrEqual(0n);
            expect(dpa).toBeLessThan(size / BigInt(ways));
            const key = `${pos}:${dpa}`;
            expect(seen.get(key) ?? hpa).toBe(hpa); // no two HPAs land on one device DPA
            seen.set(key, hpa);
            expect(devs[pos]?.dpaToHpa(dpa, pos)).toBe(hpa);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('DPA of decoder n = Σ lower (skip + size/ways) + its skip + offset; uncommitted decoders stop decode', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ways: fc.constantFrom(1, 2, 4),
            skip: fc.bigInt({ min: 0n, max: 3n }),
            k: fc.bigInt({ min: 1n, max: 3n }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.bigInt({ min: 0n, max: (1n << 28n) - 1n }),
        (decs, within) => {
          const b = new HdmDecoderBlock({ caps, role: 'device' });
          let base = 0x1000000000n;
          let dpaBase = 0n;
          const expected: { hpa: bigint; dpa: bigint }[] = [];
          decs.forEach((d, i) => {
            const size = d.k * G * BigInt(d.ways);
            b.program(
              i,
              { index: i, base, size, ways: d.ways, granularity: 4096, skip: d.skip * G },
              { targetType: 'hostonly' },
            );
            dpaBase += d.skip * G;
            const off = within % size;
            expected.push({ hpa: base + off, dpa: dpaBase + refDpaOffset(off, eiwOf(d.ways), 4) });
            dpaBase += size / BigInt(d.ways);
            base += size;
          });
          for (const [i, e] of expected.entries()) {
            expect(b.decodeToDpa(e.hpa)).toEqual({ decoder: i, dpa: e.dpa });
          }
          b.write32(0x20, b.read32(0x20) & ~(1 << 9)); // de-commit decoder 0
          for (const e of expected) expect(b.decodeToDpa(e.hpa)).toBeUndefined();
        },
      ),
      { numRuns: 100 },
    );
  });

  it('uncommitted or out-of-range HPAs do not decode on switches', () => {
    const sw = new HdmDecoderBlock({ caps, role: 'switch' });
    expect(sw.decodeToTarget(0x100000000n)).toBeUndefined();
    sw.program(
      0,
      { index: 0, base: 0x100000000n, size: G, ways: 1, granularity: 256, targets: [7] },
      { targetType: 'hostonly' },
    );
    expect(sw.decodeToTarget(0x100000000n + G)).toBeUndefined();
    expect(sw.decodeToTarget(0x100000000n + G - 1n)).toEqual({ decoder: 0, target: 7 });
  });
});
