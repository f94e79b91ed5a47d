/**
 * The CXL Device DVSEC as the guest sees it through vfio-cxl (host/vfio-cxl/dvsec.ts):
 * every bit of every register is written from the guest's config space and checked against
 * the chosen revision's per-register rules (docs/vfio-cxl.md §3): HwInit/RO registers never
 * change, Control is RWL with IO_Enable held at 1 and RsvdP bits discarded, Status and Status2
 * clear on 1 (Status2 forwarded to the device), Control2's doorbells read 0 and act, Lock is
 * write-once and then freezes Control and the range bases. Guest writes never reach the
 * device's config space except the forwarded bits.
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import type { BootedMachine } from '../../src/boot.ts';
import type { VfioType2 } from '../../src/hw/vmm/index.ts';
import { boot, GPU4, guestCfg, guestDvsec, rec } from './helpers.ts';

let m: BootedMachine;
let r: VfioType2;
let dv: number;
let cfg: ReturnType<typeof guestCfg>;
/** The physical function's config space (what the host reads). */
const hostCfg = () => r.host.model.fn.config;
const hostBytes = () => Array.from(hostCfg().values());

beforeEach(() => {
  m = boot(GPU4);
  r = rec(m, 'dev0');
  dv = guestDvsec(m, r);
  cfg = guestCfg(m, r);
});

const bits16 = Array.from({ length: 16 }, (_, i) => i);
const bits32 = Array.from({ length: 32 }, (_, i) => i);

describe('read-only registers (HwInit / RO)', () => {
  it.each([
    ['DVSEC headers', [0x00, 0x02, 0x04, 0x06, 0x08]],
    ['Capability', [0x0a]],
    ['Capability2', [0x16]],
    ['Range 1 size', [0x18, 0x1a, 0x1c, 0x1e]],
    ['Range 2 size', [0x28, 0x2a, 0x2c, 0x2e]],
    ['Capability3', [0x38, 0x3a]],
  ] as const)('%s: no bit moves, in either direction', (_n, offs) => {
    const host = hostBytes();
    for (const off of offs) {
      const v0 = cfg.read(dv + off, 2);
      for (const b of bits16) {
        cfg.write(dv + off, 2, 1 << b);
        expect(cfg.read(dv + off, 2)).toBe(v0);
        cfg.write(dv + off, 2, ~(1 << b) & 0xffff);
        expect(cfg.read(dv + off, 2)).toBe(v0);
      }
    }
    expect(hostBytes()).toEqual(host);
  });
});

describe('Control (RWL)', () => {
  it('each bit: RW, except IO_Enable (held at 1) and RsvdP 12 (no P2P capability), 13, 15 (discarded)', () => {
    const host = hostBytes();
    const p2p = (cfg.read(dv + 0x38, 2) & (1 << 4)) !== 0;
    expect(p2p).toBe(false);
    for (const b of bits16) {
      cfg.write(dv + 0x0c, 2, 1 << b);
      const set = cfg.read(dv + 0x0c, 2);
      cfg.write(dv + 0x0c, 2, 0);
      const clr = cfg.read(dv + 0x0c, 2);
      expect(clr).toBe(0x2); // IO_Enable reads 1 whatever is written
      if (b === 1) expect(set).toBe(0x2);
      else if (b === 12 || b === 13 || b === 15) expect(set).toBe(0x2);
      else expect(set).toBe(0x2 | (1 << b));
    }
    expect(hostBytes()).toEqual(host);
  });

  it('a byte write changes only its byte', () => {
    cfg.write(dv + 0x0c, 2, 0x4005);
    cfg.write(dv + 0x0d, 1, 0x00);
    expect(cfg.read(dv + 0x0c, 2)).toBe(0x0007);
    cfg.write(dv + 0x0c, 1, 0x00);
    expect(cfg.read(dv + 0x0c, 2)).toBe(0x0002);
  });
});

describe('Status (RW1C Viral_Status, the rest RsvdZ)', () => {
  it('a set Viral_Status survives 0s and other 1s and clears on a 1; other bits never set', () => {
    hostCfg().set16(dv + 0x0e, 1 << 14); // the device reports viral
    expect(r.vfio.reset()).toBe(0); // FLR: the shadow re-samples the device
    expect(cfg.read(dv + 0x0e, 2)).toBe(1 << 14);
    for (const b of bits16) {
      if (b === 14) continue;
      cfg.write(dv + 0x0e, 2, 1 << b);
      expect(cfg.read(dv + 0x0e, 2)).toBe(1 << 14);
    }
    cfg.write(dv + 0x0e, 2, 0);
    expect(cfg.read(dv + 0x0e, 2)).toBe(1 << 14);
    cfg.write(dv + 0x0f, 1, 0x40); // the high byte alone
    expect(cfg.read(dv + 0x0e, 2)).toBe(0);
    cfg.write(dv + 0x0e, 2, 1 << 14);
    expect(cfg.read(dv + 0x0e, 2)).toBe(0);
  });

  it('a dword write at Control also writes Status', () => {
    hostCfg().set16(dv + 0x0e, 1 << 14);
    r.vfio.reset();
    cfg.write(dv + 0x0c, 4, (1 << 30) | 0x4);
    expect(cfg.read(dv + 0x0c, 4)).toBe(0x6);
  });
});

describe('Control2', () => {
  it('0, 3, 4 RW; 5 and 15:6 RsvdP; the doorbells 1 and 2 read 0', () => {
    for (const b of bits16) {
      if (b === 1 || b === 2) continue;
      cfg.write(dv + 0x10, 2, 1 << b);
      const want = b === 0 || b === 3 || b === 4 ? 1 << b : 0;
      expect(cfg.read(dv + 0x10, 2)).toBe(want);
      cfg.write(dv + 0x10, 2, 0);
      expect(cfg.read(dv + 0x10, 2)).toBe(0);
    }
  });

  it('Initiate Cache WB+I is forwarded to the device (its Status2 Cache Invalid), and reads 0', () => {
    expect(hostCfg().get16(dv + 0x12) & 1).toBe(0);
    cfg.write(dv + 0x10, 2, 1 << 1);
    expect(cfg.read(dv + 0x10, 2)).toBe(0);
    expect(hostCfg().get16(dv + 0x12) & 1).toBe(1);
    expect(cfg.read(dv + 0x12, 2) & 1).toBe(1); // Status2 reads the device
  });

  it('Initiate CXL Reset resets the device, stamps Reset Complete, keeps the placement', () => {
    r.host.model.memory.write(0n, Uint8Array.of(1, 2, 3));
    const before = r.vfio.cxl?.revocations ?? 0;
    cfg.write(dv + 0x10, 2, (1 << 2) | (1 << 3)); // with Mem Clr Enable
    expect(cfg.read(dv + 0x10, 2)).toBe(1 << 3);
    expect(cfg.read(dv + 0x12, 2) & 0x6).toBe(0x2);
    expect(r.vfio.cxl?.revocations).toBe(before + 1);
    expect(r.host.model.memory.read(0n, 3)).toEqual(new Uint8Array(3)); // cleared
    // host firmware re-committed, vfio re-sampled, the VMM re-programmed the guest base
    expect(r.vfio.cxl?.regionActive).toBe(true);
    expect(r.vfio.cxl?.comp.decoder(0)).toMatchObject({
      base: 0x80000000000n,
      committed: true,
      locked: true,
    });
  });
});

describe('Status2 (read from the device; RW1CS 3 and 15 forwarded)', () => {
  it.each([3, 15])('bit %i clears on the device and in the guest view on a 1', (b) => {
    hostCfg().set16(dv + 0x12, hostCfg().get16(dv + 0x12) | (1 << b));
    expect(cfg.read(dv + 0x12, 2) & (1 << b)).toBe(1 << b);
    cfg.write(dv + 0x12, 2, 0);
    expect(cfg.read(dv + 0x12, 2) & (1 << b)).toBe(1 << b);
    cfg.write(dv + 0x12, 2, 1 << b);
    expect(cfg.read(dv + 0x12, 2) & (1 << b)).toBe(0);
    expect(hostCfg().get16(dv + 0x12) & (1 << b)).toBe(0);
  });

  it('every other bit is RO', () => {
    const v0 = cfg.read(dv + 0x12, 2);
    for (const b of bits16) {
      if (b === 3 || b === 15) continue;
      cfg.write(dv + 0x12, 2, 1 << b);
      expect(cfg.read(dv + 0x12, 2)).toBe(v0);
    }
  });
});

describe('Lock (RWO) and what it freezes', () => {
  it('bits 15:1 RsvdP; CONFIG_LOCK sticks once set', () => {
    for (const b of bits16.slice(1)) {
      cfg.write(dv + 0x14, 2, 1 << b);
      expect(cfg.read(dv + 0x14, 2)).toBe(0);
    }
    cfg.write(dv + 0x14, 2, 1);
    expect(cfg.read(dv + 0x14, 2)).toBe(1);
    cfg.write(dv + 0x14, 2, 0);
    expect(cfg.read(dv + 0x14, 2)).toBe(1);
    expect(hostCfg().get16(dv + 0x14)).toBe(0); // never reaches the device
  });

  it('freezes Control and the range bases, not Control2; an FLR unlocks', () => {
    cfg.write(dv + 0x20, 4, 0x12345678);
    cfg.write(dv + 0x0c, 2, 0x4006);
    cfg.write(dv + 0x14, 2, 1);
    for (const b of bits16) {
      cfg.write(dv + 0x0c, 2, 1 << b);
      expect(cfg.read(dv + 0x0c, 2)).toBe(0x4006);
    }
    for (const off of [0x20, 0x24, 0x30, 0x34])
      for (const b of bits32) {
        const v0 = cfg.read(dv + off, 4);
        cfg.write(dv + off, 4, (1 << b) >>> 0);
        expect(cfg.read(dv + off, 4)).toBe(v0);
      }
    cfg.write(dv + 0x10, 2, 1);
    expect(cfg.read(dv + 0x10, 2)).toBe(1);
    r.vfio.reset();
    expect(cfg.read(dv + 0x14, 2)).toBe(0);
    cfg.write(dv + 0x0c, 2, 0x0006);
    expect(cfg.read(dv + 0x0c, 2)).toBe(0x0006);
  });
});

describe('Range Base High / Low (RWL)', () => {
  it.each([0x20, 0x30])('base high %#x: every bit RW', (off) => {
    for (const b of bits32) {
      cfg.write(dv + off, 4, (1 << b) >>> 0);
      expect(cfg.read(dv + off, 4)).toBe((1 << b) >>> 0);
    }
  });

  it.each([0x24, 0x34])('base low %#x: bits 31:28 RW, 27:0 reserved (cleared)', (off) => {
    for (const b of bits32) {
      cfg.write(dv + off, 4, (1 << b) >>> 0);
      expect(cfg.read(dv + off, 4)).toBe(b >= 28 ? (1 << b) >>> 0 : 0);
    }
    cfg.write(dv + off + 3, 1, 0xa5); // a byte write merges into the dword
    expect(cfg.read(dv + off, 4)).toBe(0xa0000000);
  });
});

describe('guest writes and the device', () => {
  it('random guest writes anywhere in the DVSEC change the device only through the forwarded bits', () => {
    const len = (hostCfg().get32(dv + 4) >>> 20) & 0xfff;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            off: fc.integer({ min: 0, max: len - 1 }),
            size: fc.constantFrom(1 as const, 2 as const, 4 as const),
            v: fc.integer({ min: 0, max: 0xffffffff }),
          }),
          { maxLength: 24 },
        ),
        (ops) => {
          const mm = boot(GPU4);
          const rr = rec(mm, 'dev0');
          const c = guestCfg(mm, rr);
          const d = guestDvsec(mm, rr);
          const hc = rr.host.model.fn.config;
          const before = Array.from(hc.values());
          for (const o of ops) {
            const at = o.off - (o.off % o.size);
            // Control2 doorbells (bits 1, 2) act on the device; keep them out of this property
            const v = at <= 0x10 && at + o.size > 0x10 ? o.v & ~(0x6 << (8 * (0x10 - at))) : o.v;
            c.write(d + at, o.size, v);
          }
          const after = Array.from(hc.values());
          const changed = after.flatMap((b, i) => (b !== before[i] ? [i - d] : []));
          // only Status2 (RW1CS forwarded) may change on the device
          return changed.every((o) => o === 0x12 || o === 0x13);
        },
      ),
      { numRuns: 40 },
    );
  });
});
