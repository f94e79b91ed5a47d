import { describe, expect, it } from 'vitest';
import { CAP_ID, CLASS, COMMAND, EXT_CAP_ID, PCI } from '../../../src/hw/pci/regs.ts';
import { buildPlatform } from '../../../src/hw/platform.ts';
import { PROFILES } from '../../../src/profile.ts';
import { chbcr, findRegBlock, hdmCap } from '../driver.ts';
import {
  armTwoHbSwitchesTopology,
  armVfio4GpuTopology,
  interleaveTopology,
  minimalTopology,
} from '../fixtures.ts';

const debian = PROFILES['debian-12'];
const latest = PROFILES.latest;
if (!debian || !latest) throw new Error('profiles');

/** HDM Decoder Capability register decoded (decoder count as Linux computes it). */
function hdmCaps(read32: (a: bigint) => number, hdm: bigint) {
  const v = read32(hdm);
  const f = v & 0xf;
  return {
    decoders: f === 0 ? 1 : 2 * f,
    targets: (v >> 4) & 0xf,
    a11to8: (v >> 8) & 1,
    a14to12: (v >> 9) & 1,
  };
}

describe('pxb-cxl host bridge component registers (CHBCR)', () => {
  it('QEMU 7.2: HDM with one decoder and 8 targets even with a single root port', () => {
    for (const topo of [minimalTopology(), interleaveTopology()]) {
      const p = buildPlatform(topo, debian);
      for (const hb of topo.hostBridges) {
        const hdm = hdmCap(p.bus, chbcr(p.bus, hb.busNr) ?? 0n);
        expect(hdm).toBeDefined();
        expect(hdmCaps((a) => p.bus.mmio.read32(a), hdm ?? 0n)).toEqual({
          decoders: 1,
          targets: 8,
          a11to8: 1,
          a14to12: 1,
        });
      }
    }
  });

  it('QEMU 10.1: 4 decoders; passthrough (no HDM capability) with one root port unless hdm_for_passthrough', () => {
    const two = buildPlatform(interleaveTopology(), latest);
    const hdm = hdmCap(two.bus, chbcr(two.bus, 12) ?? 0n);
    expect(hdmCaps((a) => two.bus.mmio.read32(a), hdm ?? 0n).decoders).toBe(4);
    const one = buildPlatform(minimalTopology(), latest);
    expect(hdmCap(one.bus, chbcr(one.bus, 12) ?? 0n)).toBeUndefined();
    const t = minimalTopology();
    const hb0 = t.hostBridges[0];
    if (hb0) hb0.hdmForPassthrough = true;
    const kept = buildPlatform(t, latest);
    expect(hdmCap(kept.bus, chbcr(kept.bus, 12) ?? 0n)).toBeDefined();
  });

  it('a topology hdm override replaces the defaults, and committed decoders are live before boot', () => {
    const t = interleaveTopology();
    const hb0 = t.hostBridges[0];
    if (!hb0) throw new Error('hb');
    hb0.hdm = {
      decoderCount: 2,
      targetCount: 4,
      a11to8: true,
      a14to12: false,
      iw3612: false,
      iw16: false,
    };
    hb0.committed = [
      { index: 0, base: 0x110000000n, size: 1n << 30n, ways: 1, granularity: 256, targets: [1] },
    ];
    const p = buildPlatform(t, debian);
    const hdm = hdmCap(p.bus, chbcr(p.bus, 12) ?? 0n) ?? 0n;
    expect(hdmCaps((a) => p.bus.mmio.read32(a), hdm)).toEqual({
      decoders: 2,
      targets: 4,
      a11to8: 1,
      a14to12: 0,
    });
    expect(p.bus.mmio.read32(hdm + 0x20n) & (1 << 10)).not.toBe(0);
    expect(p.bus.mmio.read32(hdm + 0x24n) & 0xff).toBe(1);
    expect(p.routeHpa(0x110000000n)).toMatchObject({
      hostBridge: 12,
      ports: [1],
      stop: { at: 'cxl-pmem3' },
    });
  });
});

describe('switch', () => {
  it('7.2 USP: HDM with target count 8; DSPs have no HDM capability', () => {
    const p = buildPlatform(interleaveTopology(), debian);
    const fns = p.functions();
    const comp = (bdf: string) => {
      const f = fns.get(bdf);
      return f ? findRegBlock(p.bus, f, 1) : undefined;
    };
    const usp = hdmCap(p.bus, comp('0000:0d:00.0') ?? 0n);
    expect(hdmCaps((a) => p.bus.mmio.read32(a), usp ?? 0n)).toEqual({
      decoders: 1,
      targets: 8,
      a11to8: 1,
      a14to12: 1,
    });
    for (const bdf of ['0000:0e:00.0', '0000:0e:01.0']) {
      const c = comp(bdf);
      expect(c).toBeDefined();
      expect(p.bus.mmio.read32((c ?? 0n) + 0x1000n) & 0xffff).toBe(1); // capability array present
      expect(hdmCap(p.bus, c ?? 0n)).toBeUndefined();
    }
  });

  it('mailbox CCI function beside the USP: multi-function USP, class 0c0b, device registers in BAR 0', () => {
    const p = buildPlatform(armTwoHbSwitchesTopology(), latest);
    const fns = p.functions();
    const usp = fns.get('0000:36:00.0');
    const cci = fns.get('0000:36:00.1');
    expect(usp?.config.get8(PCI.HEADER_TYPE)).toBe(0x81);
    expect(cci?.config.get32(PCI.VENDOR_ID)).toBe(0xa12319e5);
    expect((cci?.config.get32(PCI.REVISION_ID) ?? 0) >>> 8).toBe(0x0c0b00);
    expect(cci ? findRegBlock(p.bus, cci, 3) : undefined).toBeDefined();
    // USP with sn=: DSN at 0x148, DVSECs from 0x154.
    expect(usp?.config.findExtCapability(EXT_CAP_ID.DSN)).toBe(0x148);
    expect(usp?.config.findExtCapability(EXT_CAP_ID.DVSEC)).toBe(0x154);
  });
});

describe('QEMU 10.1 register revisions', () => {
  it('type-3: CXL Device DVSEC rev 3 length 0x3c, Flex Bus rev 2, 8 MSI-X vectors, AER at 0x200, DOE at 0x190', () => {
    const p = buildPlatform(armTwoHbSwitchesTopology(), latest);
    const t3 = [...p.functions().values()].find((f) => f.id === 'cxl-pmem0');
    const cs = t3?.config;
    if (!cs) throw new Error('missing');
    const dvsecs: [number, number, number][] = [];
    for (
      let o = cs.findExtCapability(EXT_CAP_ID.DVSEC);
      o;
      o = cs.findExtCapability(EXT_CAP_ID.DVSEC, cs.get32(o) >>> 20)
    ) {
      const h1 = cs.get32(o + 4);
      dvsecs.push([cs.get16(o + 8), (h1 >>> 16) & 0xf, h1 >>> 20]);
      if (cs.get32(o) >>> 20 === 0) break;
    }
    expect(dvsecs).toEqual([
      [0, 3, 0x3c],
      [8, 0, 0x24],
      [5, 0, 0x10],
      [7, 2, 0x20],
    ]);
    expect(cs.get16(cs.findCapability(CAP_ID.MSIX) + 2) & 0x7ff).toBe(7);
    expect(cs.findExtCapability(EXT_CAP_ID.ERR)).toBe(0x200);
    expect(cs.findExtCapability(EXT_CAP_ID.DOE)).toBe(0x190);
    // Link x16 32 GT/s; the DSP above it negotiated the same.
    expect(cs.get16(cs.findCapability(CAP_ID.EXP) + 0x12) & 0x3ff).toBe(0x105);
  });
});

describe('type-2 (vfio-cxl passthrough)', () => {
  it('firmware-committed decoder 0 sits at the base of its own window, locked, one per device', () => {
    const p = buildPlatform(armVfio4GpuTopology(), latest);
    const bases: bigint[] = [];
    for (const f of p.functions().values()) {
      if (f.kind !== 'type2') continue;
      const hdm = hdmCap(p.bus, findRegBlock(p.bus, f, 1) ?? 0n) ?? 0n;
      const ctrl = p.bus.mmio.read32(hdm + 0x20n);
      expect(ctrl & (1 << 10)).not.toBe(0); // committed
      expect(ctrl & (1 << 8)).not.toBe(0); // lock on commit
      expect(ctrl & (1 << 12)).toBe(0); // device-coherent
      bases.push(
        (BigInt(p.bus.mmio.read32(hdm + 0x14n)) << 32n) | BigInt(p.bus.mmio.read32(hdm + 0x10n)),
      );
      // A locked decoder ignores the guest.
      p.bus.mmio.write32(hdm + 0x14n, 0);
      expect(p.bus.mmio.read32(hdm + 0x14n)).not.toBe(0);
    }
    expect(bases).toEqual(p.windows.map((w) => w.base));
    expect(new Set(bases).size).toBe(4);
  });

  it('refuses the five ambiguous or impossible placements (fail closed)', () => {
    const build = (edit: (t: ReturnType<typeof armVfio4GpuTopology>) => void) => {
      const t = armVfio4GpuTopology();
      edit(t);
      return () => buildPlatform(t, latest);
    };
    expect(build((t) => (t.windows = t.windows.slice(1)))).toThrow(
      'no CXL fixed memory window targets host bridge cxl.1',
    );
    expect(
      build((t) =>
        t.windows.push({ index: 4, targets: ['cxl.1'], size: 256n << 30n, granularity: 256 }),
      ),
    ).toThrow('host bridge cxl.1 is a target of more than one');
    expect(
      build(
        (t) =>
          (t.windows = [
            { index: 0, targets: ['cxl.1', 'cxl.2'], size: 512n << 30n, granularity: 256 },
            ...t.windows.slice(2),
          ]),
      ),
    ).toThrow('is interleaved across 2 host bridges');
    expect(build((t) => (t.machine.options = { ...t.machine.options, 'pa-bits': '43' }))).toThrow(
      'has no base address (not placed)',
    );
    expect(build((t) => (t.windows = t.windows.map((w) => ({ ...w, size: 64n << 30n }))))).toThrow(
      'is smaller than the device memory',
    );
  });
});

describe('firmware resources', () => {
  for (const [name, topo, profile] of [
    ['interleave / 7.2', interleaveTopology, debian],
    ['armvirt-2hb-switches / 11.1', armTwoHbSwitchesTopology, latest],
  ] as const) {
    it(`${name}: BARs are aligned, disjoint and inside their bridge's memory window`, () => {
      const p = buildPlatform(topo(), profile);
      const maps = p.mmio.mappings();
      for (let i = 0; i < maps.length; i++) {
        const m = maps[i];
        if (!m) continue;
        expect(m.base % m.size).toBe(0n);
        const next = maps[i + 1];
        if (next) expect(m.base + m.size <= next.base).toBe(true);
      }
      for (const f of p.functions().values()) {
        if ((f.config.get8(PCI.HEADER_TYPE) & 0x7f) !== 1) continue;
        const lo = BigInt(f.config.get16(PCI.MEMORY_BASE) & 0xfff0) << 16n;
        const hi = (BigInt(f.config.get16(PCI.MEMORY_LIMIT) & 0xfff0) << 16n) | 0xfffffn;
        const walk = (fns: typeof f.children): void => {
          for (const c of fns) {
            // virt: EDK2 leaves type-3 devices disabled (Command 0); the BARs are assigned all
            // the same, so compare the programmed address with decode enabled for the check
            const cmd = c.config.get16(PCI.COMMAND);
            const type3 = c.config.get32(PCI.REVISION_ID) >>> 8 === CLASS.MEMORY_CXL;
            if (type3 && topo().machine.type === 'virt') expect(cmd & COMMAND.MEMORY).toBe(0);
            c.config.set16(PCI.COMMAND, cmd | COMMAND.MEMORY);
            for (const b of c.bars) {
              const a = c.config.barAddress(b.index);
              expect(
                a !== undefined && a >= lo && a + (c.config.bars[b.index]?.size ?? 0n) - 1n <= hi,
              ).toBe(true);
            }
            c.config.set16(PCI.COMMAND, cmd);
            walk(c.children);
          }
        };
        walk(f.children);
      }
    });
  }
});

describe('firmware-committed decoders (topology `committed`) decode before the OS runs', () => {
  it('host bridge → switch → endpoint path set up entirely by firmware', () => {
    const t = interleaveTopology();
    const [hb0] = t.hostBridges;
    const rp0 = hb0?.rootPorts[0];
    const sw = rp0?.child;
    const ep = sw?.kind === 'switch' ? sw.downstream[1]?.child : undefined;
    if (!hb0 || sw?.kind !== 'switch' || ep?.kind !== 'type3') throw new Error('topology shape');
    const base = 0x110000000n;
    const size = 256n << 20n;
    hb0.committed = [{ index: 0, base, size, ways: 1, granularity: 256, targets: [0] }];
    sw.committed = [{ index: 0, base, size, ways: 1, granularity: 256, targets: [1] }];
    ep.committed = [{ index: 0, base, size, ways: 1, granularity: 256, skip: 0n, lock: true }];
    const p = buildPlatform(t, debian);
    expect(p.routeHpa(base + 0x40n)).toMatchObject({
      ok: true,
      ports: [0, 1],
      endpointId: 'cxl-pmem2',
      dpa: 0x40n,
    });
    expect(p.bus.mem.write(base + 0x40n, Uint8Array.of(7, 8, 9))).toBe(true);
    const fn = [...p.functions().values()].find((f) => f.id === 'cxl-pmem2');
    expect(fn?.device.kind === 'type3' && fn.device.state.store.read(0x40n, 3)).toEqual(
      Uint8Array.of(7, 8, 9),
    );
  });

  it('a commit the registers reject fails the build with the device named', () => {
    const t = interleaveTopology();
    const hb0 = t.hostBridges[0];
    if (!hb0) throw new Error('hb');
    hb0.committed = [
      { index: 3, base: 0x110000000n, size: 256n << 20n, ways: 1, granularity: 256, targets: [0] },
    ];
    expect(() => buildPlatform(t, debian)).toThrow(/^cxl\.0: HDM decoder 3 does not exist/);
  });
});
