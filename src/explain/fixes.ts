/**
 * DOC: what would satisfy the failed check — candidate changes to a region request, each
 * verified by running it (ndctl through /sys, as the CLI does) on a fresh copy of the machine
 * as it was before the attempt.
 *
 * Candidates, from the smallest change: the memdevs in the kernel's position order
 * (topo.ts kernelOrder), another granularity, a memdev without duplicates, memdevs added to
 * reach a valid number of ways, a failing memdev replaced by one that can take its position,
 * another window (root decoder) reaching the memdevs, a smaller size, and freeing what is held
 * (destroying the regions that hold a port's decoder, the memdev's decoders or its DPA).
 * Only verified candidates are reported.
 */

import type { CxlRootDecoder } from '../drivers/cxl/core/decoder.ts';
import type { CxlMemdev } from '../drivers/cxl/core/memdev.ts';
import { windowBusy } from '../drivers/cxl/core/region/hpa.ts';
import { CXL_DECODER_F_PMEM, CXL_DECODER_F_RAM, SZ_256M } from '../drivers/cxl/cxl.ts';
import type { Machine } from '../machine.ts';
import { requestSize } from './chain.ts';
import type { Classified } from './classify.ts';
import { commandLine, formatCreateRegion, type RegionRequest } from './request.ts';
import {
  availableDpa,
  CxlPort,
  freeEndpointDecoder,
  hbName,
  hostBridgeOf,
  kernelOrder,
  memdevByName,
  memdevsBelow,
  portDecoder,
  regionsOfMemdev,
  rootDecoder,
  rootDecoders,
} from './topo.ts';
import { type Attempt, runAttempt } from './trial.ts';
import type { Fix } from './types.ts';

/** A fresh copy of the machine as it was before the attempt. */
export type Factory = () => Promise<Machine>;

/** A candidate: what it changes, and the commands (cxlsim argv lists) that apply it. */
export interface Candidate {
  description: string;
  commands: string[][];
}

/** cxlsim argv → the attempt it runs ("sysfs write PATH VALUE" or an ndctl command). */
export function toAttempt(argv: string[]): Attempt {
  if (argv[0] === 'sysfs' && argv[1] === 'write')
    return {
      kind: 'write',
      path: (argv[2] ?? '').replace(/^\/sys\//, ''),
      value: `${argv[3] ?? ''}\n`,
    };
  return { kind: 'command', argv };
}

/**
 * Runs candidates on fresh copies until `want` are verified or `budget` trials are spent.
 * @returns the verified fixes, in candidate order
 */
export async function verify(
  factory: Factory,
  cands: Candidate[],
  want = 3,
  budget = 24,
): Promise<Fix[]> {
  const out: Fix[] = [];
  const seen = new Set<string>();
  let trials = 0;
  for (const c of cands) {
    const key = JSON.stringify(c.commands);
    if (seen.has(key)) continue;
    seen.add(key);
    if (out.length >= want || trials >= budget) break;
    trials++;
    const m = await factory();
    let ok = true;
    for (const argv of c.commands) {
      if (!runAttempt(m, toAttempt(argv)).ok) {
        ok = false;
        break;
      }
    }
    if (ok)
      out.push({
        description: c.description,
        commands: c.commands.map(commandLine),
        verified: true,
      });
  }
  return out;
}

const GRANS = [256, 512, 1024, 2048, 4096, 8192, 16384];
const pow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;
const hx = (v: bigint) => `0x${v.toString(16)}`;
const typeOf = (r: RegionRequest) => (r.type === 'ram' || r.type === 'volatile' ? 'ram' : 'pmem');

/** Whether a memdev can take part in a new region of `type` (free decoder and some DPA). */
const usable = (md: CxlMemdev, type: 'ram' | 'pmem') =>
  !!freeEndpointDecoder(md) && availableDpa(md, type) >= SZ_256M;

/** The request on `rd` with `mds` in kernel order (granularity fitted to the window). */
function onWindow(
  r: RegionRequest,
  rd: CxlRootDecoder,
  mds: CxlMemdev[],
): RegionRequest | undefined {
  const order = kernelOrder(rd, mds);
  if (!order) return undefined;
  const rw = rd.interleaveWays;
  const ways = order.length;
  if (ways % rw !== 0 || !pow2(ways / rw)) return undefined;
  const q: RegionRequest = { ...r, root: rd.name, ways, memdevs: order.map((x) => x.name) };
  if (rw > 1) q.granularity = rd.interleaveGranularity;
  return q;
}

type Bucket = 'order' | 'gran' | 'ways' | 'replace' | 'free' | 'size' | 'window';

/** Which kinds of change to try first, by failing check. */
const PRIORITY: Record<string, Bucket[]> = {
  'root-given': ['window'],
  'window-type': ['window'],
  'memdev-in-window': ['window', 'replace', 'order'],
  'host-bridge': ['window', 'replace', 'order'],
  ways: ['window', 'ways', 'order', 'replace'],
  memdevs: ['order', 'window'],
  granularity: ['gran', 'window', 'order'],
  'interleave-cap': ['gran', 'window', 'replace'],
  'port-decoder': ['free', 'order', 'window', 'replace'],
  'free-endpoint-decoder': ['replace', 'free', 'window'],
  dpa: ['size', 'replace', 'free', 'window'],
  'dpa-mode': ['replace', 'free', 'window'],
  hpa: ['size', 'window', 'free'],
};
const DEFAULT_ORDER: Bucket[] = ['order', 'gran', 'replace', 'ways', 'window', 'free', 'size'];

/** Candidate region requests for a failed create-region (see the DOC block). */
export function regionCandidates(
  m: Machine,
  r: RegionRequest,
  c: Classified | undefined,
): Candidate[] {
  const buckets: Record<Bucket, Candidate[]> = {
    order: [],
    gran: [],
    ways: [],
    replace: [],
    free: [],
    size: [],
    window: [],
  };
  const type = typeOf(r);
  const flag = type === 'ram' ? CXL_DECODER_F_RAM : CXL_DECODER_F_PMEM;
  const uniq = [...new Set(r.memdevs)];
  const mds = uniq.map((n) => memdevByName(m, n)).filter((x): x is CxlMemdev => !!x);
  const rd = rootDecoder(m, r.root);
  const push = (
    b: Bucket,
    description: string,
    q: RegionRequest | undefined,
    before: string[][] = [],
  ) => {
    if (q) buckets[b].push({ description, commands: [...before, formatCreateRegion(q)] });
  };
  const id = c?.id ?? '';
  const q = rd ? onWindow(r, rd, mds) : undefined;
  if (rd) {
    const gfix =
      q && q.granularity !== r.granularity
        ? `, granularity ${q.granularity} B (an x${rd.interleaveWays} window takes only its own)`
        : '';
    if (q && q.memdevs.join() !== r.memdevs.join())
      push(
        'order',
        `${uniq.length !== r.memdevs.length ? 'name each memdev once, ' : ''}in interleave position order for ${rd.name}: ${q.memdevs.join(' ')}${gfix}`,
        q,
      );
    // the commonest failure: -g other than an interleaved window's granularity (ndctl refuses)
    if (
      rd.interleaveWays > 1 &&
      r.granularity !== undefined &&
      r.granularity !== rd.interleaveGranularity
    )
      push(
        'gran',
        `-g ${rd.interleaveGranularity}: the granularity of the x${rd.interleaveWays} window ${rd.name}`,
        {
          ...r,
          granularity: rd.interleaveGranularity,
        },
      );
    if (rd.interleaveWays === 1) {
      const g0 = r.granularity ?? rd.interleaveGranularity;
      for (const g of [...GRANS].sort(
        (a, b) => Math.abs(Math.log2(a / g0)) - Math.abs(Math.log2(b / g0)),
      ))
        if (g !== r.granularity)
          push('gran', `granularity ${g} B`, { ...(q ?? r), granularity: g });
    }
    // reach a valid number of ways by adding memdevs below the window's host bridges
    const rw = rd.interleaveWays;
    let want = rw;
    while (want < mds.length) want *= 2;
    if (want !== mds.length && want <= 16) {
      const extra = memdevsBelow(m, rd).filter((x) => !uniq.includes(x.name) && usable(x, type));
      const picked = [...mds];
      for (const hb of rd.targets) {
        const have = () => picked.filter((x) => hostBridgeOf(x) === hb).length;
        for (const x of extra)
          if (have() < want / rw && hostBridgeOf(x) === hb && !picked.includes(x)) picked.push(x);
      }
      if (picked.length === want)
        push(
          'ways',
          `${want} ways: add ${picked
            .slice(mds.length)
            .map((x) => `${x.name} (below ${hbName(hostBridgeOf(x))})`)
            .join(', ')}`,
          onWindow({ ...r, ways: want }, rd, picked),
        );
    }
    // replace the memdev the failure names (or the one at the failing position)
    const bad =
      mds.find((x) => x.name === c?.device) ??
      (c?.position !== undefined ? memdevByName(m, r.memdevs[c.position] ?? '') : undefined);
    const bads = bad
      ? [bad]
      : mds.filter((x) => !usable(x, type) || !rd.targets.includes(hostBridgeOf(x)));
    for (const b of bads)
      for (const x of memdevsBelow(m, rd).filter((y) => !uniq.includes(y.name) && usable(y, type)))
        push(
          'replace',
          `${x.name} instead of ${b.name}`,
          onWindow(
            r,
            rd,
            mds.map((y) => (y === b ? x : y)),
          ),
        );
    // free what is held
    const holders = new Set<string>();
    const port = (m.kernel.buses.get('cxl')?.devices ?? []).find(
      (d): d is CxlPort => d instanceof CxlPort && d.name === c?.device,
    );
    if (port) for (const h of portDecoder(port).holders) holders.add(h);
    for (const x of mds.filter((y) => y.name === c?.device || !usable(y, type)))
      for (const h of regionsOfMemdev(x)) holders.add(h);
    if (holders.size)
      push(
        'free',
        `first destroy ${[...holders].join(', ')}, which hold${holders.size === 1 ? 's' : ''} what this region needs`,
        q ?? r,
        [...holders].map((h) => ['destroy-region', '-f', h]),
      );
    // a size that fits the window and the memdevs' DPA
    if (r.size !== undefined) {
      const { size: _drop, ...rest } = q ?? r;
      push('size', 'no -s: let ndctl size the region from the free capacity', rest);
      const ways = BigInt(Math.max(q?.ways ?? r.ways ?? mds.length, 1));
      const unit = SZ_256M * ways;
      const dpa = mds.reduce(
        (min, x) => (availableDpa(x, type) < min ? availableDpa(x, type) : min),
        1n << 62n,
      );
      const cap = largestFree(rd) < dpa * ways ? largestFree(rd) : dpa * ways;
      const fit = (cap / unit) * unit;
      if (fit > 0n && fit !== requestSize(r))
        push('size', `size ${hx(fit)} (what ${rd.name} and the memdevs' DPA can take)`, {
          ...(q ?? r),
          size: hx(fit),
        });
    }
  }
  // another window that reaches every memdev
  for (const w of rootDecoders(m)) {
    if (w === rd || (w.flags & flag) === 0) continue;
    push(
      'window',
      `window ${w.name} (${w.interleaveWays}-way, targets ${w.targets.map(hbName).join(', ')}), which reaches ${mds.map((x) => x.name).join(', ')}`,
      onWindow(r, w, mds),
    );
  }
  const order = PRIORITY[id] ?? DEFAULT_ORDER;
  return [...order, ...DEFAULT_ORDER.filter((b) => !order.includes(b))].flatMap((b) => buckets[b]);
}

/** Largest free range of a window (bytes), aligned to 256 MiB. */
export function largestFree(rd: CxlRootDecoder): bigint {
  let best = 0n;
  let at = ((rd.hpaRange.start + SZ_256M - 1n) / SZ_256M) * SZ_256M;
  for (const b of [...windowBusy(rd), { start: rd.hpaRange.end + 1n, end: rd.hpaRange.end + 1n }]) {
    if (b.start > at && b.start - at > best) best = b.start - at;
    const next = ((b.end + 1n + SZ_256M - 1n) / SZ_256M) * SZ_256M;
    if (next > at) at = next;
  }
  return best;
}
