import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/kernel/errno.ts';
import type { Endpointish, Topology, Type3Dev } from '../../src/topology/model.ts';
import { getPreset, PRESET_NAMES } from '../../src/topology/presets/index.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';
import { QemuError } from '../../src/topology/qemu-errors.ts';

const FIXTURES = join(import.meta.dirname, '../../sysfs-fixtures');
const MiB = 1n << 20n;
const GiB = 1n << 30n;

function fromFixture(path: string, qemu: '7.2' | '11.1'): Topology {
  return parseQemuCommandLine(readFileSync(join(FIXTURES, path), 'utf8'), { qemu });
}

/** Drops the fields that differ between the embedded line and the capture's (names, paths). */
function hardware(t: Topology) {
  return {
    machine: { ...t.machine, cpu: undefined },
    hostBridges: t.hostBridges,
    windows: t.windows,
    cxims: t.cxims,
  };
}

function endpoints(t: Topology): Type3Dev[] {
  const out: Type3Dev[] = [];
  const walk = (c: Endpointish | undefined) => {
    if (c?.kind === 'type3') out.push(c);
    if (c?.kind === 'switch') for (const d of c.downstream) walk(d.child);
  };
  for (const hb of t.hostBridges) {
    for (const rp of hb.rootPorts) walk(rp.child);
    if (hb.rcd) out.push(hb.rcd);
  }
  return out;
}

describe('presets', () => {
  it('lists the presets', () => {
    expect(PRESET_NAMES).toEqual([
      'default',
      'minimal',
      'threeway',
      'armvirt-2hb-switches',
      'armvirt-vfio-4gpu',
      'cxl_test',
      'cxl_test_xor',
    ]);
  });

  it.each([
    ['default', 'interleave/host/qemu-cmdline.sh'],
    ['minimal', 'minimal/host/qemu-cmdline.sh'],
    ['threeway', 'threeway/host/qemu-cmdline.sh'],
  ])('%s is the topology of %s', (name, file) => {
    for (const q of ['7.2', '11.1'] as const) {
      const p = getPreset(name, q);
      expect(p.name).toBe(name);
      expect(p.source).toEqual({ kind: 'preset', name });
      expect(hardware(p)).toEqual(hardware(fromFixture(file, q)));
      expect(p.ignored.some((x) => x.includes('$GT_CACHE'))).toBe(false);
      expect(p.ignored).toContain('-kernel vmlinuz');
      // the CPU of the newer stacks' captures of the same topology
      const latest = fromFixture(`stacks/latest/${file}`, q);
      expect(p.machine.cpu).toEqual(latest.machine.cpu);
      expect(p.machine.cpu?.hypervisor).toBe(false);
    }
  });

  it('armvirt-2hb-switches is the arm report’s line, and fails on QEMU 7.2 as QEMU 7.2 would', () => {
    const p = getPreset('armvirt-2hb-switches', '11.1');
    expect(hardware(p)).toEqual(
      hardware(fromFixture('topologies/armvirt-2hb-switches.qemu', '11.1')),
    );
    expect(p.ignored).toEqual(fromFixture('topologies/armvirt-2hb-switches.qemu', '11.1').ignored);
    expect(() => getPreset('armvirt-2hb-switches', '7.2')).toThrow(QemuError);
  });

  it('returns a fresh object each time', () => {
    const a = getPreset('default', '7.2');
    a.hostBridges.pop();
    expect(getPreset('default', '7.2').hostBridges).toHaveLength(2);
  });

  it('refuses unknown names, listing the known ones', () => {
    expect(() => getPreset('nope', '7.2')).toThrow(Errno);
    expect(() => getPreset('nope', '7.2')).toThrow(
      "unknown preset 'nope' (known: default, minimal, threeway, armvirt-2hb-switches, armvirt-vfio-4gpu, cxl_test, cxl_test_xor)",
    );
    expect(() => getPreset('toString', '7.2')).toThrow(/unknown preset 'toString'/);
  });
});

describe('the cxl_test preset (tools/testing/cxl)', () => {
  const t = getPreset('cxl_test', '7.2');

  it('has four host bridges (CHBS UIDs 0-3), the last an RCH with its RCD', () => {
    expect(t.mock).toBe(true);
    expect(
      t.hostBridges.map((h) => [h.id, h.uid, h.rootPorts.map((r) => r.id), h.rch ?? false]),
    ).toEqual([
      ['cxl_host_bridge.0', 0, ['cxl_root_port.0', 'cxl_root_port.2'], false],
      ['cxl_host_bridge.1', 1, ['cxl_root_port.1', 'cxl_root_port.3'], false],
      ['cxl_host_bridge.2', 2, ['cxl_root_port.4'], false],
      ['cxl_host_bridge.3', 3, [], true],
    ]);
    expect(t.hostBridges[3]?.rcd).toMatchObject({
      id: 'cxl_rcd.10',
      volatileSize: 2n * GiB,
      persistentSize: 0n,
    });
  });

  it('puts a switch under every root port with memdevs j under dports j (j % 4 = switch)', () => {
    const tree = t.hostBridges.flatMap((h) =>
      h.rootPorts.map((rp) => {
        const sw = rp.child;
        return sw?.kind === 'switch'
          ? [sw.id, sw.downstream.map((d) => [d.port, d.child?.id])]
          : undefined;
      }),
    );
    expect(tree).toEqual([
      [
        'cxl_switch_uport.0',
        [
          [0, 'cxl_mem.0'],
          [4, 'cxl_mem.4'],
        ],
      ],
      [
        'cxl_switch_uport.2',
        [
          [2, 'cxl_mem.2'],
          [6, 'cxl_mem.6'],
        ],
      ],
      [
        'cxl_switch_uport.1',
        [
          [1, 'cxl_mem.1'],
          [5, 'cxl_mem.5'],
        ],
      ],
      [
        'cxl_switch_uport.3',
        [
          [3, 'cxl_mem.3'],
          [7, 'cxl_mem.7'],
        ],
      ],
      [
        'cxl_switch_uport.4',
        [
          [8, 'cxl_mem.8'],
          [9, 'cxl_mem.9'],
        ],
      ],
    ]);
  });

  it('has ten 1G+1G memdevs with serial = platform id, 128K LSA, 8 HDM decoders', () => {
    const mems = endpoints(t).filter((m) => m.id.startsWith('cxl_mem.'));
    expect(mems.map((m) => m.serial).sort((a, b) => Number(a) - Number(b))).toEqual([
      0n,
      1n,
      2n,
      3n,
      4n,
      5n,
      6n,
      7n,
      8n,
      9n,
    ]);
    for (const m of mems) {
      expect([m.volatileSize, m.persistentSize, m.lsaSize, m.hdm?.decoderCount]).toEqual([
        GiB,
        GiB,
        128n * 1024n,
        8,
      ]);
    }
    expect(t.hostBridges[0]?.hdm).toEqual({
      decoderCount: 8,
      targetCount: 2,
      a11to8: true,
      a14to12: true,
      iw3612: true,
      iw16: true,
    });
  });

  it('has the six modulo windows (QTG 42) and the CXIMS', () => {
    expect(
      t.windows.map((w) => [
        w.targets.map((x) => x.slice(-1)).join(','),
        w.size,
        w.granularity,
        w.restrictions,
        w.arithmetic,
        w.qtgId,
      ]),
    ).toEqual([
      ['0', GiB, 4096, 0x6, 'modulo', 42],
      ['0,1', 2n * GiB, 4096, 0x6, 'modulo', 42],
      ['0', GiB, 4096, 0xa, 'modulo', 42],
      ['0,1', 2n * GiB, 4096, 0xa, 'modulo', 42],
      ['2', GiB, 4096, 0xa, 'modulo', 42],
      ['3', 256n * MiB, 4096, 0x6, 'modulo', 42],
    ]);
    for (const w of t.windows) expect((w.base ?? 1n) % (256n * MiB)).toBe(0n);
    const bases = t.windows.map((w) => w.base ?? 0n);
    for (let i = 1; i < bases.length; i++)
      expect((bases[i] ?? 0n) > (bases[i - 1] ?? 0n)).toBe(true);
    expect(t.cxims).toEqual([{ granularity: 256, xormaps: [0x404100n, 0x808200n] }]);
  });

  it('commits the auto region: mem.0 and mem.4 (x2 via switch 0), host bridge 0 (x1) at window 0', () => {
    const base = t.windows[0]?.base;
    const sw0 = t.hostBridges[0]?.rootPorts[0]?.child;
    expect(sw0?.kind === 'switch' && sw0.committed).toEqual([
      { index: 0, base, size: 512n * MiB, ways: 2, granularity: 4096, targets: [0, 4] },
    ]);
    expect(t.hostBridges[0]?.committed).toEqual([
      { index: 0, base, size: 512n * MiB, ways: 1, granularity: 4096, targets: [0] },
    ]);
    const committed = endpoints(t).filter((m) => m.committed);
    expect(committed.map((m) => [m.id, m.committed])).toEqual([
      ['cxl_mem.0', [{ index: 0, base, size: 512n * MiB, ways: 2, granularity: 4096 }]],
      ['cxl_mem.4', [{ index: 0, base, size: 512n * MiB, ways: 2, granularity: 4096 }]],
    ]);
  });

  it('cxl_test_xor: the three XOR windows', () => {
    const x = getPreset('cxl_test_xor', '7.2');
    expect(x.windows.map((w) => [w.targets.length, w.size, w.granularity, w.arithmetic])).toEqual([
      [1, 2n * GiB, 4096, 'xor'],
      [2, 2n * GiB, 256, 'xor'],
      [3, 3n * GiB, 512, 'xor'],
    ]);
  });
});

/**
 * The mock per kernel version (CXL_TEST_MOCK_SINCE): one row per modelled kernel and module
 * parameter, 4 kernels × 2 presets = 8 cases.
 */
describe('the cxl_test preset per kernel version', () => {
  type Row = [string, 'cxl_test' | 'cxl_test_xor', string[], number[], boolean, boolean, number];
  // kernel, preset, window targets, qtg ids, RCH, auto region, CXIMS count
  const MOD = ['0', '0,1', '0', '0,1', '2'];
  const rows: Row[] = [
    ['6.1', 'cxl_test', MOD, [0, 1, 2, 3, 4], false, false, 0],
    // 6.1's mock has no interleave_arithmetic parameter: the modulo windows
    ['6.1', 'cxl_test_xor', MOD, [0, 1, 2, 3, 4], false, false, 0],
    ['6.12', 'cxl_test', [...MOD, '3'], [42, 42, 42, 42, 42, 42], true, true, 1],
    ['6.12', 'cxl_test_xor', ['0', '0,1', '0,1,0,1'], [42, 42, 42], true, true, 1],
    ['7.0-nvidia-bos', 'cxl_test_xor', ['0', '0,1', '0,1,2'], [42, 42, 42], true, true, 1],
    ['7.0-nvidia-bos', 'cxl_test', [...MOD, '3'], [42, 42, 42, 42, 42, 42], true, true, 1],
    ['7.3', 'cxl_test', [...MOD, '3'], [42, 42, 42, 42, 42, 42], true, true, 1],
    ['7.3', 'cxl_test_xor', ['0', '0,1', '0,1,2'], [42, 42, 42], true, true, 1],
  ];
  it('builds 8 cases', () => expect(rows).toHaveLength(8));
  for (const [kernel, preset, targets, qtg, rch, auto, cxims] of rows) {
    it(`${kernel} ${preset}`, () => {
      const t = getPreset(preset, '7.2', kernel as never);
      expect(t.windows.map((w) => w.targets.map((x) => x.slice(-1)).join(','))).toEqual(targets);
      expect(t.windows.map((w) => w.qtgId)).toEqual(qtg);
      expect(t.hostBridges.some((h) => h.rch)).toBe(rch);
      expect(t.hostBridges.map((h) => h.id).includes('cxl_host_bridge.3')).toBe(rch);
      expect(t.hostBridges[0]?.committed !== undefined).toBe(auto);
      expect(t.cxims).toHaveLength(cxims);
    });
  }

  it('6.12: the 4-way XOR cfmws8 is 4 GiB at 256 B; 7.3: the 3-way one 3 GiB at 512 B', () => {
    const w12 = getPreset('cxl_test_xor', '7.2', '6.12').windows[2];
    expect([w12?.size, w12?.granularity, w12?.arithmetic]).toEqual([4n * GiB, 256, 'xor']);
    const w73 = getPreset('cxl_test_xor', '7.2', '7.3').windows[2];
    expect([w73?.size, w73?.granularity, w73?.arithmetic]).toEqual([3n * GiB, 512, 'xor']);
  });
});
