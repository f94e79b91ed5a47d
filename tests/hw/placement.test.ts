import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { placeMemoryMap } from '../../src/hw/placement.ts';
import { PROFILES } from '../../src/profile.ts';
import type { Topology } from '../../src/topology/model.ts';
import { parseCpuOption } from '../../src/topology/qemu-cpu.ts';
import {
  armTwoHbSwitchesTopology,
  armVfio4GpuTopology,
  interleaveTopology,
  minimalTopology,
  readFixture,
  threewayTopology,
} from './fixtures.ts';

const debian = PROFILES['debian-12'];
const latest = PROFILES.latest;
if (!debian || !latest) throw new Error('profiles');
const GiB = 1n << 30n;

/** "start-end : name" lines of a capture's iomem.txt (top level only). */
function iomem(scenario: string): Map<string, [bigint, bigint]> {
  const out = new Map<string, [bigint, bigint]>();
  for (const line of readFixture(scenario, '00-boot', 'iomem.txt').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) : (.+)$/.exec(line);
    if (m?.[1] && m[2] && m[3]) out.set(m[3], [BigInt(`0x${m[1]}`), BigInt(`0x${m[2]}`)]);
  }
  return out;
}

/** portN → host bridge bus number, through the capture's sysfs uport and physical_node links. */
function portBuses(scenario: string): Map<string, number> {
  const sysfs = readFixture(scenario, '00-boot', 'sysfs.txt');
  const acpiBus = new Map<string, number>();
  for (const m of sysfs.matchAll(
    /LNXSYBUS:00\/(ACPI0016:\d\d)\/physical_node\t\.\.\/\.\.\/\.\.\/pci0000:([0-9a-f]{2})/g,
  ))
    if (m[1] && m[2]) acpiBus.set(m[1], Number.parseInt(m[2], 16));
  const out = new Map<string, number>();
  for (const m of sysfs.matchAll(
    /root0\/(port\d+)\/uport\t[./]*LNXSYSTM:00\/LNXSYBUS:00\/(ACPI0016:\d\d)/g,
  )) {
    const bus = m[2] ? acpiBus.get(m[2]) : undefined;
    if (m[1] && bus !== undefined) out.set(m[1], bus);
  }
  return out;
}

describe('q35 placement (QEMU 7.2, the captures)', () => {
  for (const [scenario, topo] of [
    ['interleave', interleaveTopology],
    ['minimal', minimalTopology],
    ['threeway', threewayTopology],
  ] as const) {
    it(`windows sit where ${scenario}/iomem.txt shows "CXL Window N"`, () => {
      const map = placeMemoryMap(topo(), debian);
      const mem = iomem(scenario);
      for (const w of map.windows)
        expect([w.base, w.base + w.size - 1n]).toEqual(mem.get(`CXL Window ${w.index}`));
    });
  }

  it('CHBCR blocks: 64 KiB each from cxl_base in child-list order (iomem portN = its host bridge)', () => {
    const t = interleaveTopology();
    const map = placeMemoryMap(t, debian);
    const mem = iomem('interleave');
    const ports = portBuses('interleave');
    expect(ports.size).toBe(2);
    for (const [port, bus] of ports) {
      const hb = t.hostBridges.find((h) => h.busNr === bus);
      const range = mem.get(port);
      expect(hb && range).toBeTruthy();
      if (!hb || !range) continue;
      expect(map.chbcr.get(hb.id)).toBe(range[0]);
      expect(range[1] - range[0] + 1n).toBe(0x10000n);
    }
    expect(map.hostRegBase).toBe(0x100000000n);
  });

  it("the brief's numbers: -m 2G → CHBS 0x100000000/0x100010000, windows 0x110000000, 0x210000000, 0x410000000", () => {
    const map = placeMemoryMap(interleaveTopology(), debian);
    expect([...map.chbcr.values()].sort()).toEqual([0x100000000n, 0x100010000n]);
    expect(map.windows.map((w) => w.base)).toEqual([0x110000000n, 0x210000000n, 0x410000000n]);
  });

  it('memory hotplug region moves cxl_base: -m 4G,maxmem=8G,slots=8 → first window 0x490000000', () => {
    const t = minimalTopology();
    t.machine = { ...t.machine, ramSize: 4n * GiB, maxMem: 8n * GiB, slots: 8 };
    const map = placeMemoryMap(t, debian);
    expect(map.hostRegBase).toBe(0x480000000n);
    expect(map.windows[0]?.base).toBe(0x490000000n);
  });

  it('packs windows back to back in index order, 256 MiB aligned, never overlapping', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 6 }),
        (sizes) => {
          const t = minimalTopology();
          t.windows = sizes.map((s, i) => ({
            index: i,
            targets: ['cxl.0'],
            size: BigInt(s) << 28n,
            granularity: 256,
          }));
          const ws = placeMemoryMap(t, debian).windows;
          for (let i = 0; i < ws.length; i++) {
            const w = ws[i];
            expect(w && w.base % (1n << 28n)).toBe(0n);
            if (i > 0 && w) expect(w.base).toBe((ws[i - 1]?.base ?? 0n) + (ws[i - 1]?.size ?? 0n));
          }
        },
      ),
    );
  });

  it('10.1 leaves a window past the physical address limit unplaced (base 0)', () => {
    const t = minimalTopology();
    t.windows = [
      { index: 0, targets: ['cxl.0'], size: 4n * GiB, granularity: 256 },
      { index: 1, targets: ['cxl.0'], size: 2048n * GiB, granularity: 256 },
      { index: 2, targets: ['cxl.0'], size: 4n * GiB, granularity: 256 },
    ];
    const ws = placeMemoryMap(t, latest).windows;
    expect(ws.map((w) => w.base)).toEqual([0x110000000n, 0n, 0x210000000n]);
    expect(placeMemoryMap(t, debian).windows[1]?.base).toBe(0x210000000n);
  });

  it("reads the CPU's phys-bits from -cpu: 33 bits (8 GiB) leaves no room for a 4G window", () => {
    const t = minimalTopology();
    t.machine.cpu = parseCpuOption('qemu64,phys-bits=33', 'q35');
    expect(placeMemoryMap(t, latest).windows.map((w) => w.base)).toEqual([0n]);
    t.machine.cpu = parseCpuOption('qemu64,phys-bits=34', 'q35');
    expect(placeMemoryMap(t, latest).windows.map((w) => w.base)).toEqual([0x110000000n]);
  });

  it('a pinned base is used as given and skipped over by the others', () => {
    const t = minimalTopology();
    t.windows = [
      { index: 0, targets: ['cxl.0'], size: 4n * GiB, granularity: 256, base: 0x110000000n },
      { index: 1, targets: ['cxl.0'], size: 4n * GiB, granularity: 256 },
    ];
    expect(placeMemoryMap(t, debian).windows.map((w) => w.base)).toEqual([
      0x110000000n,
      0x210000000n,
    ]);
  });

  it("rejects an unknown target and more than 16 pxb-cxl with QEMU's messages", () => {
    const t = minimalTopology();
    t.windows = [{ index: 0, targets: ['cxl.9'], size: 4n * GiB, granularity: 256 }];
    expect(() => placeMemoryMap(t, debian)).toThrow('Could not resolve CXLFM target cxl.9');
    const u = minimalTopology();
    u.hostBridges = Array.from({ length: 17 }, (_, i) => ({
      id: `h${i}`,
      busNr: 10 + i,
      segment: 0,
      rootPorts: [],
    }));
    u.windows = [];
    expect(() => placeMemoryMap(u, debian)).toThrow(
      'Insufficient space for pxb cxl host register space',
    );
  });
});

describe('arm virt placement (QEMU 10.1)', () => {
  it('armvirt-vfio-4gpu (highmem-mmio-size=4T): windows at 0x80000000000 + n × 256G', () => {
    const map = placeMemoryMap(armVfio4GpuTopology(), latest);
    expect(map.windows.map((w) => w.base)).toEqual([
      0x80000000000n,
      0x84000000000n,
      0x88000000000n,
      0x8c000000000n,
    ]);
    // VIRT_CXL_HOST right after the 64 MiB GIC redistributor region at 256 GiB.
    expect(map.hostRegBase).toBe(0x4004000000n);
  });

  it('armvirt-2hb-switches: windows right after the 512 GiB high MMIO window (1 TiB)', () => {
    const map = placeMemoryMap(armTwoHbSwitchesTopology(), latest);
    expect(map.windows.map((w) => w.base)).toEqual([0x10000000000n, 0x10100000000n]);
  });

  it('with pa-bits too small for high MMIO, the windows follow ECAM, or stay unplaced', () => {
    const t: Topology = armTwoHbSwitchesTopology();
    t.machine = { ...t.machine, options: { ...t.machine.options, 'pa-bits': '40' } };
    // 2^40 = 1 TiB: MMIO (512G..1T) still fits, the windows do not.
    expect(placeMemoryMap(t, latest).windows.map((w) => w.base)).toEqual([0n, 0n]);
    t.machine = { ...t.machine, options: { ...t.machine.options, 'pa-bits': '39' } };
    // 512 GiB: MMIO disabled (compact: takes no room) → windows after ECAM at 256G + 512M.
    expect(placeMemoryMap(t, latest).windows.map((w) => w.base)).toEqual([
      0x4020000000n,
      0x4120000000n,
    ]);
  });
});
