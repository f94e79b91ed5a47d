import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/kernel/errno.ts';
import type {
  DownstreamPort,
  Endpointish,
  HdmCaps,
  HostBridge,
  PreCommittedDecoder,
  RootPort,
  Topology,
  Type3Dev,
} from '../../src/topology/model.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';
import { parseTopologyFile } from '../../src/topology/schema.ts';
import { topologyToFileObject, topologyToYaml } from '../../src/topology/serialize.ts';

const MiB = 1n << 20n;
const GiB = 1n << 30n;
const GRANS = [256, 512, 1024, 2048, 4096, 8192, 16384];
const WAYS = [1, 2, 3, 4, 6, 8, 12, 16];

/** Drops undefined-valued keys (optional fields absent, as the model has them). */
function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const size = fc.oneof(
  u64,
  fc.bigInt({ min: 0n, max: 1n << 20n }).map((x) => x * MiB),
);
const addr = fc.record({
  slot: fc.integer({ min: 0, max: 31 }),
  fn: fc.integer({ min: 0, max: 7 }),
});
const hdm: fc.Arbitrary<HdmCaps> = fc.record({
  decoderCount: fc.constantFrom(1, 2, 4, 8, 16, 32),
  targetCount: fc.constantFrom(1, 2, 4, 8),
  a11to8: fc.boolean(),
  a14to12: fc.boolean(),
  iw3612: fc.boolean(),
  iw16: fc.boolean(),
});
const decoders: fc.Arbitrary<PreCommittedDecoder[]> = fc.array(
  fc
    .record({
      index: fc.integer({ min: 0, max: 31 }),
      base: u64,
      size,
      ways: fc.integer({ min: 1, max: 16 }),
      granularity: fc.constantFrom(...GRANS),
      targets: opt(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 })),
      skip: opt(size),
      lock: opt(fc.boolean()),
    })
    .map(clean),
  { maxLength: 2 },
);
const name = fc.string({ maxLength: 12 });

/** Endpoint trees with placeholder ids (made unique afterwards). */
const type3: fc.Arbitrary<Type3Dev> = fc
  .record({
    kind: fc.constant('type3' as const),
    id: fc.constant(''),
    addr: opt(addr),
    serial: opt(u64),
    volatileSize: size,
    persistentSize: size,
    lsaSize: size,
    hdm: opt(hdm),
    committed: opt(decoders),
    backends: opt(
      fc
        .record({ volatile: opt(name.filter((s) => s !== '')), lsa: opt(fc.constant('lsa0')) })
        .map(clean),
    ),
  })
  .map(clean);
const type2: fc.Arbitrary<Endpointish> = fc
  .record({
    kind: fc.constant('type2' as const),
    id: fc.constant(''),
    addr: opt(addr),
    host: opt(fc.constant('0002:81:00.0')),
    dpaSize: size,
    firmwareCommitted: fc.boolean(),
    noHotplug: opt(fc.boolean()),
    serial: opt(u64),
    hdm: opt(hdm),
  })
  .map(clean);
const { endpoint } = fc.letrec<{ endpoint: Endpointish; dsp: DownstreamPort }>((tie) => ({
  endpoint: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    type3,
    type2,
    fc
      .record({
        kind: fc.constant('switch' as const),
        id: fc.constant(''),
        addr: opt(addr),
        serial: opt(u64),
        hdm: opt(hdm),
        mailboxCci: opt(addr),
        downstream: fc.array(tie('dsp') as fc.Arbitrary<DownstreamPort>, { maxLength: 3 }),
        committed: opt(decoders),
      })
      .map(clean),
  ),
  dsp: fc
    .record({
      id: fc.constant(''),
      port: fc.constant(0),
      addr: opt(addr),
      chassis: opt(fc.integer({ min: 0, max: 255 })),
      slot: opt(fc.integer({ min: 0, max: 65535 })),
      child: opt(tie('endpoint') as fc.Arbitrary<Endpointish>),
    })
    .map(clean),
}));
const rootPort: fc.Arbitrary<RootPort> = fc
  .record({
    id: fc.constant(''),
    port: fc.constant(0),
    addr: opt(addr),
    chassis: opt(fc.integer({ min: 0, max: 255 })),
    slot: opt(fc.integer({ min: 0, max: 65535 })),
    child: opt(endpoint),
  })
  .map(clean);
const hostBridge: fc.Arbitrary<HostBridge> = fc
  .record({
    id: fc.constant(''),
    busNr: fc.constant(0),
    segment: fc.integer({ min: 0, max: 3 }),
    hdmForPassthrough: opt(fc.boolean()),
    uid: opt(fc.integer({ min: 0, max: 0xffffffff })),
    hdm: opt(hdm),
    rootPorts: fc.array(rootPort, { maxLength: 3 }),
    committed: opt(decoders),
  })
  .map(clean);

/** Gives every device a unique id and every port a unique number (the file's rules). */
function number(hbs: HostBridge[]): void {
  let n = 0;
  const id = (p: string) => `${p}${n++}`;
  const child = (c: Endpointish | undefined) => {
    if (!c) return;
    c.id = id(c.kind);
    if (c.kind === 'switch')
      c.downstream.forEach((d, i) => {
        d.id = id('dsp');
        d.port = i * 3;
        child(d.child);
      });
  };
  hbs.forEach((hb, i) => {
    hb.id = id('hb.');
    hb.busNr = 10 + i * 7;
    hb.rootPorts.forEach((rp, j) => {
      rp.id = id('rp');
      rp.port = j;
      child(rp.child);
    });
  });
}

const topology: fc.Arbitrary<Topology> = fc
  .record({
    name,
    hbs: fc.array(hostBridge, { maxLength: 4 }),
    rch: fc.boolean(),
    windows: fc.array(
      fc.record({
        ways: fc.constantFrom(...WAYS),
        size: fc.bigInt({ min: 1n, max: 1n << 16n }).map((x) => x * 256n * MiB),
        granularity: fc.constantFrom(...GRANS),
        base: opt(fc.bigInt({ min: 0n, max: 1n << 30n }).map((x) => x * 256n * MiB)),
        restrictions: opt(fc.integer({ min: 0, max: 0xffff })),
        arithmetic: opt(fc.constantFrom('modulo' as const, 'xor' as const)),
        qtgId: opt(fc.integer({ min: 0, max: 0xffff })),
      }),
      { maxLength: 4 },
    ),
    machine: fc.record({
      type: fc.constantFrom('q35' as const, 'virt' as const),
      ramSize: size,
      maxMem: opt(size),
      slots: opt(fc.integer({ min: 0, max: 256 })),
      cxl: fc.boolean(),
      highmemMmioSize: opt(size),
      options: fc.dictionary(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
        fc.string({ maxLength: 8 }),
      ),
    }),
    cxims: fc.array(
      fc.record({
        granularity: fc.constantFrom(...GRANS),
        xormaps: fc.array(u64, { maxLength: 4 }),
      }),
      {
        maxLength: 2,
      },
    ),
    ignored: fc.array(fc.string({ maxLength: 16 }), { maxLength: 4 }),
    mock: opt(fc.boolean()),
  })
  .map((r) => {
    const hostBridges = r.hbs;
    if (r.rch)
      hostBridges.push({
        id: '',
        busNr: 0,
        segment: 0,
        rootPorts: [],
        rch: true,
        rcd: { kind: 'type3', id: '', volatileSize: 2n * GiB, persistentSize: 0n, lsaSize: 0n },
      });
    number(hostBridges);
    const last = hostBridges[hostBridges.length - 1];
    if (last?.rcd) last.rcd.id = 'rcd';
    const ids = hostBridges.map((h) => h.id);
    const windows =
      ids.length === 0
        ? []
        : r.windows.map((w, index) =>
            clean({
              ...w,
              ways: undefined,
              index,
              targets: Array.from({ length: w.ways }, (_, k) => ids[k % ids.length] as string),
            }),
          );
    const t: Topology = clean({
      name: r.name,
      source: { kind: 'preset', name: 'random' },
      machine: clean(r.machine),
      hostBridges,
      windows,
      cxims: r.cxims,
      ignored: r.ignored,
      mock: r.mock,
    });
    return t;
  });

describe('topology files', () => {
  it('a random topology written as a file and read back is equal (property)', () => {
    fc.assert(
      fc.property(topology, (t) => {
        const back = parseTopologyFile(topologyToYaml(t), 'x.yaml');
        expect(back).toEqual({ ...t, source: { kind: 'file', path: 'x.yaml' } });
      }),
      { numRuns: 150 },
    );
  });

  it('the same holds for JSON text', () => {
    fc.assert(
      fc.property(topology, (t) => {
        const json = JSON.stringify(topologyToFileObject(t), (_k, v) =>
          typeof v === 'bigint' ? `0x${v.toString(16)}` : v,
        );
        expect(parseTopologyFile(json)).toEqual({ ...t, source: { kind: 'file' } });
      }),
      { numRuns: 50 },
    );
  });

  it('every capture topology round-trips through a file', () => {
    const dir = join(import.meta.dirname, '../../sysfs-fixtures');
    for (const [f, q] of [
      ['interleave/host/qemu-cmdline.sh', '7.2'],
      ['topologies/armvirt-2hb-switches.qemu', '11.1'],
      ['topologies/armvirt-vfio-4gpu.qemu', '11.1'],
    ] as const) {
      const t = parseQemuCommandLine(readFileSync(join(dir, f), 'utf8'), { qemu: q });
      expect(parseTopologyFile(topologyToYaml(t))).toEqual({ ...t, source: { kind: 'file' } });
    }
  });

  it('the example of docs/topology.md is a valid topology file', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/topology.md'), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const t = parseTopologyFile(yaml, 'topo.yaml');
    expect(t.hostBridges.map((h) => h.id)).toEqual(['cxl.0', 'cxl.1']);
    expect(t.windows.map((w) => w.targets.length)).toEqual([1, 2]);
    expect(parseTopologyFile(topologyToYaml(t), 'topo.yaml')).toEqual(t);
  });

  it('reads sizes as numbers or QEMU strings and keeps 64-bit values exact', () => {
    const t = parseTopologyFile(
      [
        'machine: { type: q35, ramSize: 2G }',
        'hostBridges:',
        '  - id: cxl.0',
        '    busNr: 12',
        '    rootPorts:',
        '      - id: rp0',
        '        port: 0',
        '        addr: "1.0"',
        '        child: { kind: type3, id: m0, serial: 0xffffffffffffffff, persistentSize: 256M, lsaSize: 1048576 }',
        'windows:',
        '  - { targets: [cxl.0], size: 0x100000000, granularity: 4k, base: 0xfffffff0000000 }',
        'cxims: [{ granularity: 256, xormaps: [0x404100, 0x808200] }]',
      ].join('\n'),
      'two.yaml',
    );
    expect(t.name).toBe('two');
    expect(t.source).toEqual({ kind: 'file', path: 'two.yaml' });
    expect(t.machine).toEqual({ type: 'q35', ramSize: 2n * GiB, cxl: true, options: {} });
    const rp = t.hostBridges[0]?.rootPorts[0];
    expect(rp?.addr).toEqual({ slot: 1, fn: 0 });
    expect(rp?.child).toEqual({
      kind: 'type3',
      id: 'm0',
      serial: 0xffffffffffffffffn,
      volatileSize: 0n,
      persistentSize: 256n * MiB,
      lsaSize: MiB,
    });
    expect(t.hostBridges[0]?.segment).toBe(0);
    expect(t.windows).toEqual([
      { index: 0, targets: ['cxl.0'], size: 4n * GiB, granularity: 4096, base: 0xfffffff0000000n },
    ]);
    expect(t.cxims).toEqual([{ granularity: 256, xormaps: [0x404100n, 0x808200n] }]);
  });
});

describe('topology file errors (EINVAL with the field path)', () => {
  const base = [
    'machine: { type: q35 }',
    'hostBridges:',
    '  - id: cxl.0',
    '    busNr: 12',
    '    rootPorts:',
  ];
  function err(text: string): Errno {
    try {
      parseTopologyFile(text, 'bad.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(Errno);
      return e as Errno;
    }
    throw new Error('accepted');
  }

  it('names the path of a wrong type', () => {
    const e = err(
      [...base, '      - { id: rp0, port: 0 }', '      - { id: rp1, port: one }'].join('\n'),
    );
    expect(e.code).toBe('EINVAL');
    expect(e.message).toBe('hostBridges[0].rootPorts[1].port: expected number');
    // line 7 is "      - { id: rp1, port: one }": the value `one` starts at column 26
    expect(e.dev).toBe('bad.yaml:7:26');
    expect(e.describe()).toBe(
      'EINVAL: hostBridges[0].rootPorts[1].port: expected number (bad.yaml:7:26)',
    );
  });

  it('reports malformed YAML', () => {
    expect(err('machine: { type: q35\nhostBridges: [').message).toMatch(/^invalid YAML: /);
    const dup = err('a: 1\na: 2');
    expect(dup.message).toBe('invalid YAML: Map keys must be unique');
    expect(dup.dev).toBe('bad.yaml:2:1');
  });

  it.each([
    ['', 'expected object'],
    ['machine: { type: pc }', 'machine.type: expected one of "q35", "virt"'],
    ['machine: { type: q35, ram: 2G }', "machine: unknown key 'ram'"],
    [
      'machine: { type: q35, ramSize: lots }',
      'machine.ramSize: expected a size in bytes (a number, or a string such as "256M", "4G", "0x10000000"), got string',
    ],
    [
      `${base.join('\n')}\n      - { id: rp0, port: 0, child: { kind: type4, id: x } }`,
      "hostBridges[0].rootPorts[0].child.kind: expected kind to be one of 'type3', 'type2', 'switch'",
    ],
    [
      `${base.join('\n')}\n      - { id: rp0, port: 300 }`,
      'hostBridges[0].rootPorts[0].port: expected an integer from 0 to 255',
    ],
    [
      `${base.join('\n')}\n      - { id: rp0, port: 0, addr: "40.0" }`,
      'hostBridges[0].rootPorts[0].addr: expected a PCI address {slot: 0-31, fn: 0-7} or "SLOT.FN"',
    ],
    [
      'machine: { type: q35 }\nwindows: [{ targets: [], size: 4G, granularity: 3k }]',
      'windows[0].granularity: expected a granularity of 256, 512, 1024, 2048, 4096, 8192, 16384 bytes',
    ],
  ])('%j → %s', (text, msg) => {
    expect(err(text).message).toBe(msg);
  });

  it.each([
    [
      `${base.join('\n')}\n      - { id: rp0, port: 0 }\n      - { id: rp1, port: 0 }`,
      "hostBridges[0].rootPorts[1].port: port 0 already used by 'rp0'",
    ],
    [
      `${base.join('\n')}\n      - { id: cxl.0, port: 0 }`,
      "hostBridges[0].rootPorts[0].id: duplicate id 'cxl.0' (also hostBridges[0])",
    ],
    [
      `${base.join('\n')} []\n  - { id: cxl.1, busNr: 12 }`,
      "hostBridges[1].busNr: bus 12 already used by 'cxl.0'",
    ],
    [
      `${base.join('\n')} []\nwindows: [{ targets: [cxl.9], size: 4G }]`,
      "windows[0].targets[0]: unknown host bridge 'cxl.9'",
    ],
    [
      `${base.join('\n')} []\nwindows: [{ targets: [cxl.0, cxl.0, cxl.0, cxl.0, cxl.0], size: 4G }]`,
      'windows[0].targets: 5 targets (interleave ways must be 1, 2, 3, 4, 6, 8, 12 or 16)',
    ],
    [
      `${base.join('\n')} []\nwindows: [{ targets: [cxl.0], size: 300M }]`,
      'windows[0].size: must be a non-zero multiple of 256 MiB',
    ],
    [
      `${base.join('\n')} []\nwindows: [{ targets: [cxl.0], size: 4G, base: 0x1000 }]`,
      'windows[0].base: must be 256 MiB aligned',
    ],
    [
      `${base.join('\n')} []\nwindows: [{ targets: [cxl.0], size: 4G, index: 1 }, { targets: [cxl.0], size: 4G }]`,
      'windows[1].index: duplicate window index 1',
    ],
  ])('cross-field rule: %j → %s', (text, msg) => {
    expect(err(text).message).toBe(msg);
  });

  it('orders windows by index', () => {
    const t = parseTopologyFile(
      `${base.join('\n')} []\nwindows: [{ targets: [cxl.0], size: 4G, index: 2 }, { targets: [cxl.0], size: 8G, index: 0 }]`,
    );
    expect(t.windows.map((w) => [w.index, w.size])).toEqual([
      [0, 8n * GiB],
      [2, 4n * GiB],
    ]);
  });
});
