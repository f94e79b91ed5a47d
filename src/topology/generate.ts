/**
 * DOC: synthetic topologies for scale tests and benchmarks (`cxlsim gen`).
 *
 * Shape: `hostBridges` pxb-cxl host bridges, each with `rootPorts` root ports; below each root
 * port either a type-3 device (switchLevels 0) or a tree of `switchLevels` switches with
 * `fanout` downstream ports each, type-3 devices at the leaves. PCI bus numbers are counted
 * the way firmware assigns them (one per bridge level and port); when a PCI segment's 256
 * buses run out the next host bridge starts a new segment (pci0001:…), as large hosts do.
 * One window per host bridge plus one interleaving all host bridges (when ≤ 16 and a legal
 * way count).
 */
import type {
  DownstreamPort,
  Endpointish,
  FixedWindow,
  HostBridge,
  RootPort,
  Topology,
  Type3Dev,
} from './model.ts';

/** Generator parameters. */
export interface GenOptions {
  hostBridges: number;
  rootPorts: number;
  switchLevels: number;
  fanout: number;
  /** Persistent bytes per device (default 256 MiB). */
  deviceSize?: bigint;
  /** Seed (serial numbers are derived from it). */
  seed?: number;
  name?: string;
}

const GiB = 1n << 30n;
const LEGAL_WAYS = new Set([1, 2, 3, 4, 6, 8, 12, 16]);

/** Buses one root port's subtree needs (its secondary bus and everything below). */
function busesBelow(levels: number, fanout: number): number {
  if (levels === 0) return 1;
  // the port's secondary bus (holding the USP) + the switch's internal bus + fanout subtrees
  return 2 + fanout * busesBelow(levels - 1, fanout);
}

/** Endpoints the shape yields. */
export function endpointCount(o: GenOptions): number {
  return o.hostBridges * o.rootPorts * o.fanout ** o.switchLevels;
}

/** Picks a balanced shape for `n` endpoints. */
export function shapeForEndpoints(n: number): GenOptions {
  if (n <= 4) return { hostBridges: 1, rootPorts: Math.max(1, n), switchLevels: 0, fanout: 1 };
  if (n <= 64) return { hostBridges: 2, rootPorts: 2, switchLevels: 1, fanout: Math.ceil(n / 4) };
  const fanout = 8;
  const perHb = 8 * fanout;
  return { hostBridges: Math.ceil(n / perHb), rootPorts: 8, switchLevels: 1, fanout };
}

/**
 * Builds the topology. Throws Errno-free plain Error only for impossible shapes (caller validates).
 */
export function generateTopology(o: GenOptions): Topology {
  const size = o.deviceSize ?? 256n << 20n;
  let serial = BigInt((o.seed ?? 1) * 1_000_000);
  let segment = 0;
  let nextBus = 1;
  const hostBridges: HostBridge[] = [];
  const perHb = 1 + o.rootPorts * busesBelow(o.switchLevels, o.fanout);
  let ep = 0;
  const dev = (): Type3Dev => ({
    kind: 'type3',
    id: `mem${ep++}`,
    serial: ++serial,
    volatileSize: 0n,
    persistentSize: size,
    lsaSize: 1n << 20n,
  });
  const subtree = (levels: number, tag: string): Endpointish => {
    if (levels === 0) return dev();
    const downstream: DownstreamPort[] = [];
    for (let i = 0; i < o.fanout; i++)
      downstream.push({ id: `${tag}.ds${i}`, port: i, child: subtree(levels - 1, `${tag}.${i}`) });
    return { kind: 'switch', id: `${tag}.us`, downstream };
  };
  for (let h = 0; h < o.hostBridges; h++) {
    if (nextBus + perHb > 256) {
      segment++;
      nextBus = 1;
    }
    const rootPorts: RootPort[] = [];
    for (let r = 0; r < o.rootPorts; r++)
      rootPorts.push({
        id: `hb${h}.rp${r}`,
        port: r,
        child: subtree(o.switchLevels, `hb${h}.rp${r}`),
      });
    hostBridges.push({ id: `cxl.${h}`, busNr: nextBus, segment, uid: h, rootPorts });
    nextBus += perHb;
  }
  const windows: FixedWindow[] = hostBridges.map((hb, i) => ({
    index: i,
    targets: [hb.id],
    size:
      size * BigInt(o.rootPorts * o.fanout ** o.switchLevels) > 4n * GiB
        ? size * BigInt(o.rootPorts * o.fanout ** o.switchLevels)
        : 4n * GiB,
    granularity: 256,
  }));
  if (o.hostBridges > 1 && LEGAL_WAYS.has(o.hostBridges)) {
    windows.push({
      index: windows.length,
      targets: hostBridges.map((h) => h.id),
      size: 16n * GiB * BigInt(o.hostBridges),
      granularity: 4096,
    });
  }
  return {
    name: o.name ?? `hb${o.hostBridges}_rp${o.rootPorts}_sw${o.switchLevels}x${o.fanout}`,
    source: { kind: 'file' },
    machine: { type: 'q35', ramSize: 2n * GiB, cxl: true, options: {} },
    hostBridges,
    windows,
    cxims: [],
    ignored: [],
  };
}
