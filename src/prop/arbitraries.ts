/**
 * DOC: fast-check arbitraries for CXL region assembly (`cxlsim/arbitraries`).
 *
 * - {@link topologyArb}: topologies of pxb-cxl host bridges, root ports, switch levels and
 *   fan-out with type-3 devices at the leaves (src/topology/generate.ts), windows per host
 *   bridge / interleaving all / groups, devices' volatile and persistent partitions; with
 *   `qemu: false` also what QEMU cannot build (more HDM decoders per component than QEMU gives).
 *   Every value is a `Topology` that `boot({ topology })` accepts.
 * - {@link regionRequestArb}: abstract region requests (request.ts), and
 *   {@link createRegionArgvArb} / {@link caseArb}: ndctl `create-region` argv and whole cases
 *   whose requests run as ndctl commands or as raw /sys write sequences in any order.
 * Everything shrinks towards small topologies, the first window, one way and few requests.
 */
import fc from 'fast-check';
import type { Machine } from '../api/machine.ts';
import { type GenOptions, generateTopology, type WindowKind } from '../topology/generate.ts';
import type { Endpointish, HdmCaps, Topology } from '../topology/model.ts';
import type { CaseRequest, PropCase } from './case.ts';
import { createRegionArgv, type RegionRequest, resolveRequest } from './request.ts';

const MiB = 1n << 20n;
const SZ_256M = 256n * MiB;

/** Interleave granularities a region may ask for (bytes). */
export const GRANULARITIES = [256, 512, 1024, 2048, 4096, 8192, 16384] as const;

/** Options of {@link topologyArb}. */
export interface TopologyArbOptions {
  /** At most this many type-3 devices (default 16). */
  maxEndpoints?: number;
  /** Only what a QEMU command line can express (default true). */
  qemu?: boolean;
}

/** HDM capabilities with `n` decoders (cxl_test-like; not QEMU's fixed count). */
const caps = (n: number, targets: number): HdmCaps => ({
  decoderCount: n,
  targetCount: targets,
  a11to8: true,
  a14to12: true,
  iw3612: true,
  iw16: true,
});

/** Topologies (see the DOC block). */
export function topologyArb(o: TopologyArbOptions = {}): fc.Arbitrary<Topology> {
  const max = o.maxEndpoints ?? 16;
  const qemu = o.qemu ?? true;
  const windows: fc.Arbitrary<WindowKind[]> = fc.uniqueArray(
    fc.constantFrom<WindowKind>(
      { kind: 'hb' },
      { kind: 'all' },
      { kind: 'group', ways: 2 },
      { kind: 'group', ways: 4 },
    ),
    { minLength: 1, maxLength: 3, selector: (w) => (w.kind === 'group' ? `g${w.ways}` : w.kind) },
  );
  return fc
    .record({
      hostBridges: fc.integer({ min: 1, max: 4 }),
      rootPorts: fc.integer({ min: 1, max: 4 }),
      switchLevels: fc.integer({ min: 0, max: 2 }),
      fanout: fc.integer({ min: 1, max: 4 }),
      endpoints: fc.integer({ min: 1, max: max }),
      windows,
      granularity: fc.constantFrom(256, 1024, 4096, 8192),
      volatileUnits: fc.integer({ min: 0, max: 2 }),
      persistentUnits: fc.integer({ min: 0, max: 2 }),
      decoders: qemu
        ? fc.constant(undefined)
        : fc.option(fc.constantFrom(2, 4, 8), { nil: undefined }),
      seed: fc.integer({ min: 1, max: 1000 }),
    })
    .map((g) => {
      const leaves = g.hostBridges * g.rootPorts * g.fanout ** g.switchLevels;
      // generate.ts checkGenOptions(): group windows need that many host bridges, `all` a legal way count
      const fit = g.windows.filter((w) =>
        w.kind === 'group'
          ? w.ways <= g.hostBridges
          : w.kind === 'all'
            ? g.hostBridges !== 3
            : true,
      );
      const opts: GenOptions = {
        hostBridges: g.hostBridges,
        rootPorts: g.rootPorts,
        switchLevels: g.switchLevels,
        fanout: g.fanout,
        endpoints: Math.max(g.hostBridges, Math.min(g.endpoints, leaves)),
        windows: fit.length ? fit : [{ kind: 'hb' }],
        granularity: g.granularity,
        seed: g.seed,
      };
      const t = generateTopology(opts);
      const vol = BigInt(g.volatileUnits) * SZ_256M;
      const pers = BigInt(g.persistentUnits || (g.volatileUnits ? 0 : 1)) * SZ_256M;
      const walk = (c: Endpointish | undefined): void => {
        if (!c) return;
        if (c.kind === 'type3') {
          c.volatileSize = vol;
          c.persistentSize = pers;
          if (g.decoders) c.hdm = caps(g.decoders, 1);
        } else if (c.kind === 'switch') {
          if (g.decoders) c.hdm = caps(g.decoders, 8);
          for (const d of c.downstream) walk(d.child);
        }
      };
      for (const hb of t.hostBridges) {
        // QEMU's pxb-cxl _UID is its bus number (the generator counts _UIDs from 0)
        if (qemu) delete hb.uid;
        if (g.decoders) hb.hdm = caps(g.decoders, 8);
        for (const rp of hb.rootPorts) walk(rp.child);
      }
      // QEMU needs a distinct chassis/slot per root and downstream port: number them in order
      if (qemu) {
        let slot = 0;
        const ports = (c: Endpointish | undefined): void => {
          if (c?.kind !== 'switch') return;
          for (const d of c.downstream) {
            d.chassis = 0;
            d.slot = slot++;
            ports(d.child);
          }
        };
        for (const hb of t.hostBridges)
          for (const rp of hb.rootPorts) {
            rp.chassis = 0;
            rp.slot = slot++;
            ports(rp.child);
          }
      }
      // windows are sized for the generator's 256 MiB devices: grow them to the new capacity
      const per = vol + pers;
      if (per > SZ_256M) for (const w of t.windows) w.size *= (per + SZ_256M - 1n) / SZ_256M;
      t.name = `gen-${t.name}`;
      return t;
    });
}

/** Options of {@link regionRequestArb}. */
export interface RequestArbOptions {
  /** Ways to pick from (default 1, 2, 4). */
  ways?: readonly number[];
  /** Allow `ram` regions (default true; ndctl 76.1 / kernel 6.1 cannot make them). */
  ram?: boolean;
  /** Sizes per way to pick from (default ndctl's choice, 256 MiB, 512 MiB). */
  perWay?: readonly (bigint | undefined)[];
}

/** Abstract region requests (request.ts); resolve them with `resolveRequest(machine, req)`. */
export function regionRequestArb(o: RequestArbOptions = {}): fc.Arbitrary<RegionRequest> {
  const ways = o.ways ?? [1, 2, 4];
  return fc
    .record({
      root: fc.nat({ max: 15 }),
      ram: o.ram === false ? fc.constant(false) : fc.boolean(),
      ways: fc.constantFrom(...ways),
      granularity: fc.option(fc.constantFrom(...GRANULARITIES), { nil: undefined }),
      picks: fc.array(fc.nat({ max: 15 }), { minLength: 16, maxLength: 16 }),
      perWay: fc.constantFrom(...(o.perWay ?? [undefined, SZ_256M, 2n * SZ_256M])),
    })
    .map((r) => ({
      root: r.root,
      type: r.ram ? 'ram' : 'pmem',
      ways: r.ways,
      ...(r.granularity !== undefined ? { granularity: r.granularity } : {}),
      picks: r.picks,
      ...(r.perWay !== undefined ? { perWay: r.perWay } : {}),
    }));
}

/** `cxl create-region` argv (without "cxl") for requests on `m` (names as `m` has them). */
export function createRegionArgvArb(m: Machine, o: RequestArbOptions = {}): fc.Arbitrary<string[]> {
  return regionRequestArb(o)
    .map((q) => resolveRequest(m, q))
    .filter((r) => r !== undefined)
    .map((r) => createRegionArgv(r as NonNullable<typeof r>));
}

/** Options of {@link caseArb}. */
export interface CaseArbOptions extends RequestArbOptions {
  /** Requests per case (default 1 … 4). */
  maxRequests?: number;
  /** Request modes (default both). */
  modes?: readonly ('ndctl' | 'sysfs')[];
}

/** Whole cases: requests as ndctl commands or raw /sys write sequences in any order. */
export function caseArb(o: CaseArbOptions = {}): fc.Arbitrary<PropCase> {
  const modes = o.modes ?? ['ndctl', 'sysfs'];
  const request: fc.Arbitrary<CaseRequest> = fc
    .record({
      mode: fc.constantFrom(...modes),
      req: regionRequestArb(o),
      uuid: fc.uuid({ version: 4 }),
      shuffle: fc.boolean(),
      order: fc.array(fc.nat({ max: 63 }), { maxLength: 40 }),
    })
    .map((r) =>
      r.mode === 'ndctl'
        ? { mode: 'ndctl', req: r.req }
        : { mode: 'sysfs', req: r.req, uuid: r.uuid, order: r.shuffle ? r.order : [] },
    );
  return fc
    .array(request, { minLength: 1, maxLength: o.maxRequests ?? 4 })
    .map((requests) => ({ requests }));
}
