/**
 * Test helpers for the region driver: boot the `interleave` capture topology (preset `default`)
 * with the region driver installed, translate a capture's device names to ours through the
 * canon identities, replay `sysw` lines, do what ndctl's create-region / destroy-region write,
 * and compare dmesg and sysfs records with a capture step.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BootedMachine, bootMachine } from '../../../src/boot.ts';
import { cxlRegionBind, cxlRegionUnbind } from '../../../src/drivers/cxl/core/region/probe.ts';
import { isCxlRegion } from '../../../src/drivers/cxl/core/region/region.ts';
import { ERRNO, type ErrnoName, isErrno } from '../../../src/kernel/errno.ts';
import { resolveProfile } from '../../../src/profile.ts';
import { dumpSysfs } from '../../../src/sysfs/dump.ts';
import type { Endpointish, Topology } from '../../../src/topology/model.ts';
import { getPreset } from '../../../src/topology/presets/index.ts';
import { type CanonEntry, canonDump, canonEntries, identityMap } from '../../helpers/canon.ts';

export const FIX = join(import.meta.dirname, '../../../sysfs-fixtures');
export const B = 'bus/cxl/devices';

/** Boots the `default` preset (the interleave capture's topology) on a profile. */
export function bootDefault(profile = 'debian-12', dyndbg = true): BootedMachine {
  const p = resolveProfile(profile);
  return bootMachine(getPreset('default', p.qemu), { profile: p, dyndbg });
}

/** Reads a fixture file. */
export function fixture(...parts: string[]): string {
  return readFileSync(join(FIX, ...parts), 'utf8');
}

const TOKEN = /(?<![A-Za-z0-9_])(mem|pmem|endpoint|port|decoder)(\d+)(\.\d+)?(?![A-Za-z0-9_])/g;

/** Capture device names ↔ ours, through canon identities of two sysfs dumps. */
export class NameMap {
  private readonly toOurs = new Map<string, string>();
  private readonly toCap = new Map<string, string>();

  constructor(captureSysfsTxt: string, m: BootedMachine) {
    const cap = identityMap(canonEntries(captureSysfsTxt));
    const ours = identityMap(canonEntries(dumpSysfs(m.sysfs)));
    const inv = new Map<string, string>();
    for (const [n, id] of ours) inv.set(id, n);
    for (const [n, id] of cap) {
      const o = inv.get(id);
      if (o !== undefined) {
        this.toOurs.set(n, o);
        this.toCap.set(o, n);
      }
    }
  }

  /** A capture text with every device name replaced by ours. */
  ours(text: string): string {
    return text.replace(TOKEN, (t) => this.toOurs.get(t) ?? t);
  }

  /** Our text with every device name replaced by the capture's. */
  cap(text: string): string {
    return text.replace(TOKEN, (t) => this.toCap.get(t) ?? t);
  }
}

/** strerror text → errno name. */
export function errnoByText(text: string): ErrnoName {
  for (const [k, v] of Object.entries(ERRNO)) if (v[1] === text) return k as ErrnoName;
  throw new Error(`unknown strerror text: ${text}`);
}

/** `echo VALUE > PATH` on the machine: 'ok' or the errno name. */
export function sysw(m: BootedMachine, path: string, value: string): 'ok' | ErrnoName {
  try {
    m.sysfs.write(path, `${value}\n`);
    return 'ok';
  } catch (e) {
    if (isErrno(e)) return e.code;
    throw e;
  }
}

/** One `sysw` line of a capture's stdout: path, value and the outcome. */
export interface SyswLine {
  path: string;
  value: string;
  want: 'ok' | ErrnoName;
}

/** The `write 'V' > P: ok|FAILED: sh: write error: TEXT` lines of a step's stdout. */
export function syswLines(stdout: string): SyswLine[] {
  const out: SyswLine[] = [];
  for (const l of stdout.split('\n')) {
    const m = /^write '(.*)' > \/sys\/(\S+): (ok|FAILED: sh: write error: (.*))$/.exec(l);
    if (!m) continue;
    out.push({
      value: m[1] as string,
      path: m[2] as string,
      want: m[3] === 'ok' ? 'ok' : errnoByText(m[4] as string),
    });
  }
  return out;
}

/** Kernel lines logged after `mark`, as "<level>text" (the dd.c pr_debug line dropped). */
export function logSince(m: BootedMachine, mark: number): string[] {
  return m.kernel.log
    .since(mark)
    .filter((l) => !/^\S+: probe of \S+ rejects match -?\d+$/.test(l.text))
    .map((l) => `<${l.level}>${l.text}`);
}

/** A step's dmesg-raw.txt as "<level>text" lines (timestamps dropped). */
export function captureLog(text: string): string[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^<(\d)>\[\s*\d+\.\d+\] /, '<$1>'));
}

/** Endpoint decoder N of a memdev (decoderE.N where endpointE is the memdev's endpoint). */
export function epDecoder(m: BootedMachine, memdev: string, n = 0): string {
  for (const d of m.sysfs.readdir(B)) {
    if (!/^endpoint\d+$/.test(d)) continue;
    const up = m.sysfs.realpath(`${B}/${d}/uport`);
    if (up.endsWith(`/${memdev}`)) return `decoder${d.slice('endpoint'.length)}.${n}`;
  }
  throw new Error(`no endpoint for ${memdev}`);
}

/** Options of an ndctl-style region creation. */
export interface CreateOpts {
  ways?: number;
  granularity: number;
  /** Bytes; default 256 MiB per way. */
  size?: bigint;
  uuid?: string;
  type?: 'pmem' | 'ram';
}

/** Outcome of {@link ndctlCreateRegion}: the writes done and the first failure. */
export interface CreateResult {
  region: string;
  failed?: { path: string; value: string; errno: ErrnoName };
}

/** A sysfs writer (for interposing checks around each write). */
export type Writer = (m: BootedMachine, path: string, value: string) => 'ok' | ErrnoName;

/** ndctl's cxl_memdev_find_decoder(): the first endpoint decoder (by id) whose size is 0. */
export function freeEpDecoder(m: BootedMachine, memdev: string): string | undefined {
  for (let n = 0; n < 32; n++) {
    let d: string;
    try {
      d = epDecoder(m, memdev, n);
      if (!m.sysfs.lstat(`${B}/${d}`)) return undefined;
    } catch {
      return undefined;
    }
    if ((m.sysfs.read(`${B}/${d}/size`) as string).trim() === '0x0') return d;
  }
  return undefined;
}

/**
 * What `cxl create-region -m -d ROOT -w W -g G memdevs…` writes (cxl-cli.md §5), in order;
 * stops at the first failing write (then deletes the region as ndctl does).
 */
export function ndctlCreateRegion(
  m: BootedMachine,
  root: string,
  memdevs: string[],
  o: CreateOpts,
  write: Writer = sysw,
): CreateResult {
  const ways = o.ways ?? memdevs.length;
  const type = o.type ?? 'pmem';
  const size = o.size ?? 0x10000000n * BigInt(ways);
  const attr = type === 'pmem' ? 'create_pmem_region' : 'create_ram_region';
  const region = (m.sysfs.read(`${B}/${root}/${attr}`) as string).trim();
  const steps: [string, string][] = [[`${B}/${root}/${attr}`, region]];
  const R = `${B}/${region}`;
  steps.push(
    [`${R}/interleave_granularity`, String(o.granularity)],
    [`${R}/interleave_ways`, String(ways)],
  );
  if (type === 'pmem') steps.push([`${R}/uuid`, o.uuid ?? randomUUID()]);
  steps.push([`${R}/size`, `0x${size.toString(16)}`]);
  for (const [i, md] of memdevs.entries()) {
    const d = freeEpDecoder(m, md);
    if (!d) throw new Error(`could not get a free decoder for ${md}`);
    if ((m.sysfs.read(`${B}/${d}/mode`) as string).trim() !== type) {
      steps.push([`${B}/${d}/dpa_size`, '0'], [`${B}/${d}/mode`, type]);
    }
    steps.push(
      [`${B}/${d}/dpa_size`, `0x${(size / BigInt(ways)).toString(16)}`],
      [`${R}/target${i}`, d],
    );
  }
  steps.push([`${R}/commit`, '1']);
  for (const [path, value] of steps) {
    const r = write(m, path, value);
    if (r !== 'ok') {
      if (path !== `${B}/${root}/${attr}`) sysw(m, `${B}/${root}/delete_region`, region);
      return { region, failed: { path, value, errno: r } };
    }
  }
  cxlRegionBind(regionDev(m, region));
  return { region };
}

/** The CxlRegion device named `name`. */
export function regionDev(m: BootedMachine, name: string) {
  const d = m.kernel.buses.get('cxl')?.devices.find((x) => x.name === name);
  if (!isCxlRegion(d)) throw new Error(`no region ${name}`);
  return d;
}

/** What `cxl destroy-region -f REGION` writes: unbind, commit 0, targets, dpa_size 0, delete. */
export function ndctlDestroyRegion(m: BootedMachine, region: string): void {
  const r = regionDev(m, region);
  const root = r.cxlrd.name;
  const decoders = r.params.targets.filter((t) => t !== undefined).map((t) => t.name);
  cxlRegionUnbind(r);
  const R = `${B}/${region}`;
  const must = (path: string, value: string) => {
    const rc = sysw(m, path, value);
    if (rc !== 'ok') throw new Error(`${path} <- ${value}: ${rc}`);
  };
  must(`${R}/commit`, '0');
  for (let i = 0; i < r.params.interleaveWays; i++) must(`${R}/target${i}`, '');
  for (const d of decoders) must(`${B}/${d}/dpa_size`, '0');
  must(`${B}/${root}/delete_region`, region);
}

/** Records of a dump, canonicalised, keyed by path ("KIND\tpath\trest|body…"). */
export function canonRecords(text: string, keep: (e: CanonEntry) => boolean): Map<string, string> {
  const ents = canonEntries(text);
  const map = identityMap(ents);
  const out = new Map<string, string>();
  for (const e of canonDump(ents, map)) {
    if (!keep(e)) continue;
    out.set(e.path, [e.kind, e.path, ...e.rest, ...e.body.map((b) => `|${b}`)].join('\t'));
  }
  return out;
}

/** Options to reshape the default preset's devices. */
export interface Reshape {
  /** Volatile / persistent bytes of every type-3 device. */
  volatileSize?: bigint;
  persistentSize?: bigint;
  /** HDM decoders per component (endpoints, switches, host bridges). */
  decoders?: number;
}

/**
 * The `default` preset with every type-3 device, switch and host bridge reshaped (more HDM
 * decoders, ram + pmem capacity) — for DPA and multi-region rules the captures' QEMU 7.2
 * (one decoder each, pmem only) cannot show.
 */
export function reshapedTopology(profile: string, o: Reshape): Topology {
  const p = resolveProfile(profile);
  const t = getPreset('default', p.qemu);
  const caps = (targetCount: number) =>
    o.decoders
      ? {
          decoderCount: o.decoders,
          targetCount,
          a11to8: true,
          a14to12: true,
          iw3612: true,
          iw16: true,
        }
      : undefined;
  const walk = (c: Endpointish | undefined): void => {
    if (!c) return;
    if (c.kind === 'type3') {
      if (o.volatileSize !== undefined) c.volatileSize = o.volatileSize;
      if (o.persistentSize !== undefined) c.persistentSize = o.persistentSize;
      const h = caps(1);
      if (h) c.hdm = h;
    } else if (c.kind === 'switch') {
      const h = caps(8);
      if (h) c.hdm = h;
      for (const d of c.downstream) walk(d.child);
    }
  };
  for (const hb of t.hostBridges) {
    const h = caps(8);
    if (h) hb.hdm = h;
    for (const rp of hb.rootPorts) walk(rp.child);
  }
  return t;
}

/** Boots {@link reshapedTopology}. */
export function bootReshaped(profile: string, o: Reshape, dyndbg = true): BootedMachine {
  return bootMachine(reshapedTopology(profile, o), { profile: resolveProfile(profile), dyndbg });
}

/** Our memdev names (memN) in id order. */
export function memdevs(m: BootedMachine): string[] {
  return m.sysfs
    .readdir(B)
    .filter((d) => /^mem\d+$/.test(d))
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
}

/** The cxl-bus device named `name` (throws when absent). */
export function devByName<T = unknown>(m: BootedMachine, name: string): T {
  const d = m.kernel.buses.get('cxl')?.devices.find((x) => x.name === name);
  if (!d) throw new Error(`no device ${name}`);
  return d as T;
}
