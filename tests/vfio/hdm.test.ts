/**
 * The HDM decoder shadow (host/vfio-cxl/comp-regs.ts) as the guest sees it through its
 * component-register BAR: every bit of every HDM register written with 32-bit MMIO from the
 * guest and checked against the revision's rules (docs/vfio-cxl.md §4): the capability is
 * read-only, Global Control keeps only HDM Decoder Enable, base/size low bits 27:0 are
 * reserved, CTRL keeps COMMITTED/ERR/target type and drops reserved fields, COMMIT completes
 * at once (COMMITTED := COMMIT), target-list writes are ignored, and LOCK freezes BASE, SIZE
 * and CTRL. The physical decoders never change. The COMP_REGS region itself takes only 4-byte
 * aligned dwords.
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import type { BootedMachine } from '../../src/boot.ts';
import { bootMachine } from '../../src/boot.ts';
import type { VfioType2 } from '../../src/hw/vmm/index.ts';
import { Errno } from '../../src/kernel/errno.ts';
import { GPU4, guestHdm, latest, rec, topo } from './helpers.ts';

/** GPU4 with two HDM decoders on dev0's device: decoder 1 stays free for the guest. */
function boot2(): BootedMachine {
  const t = topo(GPU4);
  const child = t.hostBridges[0]?.rootPorts[0]?.child;
  if (child?.kind !== 'type2') throw new Error('shape');
  child.hdm = {
    decoderCount: 2,
    targetCount: 1,
    a11to8: true,
    a14to12: true,
    iw3612: false,
    iw16: false,
  };
  return bootMachine(t, { profile: latest });
}

let m: BootedMachine;
let r: VfioType2;
let hdm: bigint;
const rd = (off: number) => m.platform.bus.mmio.read32(hdm + BigInt(off)) >>> 0;
const wr = (off: number, v: number) => m.platform.bus.mmio.write32(hdm + BigInt(off), v >>> 0);
/** The physical decoder block as the host reads it. */
const hostHdm = () => {
  const c = r.vfio.cxl;
  if (!c) throw new Error('no cxl');
  const out: number[] = [];
  for (let o = 0; o < c.regs.hdmSize; o += 4)
    out.push(
      r.vfio.host.barRead32(c.regs.bar, c.regs.offset + 0x1000 + c.regs.hdmOffset + o) >>> 0,
    );
  return out;
};
const bits = Array.from({ length: 32 }, (_, i) => i);
const bit = (b: number) => (1 << b) >>> 0;

beforeEach(() => {
  m = boot2();
  r = rec(m, 'dev0');
  hdm = guestHdm(m, r);
});

describe('capability and global control', () => {
  it('HDM Decoder Capability: no bit moves', () => {
    const v0 = rd(0);
    expect(v0 & 0xf).toBe(1); // two decoders
    for (const b of bits) {
      wr(0, bit(b));
      expect(rd(0)).toBe(v0);
    }
  });

  it('Global Control: bit 1 RW; bit 0 RO 0 (no poison-on-decode-error capability); 31:2 reserved', () => {
    expect(rd(0) & (1 << 10)).toBe(0);
    for (const b of bits) {
      wr(4, bit(b));
      expect(rd(4)).toBe(b === 1 ? 2 : 0);
    }
    wr(4, 2);
  });
});

describe('a free decoder (decoder 1)', () => {
  const D = 0x30;
  it('BASE/SIZE low: 31:28 RW, 27:0 reserved; high: every bit RW', () => {
    for (const reg of [0x0, 0x8])
      for (const b of bits) {
        wr(D + reg, bit(b));
        expect(rd(D + reg)).toBe(b >= 28 ? bit(b) : 0);
      }
    for (const reg of [0x4, 0xc])
      for (const b of bits) {
        wr(D + reg, bit(b));
        expect(rd(D + reg)).toBe(bit(b));
      }
  });

  it('CTRL: IG/IW/BI RW, COMMIT mirrored in COMMITTED, ERR and target type RO, reserved fields dropped', () => {
    const typeBit = rd(D + 0x10) & (1 << 12);
    for (const b of bits) {
      if (b === 8) continue; // LOCK: below
      wr(D + 0x10, bit(b));
      const v = rd(D + 0x10);
      if (b <= 7 || b === 13)
        expect(v).toBe(bit(b) | typeBit); // IG, IW; BI (cache capable)
      else if (b === 9)
        expect(v).toBe((1 << 9) | (1 << 10) | typeBit); // commit completes at once
      else expect(v).toBe(typeBit); // 10, 11, 12 RO; 14 UIO, 15, 16–27, 28–31 reserved
      wr(D + 0x10, 0);
      expect(rd(D + 0x10) & (1 << 10)).toBe(0); // clearing COMMIT de-commits
    }
  });

  it('target list / DPA skip and the reserved dword ignore writes', () => {
    for (const reg of [0x14, 0x18, 0x1c])
      for (const b of bits) {
        wr(D + reg, bit(b));
        expect(rd(D + reg)).toBe(0);
      }
  });

  it('LOCK freezes BASE, SIZE and CTRL (until reset)', () => {
    wr(D + 0x4, 0x900);
    wr(D + 0x0, 0x10000000);
    wr(D + 0xc, 0x4);
    wr(D + 0x10, (1 << 9) | (1 << 8));
    const frozen = [0x0, 0x4, 0x8, 0xc, 0x10].map((o) => rd(D + o));
    for (const o of [0x0, 0x4, 0x8, 0xc, 0x10])
      for (const b of bits) {
        wr(D + o, bit(b));
        wr(D + o, 0);
      }
    expect([0x0, 0x4, 0x8, 0xc, 0x10].map((o) => rd(D + o))).toEqual(frozen);
    expect(frozen[4] && frozen[4] & (1 << 10)).toBe(1 << 10);
  });
});

describe('the VMM-placed decoder (decoder 0)', () => {
  it('reads committed and locked at the window base with the DPA size; no bit moves', () => {
    const d0 = [0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x28, 0x2c].map(rd);
    expect(d0[0]).toBe(0);
    expect(d0[1]).toBe(0x800);
    expect((BigInt(d0[3] ?? 0) << 32n) | BigInt(d0[2] ?? 0)).toBe(16n << 30n);
    expect((d0[4] ?? 0) & 0x700).toBe(0x700); // LOCK, COMMIT, COMMITTED
    for (const o of [0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x28, 0x2c])
      for (const b of bits) wr(o, bit(b));
    expect([0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x28, 0x2c].map(rd)).toEqual(d0);
  });

  it('the physical decoder keeps the host HPA: nothing the guest writes reaches it', () => {
    const before = hostHdm();
    expect(((BigInt(before[5] ?? 0) << 32n) | BigInt(before[4] ?? 0)) === r.host.hpa).toBe(true);
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 0x4f }), fc.integer({ min: 0, max: 0xffffffff })),
          {
            maxLength: 64,
          },
        ),
        (ws) => {
          for (const [o, v] of ws) wr(o * 4, v);
          return JSON.stringify(hostHdm()) === JSON.stringify(before);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('the COMP_REGS region', () => {
  it('takes 4-byte aligned dwords only (8/16-bit, misaligned and out-of-range: EINVAL)', () => {
    const c = r.vfio.cxl;
    if (!c) throw new Error('no cxl');
    const off = c.regs.hdmOffset + 0x10;
    expect(() => c.comp.read(off, 2)).toThrow(Errno);
    expect(() => c.comp.read(off, 1)).toThrow('COMP_REGS accesses must be 4 bytes, 4-byte aligned');
    expect(() => c.comp.write(off + 2, 0)).toThrow(Errno);
    expect(() => c.comp.write(off, 0, 8)).toThrow(Errno);
    expect(() => c.comp.read(c.comp.size)).toThrow('COMP_REGS access past the region');
    expect(c.comp.read(off)).toBe(c.comp.read(off, 4));
  });

  it('the capability array below the HDM capability is a read-only snapshot', () => {
    const c = r.vfio.cxl;
    if (!c) throw new Error('no cxl');
    const words = Array.from({ length: c.regs.hdmOffset / 4 }, (_, i) => c.comp.read(i * 4));
    for (let i = 0; i < words.length; i++) c.comp.write(i * 4, 0xffffffff);
    expect(Array.from({ length: words.length }, (_, i) => c.comp.read(i * 4))).toEqual(words);
    expect((words[0] ?? 0) & 0xffff).toBe(1); // CXL Capability Header
  });
});
