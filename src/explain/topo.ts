/**
 * DOC: read-only questions about the guest's CXL objects that explanations ask — where a memdev
 * sits (host bridge, ports, dports on its path), which root decoders could reach it, which of
 * its endpoint decoders is free (ndctl's cxl_memdev_find_decoder), how much DPA a partition has
 * left (cxl_dpa_alloc's "available"), whether a port has a decoder to give a new region
 * (cxl_port_pick_region_decoder / 6.1's lowest free one), and the interleave position order
 * the kernel's arithmetic gives a set of memdevs (cxl_calc_interleave_pos: the root-level index
 * is the least significant digit).
 */
import {
  CxlEndpointDecoder,
  CxlRootDecoder,
  CxlSwitchDecoder,
} from '../drivers/cxl/core/decoder.ts';
import { CxlMemdev } from '../drivers/cxl/core/memdev.ts';
import { type CxlDport, CxlPort } from '../drivers/cxl/core/port.ts';
import { isCxlRegion } from '../drivers/cxl/core/region/index.ts';
import { kver } from '../drivers/cxl/core/region/kver.ts';
import type { Machine } from '../machine.ts';

export const devices = (m: Machine) => m.kernel.buses.get('cxl')?.devices ?? [];

/** memN by name. */
export function memdevByName(m: Machine, name: string): CxlMemdev | undefined {
  return devices(m).find(
    (d): d is CxlMemdev => d instanceof CxlMemdev && d.registered && d.name === name,
  );
}

/** Root decoders in id order. */
export function rootDecoders(m: Machine): CxlRootDecoder[] {
  return devices(m).filter((d): d is CxlRootDecoder => d instanceof CxlRootDecoder && d.registered);
}

/** A root decoder by name. */
export const rootDecoder = (m: Machine, name: string | undefined) =>
  rootDecoders(m).find((d) => d.name === name);

/** Ports from the host-bridge port down to the port above the endpoint, each with the dport taken. */
export function pathDown(md: CxlMemdev): { port: CxlPort; dport: CxlDport }[] {
  const out: { port: CxlPort; dport: CxlDport }[] = [];
  for (
    let p: CxlPort | undefined = md.endpoint;
    p?.parentDport && !p.parentDport.port.isRoot;
    p = p.parentPort()
  )
    out.unshift({ port: p.parentDport.port, dport: p.parentDport });
  return out;
}

/** The root dport (host bridge) a memdev sits below. */
export function hostBridgeOf(md: CxlMemdev): CxlDport | undefined {
  let p: CxlPort | undefined = md.endpoint;
  while (p?.parentDport && !p.parentDport.port.isRoot) p = p.parentPort();
  return p?.parentDport;
}

/** Host bridge name as the kernel prints it (the ACPI0016 / pci host bridge device). */
export const hbName = (d: CxlDport | undefined) => d?.dport.name ?? '?';

/** ndctl's free endpoint decoder: the first (by id) whose size is 0. */
export function freeEndpointDecoder(md: CxlMemdev): CxlEndpointDecoder | undefined {
  return (md.endpoint?.decoders() ?? [])
    .filter((d): d is CxlEndpointDecoder => d instanceof CxlEndpointDecoder)
    .find((d) => !d.dpaRes && !d.enabled && d.hpaRange.end < d.hpaRange.start);
}

/** Bytes of `mode` DPA still available after the highest allocation (cxl_dpa_alloc). */
export function availableDpa(md: CxlMemdev, mode: 'ram' | 'pmem'): bigint {
  const part = md.cxlds[mode];
  if (part.size === 0n) return 0n;
  const end = part.start + part.size;
  let start = part.start;
  for (const r of md.dpaReservations()) if (r.end + 1n > start && r.end < end) start = r.end + 1n;
  return end > start ? end - start : 0n;
}

/** The regions holding DPA of a memdev. */
export function regionsOfMemdev(md: CxlMemdev): string[] {
  const out = new Set<string>();
  for (const r of md.dpaReservations()) if (r.dec.region) out.add(r.dec.region.name);
  return [...out];
}

/**
 * Whether `port` can give a new region a decoder, and if not, which regions hold them
 * (6.1: the lowest free decoder; later: only decoder commit_end + 1).
 */
export function portDecoder(port: CxlPort): { ok: boolean; decoder?: string; holders: string[] } {
  const sw = port.decoders().filter((d): d is CxlSwitchDecoder => d instanceof CxlSwitchDecoder);
  const holders = [...new Set(sw.flatMap((d) => (d.region ? [d.region.name] : [])))];
  if (sw.length === 0) return { ok: true, holders };
  const pick = kver(port, 'commitOrderPick')
    ? sw.find((d) => d.id === port.commitEnd + 1)
    : sw.find((d) => !d.region);
  if (pick && !pick.region) return { ok: true, decoder: pick.name, holders };
  return { ok: false, ...(pick ? { decoder: pick.name } : {}), holders };
}

/** Memdevs (registered, with an endpoint) below any of the root decoder's targets. */
export function memdevsBelow(m: Machine, rd: CxlRootDecoder): CxlMemdev[] {
  return devices(m).filter((d): d is CxlMemdev => {
    if (!(d instanceof CxlMemdev) || !d.registered || !d.endpoint) return false;
    const hb = hostBridgeOf(d);
    return hb !== undefined && rd.targets.includes(hb);
  });
}

/**
 * The interleave order of `mems` under `rd` that the kernel's position arithmetic gives
 * (pos = root index + root_ways × (host-bridge index + hb_ways × (switch index …))), dports
 * ordered by port id at every level below the root. undefined when the set is not balanced
 * (the kernel only supports balanced, "cross-link first" layouts).
 */
export function kernelOrder(rd: CxlRootDecoder, mems: CxlMemdev[]): CxlMemdev[] | undefined {
  const rw = rd.interleaveWays;
  const byHb = new Map<number, CxlMemdev[]>();
  for (const md of mems) {
    const hb = hostBridgeOf(md);
    const i = hb ? rd.targets.indexOf(hb) : -1;
    if (i < 0) return undefined;
    byHb.set(i, [...(byHb.get(i) ?? []), md]);
  }
  const per = mems.length / rw;
  if (!Number.isInteger(per) || byHb.size !== Math.min(rw, mems.length)) return undefined;
  const out: (CxlMemdev | undefined)[] = new Array(mems.length).fill(undefined);
  for (const [i, group] of byHb) {
    const sub = orderBelow(group, 0);
    if (!sub || sub.length !== per) return undefined;
    sub.forEach((md, k) => {
      out[i + rw * k] = md;
    });
  }
  return out.every((x) => x !== undefined) ? (out as CxlMemdev[]) : undefined;
}

/** Order of memdevs sharing the ports above `depth` of their path (index = local position). */
function orderBelow(mems: CxlMemdev[], depth: number): CxlMemdev[] | undefined {
  if (mems.length === 1) return mems;
  const groups = new Map<number, CxlMemdev[]>();
  for (const md of mems) {
    const hop = pathDown(md)[depth];
    if (!hop) return undefined;
    groups.set(hop.dport.portId, [...(groups.get(hop.dport.portId) ?? []), md]);
  }
  const keys = [...groups.keys()].sort((a, b) => a - b);
  const w = keys.length;
  const per = mems.length / w;
  if (!Number.isInteger(per)) return undefined;
  const out: CxlMemdev[] = new Array(mems.length);
  for (const [j, k] of keys.entries()) {
    const sub = orderBelow(groups.get(k) ?? [], depth + 1);
    if (!sub || sub.length !== per) return undefined;
    sub.forEach((md, n) => {
      out[j + w * n] = md;
    });
  }
  return out;
}

/** Regions (registered) by name. */
export const regionByName = (m: Machine, name: string) =>
  devices(m).find((d) => isCxlRegion(d) && d.registered && d.name === name);

export { CxlPort };
