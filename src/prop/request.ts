/**
 * DOC: region requests for property runs — an abstract request (which window, mode, ways,
 * granularity, which memdevs, size per way) resolved against a machine into ndctl's
 * `create-region` argv or into the raw /sys write sequence ndctl makes (cxl/region.c
 * create_region(): create_{pmem,ram}_region, interleave_granularity, interleave_ways, uuid,
 * size, then per position the first free endpoint decoder's dpa_size/mode and targetN, commit).
 *
 * Indexes are taken modulo what the machine has, so any request fits any topology and shrinks
 * towards the first window and the first memdevs.
 */
import type { Machine } from '../api/machine.ts';

/** An abstract region request (see the DOC block). Sizes in bytes. */
export interface RegionRequest {
  /** Index into the root decoders (decoder0.N in name order), modulo their number. */
  root: number;
  type: 'pmem' | 'ram';
  ways: number;
  /** Region interleave granularity in bytes; undefined: ndctl's default. */
  granularity?: number;
  /**
   * Memdevs, each an index into the memdevs not picked yet (mem names in id order), modulo
   * their number; `ways` of them are used.
   */
  picks: number[];
  /** Bytes per way; undefined: ndctl's default (the largest that fits). */
  perWay?: bigint;
}

/** A request resolved against a machine: names as the guest sees them. */
export interface ResolvedRequest {
  root: string;
  memdevs: string[];
  type: 'pmem' | 'ram';
  ways: number;
  granularity?: number;
  size?: bigint;
}

const B = 'bus/cxl/devices';
const byNum = (prefix: string) => (a: string, b: string) =>
  Number(a.slice(prefix.length).replace('.', '')) - Number(b.slice(prefix.length).replace('.', ''));

/** Root decoders (decoder0.N) in id order. */
export function rootDecoders(m: Machine): string[] {
  return m.sysfs
    .ls(`${B}/root0`)
    .filter((d) => /^decoder0\.\d+$/.test(d))
    .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
}

/** Memdevs (memN) in id order. */
export function memdevNames(m: Machine): string[] {
  return m.sysfs
    .ls(B)
    .filter((d) => /^mem\d+$/.test(d))
    .sort(byNum('mem'));
}

/** Names for a request on this machine; undefined when the machine has no window or memdev. */
export function resolveRequest(m: Machine, q: RegionRequest): ResolvedRequest | undefined {
  const roots = rootDecoders(m);
  const left = memdevNames(m);
  if (roots.length === 0 || left.length === 0) return undefined;
  const memdevs: string[] = [];
  for (const p of q.picks.slice(0, q.ways)) {
    if (left.length === 0) break;
    memdevs.push(left.splice(p % left.length, 1)[0] as string);
  }
  return {
    root: roots[q.root % roots.length] as string,
    memdevs,
    type: q.type,
    ways: q.ways,
    ...(q.granularity !== undefined ? { granularity: q.granularity } : {}),
    ...(q.perWay !== undefined ? { size: q.perWay * BigInt(q.ways) } : {}),
  };
}

/** `cxl create-region` argv (without "cxl") for a resolved request. */
export function createRegionArgv(r: ResolvedRequest): string[] {
  const argv = ['create-region', '-m', '-d', r.root, '-t', r.type, '-w', String(r.ways)];
  if (r.granularity !== undefined) argv.push('-g', String(r.granularity));
  if (r.size !== undefined) argv.push('-s', `0x${r.size.toString(16)}`);
  return [...argv, ...r.memdevs];
}

/** One /sys write: path relative to /sys, the value as `echo` writes it (with the newline). */
export interface SysfsWrite {
  path: string;
  value: string;
}

/** Endpoint decoder N of a memdev (decoderE.N where endpointE's uport is the memdev). */
export function endpointDecoders(m: Machine, memdev: string): string[] {
  for (const d of m.sysfs.ls(B)) {
    if (!/^endpoint\d+$/.test(d)) continue;
    if (!m.sysfs.realpath(`${B}/${d}/uport`).endsWith(`/${memdev}`)) continue;
    const id = d.slice('endpoint'.length);
    return m.sysfs
      .ls(`${B}/${d}`)
      .filter((x) => x.startsWith(`decoder${id}.`))
      .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  }
  return [];
}

/**
 * The writes ndctl's create-region makes for `r` on the machine's current state (the region
 * name read from create_*_region, each memdev's first endpoint decoder of size 0), in ndctl's
 * order; `uuid` for pmem regions. Returns undefined when a memdev has no free decoder (ndctl
 * then stops before writing anything, "could not get a free decoder").
 */
export function createRegionWrites(
  m: Machine,
  r: ResolvedRequest,
  uuid: string,
): { region: string; writes: SysfsWrite[] } | undefined {
  const attr = r.type === 'pmem' ? 'create_pmem_region' : 'create_ram_region';
  let region: string;
  try {
    region = m.sysfs.read(`${B}/${r.root}/${attr}`).trim();
  } catch {
    return undefined;
  }
  const R = `${B}/${region}`;
  const rootGran = Number(m.sysfs.read(`${B}/${r.root}/interleave_granularity`).trim());
  const rootWays = Number(m.sysfs.read(`${B}/${r.root}/interleave_ways`).trim());
  const gran = r.granularity ?? (rootWays > 1 ? rootGran : 256);
  const size = r.size ?? 0x10000000n * BigInt(r.ways);
  const w: SysfsWrite[] = [{ path: `${B}/${r.root}/${attr}`, value: `${region}\n` }];
  w.push({ path: `${R}/interleave_granularity`, value: `${gran}\n` });
  w.push({ path: `${R}/interleave_ways`, value: `${r.ways}\n` });
  if (r.type === 'pmem') w.push({ path: `${R}/uuid`, value: `${uuid}\n` });
  w.push({ path: `${R}/size`, value: `0x${size.toString(16)}\n` });
  for (const [i, md] of r.memdevs.entries()) {
    const d = endpointDecoders(m, md).find((x) => m.sysfs.read(`${B}/${x}/size`).trim() === '0x0');
    if (!d) return undefined;
    if (m.sysfs.read(`${B}/${d}/mode`).trim() !== r.type)
      w.push(
        { path: `${B}/${d}/dpa_size`, value: '0\n' },
        { path: `${B}/${d}/mode`, value: `${r.type}\n` },
      );
    w.push(
      { path: `${B}/${d}/dpa_size`, value: `0x${(size / BigInt(r.ways)).toString(16)}\n` },
      { path: `${R}/target${i}`, value: `${d}\n` },
    );
  }
  w.push({ path: `${R}/commit`, value: '1\n' });
  return { region, writes: w };
}

/**
 * Applies a permutation (a list of indexes, each into the steps not taken yet, modulo their
 * number) to the writes after the first (the region's creation stays first).
 */
export function permuteWrites(writes: SysfsWrite[], order: readonly number[]): SysfsWrite[] {
  const [first, ...rest] = writes;
  if (!first) return [];
  const out = [first];
  for (const o of order) {
    if (rest.length === 0) break;
    out.push(rest.splice(o % rest.length, 1)[0] as SysfsWrite);
  }
  return [...out, ...rest];
}
