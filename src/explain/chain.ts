/**
 * DOC: the chain of checks a region request meets, in the kernel's order, re-derived from the
 * guest's state before the attempt (dry run: nothing is written):
 *
 * 1. ndctl (cxl/region.c): a root decoder is named, the memdevs are distinct and enough for the
 *    ways, each is active below the root decoder (collect_memdevs), each has a free endpoint
 *    decoder (cxl_memdev_find_decoder);
 * 2. root decoder (core/region.c interleave_ways_store, interleave_granularity_store,
 *    alloc_hpa): the window takes the region type, ways are a power-of-two multiple of the
 *    window's ways, granularity equals the window's when it interleaves, the size is a multiple
 *    of 256 MiB × ways and fits in a free range of the window;
 * 3. each position (cxl_region_attach): the memdev's host bridge is a target of the window and
 *    the one at position % window ways; every port on the way has a decoder for the region
 *    (cxl_port_attach_region); the endpoint has the DPA (cxl_dpa_alloc) and, on kernels that
 *    check it, the interleave capability (check_interleave_cap);
 * 4. switch / host-bridge programming (cxl_port_setup_targets): targets per port a power of two
 *    and within the decoder's target count;
 * 5. commit (cxl_region_decode_commit).
 *
 * {@link mergeOutcome} then marks the check the kernel (or ndctl) actually failed, from the
 * replayed attempt's messages: that check is authoritative; a re-derived failure before it is
 * downgraded to a warning, and everything after it is "not reached".
 */

import { allocFreeMemRegion, windowBusy } from '../drivers/cxl/core/region/hpa.ts';
import { kver } from '../drivers/cxl/core/region/kver.ts';
import { checkInterleaveCap } from '../drivers/cxl/core/region/targets.ts';
import { CXL_DECODER_F_PMEM, CXL_DECODER_F_RAM, SZ_256M } from '../drivers/cxl/cxl.ts';
import type { Machine } from '../machine.ts';
import { parseSize64 } from '../ndctl/util/size.ts';
import type { Classified } from './classify.ts';
import type { RegionRequest } from './request.ts';
import {
  availableDpa,
  freeEndpointDecoder,
  hbName,
  hostBridgeOf,
  memdevByName,
  pathDown,
  portDecoder,
  regionsOfMemdev,
  rootDecoder,
} from './topo.ts';
import type { Check, CheckLevel } from './types.ts';
import { checkAdder } from './types.ts';

const pow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;
const hx = (v: bigint) => `0x${v.toString(16)}`;
const GRANS = [256, 512, 1024, 2048, 4096, 8192, 16384];

/** The request's size in bytes (ndctl syntax), undefined when not given or not parsable. */
export function requestSize(r: RegionRequest): bigint | undefined {
  if (r.size === undefined) return undefined;
  const v = parseSize64(r.size);
  return v === (1n << 64n) - 1n ? undefined : v;
}

/** The dry-run chain of checks for `r` on `m` (see the DOC block). */
export function regionChain(m: Machine, r: RegionRequest): Check[] {
  const out: Check[] = [];
  const add = checkAdder(out);
  const rd = rootDecoder(m, r.root);
  add(
    'root-given',
    'tool',
    r.root ?? '-',
    !!rd,
    rd
      ? `root decoder ${rd.name} (CXL window ${hx(rd.hpaRange.start)}-${hx(rd.hpaRange.end)})`
      : r.root
        ? `no root decoder ${r.root}`
        : 'no root decoder given (-d)',
  );
  const mds = r.memdevs.map((n) => memdevByName(m, n));
  const ways = r.ways ?? r.memdevs.length;
  const distinct = new Set(r.memdevs).size === r.memdevs.length;
  add(
    'memdevs',
    'tool',
    r.memdevs.join(',') || '-',
    distinct && mds.every(Boolean) && r.memdevs.length >= ways,
    `${r.memdevs.length} memdev(s) named${distinct ? '' : ' (one named twice)'}, ${ways} way(s)`,
  );
  if (!rd) return out;
  const rw = rd.interleaveWays;
  const type = r.type === 'ram' || r.type === 'volatile' ? 'ram' : 'pmem';
  for (const [i, md] of mds.entries()) {
    if (!md) continue;
    const hb = hostBridgeOf(md);
    add(
      'memdev-in-window',
      'tool',
      md.name,
      !!hb && rd.targets.includes(hb),
      `${md.name} is below host bridge ${hbName(hb)}; ${rd.name} targets ${rd.targets.map(hbName).join(', ')}`,
      i,
    );
    const free = freeEndpointDecoder(md);
    const holders = regionsOfMemdev(md);
    add(
      'free-endpoint-decoder',
      'tool',
      md.name,
      !!free,
      free
        ? `free endpoint decoder ${free.name}`
        : `every endpoint decoder of ${md.name} is in use${holders.length ? ` (by ${holders.join(', ')})` : ''}`,
      i,
    );
  }
  const flag = type === 'ram' ? CXL_DECODER_F_RAM : CXL_DECODER_F_PMEM;
  add(
    'window-type',
    'window',
    rd.name,
    (rd.flags & flag) !== 0,
    `${rd.name} ${(rd.flags & flag) !== 0 ? 'takes' : 'does not take'} ${type} regions`,
  );
  add(
    'ways',
    'window',
    rd.name,
    ways % rw === 0 && pow2(ways / rw) && ways <= 16,
    `${ways} ways on a ${rw}-way window: must be ${rw} × 2^n`,
  );
  const gran = r.granularity ?? rd.interleaveGranularity;
  add(
    'granularity',
    'window',
    rd.name,
    GRANS.includes(gran) && (rw === 1 || gran === rd.interleaveGranularity),
    rw > 1
      ? `${gran} B; the window interleaves ${rw} host bridges at ${rd.interleaveGranularity} B and the region must use the same`
      : `${gran} B (256 B … 16 KiB, a power of two)`,
  );
  const size = requestSize(r);
  if (size !== undefined) {
    const unit = SZ_256M * BigInt(Math.max(ways, 1));
    const slot = allocFreeMemRegion(rd.hpaRange, windowBusy(rd), size, SZ_256M);
    add(
      'hpa',
      'window',
      rd.name,
      size % unit === 0n && !!slot,
      `${hx(size)} bytes: a multiple of 256 MiB × ${ways} = ${hx(unit)}, ${slot ? `free at ${hx(slot.start)}` : 'and no free range of the window is that large'}`,
    );
  }
  const perWay = size !== undefined && ways ? size / BigInt(ways) : undefined;
  const seen = new Set<string>();
  const fanout = new Map<string, { dports: Set<number>; nrTargets?: number; level: CheckLevel }>();
  for (const [i, md] of mds.entries()) {
    if (!md || i >= ways) continue;
    const hb = hostBridgeOf(md);
    add(
      'host-bridge',
      'host-bridge',
      hbName(hb),
      !!hb && rd.targets.includes(hb),
      `${md.name} reaches ${rd.name} through host bridge ${hbName(hb)}`,
      i,
    );
    const want = rd.targets[rw === 1 ? 0 : i % rw];
    add(
      'position',
      'host-bridge',
      md.name,
      want === hb,
      `position ${i} must be below ${hbName(want)} (${rd.name} target ${rw === 1 ? 0 : i % rw}); ${md.name} is below ${hbName(hb)}`,
      i,
    );
    for (const [depth, hop] of pathDown(md).entries()) {
      const level: CheckLevel = depth === 0 ? 'host-bridge' : 'switch';
      const f = fanout.get(hop.port.name) ?? { dports: new Set<number>(), level };
      f.dports.add(hop.dport.portId);
      fanout.set(hop.port.name, f);
      if (seen.has(hop.port.name)) continue;
      seen.add(hop.port.name);
      const pd = portDecoder(hop.port);
      const nr = hop.port.decoders().find((d) => d.name === pd.decoder) as
        | { nrTargets?: number }
        | undefined;
      if (nr?.nrTargets !== undefined) f.nrTargets = nr.nrTargets;
      add(
        'port-decoder',
        level,
        hop.port.name,
        pd.ok,
        pd.ok
          ? `${hop.port.name} (${hop.port.uportDev.name}) gives ${pd.decoder ?? 'its passthrough decoder'}`
          : `${hop.port.name} (${hop.port.uportDev.name}) has no decoder for a new region${pd.holders.length ? `: held by ${pd.holders.join(', ')}` : ''}`,
        i,
      );
    }
    const cxled = freeEndpointDecoder(md);
    const avail = availableDpa(md, type);
    add(
      'dpa',
      'endpoint',
      cxled?.name ?? md.name,
      perWay === undefined ? avail > 0n : avail >= perWay,
      `${md.name} has ${hx(avail)} bytes of ${type} DPA available${perWay !== undefined ? `; ${hx(perWay)} needed` : ''}`,
      i,
    );
    if (cxled && kver(cxled, 'interleaveCap'))
      add(
        'interleave-cap',
        'endpoint',
        cxled.name,
        checkInterleaveCap(cxled, ways, gran),
        `${cxled.name} decodes ${ways} ways at ${gran} B`,
        i,
      );
  }
  for (const [port, f] of fanout) {
    const n = f.dports.size;
    const cap = f.nrTargets;
    add(
      'port-targets',
      f.level,
      port,
      pow2(n) && (cap === undefined || n <= cap),
      `${port} interleaves ${n} target(s)${cap !== undefined ? ` of at most ${cap}` : ''}`,
    );
  }
  add(
    'interleave-setup',
    'switch',
    rd.name,
    true,
    'switch and host-bridge decoders programmed from the positions (cxl_port_setup_targets)',
  );
  add(
    'commit',
    'commit',
    r.root ?? '-',
    true,
    'HDM decoders committed bottom-up (cxl_region_decode_commit)',
  );
  return out;
}

/** Marks the check the attempt failed (see the DOC block). */
export function mergeOutcome(checks: Check[], c: Classified | undefined): Check[] {
  const out = checks.map((x) => ({ ...x }));
  if (!c) {
    for (const x of out) if (x.status === 'failed') toWarn(x);
    return out;
  }
  const same = (x: Check) => x.id === c.id;
  const dev = (x: Check) => c.device === undefined || x.device === c.device;
  const pos = (x: Check) =>
    c.position === undefined || x.position === undefined || x.position === c.position;
  let i = out.findIndex((x) => same(x) && dev(x) && pos(x));
  if (i < 0) i = out.findIndex((x) => same(x) && pos(x) && x.status === 'failed');
  if (i < 0) i = out.findIndex((x) => same(x) && pos(x));
  if (i < 0) {
    const at = out.findIndex((x) => x.level === 'commit' || x.id === 'interleave-setup');
    i = at < 0 ? out.length : at;
    out.splice(i, 0, {
      id: c.id,
      level: 'region',
      device: c.device ?? '?',
      status: 'failed',
      detail:
        c.by === 'ndctl'
          ? 'refused by ndctl (no write reached the kernel)'
          : 'refused by the kernel',
    });
  }
  const f = out[i] as Check;
  f.status = 'failed';
  if (c.errno) f.errno = c.errno;
  if (c.message) f.message = c.message;
  for (const [k, x] of out.entries()) {
    if (k < i && x.status === 'failed') toWarn(x);
    if (k > i) x.status = 'not-reached';
  }
  return out;
}

function toWarn(x: Check): void {
  x.status = 'warn';
  x.detail += " (cxlsim's re-derivation flags this; the kernel did not refuse here)";
}
