import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PciConfigSpace } from '../../../src/hw/pci/config-space.ts';
import { PCI, STATUS } from '../../../src/hw/pci/regs.ts';
import { buildPlatform } from '../../../src/hw/platform.ts';
import { PROFILES } from '../../../src/profile.ts';
import { interleaveTopology } from '../fixtures.ts';

const debian = PROFILES['debian-12'];
const latest = PROFILES.latest;
if (!debian || !latest) throw new Error('profiles');

describe('BAR sizing (PCI 3.0 §6.2.5.1) through the config bus, as a kernel probes it', () => {
  for (const profile of [debian, latest]) {
    it(`every BAR reads back ~(size-1) | type after writing all-ones (QEMU ${profile.qemu})`, () => {
      const p = buildPlatform(interleaveTopology(), profile);
      const cfg = p.bus.pci;
      let checked = 0;
      for (const fn of p.functions().values()) {
        const bridge = (fn.config.get8(PCI.HEADER_TYPE) & 0x7f) === 1;
        for (let i = 0; i < (bridge ? 2 : 6); i++) {
          const off = PCI.BAR0 + 4 * i;
          const orig = cfg.read(fn.segment, fn.bus, fn.devfn, off, 4);
          cfg.write(fn.segment, fn.bus, fn.devfn, off, 4, 0xffffffff);
          const lo = cfg.read(fn.segment, fn.bus, fn.devfn, off, 4);
          cfg.write(fn.segment, fn.bus, fn.devfn, off, 4, orig);
          const decl = fn.config.bars[i];
          if (!decl) {
            if (!(i % 2 === 1 && fn.config.bars[i - 1]?.mem64)) expect(lo).toBe(0); // unimplemented BAR
            continue;
          }
          let mask = BigInt(lo & 0xfffffff0);
          if (decl.mem64) {
            const hiOff = off + 4;
            const hiOrig = cfg.read(fn.segment, fn.bus, fn.devfn, hiOff, 4);
            cfg.write(fn.segment, fn.bus, fn.devfn, hiOff, 4, 0xffffffff);
            mask |= BigInt(cfg.read(fn.segment, fn.bus, fn.devfn, hiOff, 4)) << 32n;
            cfg.write(fn.segment, fn.bus, fn.devfn, hiOff, 4, hiOrig);
            expect(lo & 0x6).toBe(0x4);
          }
          const size = (~mask & (decl.mem64 ? (1n << 64n) - 1n : 0xffffffffn)) + 1n;
          expect(size).toBe(decl.size);
          expect(size >= 4096n && (size & (size - 1n)) === 0n).toBe(true);
          checked++;
        }
      }
      // 4 root ports + USP + 2 DSPs (BAR0) and 5 type-3 (BAR0, BAR2, BAR4).
      expect(checked).toBe(7 + 5 * 3);
      // Restored: the firmware's addresses decode again.
      expect(p.mmio.mappings().length).toBe(2 + 7 + 5 * 3);
    });
  }

  it('BAR sizes: 64 KiB component registers, 4 KiB device registers and MSI-X', () => {
    const p = buildPlatform(interleaveTopology(), debian);
    const t3 = p.functions().get('0000:0f:00.0');
    expect(t3?.config.bars.map((b) => b?.size)).toEqual([
      0x10000n,
      undefined,
      0x1000n,
      undefined,
      0x1000n,
      undefined,
    ]);
  });
});

describe('config space masks (QEMU wmask / w1cmask semantics)', () => {
  it('read-only registers survive any write; only wmask bits change; w1c bits clear', () => {
    const p = buildPlatform(interleaveTopology(), debian);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            off: fc.integer({ min: 0, max: 4092 }),
            size: fc.constantFrom(1, 2, 4) as fc.Arbitrary<1 | 2 | 4>,
            v: fc.integer({ min: 0, max: 0xffffffff }),
          }),
          { maxLength: 40 },
        ),
        (writes) => {
          const fn = p.functions().get('0000:0d:00.0');
          if (!fn) throw new Error('USP missing');
          const cs = fn.config;
          for (const w of writes) {
            const off = w.off - (w.off % w.size);
            const before = Array.from({ length: w.size }, (_, i) => cs.get8(off + i));
            cs.write(off, w.size, w.v);
            for (let i = 0; i < w.size; i++) {
              const wm = cs.wmask[off + i] ?? 0;
              const w1c = cs.w1cmask[off + i] ?? 0;
              const b = (w.v >>> (8 * i)) & 0xff;
              const expected = (((before[i] ?? 0) & ~wm) | (b & wm)) & ~(b & w1c) & 0xff;
              expect(cs.get8(off + i)).toBe(expected);
            }
          }
          // IDs, class and capability pointers never move.
          expect(cs.get32(PCI.VENDOR_ID)).toBe(0xa12819e5);
          expect(cs.get8(PCI.CAPABILITY_LIST)).toBe(0x90);
        },
      ),
    );
  });

  it('status error bits are RW1C, the capability-list bit is RO', () => {
    const cs = new PciConfigSpace(false);
    cs.addCapability(0x10, 0x80, 0x3c);
    cs.set16(PCI.STATUS, cs.get16(PCI.STATUS) | 0x8000 | 0x2000);
    cs.write(PCI.STATUS, 2, 0x8000 | STATUS.CAP_LIST);
    expect(cs.get16(PCI.STATUS)).toBe(0x2000 | STATUS.CAP_LIST);
  });

  it('legacy capabilities are prepended, extended ones appended (QEMU list order)', () => {
    const cs = new PciConfigSpace(false);
    cs.addCapability(0x10, 0x80, 0x3c);
    expect(cs.addCapability(0x11, 0, 12)).toBe(0x40);
    expect(cs.get8(PCI.CAPABILITY_LIST)).toBe(0x40);
    expect(cs.get8(0x41)).toBe(0x80);
    cs.addExtCapability(3, 1, 0x100, 12);
    cs.addExtCapability(0x23, 1, 0x10c, 0x38);
    cs.addExtCapability(0x2e, 1, 0x190, 0x18);
    expect(cs.get32(0x100) >>> 20).toBe(0x10c);
    expect(cs.get32(0x10c) >>> 20).toBe(0x190);
    expect(cs.findExtCapability(0x2e)).toBe(0x190);
  });

  it('unaligned or absent config accesses read all-ones and are ignored', () => {
    const p = buildPlatform(interleaveTopology(), debian);
    expect(p.bus.pci.read(0, 0x0c, 0x10, 0, 4)).toBe(0xffffffff); // no device 2 on bus 0c
    expect(p.bus.pci.read(0, 0x33, 0, 0, 2)).toBe(0xffff); // bus behind nothing
    expect(p.bus.pci.read(1, 0x0c, 0, 0, 4)).toBe(0xffffffff); // other segment
    expect(p.bus.pci.read(0, 0x0c, 0, 0, 4)).toBe(0x70758086);
    expect(p.bus.pci.read(0, 0x0f, 0, 0, 4)).toBe(0x0d938086);
  });
});

describe('slot control (pcie_cap_slot_write_config)', () => {
  it('a Slot Control write completes at once: Command Completed set, RW1C clears it', () => {
    const p = buildPlatform(interleaveTopology(), debian);
    const rp = p.functions().get('0000:0c:00.0');
    if (!rp) throw new Error('missing');
    const sltctl = rp.config.findCapability(0x10) + 0x18;
    const rd = () => p.bus.pci.read(0, 0x0c, 0, sltctl + 2, 2);
    expect(rd() & 0x10).toBe(0);
    p.bus.pci.write(0, 0x0c, 0, sltctl, 2, p.bus.pci.read(0, 0x0c, 0, sltctl, 2) | 0x31);
    expect(rd() & 0x10).toBe(0x10);
    expect(rd() & 0x40).toBe(0x40); // presence detect untouched
    p.bus.pci.write(0, 0x0c, 0, sltctl + 2, 2, 0x10);
    expect(rd() & 0x10).toBe(0);
    // The capture shows what pciehp left: enables 0x31 on top of QEMU's reset value 0x1c0.
    expect(p.bus.pci.read(0, 0x0c, 0, sltctl, 2)).toBe(0x01f1);
  });
});

describe('capability placement', () => {
  it("refuses overlapping legacy capabilities with QEMU's message", () => {
    const cs = new PciConfigSpace(false);
    cs.addCapability(0x05, 0x60, 0x14);
    expect(() => cs.addCapability(0x10, 0x48, 0x3c)).toThrow(
      'Attempt to add PCI capability 10 at offset 48 overlaps existing capability 5 at offset 60',
    );
    // pci_find_space(): first run of free bytes after the last used one (not dword-rounded).
    expect(cs.addCapability(0x10, 0, 0x3c)).toBe(0x74);
  });

  it('10.1 root port: SSVID at 0x40, MSI at 0x60, PCIe pushed to 0x74 (first free space)', () => {
    const p = buildPlatform(interleaveTopology(), latest);
    const cs = p.functions().get('0000:0c:00.0')?.config;
    const list: number[] = [];
    for (let o = cs?.get8(PCI.CAPABILITY_LIST) ?? 0; o; o = cs?.get8(o + 1) ?? 0) list.push(o);
    expect(list).toEqual([0x74, 0x60, 0x40]);
  });
});

describe('shared masks (PciConfigSpace.shareMasks, copy-on-write)', () => {
  /** A type 0 space with an MSI-like capability and a BAR, as a device's realize() leaves it. */
  const built = () => {
    const cs = new PciConfigSpace(false);
    cs.addCapability(0x05, 0, 0x18);
    cs.setMask16(0x42, 0x0071);
    cs.registerBar({ index: 0, size: 0x10000n, mem64: true, prefetch: false });
    return cs;
  };

  it('equal masks share one buffer; a later mask change copies it and leaves the others', () => {
    const a = built();
    const b = built();
    const c = new PciConfigSpace(true); // a bridge: other masks
    for (const cs of [a, b, c]) cs.shareMasks();
    expect(a.wmask).toBe(b.wmask);
    expect(a.w1cmask).toBe(b.w1cmask);
    expect(c.wmask).not.toBe(a.wmask);
    const before = Uint8Array.from(b.wmask);
    a.setMask16(0x42, 0x0001);
    expect(a.wmask).not.toBe(b.wmask);
    expect(a.getMask16(0x42)).toBe(0x0001);
    expect(Uint8Array.from(b.wmask)).toEqual(before);
    expect(b.getMask16(0x42)).toBe(0x0071);
    a.addExtCapability(0x0001, 2, 0x100, 0x48);
    expect(b.wmask[0x104]).toBe(0xff);
    expect(a.wmask[0x104]).toBe(0);
  });

  it('guest writes give the same register values with shared and own masks (200 random writes)', () => {
    let runs = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            off: fc.integer({ min: 0, max: 0x7f }).map((d) => d * 4),
            size: fc.constantFrom(1 as const, 2 as const, 4 as const),
            val: fc.integer({ min: 0, max: 0xffffffff }),
          }),
          { maxLength: 20 },
        ),
        (ws) => {
          runs++;
          const own = built();
          const shared = built();
          built().shareMasks();
          shared.shareMasks();
          for (const w of ws) {
            own.write(w.off, w.size, w.val);
            shared.write(w.off, w.size, w.val);
          }
          expect(shared.values()).toEqual(own.values());
        },
      ),
      { numRuns: 200, seed: 15 },
    );
    expect(runs).toBe(200);
  });
});
