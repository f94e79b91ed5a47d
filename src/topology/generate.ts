/**
 * DOC: synthetic topologies for scale tests and benchmarks (`cxlsim gen`).
 *
 * Shape: `hostBridges` pxb-cxl host bridges, each with up to `rootPorts` root ports; below each
 * root port either a type-3 device (switchLevels 0) or a tree of `switchLevels` switches with
 * up to `fanout` downstream ports each, type-3 devices at the leaves. With `endpoints` the tree
 * holds exactly that many devices, spread as evenly as the shape allows (host bridges, root
 * ports and downstream ports that would stay empty are left out); without it every leaf gets
 * a device.
 *
 * PCI bus numbers are counted the way the firmware assigns them (hw/pci/firmware.ts: one per
 * bridge, depth first); when a segment's 255 bus numbers run out the next host bridge starts a
 * new PCI segment (pci0001:…), as large hosts do — a topology file can say so, a QEMU command
 * line cannot. Host bridge _UIDs count from 0 across segments.
 *
 * Windows (`windows`, default {@link defaultWindows}): `hb` one single-target window per host
 * bridge; `all` one window interleaving every host bridge; `xN` windows interleaving
 * consecutive groups of N host bridges (N a legal CFMWS way count: 1 2 3 4 6 8 12 16; the
 * host bridges left over when the count is not a multiple of N get no group window). Each
 * window is sized to the capacity of the devices below its targets, rounded up to a multiple
 * of 256 MiB × ways (what cxl_acpi and QEMU require), 4 GiB at least. When the windows would
 * pass q35's default 40-bit physical address limit, `machine.options['phys-bits']` is raised
 * so that QEMU 10's placement does not drop them.
 */
import { Errno } from '../kernel/errno.ts';
import type {
  DownstreamPort,
  Endpointish,
  FixedWindow,
  HostBridge,
  RootPort,
  Topology,
  Type3Dev,
} from './model.ts';
import { generatedCpu } from './qemu-cpu.ts';

/** One kind of window the generator adds (see the DOC block). */
export type WindowKind = { kind: 'hb' } | { kind: 'all' } | { kind: 'group'; ways: number };

/** Generator parameters. Counts are ≥ 1 (switchLevels ≥ 0); sizes are bytes. */
export interface GenOptions {
  hostBridges: number;
  /** Root ports per host bridge (1 … 32: one per slot of the pxb-cxl bus). */
  rootPorts: number;
  /** Switch levels below each root port (0 = devices directly on the root ports). */
  switchLevels: number;
  /** Downstream ports per switch (1 … 32). */
  fanout: number;
  /** Exactly this many type-3 devices (≤ the shape's leaves); default: every leaf. */
  endpoints?: number;
  /** Persistent bytes per device (default 256 MiB; a multiple of 256 MiB). */
  deviceSize?: bigint;
  /** Label storage bytes per device (default 1 MiB). */
  lsaSize?: bigint;
  /** Windows to add (default {@link defaultWindows}). */
  windows?: WindowKind[];
  /** Host bridge interleave granularity of multi-target windows, bytes (default 4096). */
  granularity?: number;
  /** Seed: serial numbers are seed × 10⁶ + 1, + 2, … (default 1). */
  seed?: number;
  name?: string;
}

const MiB = 1n << 20n;
const GiB = 1n << 30n;
const SZ_256M = 256n * MiB;
/** CFMWS interleave ways QEMU and the kernel accept (ENIW 0–4, 8–10). */
export const LEGAL_WAYS: readonly number[] = [1, 2, 3, 4, 6, 8, 12, 16];
/** Bus numbers a PCI segment offers below its host bridges (1 … 255). */
const BUSES_PER_SEGMENT = 255;
/** Slots on one PCI bus. */
const MAX_SLOTS = 32;
/** Physical address bits q35 assumes without -cpu …,phys-bits (TCG qemu64). */
const Q35_DEFAULT_PHYS_BITS = 40;

const bad = (msg: string) => new Errno('EINVAL', msg);

/** Leaves the shape has (endpoints when every leaf gets a device). */
export function leafCount(
  o: Pick<GenOptions, 'hostBridges' | 'rootPorts' | 'switchLevels' | 'fanout'>,
): number {
  return o.hostBridges * o.rootPorts * o.fanout ** o.switchLevels;
}

/** Type-3 devices the options yield. */
export function endpointCount(o: GenOptions): number {
  return o.endpoints ?? leafCount(o);
}

/**
 * A balanced shape for `n` type-3 devices: up to 4 on root ports of one host bridge (QEMU's
 * test layout), then one switch level below 2 host bridges, then host bridges of 8 root ports
 * × 8-port switches (64 devices each) — 4096 devices are 64 host bridges over 22 segments.
 * @throws EINVAL when n < 1
 */
export function shapeForEndpoints(n: number): GenOptions {
  if (!Number.isSafeInteger(n) || n < 1)
    throw bad(`endpoints must be a positive integer (got ${n})`);
  if (n <= 4) return { hostBridges: 1, rootPorts: n, switchLevels: 0, fanout: 1, endpoints: n };
  if (n <= 16) return { hostBridges: 2, rootPorts: 2, switchLevels: 1, fanout: 4, endpoints: n };
  if (n <= 64) return { hostBridges: 2, rootPorts: 4, switchLevels: 1, fanout: 8, endpoints: n };
  return { hostBridges: Math.ceil(n / 64), rootPorts: 8, switchLevels: 1, fanout: 8, endpoints: n };
}

/** The default windows: one per host bridge, plus one interleaving them all (or groups of them). */
export function defaultWindows(hostBridges: number): WindowKind[] {
  const out: WindowKind[] = [{ kind: 'hb' }];
  if (hostBridges > 1) {
    if (LEGAL_WAYS.includes(hostBridges)) out.push({ kind: 'all' });
    else {
      const ways = [...LEGAL_WAYS].reverse().find((w) => w <= hostBridges && w > 1) ?? 2;
      out.push({ kind: 'group', ways });
    }
  }
  return out;
}

/**
 * Parses `--windows`: comma-separated `hb`, `all`, `xN` (`x2`, `x16`…) or `none`.
 * @throws EINVAL naming the token that is not one of these
 */
export function parseWindowSpec(spec: string): WindowKind[] {
  const out: WindowKind[] = [];
  for (const raw of spec.split(',')) {
    const t = raw.trim();
    if (t === 'none') continue;
    if (t === 'hb') out.push({ kind: 'hb' });
    else if (t === 'all') out.push({ kind: 'all' });
    else {
      const m = /^x(\d+)$/.exec(t);
      const ways = m ? Number(m[1]) : Number.NaN;
      if (!LEGAL_WAYS.includes(ways))
        throw bad(
          `--windows: '${t}' is not hb, all, none or xN with N one of ${LEGAL_WAYS.join(', ')}`,
        );
      out.push({ kind: 'group', ways });
    }
  }
  return out;
}

/** `n` spread over `k` slots as evenly as possible, larger shares first. */
function spread(n: number, k: number): number[] {
  const base = Math.floor(n / k);
  const extra = n % k;
  return Array.from({ length: k }, (_, i) => base + (i < extra ? 1 : 0));
}

function checkCount(name: string, v: number, min: number, max: number): void {
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw bad(`${name} must be an integer from ${min} to ${max} (got ${v})`);
}

/**
 * Checks the options.
 * @throws EINVAL naming the option out of range, an endpoint count the shape cannot hold, a
 *   device size that is not a positive multiple of 256 MiB, or a window the host bridges
 *   cannot form
 */
export function checkGenOptions(o: GenOptions): void {
  checkCount('host bridges', o.hostBridges, 1, 65536);
  checkCount('root ports', o.rootPorts, 1, MAX_SLOTS);
  checkCount('switch levels', o.switchLevels, 0, 8);
  checkCount('fanout', o.fanout, 1, MAX_SLOTS);
  const leaves = leafCount(o);
  if (o.endpoints !== undefined) {
    checkCount('endpoints', o.endpoints, 1, Number.MAX_SAFE_INTEGER);
    if (o.endpoints > leaves)
      throw bad(
        `${o.endpoints} endpoints do not fit ${o.hostBridges} host bridges × ${o.rootPorts} root ports × ${o.fanout}^${o.switchLevels} (${leaves} leaves)`,
      );
    if (o.endpoints < o.hostBridges)
      throw bad(`${o.endpoints} endpoints cannot populate ${o.hostBridges} host bridges`);
  }
  const size = o.deviceSize ?? SZ_256M;
  if (size <= 0n || size % SZ_256M !== 0n)
    throw bad(`device size must be a positive multiple of 256 MiB (got ${size} bytes)`);
  const lsa = o.lsaSize ?? MiB;
  if (lsa < 0n || lsa >= 1n << 32n)
    throw bad(`label storage size must be below 4 GiB (got ${lsa} bytes)`);
  const g = o.granularity ?? 4096;
  if (![256, 512, 1024, 2048, 4096, 8192, 16384].includes(g))
    throw bad(`granularity must be a power of two from 256 to 16384 (got ${g})`);
  for (const w of o.windows ?? []) {
    if (w.kind === 'all' && !LEGAL_WAYS.includes(o.hostBridges))
      throw bad(
        `--windows all: ${o.hostBridges} host bridges is not a legal interleave (${LEGAL_WAYS.join(', ')})`,
      );
    if (w.kind === 'group' && w.ways > o.hostBridges)
      throw bad(`--windows x${w.ways}: only ${o.hostBridges} host bridges`);
  }
}

/** Most type-3 devices `cxlsim gen` writes: what a boot holds in a few GiB of memory. */
export const MAX_GEN_ENDPOINTS = 16_384;
/** Most CFMWS windows a topology may have (window index 0 … 255). */
const MAX_WINDOWS = 256;
/** PCI segments a topology may use (0 … 65535). */
const MAX_SEGMENTS = 65_536;
/** Largest physical address width the generator may ask of q35. */
const MAX_PHYS_BITS = 52;

/**
 * PCI bus numbers the subtree of `n` devices `levels` switch levels deep needs below its port
 * (as {@link busesOf} counts the built one), without building it.
 */
function busesFor(levels: number, n: number, fanout: number, memo: Map<string, number>): number {
  if (levels === 0) return 1;
  const key = `${levels}:${n}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const per = fanout ** (levels - 1);
  let b = 2;
  for (const k of spread(n, Math.min(fanout, Math.ceil(n / per))))
    b += busesFor(levels - 1, k, fanout, memo);
  memo.set(key, b);
  return b;
}

/** Counts of `spread(n, k)` without the array: [value, how many] pairs. */
function spreadCounts(n: number, k: number): [number, number][] {
  const base = Math.floor(n / k);
  const extra = n % k;
  return (
    [
      [base + 1, extra],
      [base, k - extra],
    ] as [number, number][]
  ).filter(([, c]) => c > 0);
}

/**
 * Checks what the shape needs before anything is built: at most {@link MAX_GEN_ENDPOINTS}
 * devices, a segment's 255 bus numbers per host bridge, at most 65,536 segments, 256 windows
 * and 52 physical address bits — the limits `cxlsim boot` (schema.ts) and QEMU apply.
 * @throws EINVAL naming the need that is not met
 */
export function checkGenNeeds(o: GenOptions): void {
  const total = endpointCount(o);
  if (total > MAX_GEN_ENDPOINTS)
    throw bad(
      `${total} type-3 devices: cxlsim gen writes at most ${MAX_GEN_ENDPOINTS} (give --endpoints)`,
    );
  const perRp = o.fanout ** o.switchLevels;
  const memo = new Map<string, number>();
  const busesOfHb = (n: number) => {
    let b = 1;
    for (const [k, c] of spreadCounts(n, Math.min(o.rootPorts, Math.ceil(n / perRp))))
      b += c * busesFor(o.switchLevels, k, o.fanout, memo);
    return b;
  };
  let segments = 1;
  let nextBus = 1;
  for (const [n, count] of spreadCounts(total, o.hostBridges)) {
    const buses = busesOfHb(n);
    if (buses > BUSES_PER_SEGMENT)
      throw bad(
        `a host bridge with ${n} devices needs ${buses} PCI bus numbers; a segment has ${BUSES_PER_SEGMENT}`,
      );
    for (let i = 0; i < count; i++) {
      if (nextBus + buses - 1 > BUSES_PER_SEGMENT) {
        segments++;
        nextBus = 1;
      }
      nextBus += buses;
    }
  }
  if (segments > MAX_SEGMENTS)
    throw bad(`the shape needs ${segments} PCI segments; a topology has at most ${MAX_SEGMENTS}`);
  let windows = 0;
  for (const w of o.windows ?? defaultWindows(o.hostBridges))
    windows +=
      w.kind === 'hb' ? o.hostBridges : w.kind === 'all' ? 1 : Math.floor(o.hostBridges / w.ways);
  if (windows > MAX_WINDOWS)
    throw bad(
      `the shape needs ${windows} CFMWS windows; a topology has at most ${MAX_WINDOWS} (choose --windows)`,
    );
  // every window at most the capacity of all devices (or 4 GiB) rounded up: an upper bound
  const size = o.deviceSize ?? SZ_256M;
  const perWindow = BigInt(total) * size + 4n * GiB + 16n * SZ_256M;
  if (BigInt(windows) * perWindow + 64n * GiB > 1n << BigInt(MAX_PHYS_BITS))
    throw bad(
      `the windows need more than ${MAX_PHYS_BITS} physical address bits (smaller --device-size or fewer windows)`,
    );
}

/** PCI bus numbers a subtree needs below the port it hangs from (its secondary bus included). */
function busesOf(child: Endpointish): number {
  if (child.kind !== 'switch') return 1;
  // the port's secondary bus (the USP) + the USP's internal bus (the DSPs) + each DSP's subtree
  let n = 2;
  for (const d of child.downstream) n += d.child ? busesOf(d.child) : 1;
  return n;
}

const roundUp = (v: bigint, a: bigint) => ((v + a - 1n) / a) * a;

/**
 * Builds the topology (see the DOC block).
 * @throws EINVAL for options {@link checkGenOptions} rejects, or a host bridge whose subtree
 *   needs more than a segment's 255 bus numbers
 */
export function generateTopology(o: GenOptions): Topology {
  checkGenOptions(o);
  checkGenNeeds(o);
  const size = o.deviceSize ?? SZ_256M;
  const lsaSize = o.lsaSize ?? MiB;
  const total = endpointCount(o);
  let serial = BigInt(o.seed ?? 1) * 1_000_000n;
  let ep = 0;
  const dev = (): Type3Dev => ({
    kind: 'type3',
    id: `mem${ep++}`,
    serial: ++serial,
    volatileSize: 0n,
    persistentSize: size,
    lsaSize,
  });
  /** A subtree holding `n` ≥ 1 devices, `levels` switch levels deep. */
  const subtree = (levels: number, n: number, tag: string): Endpointish => {
    if (levels === 0) return dev();
    const per = o.fanout ** (levels - 1);
    const downstream: DownstreamPort[] = [];
    spread(n, Math.min(o.fanout, Math.ceil(n / per))).forEach((k, i) => {
      downstream.push({
        id: `${tag}.ds${i}`,
        port: i,
        child: subtree(levels - 1, k, `${tag}.${i}`),
      });
    });
    return { kind: 'switch', id: `${tag}.us`, downstream };
  };

  const perRp = o.fanout ** o.switchLevels;
  const hostBridges: HostBridge[] = [];
  const devices: number[] = [];
  let segment = 0;
  let nextBus = 1;
  for (const [h, n] of spread(total, o.hostBridges).entries()) {
    const rootPorts: RootPort[] = [];
    spread(n, Math.min(o.rootPorts, Math.ceil(n / perRp))).forEach((k, r) => {
      rootPorts.push({
        id: `hb${h}.rp${r}`,
        port: r,
        child: subtree(o.switchLevels, k, `hb${h}.rp${r}`),
      });
    });
    const buses = 1 + rootPorts.reduce((s, rp) => s + (rp.child ? busesOf(rp.child) : 1), 0);
    if (buses > BUSES_PER_SEGMENT)
      throw bad(
        `host bridge ${h} needs ${buses} PCI bus numbers; a segment has ${BUSES_PER_SEGMENT}`,
      );
    if (nextBus + buses - 1 > BUSES_PER_SEGMENT) {
      segment++;
      nextBus = 1;
    }
    hostBridges.push({ id: `cxl.${h}`, busNr: nextBus, segment, uid: h, rootPorts });
    devices.push(n);
    nextBus += buses;
  }

  const windows = makeWindows(o, hostBridges, devices, size);
  const options: Record<string, string> = {};
  const bits = physBitsFor(windows);
  if (bits > Q35_DEFAULT_PHYS_BITS) options['phys-bits'] = String(bits);
  return {
    name:
      o.name ?? `hb${o.hostBridges}_rp${o.rootPorts}_sw${o.switchLevels}x${o.fanout}_ep${total}`,
    source: { kind: 'file' },
    machine: { type: 'q35', ramSize: 2n * GiB, cxl: true, options, cpu: generatedCpu() },
    hostBridges,
    windows,
    cxims: [],
    ignored: [],
  };
}

/** The windows of {@link GenOptions.windows}, in that order, indexed from 0. */
function makeWindows(
  o: GenOptions,
  hbs: HostBridge[],
  devices: number[],
  size: bigint,
): FixedWindow[] {
  const gran = o.granularity ?? 4096;
  const windows: FixedWindow[] = [];
  const add = (members: number[], granularity: number) => {
    const ways = BigInt(members.length);
    const capacity = members.reduce((s, i) => s + BigInt(devices[i] ?? 0) * size, 0n);
    const unit = SZ_256M * ways;
    const min = roundUp(4n * GiB, unit);
    const sized = roundUp(capacity, unit);
    windows.push({
      index: windows.length,
      targets: members.map((i) => (hbs[i] as HostBridge).id),
      size: sized > min ? sized : min,
      granularity,
    });
  };
  const all = hbs.map((_, i) => i);
  for (const w of o.windows ?? defaultWindows(hbs.length)) {
    if (w.kind === 'hb') for (const i of all) add([i], 256);
    else if (w.kind === 'all') add(all, gran);
    else for (let i = 0; i + w.ways <= all.length; i += w.ways) add(all.slice(i, i + w.ways), gran);
  }
  return windows;
}

/**
 * Physical address bits that hold every window above q35's CXL base (about 4 GiB with 2 GiB of
 * RAM; 64 GiB are kept for it, the host register region and the 64-bit PCI hole): q35's
 * default 40 when that fits, else the smallest width that does (at most 52).
 */
function physBitsFor(windows: FixedWindow[]): number {
  const need = windows.reduce((s, w) => s + w.size, 64n * GiB);
  let bits = Q35_DEFAULT_PHYS_BITS;
  while (1n << BigInt(bits) < need && bits < 52) bits++;
  return bits;
}
