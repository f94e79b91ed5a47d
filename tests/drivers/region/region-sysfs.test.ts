/**
 * Region attributes and stores on the latest kernel (v7.0 rules, reference/sysfs-abi.md §3.5 and
 * region-driver.md §3): file set and modes, initial values, the parse/state errors of every
 * store, ram regions (read-only empty uuid, dax_region child), the attach-failure warning, the
 * commit-order decoder pick and the HPA-order rule across two regions on one host bridge.
 */
import { describe, expect, it } from 'vitest';
import type { BootedMachine } from '../../../src/boot.ts';
import { type CxlEndpointDecoder, CxlRootDecoder } from '../../../src/drivers/cxl/core/decoder.ts';
import { hostBridgeDport } from '../../../src/drivers/cxl/core/region/region.ts';
import {
  B,
  bootReshaped,
  devByName,
  epDecoder,
  logSince,
  ndctlCreateRegion,
  sysw,
} from './helpers.ts';

const GiB = 1n << 30n;

/** Root decoders of the machine, and the 1-way one serving `memdev`'s host bridge. */
function windowFor(m: BootedMachine, memdev: string, ways = 1): CxlRootDecoder {
  const cxled = m.kernel.buses
    .get('cxl')
    ?.devices.find((d) => d.name === epDecoder(m, memdev, 0)) as CxlEndpointDecoder;
  const roots = (m.kernel.buses.get('cxl')?.devices ?? []).filter(
    (d): d is CxlRootDecoder => d instanceof CxlRootDecoder,
  );
  const hb = hostBridgeDport(cxled, cxled.port.root());
  const w = roots.find((r) => r.interleaveWays === ways && r.targets.includes(hb));
  if (!w) throw new Error(`no ${ways}-way window for ${memdev}`);
  return w;
}

const read = (m: BootedMachine, p: string) => (m.sysfs.read(`${B}/${p}`) as string).trim();
const newRegion = (m: BootedMachine, root: string, attr = 'create_pmem_region') => {
  const name = read(m, `${root}/${attr}`);
  expect(sysw(m, `${B}/${root}/${attr}`, name)).toBe('ok');
  return name;
};

describe('region attributes and stores (latest)', () => {
  const m = bootReshaped('latest', { volatileSize: GiB, persistentSize: GiB, decoders: 4 });

  it('a new pmem region lists the v7.0 files with their modes and initial values', () => {
    const root = windowFor(m, 'mem0').name;
    const r = newRegion(m, root);
    const names = m.sysfs.readdir(`${B}/${r}`);
    for (const f of [
      'commit',
      'devtype',
      'interleave_granularity',
      'interleave_ways',
      'locked',
      'mode',
      'modalias',
      'resource',
      'size',
      'subsystem',
      'uevent',
      'uuid',
    ])
      expect(names).toContain(f);
    expect(names.filter((n) => n.startsWith('target'))).toEqual([]);
    const mode = (f: string) => (m.sysfs.lstat(`${B}/${r}/${f}`) as { mode: number }).mode;
    expect([
      mode('uuid'),
      mode('commit'),
      mode('size'),
      mode('resource'),
      mode('mode'),
      mode('locked'),
    ]).toEqual([0o644, 0o644, 0o644, 0o444, 0o444, 0o444]);
    expect(
      [
        'uuid',
        'interleave_ways',
        'interleave_granularity',
        'size',
        'resource',
        'commit',
        'mode',
        'locked',
        'devtype',
        'modalias',
      ].map((f) => read(m, `${r}/${f}`)),
    ).toEqual([
      '00000000-0000-0000-0000-000000000000',
      '0',
      '0',
      '0x0',
      '0xffffffffffffffff',
      '0',
      'pmem',
      '0',
      'cxl_region',
      'cxl:t6',
    ]);
    expect(sysw(m, `${B}/${r}/interleave_ways`, '2')).toBe('ok');
    expect(m.sysfs.readdir(`${B}/${r}`).filter((n) => n.startsWith('target'))).toEqual([
      'target0',
      'target1',
    ]);
    expect(sysw(m, `${B}/${root}/delete_region`, r)).toBe('ok');
  });

  it('store errors: parse, rules and state, each leaving the region as it was', () => {
    const root = windowFor(m, 'mem0').name;
    const r = newRegion(m, root);
    const R = `${B}/${r}`;
    const uuid = '4c5d3e0a-86a1-4f4e-9d9a-0d5a1f1b8e01';
    expect(sysw(m, `${R}/size`, '0x10000000')).toBe('ENXIO'); // ways/granularity/uuid missing
    expect(sysw(m, `${R}/interleave_ways`, '5')).toBe('EINVAL');
    expect(sysw(m, `${R}/interleave_ways`, '-1')).toBe('EINVAL');
    expect(sysw(m, `${R}/interleave_granularity`, '300')).toBe('EINVAL');
    expect(sysw(m, `${R}/interleave_granularity`, '32768')).toBe('EINVAL');
    expect(sysw(m, `${R}/uuid`, '00000000-0000-0000-0000-000000000000')).toBe('EINVAL');
    expect(sysw(m, `${R}/uuid`, 'not-a-uuid-not-a-uuid-not-a-uuid-xxx')).toBe('EINVAL');
    expect(() => m.sysfs.write(`${R}/uuid`, uuid)).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    ); // echo -n
    expect(sysw(m, `${R}/interleave_ways`, '1')).toBe('ok');
    expect(sysw(m, `${R}/interleave_granularity`, '256')).toBe('ok');
    expect(sysw(m, `${R}/uuid`, uuid.toUpperCase())).toBe('ok');
    expect(read(m, `${r}/uuid`)).toBe(uuid);
    expect(sysw(m, `${R}/size`, '0x1000')).toBe('EINVAL');
    expect(sysw(m, `${R}/size`, '0x10000000')).toBe('ok');
    expect(sysw(m, `${R}/size`, '0x10000000')).toBe('ok');
    expect(sysw(m, `${R}/size`, '0x20000000')).toBe('EBUSY');
    expect(sysw(m, `${R}/interleave_ways`, '1')).toBe('EBUSY');
    expect(sysw(m, `${R}/interleave_granularity`, '256')).toBe('EBUSY');
    expect(sysw(m, `${R}/commit`, '1')).toBe('ENXIO');
    expect(sysw(m, `${R}/commit`, 'x')).toBe('EINVAL');
    expect(sysw(m, `${R}/target0`, 'decoder9.9')).toBe('ENODEV');
    expect(sysw(m, `${R}/target0`, root)).toBe('EINVAL');
    expect(sysw(m, `${R}/target0`, '')).toBe('ok');
    // a second region may not take the same uuid; the kernel names the holder
    const r2 = newRegion(m, root);
    const mark = m.kernel.log.mark();
    expect(sysw(m, `${B}/${r2}/uuid`, uuid)).toBe('EBUSY');
    expect(logSince(m, mark)).toEqual([`<7>cxl ${r}: already has uuid: ${uuid}`]);
    expect(sysw(m, `${B}/${root}/create_pmem_region`, r)).toBe('EBUSY'); // stale id
    expect(sysw(m, `${B}/${root}/create_pmem_region`, 'regionx')).toBe('EINVAL');
    expect(sysw(m, `${B}/${root}/delete_region`, 'region99')).toBe('ENODEV');
    expect(sysw(m, `${R}/size`, '0')).toBe('ok');
    expect(read(m, `${r}/resource`)).toBe('0xffffffffffffffff');
    for (const x of [r2, r]) expect(sysw(m, `${B}/${root}/delete_region`, x)).toBe('ok');
  });

  it('a ram region: read-only empty uuid, commits and binds with a dax_region child', () => {
    const root = windowFor(m, 'mem0').name;
    const res = ndctlCreateRegion(m, root, ['mem0'], { granularity: 4096, type: 'ram' });
    expect(res.failed).toBeUndefined();
    const r = res.region;
    expect((m.sysfs.lstat(`${B}/${r}/uuid`) as { mode: number }).mode).toBe(0o444);
    expect(m.sysfs.read(`${B}/${r}/uuid`)).toBe('\n');
    expect(read(m, `${r}/mode`)).toBe('ram');
    expect(read(m, `${r}/commit`)).toBe('1');
    expect(m.sysfs.readdir(`${B}/${r}`)).toContain(`dax_region${r.slice('region'.length)}`);
    expect(read(m, `dax_region${r.slice('region'.length)}/devtype`)).toBe('cxl_dax_region');
    const d = read(m, `${r}/target0`);
    expect(read(m, `${d}/mode`)).toBe('ram');
    expect(read(m, `${d}/dpa_resource`)).toBe('0x0');
  });

  it('a failed attach warns on the endpoint port with the errno (v7.0)', () => {
    const f = bootReshaped('latest', { volatileSize: 0n, persistentSize: GiB });
    const w = windowFor(f, 'mem0', 2);
    const r = newRegion(f, w.name);
    const R = `${B}/${r}`;
    for (const [a, v] of [
      ['interleave_granularity', String(w.interleaveGranularity)],
      ['interleave_ways', '2'],
      ['uuid', '9a1f2b3c-0d4e-4f5a-8b6c-7d8e9f0a1b2c'],
      ['size', '0x20000000'],
    ] as const)
      expect(sysw(f, `${R}/${a}`, v)).toBe('ok');
    const d = epDecoder(f, 'mem0', 0);
    const cxled = devByName<CxlEndpointDecoder>(f, d);
    const pos = w.targets.indexOf(hostBridgeDport(cxled, w.port));
    expect(sysw(f, `${B}/${d}/mode`, 'pmem')).toBe('ok');
    expect(sysw(f, `${B}/${d}/dpa_size`, '0x10000000')).toBe('ok');
    const mark = f.kernel.log.mark();
    expect(sysw(f, `${R}/target${1 - pos}`, d)).toBe('ENXIO');
    expect(logSince(f, mark)).toEqual([
      `<7>cxl ${r}: mem0:${d} invalid target position for ${w.name}`,
      `<4>cxl_port ${cxled.port.name}: failed to attach ${d} to ${r}: -6`,
    ]);
    expect(sysw(f, `${R}/target${pos}`, d)).toBe('ok');
    expect(read(f, `${d}/region`)).toBe(r);
    expect(sysw(f, `${B}/${d}/dpa_size`, '0')).toBe('EBUSY');
    expect(sysw(f, `${R}/target${pos}`, '')).toBe('ok');
    expect(read(f, `${d}/size`)).toBe('0x0');
    expect(sysw(f, `${B}/${d}/dpa_size`, '0')).toBe('ok');
    expect(sysw(f, `${B}/${w.name}/delete_region`, r)).toBe('ok');
  });
});

describe('two regions on one host bridge (latest, 4 decoders per port)', () => {
  it('the next decoder to commit is reserved until the first region commits', () => {
    const m = bootReshaped('latest', { volatileSize: 0n, persistentSize: GiB, decoders: 4 });
    const w = windowFor(m, 'mem0');
    const setup = (name: string) => {
      for (const [f, v] of [
        ['interleave_granularity', '256'],
        ['interleave_ways', '1'],
        ['uuid', crypto.randomUUID()],
        ['size', '0x10000000'],
      ] as const)
        expect(sysw(m, `${B}/${name}/${f}`, v)).toBe('ok');
    };
    const a = newRegion(m, w.name);
    setup(a);
    const b = newRegion(m, w.name);
    setup(b);
    const d0 = epDecoder(m, 'mem0', 0);
    const d1 = epDecoder(m, 'mem0', 1);
    for (const d of [d0, d1]) {
      expect(sysw(m, `${B}/${d}/mode`, 'pmem')).toBe('ok');
      expect(sysw(m, `${B}/${d}/dpa_size`, '0x10000000')).toBe('ok');
    }
    // b (higher HPA) first on the endpoint's host bridge, then a: HPA order violation
    expect(sysw(m, `${B}/${b}/target0`, d1)).toBe('ok');
    let mark = m.kernel.log.mark();
    expect(sysw(m, `${B}/${a}/target0`, d0)).toBe('EBUSY');
    const lines = logSince(m, mark);
    expect(lines.some((l) => l.includes(`HPA order violation ${b}:`))).toBe(true);
    expect(sysw(m, `${B}/${b}/target0`, '')).toBe('ok');
    // a attached but not committed: its host-bridge decoder is the next to commit, b cannot have it
    expect(sysw(m, `${B}/${a}/target0`, d0)).toBe('ok');
    mark = m.kernel.log.mark();
    expect(sysw(m, `${B}/${b}/target0`, d1)).toBe('EBUSY');
    expect(
      logSince(m, mark).some((l) =>
        /next decoder to commit \(decoder\d+\.0\) is already reserved/.test(l),
      ),
    ).toBe(true);
    expect(sysw(m, `${B}/${a}/commit`, '1')).toBe('ok');
    expect(sysw(m, `${B}/${b}/target0`, d1)).toBe('ok');
    expect(sysw(m, `${B}/${b}/commit`, '1')).toBe('ok');
    const hb = devByName<CxlEndpointDecoder>(m, d1).port.parentPort();
    expect(
      hb
        ?.decoders()
        .filter((d) => d.enabled)
        .map((d) => d.id),
    ).toEqual([0, 1]);
  });
});
