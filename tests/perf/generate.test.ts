/**
 * The topology generator (src/topology/generate.ts): exact device counts, firmware-style bus
 * numbering across PCI segments, window sizing, the topology-file round trip, and that what it
 * generates boots cleanly — checked by booting, not by restating the generator's arithmetic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { Errno } from '../../src/kernel/errno.ts';
import { KERN } from '../../src/kernel/log.ts';
import { cxlList } from '../../src/ndctl/cxl/list.ts';
import { resolveProfile } from '../../src/profile.ts';
import {
  type GenOptions,
  generateTopology,
  parseWindowSpec,
  shapeForEndpoints,
} from '../../src/topology/generate.ts';
import type { Endpointish, Topology } from '../../src/topology/model.ts';
import { parseTopologyFile } from '../../src/topology/schema.ts';
import { topologyToYaml } from '../../src/topology/serialize.ts';

const SZ_256M = 256n << 20n;

/** Type-3 devices below a subtree. */
function devices(e: Endpointish | undefined): number {
  if (!e) return 0;
  if (e.kind === 'switch') return e.downstream.reduce((s, d) => s + devices(d.child), 0);
  return e.kind === 'type3' ? 1 : 0;
}
const hbDevices = (t: Topology, id: string) =>
  (t.hostBridges.find((h) => h.id === id)?.rootPorts ?? []).reduce(
    (s, rp) => s + devices(rp.child),
    0,
  );
const total = (t: Topology) => t.hostBridges.reduce((s, h) => s + hbDevices(t, h.id), 0);

/** Small shapes (fast to boot): up to 4 host bridges × 4 root ports × 3^2. */
const smallShape: fc.Arbitrary<GenOptions> = fc
  .record({
    hostBridges: fc.integer({ min: 1, max: 4 }),
    rootPorts: fc.integer({ min: 1, max: 4 }),
    switchLevels: fc.integer({ min: 0, max: 2 }),
    fanout: fc.integer({ min: 1, max: 3 }),
    fill: fc.double({ min: 0, max: 1, noNaN: true }),
    seed: fc.integer({ min: 1, max: 1000 }),
  })
  .map(({ fill, ...o }) => {
    const leaves = o.hostBridges * o.rootPorts * o.fanout ** o.switchLevels;
    const endpoints = o.hostBridges + Math.floor(fill * (leaves - o.hostBridges));
    return { ...o, endpoints };
  });

describe('generateTopology', () => {
  it('--endpoints N alone gives exactly N type-3 devices, spread over whole host bridges', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), (n) => {
        const t = generateTopology(shapeForEndpoints(n));
        expect(total(t)).toBe(n);
        const per = t.hostBridges.map((h) => hbDevices(t, h.id));
        expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
        for (const hb of t.hostBridges) expect(hb.rootPorts.length).toBeGreaterThan(0);
      }),
      { numRuns: 60 },
    );
  });

  it('numbers buses as the firmware will, starting a new PCI segment when 255 run out', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), (n) => {
        const t = generateTopology(shapeForEndpoints(n));
        const bySeg = new Map<number, { first: number; last: number }[]>();
        for (const hb of t.hostBridges) {
          // buses the firmware gives this host bridge: its root bus and one per bridge below
          let buses = 1;
          const count = (e: Endpointish | undefined): number =>
            e?.kind === 'switch' ? 2 + e.downstream.reduce((s, d) => s + count(d.child), 0) : 1;
          for (const rp of hb.rootPorts) buses += count(rp.child);
          const list = bySeg.get(hb.segment) ?? [];
          list.push({ first: hb.busNr, last: hb.busNr + buses - 1 });
          bySeg.set(hb.segment, list);
        }
        const segs = [...bySeg.keys()];
        expect(segs).toEqual(segs.map((_, i) => i)); // 0, 1, 2 … in order
        for (const ranges of bySeg.values()) {
          ranges.forEach((r, i) => {
            expect(r.first).toBeGreaterThanOrEqual(1);
            expect(r.last).toBeLessThanOrEqual(255);
            if (i > 0) expect(r.first).toBeGreaterThan((ranges[i - 1] as { last: number }).last);
          });
        }
        expect(new Set(t.hostBridges.map((h) => h.uid)).size).toBe(t.hostBridges.length);
      }),
      { numRuns: 60 },
    );
  });

  it('sizes each window to the capacity below its targets, in 256 MiB × ways units', () => {
    fc.assert(
      fc.property(smallShape, fc.constantFrom('hb', 'all', 'hb,x2', 'x2,all', 'none'), (o, w) => {
        // 1 … 4 host bridges are all legal way counts for `all`; groups need enough of them
        const windows = parseWindowSpec(w).filter(
          (k) => k.kind !== 'group' || k.ways <= o.hostBridges,
        );
        const t = generateTopology({ ...o, windows });
        for (const win of t.windows) {
          const ways = BigInt(win.targets.length);
          expect(win.size % (SZ_256M * ways)).toBe(0n);
          const cap = win.targets.reduce((s, id) => s + BigInt(hbDevices(t, id)) * SZ_256M, 0n);
          expect(win.size >= cap).toBe(true);
        }
        expect(t.windows.map((x) => x.index)).toEqual(t.windows.map((_, i) => i));
      }),
      { numRuns: 100 },
    );
  });

  it('round-trips through a topology file', () => {
    fc.assert(
      fc.property(smallShape, (o) => {
        const t = generateTopology(o);
        const back = parseTopologyFile(topologyToYaml(t), 'gen.yaml');
        expect({ ...back, source: t.source }).toEqual(t);
      }),
      { numRuns: 40 },
    );
  });

  it('raises phys-bits when the windows pass q35’s 40-bit limit, and every window is placed', () => {
    const t = generateTopology(shapeForEndpoints(4096));
    expect(Number(t.machine.options['phys-bits'])).toBeGreaterThan(40);
    const m = bootMachine(t, { profile: resolveProfile('latest') });
    const roots = m.sysfs.readdir('bus/cxl/devices/root0').filter((n) => n.startsWith('decoder0.'));
    expect(roots.length).toBe(t.windows.length);
  });

  it('rejects impossible shapes with EINVAL naming the problem', () => {
    const bad = (o: GenOptions, re: RegExp) => {
      expect(() => generateTopology(o)).toThrow(Errno);
      expect(() => generateTopology(o)).toThrow(re);
    };
    const base = { hostBridges: 2, rootPorts: 2, switchLevels: 1, fanout: 2 };
    bad({ ...base, endpoints: 9 }, /do not fit/);
    bad({ ...base, endpoints: 1 }, /cannot populate 2 host bridges/);
    bad({ ...base, rootPorts: 33 }, /root ports must be an integer from 1 to 32/);
    bad({ ...base, deviceSize: 100n << 20n }, /multiple of 256 MiB/);
    bad({ ...base, hostBridges: 5, windows: [{ kind: 'all' }] }, /not a legal interleave/);
    bad({ hostBridges: 1, rootPorts: 8, switchLevels: 2, fanout: 32 }, /needs \d+ PCI bus numbers/);
    bad(
      { hostBridges: 1, rootPorts: 32, switchLevels: 2, fanout: 32 },
      /32768 type-3 devices: cxlsim gen writes at most 16384/,
    );
    expect(() => parseWindowSpec('hb,x5')).toThrow(/'x5' is not/);
  });
});

describe('generated topologies boot', () => {
  it('with no kernel error, one memdev per device and one root decoder per window', () => {
    for (const name of ['latest', 'debian-12']) {
      const profile = resolveProfile(name);
      fc.assert(
        fc.property(smallShape, (o) => {
          const t = generateTopology(o);
          const m = bootMachine(t, { profile });
          const errs = m.kernel.log.lines.filter((l) => l.level <= KERN.ERR).map((l) => l.text);
          expect(errs).toEqual([]);
          const names = m.sysfs.readdir('bus/cxl/devices');
          expect(names.filter((n) => /^mem\d+$/.test(n)).length).toBe(total(t));
          expect(names.filter((n) => /^endpoint\d+$/.test(n)).length).toBe(total(t));
          const rootDecoders = m.sysfs
            .readdir('bus/cxl/devices/root0')
            .filter((n) => n.startsWith('decoder0.'));
          expect(rootDecoders.length).toBe(t.windows.length);
          for (const [i, w] of t.windows.entries())
            expect(m.sysfs.read(`bus/cxl/devices/decoder0.${i}/interleave_ways`)).toBe(
              `${w.targets.length}\n`,
            );
        }),
        { numRuns: 12 },
      );
    }
  });

  it('past 256 buses: host bridges in PCI segment 1 enumerate and list like segment 0', () => {
    const t = generateTopology({
      hostBridges: 4,
      rootPorts: 8,
      switchLevels: 1,
      fanout: 8,
      endpoints: 200,
    });
    expect(t.hostBridges.map((h) => h.segment)).toEqual([0, 0, 0, 1]);
    const profile = resolveProfile('latest');
    const m = bootMachine(t, { profile });
    const seg1 = m.sysfs.readdir('devices').filter((n) => n.startsWith('pci0001:'));
    expect(seg1).toEqual([`pci0001:${t.hostBridges[3]?.busNr.toString(16).padStart(2, '0')}`]);
    const r = cxlList(m.sysfs, ['-M'], { ioctl: m.ioctl, ndctl: profile.ndctl });
    const mems = JSON.parse(r.stdout) as { host: string }[];
    expect(mems.length).toBe(200);
    expect(mems.filter((x) => x.host.startsWith('0001:')).length).toBe(50);
  });
});
