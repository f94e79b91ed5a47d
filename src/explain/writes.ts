/**
 * DOC: a single refused sysfs write (`cxlsim sysfs write`, the captures' `sysw`) — the checks
 * of the attribute's store function in the kernel's order, and values that would pass:
 *
 * - region `interleave_ways` (interleave_ways_store: a power-of-two multiple of the window's
 *   ways, before the HPA is allocated), `interleave_granularity` (the window's when it
 *   interleaves), `size` (alloc_hpa: ways/granularity set, a multiple of 256 MiB × ways, a free
 *   range of the window), `targetN` (cxl_region_attach: host bridge in the window and at
 *   position N % window ways, DPA of region size / ways);
 * - endpoint decoder `dpa_size` (cxl_dpa_alloc: 256 MiB units, the partition's available
 *   capacity) and `mode` (a partition with capacity);
 * - root decoder `create_*_region` (the cached next region name).
 * Candidate values are verified by writing them on a fresh copy of the machine.
 */

import { CxlEndpointDecoder } from '../drivers/cxl/core/decoder.ts';
import { type CxlRegion, isCxlRegion } from '../drivers/cxl/core/region/index.ts';
import { CXL_CONFIG_INTERLEAVE_ACTIVE, cxledToMemdev } from '../drivers/cxl/core/region/region.ts';
import { SZ_256M } from '../drivers/cxl/cxl.ts';
import type { Machine } from '../machine.ts';
import type { Candidate } from './fixes.ts';
import { largestFree } from './fixes.ts';
import { availableDpa, devices, hbName, hostBridgeOf, rootDecoders } from './topo.ts';
import type { Check } from './types.ts';
import { checkAdder } from './types.ts';

const pow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;
const hx = (v: bigint) => `0x${v.toString(16)}`;
const GRANS = [256, 512, 1024, 2048, 4096, 8192, 16384];

/** Parses a kstrto* style number (0x hex or decimal); undefined when it does not. */
function num(v: string): bigint | undefined {
  const t = v.replace(/\0.*$/s, '').trim();
  return /^(0x[0-9a-f]+|\d+)$/i.test(t) ? BigInt(t) : undefined;
}

/** The checks of the write and candidate values (see the DOC block). */
export function writeAnalysis(
  m: Machine,
  path: string,
  value: string,
): { checks: Check[]; candidates: Candidate[] } {
  const parts = path.split('/');
  const attr = parts.pop() ?? '';
  const devName = parts.pop() ?? '';
  const sys = `/sys/${path}`;
  const checks: Check[] = [];
  const cands: Candidate[] = [];
  const add = checkAdder(checks);
  const write = (description: string, v: string, before: string[][] = []) =>
    cands.push({ description, commands: [...before, ['sysfs', 'write', sys, v]] });
  const dev = devices(m).find((d) => d.registered && d.name === devName);
  const v = num(value);

  if (isCxlRegion(dev)) {
    const r: CxlRegion = dev;
    const rd = r.cxlrd;
    const rw = rd.interleaveWays;
    const p = r.params;
    const unset = p.state < CXL_CONFIG_INTERLEAVE_ACTIVE;
    if (attr === 'interleave_ways') {
      const w = Number(v ?? -1n);
      add(
        'ways',
        'window',
        rd.name,
        w > 0 && w % rw === 0 && pow2(w / rw) && w <= 16,
        `${w} ways on ${rd.name}, a ${rw}-way window: must be ${rw} × 2^n (at most 16)`,
      );
      add(
        'state',
        'region',
        r.name,
        unset,
        unset ? 'no HPA allocated yet' : 'the size is already set (ways are frozen)',
      );
      for (let k = rw; k <= 16; k *= 2) if (k !== w) write(`${k} ways`, String(k));
    } else if (attr === 'interleave_granularity') {
      const g = Number(v ?? -1n);
      add(
        'granularity',
        'window',
        rd.name,
        GRANS.includes(g) && (rw === 1 || g === rd.interleaveGranularity),
        rw > 1
          ? `${g} B; ${rd.name} interleaves ${rw} host bridges at ${rd.interleaveGranularity} B and the region must use the same`
          : `${g} B: a power of two from 256 B to 16 KiB`,
      );
      add(
        'state',
        'region',
        r.name,
        unset,
        unset ? 'no HPA allocated yet' : 'the size is already set (granularity is frozen)',
      );
      const pick =
        rw > 1
          ? [rd.interleaveGranularity]
          : [...GRANS].sort(
              (a, b) =>
                Math.abs(Math.log2(a / Math.max(g, 1))) - Math.abs(Math.log2(b / Math.max(g, 1))),
            );
      for (const x of pick) if (x !== g) write(`granularity ${x} B`, String(x));
    } else if (attr === 'size') {
      const ways = p.interleaveWays;
      add(
        'params',
        'region',
        r.name,
        !!ways && !!p.interleaveGranularity && (r.mode !== 'pmem' || !/^0{8}-/.test(p.uuid)),
        `interleave_ways, interleave_granularity${r.mode === 'pmem' ? ' and uuid' : ''} set first`,
      );
      const unit = SZ_256M * BigInt(Math.max(ways, 1));
      const free = largestFree(rd);
      if (v !== undefined && v !== 0n) {
        add(
          'hpa',
          'window',
          rd.name,
          v % unit === 0n && v <= free,
          `${hx(v)} bytes: a multiple of 256 MiB × ${ways} = ${hx(unit)}, within the largest free range of ${rd.name} (${hx(free)})`,
        );
        const up = ((v + unit - 1n) / unit) * unit;
        const fit = (free / unit) * unit;
        if (up <= free && up !== v) write(`size ${hx(up)} (rounded up to ${hx(unit)})`, hx(up));
        if (fit > 0n && fit < v)
          write(`size ${hx(fit)} (the largest that fits in ${rd.name})`, hx(fit));
        if (v % unit !== 0n && v > unit && (v / unit) * unit !== fit)
          write(`size ${hx((v / unit) * unit)} (rounded down)`, hx((v / unit) * unit));
      }
    } else if (/^target\d+$/.test(attr)) {
      const pos = Number(attr.slice(6));
      const name = value.replace(/\0.*$/s, '').trim();
      const cxled = devices(m).find(
        (d): d is CxlEndpointDecoder => d instanceof CxlEndpointDecoder && d.name === name,
      );
      if (cxled) {
        const md = cxledToMemdev(cxled);
        const hb = hostBridgeOf(md);
        const want = rd.targets[rw === 1 ? 0 : pos % rw];
        add(
          'host-bridge',
          'host-bridge',
          hbName(hb),
          !!hb && rd.targets.includes(hb),
          `${md.name} reaches ${rd.name} through host bridge ${hbName(hb)}`,
          pos,
        );
        add(
          'position',
          'host-bridge',
          md.name,
          want === hb,
          `position ${pos} must be below ${hbName(want)}; ${md.name} is below ${hbName(hb)}`,
          pos,
        );
        const size = p.res ? p.res.end - p.res.start + 1n : 0n;
        const dpa = cxled.dpaRes ? cxled.dpaRes.end - cxled.dpaRes.start + 1n : 0n;
        add(
          'dpa',
          'endpoint',
          cxled.name,
          !!p.interleaveWays && dpa * BigInt(p.interleaveWays) === size,
          `${cxled.name} holds ${hx(dpa)} bytes of DPA; ${p.interleaveWays ? hx(size / BigInt(p.interleaveWays)) : '?'} needed`,
          pos,
        );
        for (let k = 0; k < p.interleaveWays; k++)
          if (k !== pos && !p.targets[k] && rd.targets[rw === 1 ? 0 : k % rw] === hb)
            cands.push({
              description: `${name} at position ${k}`,
              commands: [['sysfs', 'write', sys.replace(/target\d+$/, `target${k}`), name]],
            });
      }
    }
    return { checks, candidates: cands };
  }
  if (dev instanceof CxlEndpointDecoder) {
    const md = cxledToMemdev(dev);
    if (attr === 'dpa_size' && v !== undefined) {
      const mode = dev.mode === 'ram' ? 'ram' : 'pmem';
      const avail =
        availableDpa(md, mode) + (dev.dpaRes ? dev.dpaRes.end - dev.dpaRes.start + 1n : 0n);
      add(
        'dpa-mode',
        'endpoint',
        dev.name,
        dev.mode === 'ram' || dev.mode === 'pmem',
        `mode ${dev.mode}`,
      );
      add(
        'dpa',
        'endpoint',
        dev.name,
        v % SZ_256M === 0n && v <= avail,
        `${hx(v)} bytes: in 256 MiB units, at most the ${hx(avail)} bytes of ${mode} DPA ${md.name} has available`,
      );
      const fit = (avail / SZ_256M) * SZ_256M;
      const up = ((v + SZ_256M - 1n) / SZ_256M) * SZ_256M;
      if (up <= avail && up !== v) write(`dpa_size ${hx(up)} (256 MiB units)`, hx(up));
      if (fit > 0n && fit < v) write(`dpa_size ${hx(fit)} (the ${mode} DPA available)`, hx(fit));
    } else if (attr === 'mode') {
      const want = value.replace(/\0.*$/s, '').trim();
      const cap = want === 'ram' || want === 'pmem' ? md.cxlds[want].size : 0n;
      add(
        'dpa-mode',
        'endpoint',
        dev.name,
        cap > 0n,
        `${md.name} has ${hx(cap)} bytes of ${want} capacity`,
      );
      for (const other of ['pmem', 'ram'] as const)
        if (other !== want && availableDpa(md, other) > 0n)
          write(`mode ${other} (${md.name} has ${other} capacity)`, other);
    }
    return { checks, candidates: cands };
  }
  const rd = rootDecoders(m).find((d) => d.name === devName);
  if (rd && /^create_(pmem|ram)_region$/.test(attr)) {
    const next = `region${rd.regionId}`;
    const want = value.replace(/\0.*$/s, '').trim();
    add(
      'create',
      'window',
      rd.name,
      want === next,
      `${rd.name} creates ${next} next (read ${attr} for the name)`,
    );
    if (want !== next) write(`${next}, the name ${attr} shows`, next);
  }
  return { checks, candidates: cands };
}
