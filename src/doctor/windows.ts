/**
 * DOC: per fixed memory window (`cxl-fmw.N`, the root decoder the guest makes of it): whether
 * any region can ever live in it, and the `cxl create-region` commands that do work — each
 * verified by running it on a fresh copy of the simulated guest.
 *
 * A window can never hold a region when QEMU could not place it (base 0: past the CPU's
 * physical address width), when no enabled memdev sits below its targets, when it is smaller
 * than the smallest region across its ways (ways × 256 MiB, the kernel's region size unit), or
 * when every candidate the memdevs allow is refused (the refusal is the finding: granularity
 * the endpoints cannot take, target order, …). Candidates: for each region type the window and
 * the memdevs allow, the memdevs below each target host bridge balanced (k per host bridge,
 * ways = window ways × k, largest k first) in the kernel's position order (explain/topo.ts
 * kernelOrder), granularity = the window's when it interleaves host bridges, else 4096 then the
 * other legal values.
 */

import type { CxlRootDecoder } from '../drivers/cxl/core/decoder.ts';
import type { CxlMemdev } from '../drivers/cxl/core/memdev.ts';
import { CXL_DECODER_F_PMEM, CXL_DECODER_F_RAM, SZ_256M } from '../drivers/cxl/cxl.ts';
import { hostBridgeOf, kernelOrder, memdevsBelow, rootDecoders } from '../explain/topo.ts';
import type { Machine } from '../machine.ts';
import type { Topology } from '../topology/model.ts';
import { predictCommands, type Trap } from './predict.ts';
import type { Finding } from './types.ts';

const VALID_WAYS = new Set([1, 2, 3, 4, 6, 8, 12, 16]);
const GRANULARITIES = [4096, 256, 512, 1024, 2048, 8192, 16384];

/** A verified region command for a window. */
export interface RegionCommand {
  window: number;
  rootDecoder: string;
  /** "cxl create-region -m -d decoder0.1 -w 2 -g 4096 mem0 mem1" */
  command: string;
}

/** What the window analysis returns. */
export interface WindowReport {
  findings: Finding[];
  regions: RegionCommand[];
}

/** A placed window (hw/placement PlacedWindow, the fields used here). */
export interface WindowPlace {
  index: number;
  base: bigint;
}

/** The window index (cxl-fmw.N) of a root decoder: by its HPA base among the placed windows. */
function windowIndex(windows: readonly WindowPlace[], rd: CxlRootDecoder, i: number): number {
  const w = windows.find((x) => x.base === rd.hpaRange.start && x.base !== 0n);
  return w?.index ?? i;
}

function candidates(rd: CxlRootDecoder, mems: CxlMemdev[], type: 'ram' | 'pmem'): string[][][] {
  const usable = mems.filter((md) => md.cxlds[type].size >= SZ_256M);
  const byHb = new Map<number, CxlMemdev[]>();
  for (const md of usable) {
    const hb = hostBridgeOf(md);
    const i = hb ? rd.targets.indexOf(hb) : -1;
    if (i >= 0) byHb.set(i, [...(byHb.get(i) ?? []), md]);
  }
  const rw = rd.interleaveWays;
  if (byHb.size < rw) return [];
  const kMax = Math.min(...[...byHb.values()].map((g) => g.length));
  const out: string[][][] = [];
  for (let k = kMax; k >= 1; k--) {
    const ways = rw * k;
    if (!VALID_WAYS.has(ways)) continue;
    const chosen = [...byHb.values()].flatMap((g) => g.slice(0, k));
    const ordered = kernelOrder(rd, chosen);
    if (!ordered) continue;
    const grans = rw > 1 ? [rd.interleaveGranularity] : GRANULARITIES;
    out.push(
      grans.map((g) => [
        'create-region',
        ...(type === 'ram' ? ['-t', 'ram'] : []),
        '-m',
        '-d',
        rd.name,
        '-w',
        String(ways),
        '-g',
        String(g),
        ...ordered.map((md) => md.name),
      ]),
    );
  }
  return out;
}

/**
 * Analyses every window of the booted guest.
 * @param fresh boots a fresh copy of the same guest (for verification)
 */
export function analyseWindows(
  t: Topology,
  m: Machine,
  windows: readonly WindowPlace[],
  fresh: () => Machine,
  traps: Trap[],
): WindowReport {
  const findings: Finding[] = [];
  const regions: RegionCommand[] = [];
  rootDecoders(m).forEach((rd, i) => {
    const n = windowIndex(windows, rd, i);
    const opt = `-M cxl-fmw.${n}`;
    const tw = t.windows.find((w) => w.index === n);
    const targets = tw?.targets.join(',') ?? '?';
    if (rd.hpaRange.start === 0n || rd.size === 0n) {
      findings.push({
        severity: 'error',
        kind: 'window-unplaced',
        subject: `cxl-fmw.${n}`,
        message: `cxl-fmw.${n} was not placed by QEMU (past the CPU's physical address width): no region can use it`,
        option: `${opt}.size, or -cpu …,phys-bits= / -M highmem-mmio-size=`,
      });
      return;
    }
    const mems = memdevsBelow(m, rd);
    if (mems.length === 0) {
      findings.push({
        severity: 'warning',
        kind: 'window-no-memdev',
        subject: `cxl-fmw.${n}`,
        message: `cxl-fmw.${n} (${rd.name}, targets ${targets}) can never hold a region: no enabled memdev below its host bridges`,
        option: `${opt}.targets (or a -device cxl-type3 below ${targets})`,
      });
      return;
    }
    if (rd.size < BigInt(rd.interleaveWays) * SZ_256M) {
      findings.push({
        severity: 'warning',
        kind: 'window-too-small',
        subject: `cxl-fmw.${n}`,
        message: `cxl-fmw.${n} (${rd.name}) is smaller than one ${rd.interleaveWays}-way region (${rd.interleaveWays} × 256 MiB)`,
        option: `${opt}.size`,
      });
      return;
    }
    let lastRefusal: string | undefined;
    let any = false;
    for (const type of ['pmem', 'ram'] as const) {
      const flag = type === 'ram' ? CXL_DECODER_F_RAM : CXL_DECODER_F_PMEM;
      if ((rd.flags & flag) === 0) continue;
      let found = false;
      for (const group of candidates(rd, mems, type)) {
        for (const argv of group) {
          const [p] = predictCommands(fresh(), [argv], traps);
          if (p?.ok) {
            regions.push({ window: n, rootDecoder: rd.name, command: `cxl ${argv.join(' ')}` });
            found = true;
            break;
          }
          lastRefusal ??= `${p?.refusedBy ?? '?'} refused \`cxl ${argv.join(' ')}\`: ${p?.reason ?? 'unknown'}`;
        }
        if (found) break;
      }
      any ||= found;
    }
    if (!any)
      findings.push({
        severity: 'warning',
        kind: 'window-no-region',
        subject: `cxl-fmw.${n}`,
        message: `cxl-fmw.${n} (${rd.name}) can never hold a region: ${lastRefusal ?? 'no memdev has 256 MiB of a type the window allows'}`,
        option: `${opt}.interleave-granularity / ${opt}.targets, or the cxl-type3 memdevs below ${targets}`,
      });
  });
  return { findings, regions };
}
