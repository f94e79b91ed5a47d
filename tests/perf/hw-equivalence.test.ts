/**
 * The platform's fast paths behave like the straightforward algorithms they replaced:
 * configuration routing (cached per bus, invalidated by bus-number writes) against a plain
 * walk of the bridges' current registers, and MMIO byte copies (one decode per copy) against
 * dword-by-dword accesses — on two identical platforms, side effects included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HostBridgeModel, PciFunctionModel } from '../../src/hw/dev/model.ts';
import { PCI } from '../../src/hw/pci/regs.ts';
import { buildPlatform, type Platform } from '../../src/hw/platform.ts';
import { resolveProfile } from '../../src/profile.ts';
import { generateTopology } from '../../src/topology/generate.ts';

const isBridge = (f: PciFunctionModel) => (f.config.get8(PCI.HEADER_TYPE) & 0x7f) === 1;
const inRange = (f: PciFunctionModel, bus: number) =>
  f.config.get8(PCI.SECONDARY_BUS) <= bus && bus <= f.config.get8(PCI.SUBORDINATE_BUS);

/**
 * Reference routing, recomputed from the live registers for every access: QEMU's
 * pci_find_bus_nr() from the machine's root bus, whose child buses are the pxb root buses in
 * child-list order (reverse creation). At each level the first bus that is `bus`, or whose
 * bridge range holds it, wins and the walk goes on below it only.
 */
function refFind(hbs: readonly HostBridgeModel[], seg: number, bus: number, devfn: number) {
  type Level = { num: number; fns: readonly PciFunctionModel[]; holds: (b: number) => boolean }[];
  let level: Level = [...hbs]
    .reverse()
    .filter((hb) => hb.segment === seg)
    .map((hb) => {
      const fns = hb.rootPorts.map((rp) => rp.fn);
      return { num: hb.busNr, fns, holds: (b) => fns.some((f) => isBridge(f) && inRange(f, b)) };
    });
  for (;;) {
    const hit = level.find((n) => n.num === bus || n.holds(bus));
    if (!hit) return undefined;
    if (hit.num === bus) return hit.fns.find((f) => f.devfn === devfn);
    level = hit.fns.filter(isBridge).map((f) => ({
      num: f.config.get8(PCI.SECONDARY_BUS),
      fns: f.children,
      holds: (b) => inRange(f, b),
    }));
  }
}

const profile = resolveProfile('latest');
const platform = (): Platform =>
  buildPlatform(
    generateTopology({ hostBridges: 2, rootPorts: 2, switchLevels: 2, fanout: 2, endpoints: 12 }),
    profile,
  );

describe('config routing', () => {
  it('answers like a walk of the current bus registers, across bus-number rewrites', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ pick: fc.nat(), reg: fc.constantFrom(0x18, 0x19, 0x1a), value: fc.nat(255) }),
          {
            maxLength: 6,
          },
        ),
        (writes) => {
          const p = platform();
          const all = [...p.functions().values()];
          // a unique marker per function, readable through the bus (interrupt line, RW)
          for (const [i, fn] of all.entries()) fn.config.set8(PCI.INTERRUPT_LINE, i);
          const marker = (f: PciFunctionModel | undefined) => (f ? all.indexOf(f) : 0xff);
          const bridges = all.filter((f) => (f.config.get8(PCI.HEADER_TYPE) & 0x7f) === 1);
          const check = () => {
            for (const seg of [0, 1])
              for (let bus = 0; bus < 256; bus++)
                for (const devfn of [0, 1, 8, 16])
                  expect(p.bus.pci.read(seg, bus, devfn, PCI.INTERRUPT_LINE, 1)).toBe(
                    marker(refFind(p.hostBridges, seg, bus, devfn)),
                  );
          };
          check();
          for (const w of writes) {
            const fn = bridges[w.pick % bridges.length] as PciFunctionModel;
            // reach the bridge where it currently answers, as a guest would
            let at: number | undefined;
            for (let bus = 0; bus < 256 && at === undefined; bus++)
              if (refFind(p.hostBridges, fn.segment, bus, fn.devfn) === fn) at = bus;
            if (at === undefined) continue;
            p.bus.pci.write(fn.segment, at, fn.devfn, w.reg, 1, w.value);
            check();
          }
        },
      ),
      { numRuns: 20 },
    );
  });
});

describe('MMIO byte copies', () => {
  /** memcpy_fromio / memcpy_toio dword by dword (read-modify-write of partial dwords). */
  function refRead(p: Platform, addr: bigint, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; ) {
      const a = addr + BigInt(i);
      const aligned = a & ~3n;
      const v = p.mmio.read32(aligned);
      for (let b = Number(a - aligned); b < 4 && i < len; b++, i++) out[i] = (v >>> (8 * b)) & 0xff;
    }
    return out;
  }
  function refWrite(p: Platform, addr: bigint, data: Uint8Array): void {
    for (let i = 0; i < data.length; ) {
      const a = addr + BigInt(i);
      const aligned = a & ~3n;
      const skip = Number(a - aligned);
      const n = Math.min(4 - skip, data.length - i);
      let v = n === 4 ? 0 : p.mmio.read32(aligned);
      for (let b = 0; b < n; b++)
        v = (v & ~(0xff << (8 * (skip + b)))) | ((data[i + b] ?? 0) << (8 * (skip + b)));
      p.mmio.write32(aligned, v >>> 0);
      i += n;
    }
  }

  it('read and write every mapped block as dword accesses would, side effects included', () => {
    const a = platform();
    const b = platform();
    const maps = a.mmio.mappings();
    const access = fc.record({
      map: fc.nat(maps.length - 1),
      offset: fc.nat(0x3000),
      data: fc.uint8Array({ maxLength: 40 }),
      write: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(access, { minLength: 1, maxLength: 20 }), (ops) => {
        for (const op of ops) {
          const m = maps[op.map] as { base: bigint; size: bigint };
          const addr = m.base + (BigInt(op.offset) % (m.size + 8n)); // sometimes past the end
          if (op.write) {
            a.mmio.writeBytes(addr, op.data);
            refWrite(b, addr, op.data);
          } else
            expect(a.mmio.readBytes(addr, op.data.length)).toEqual(
              refRead(b, addr, op.data.length),
            );
          expect(a.mmio.readBytes(m.base, 64)).toEqual(refRead(b, m.base, 64));
        }
      }),
      { numRuns: 60 },
    );
  });
});
