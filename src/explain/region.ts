/**
 * DOC: explaining a region that exists — one the user assembled (its chain as it stands: each
 * position's host bridge, the decoder every port gave it, the endpoint's DPA, the commit), or
 * one the kernel tried to auto-assemble from firmware-committed decoders and left unfinished.
 *
 * For an auto region the kernel's checks are re-derived from the decoders (core/region.c
 * cxl_calc_interleave_pos: a decoder in each parent port mapping exactly the region range,
 * this port's dport in its target list; cxl_port_setup_targets: firmware ways = distinct
 * targets, granularity = parent granularity × parent ways, the range, enabled) and the failing
 * one is taken from the kernel's own dev_err lines of the boot ("failed to find decoder
 * mapping", "failed to find %s:%s in target list of %s", "… expected iw … / got …",
 * "region already has %d endpoints").
 */

import {
  type CxlEndpointDecoder,
  CxlRootDecoder,
  CxlSwitchDecoder,
} from '../drivers/cxl/core/decoder.ts';
import type { CxlRegion } from '../drivers/cxl/core/region/index.ts';
import {
  CXL_CONFIG_COMMIT,
  CXL_REGION_F_AUTO,
  cxledToMemdev,
  cxlRrLoad,
} from '../drivers/cxl/core/region/region.ts';
import type { Machine } from '../machine.ts';
import type { Classified } from './classify.ts';
import { type CxlPort, hbName, hostBridgeOf } from './topo.ts';
import type { Check, CheckLevel } from './types.ts';
import { checkAdder } from './types.ts';

const hx = (v: bigint) => `0x${v.toString(16)}`;

/** Members of a region (placed or staged), by position or staging order. */
export const members = (r: CxlRegion) =>
  r.params.targets
    .slice(0, Math.max(r.params.nrTargets, r.params.interleaveWays))
    .filter((t): t is CxlEndpointDecoder => t !== undefined);

/** The chain of an assembled (or half-assembled manual) region, as it stands. */
export function regionStatusChain(r: CxlRegion): Check[] {
  const out: Check[] = [];
  const add = checkAdder(out);
  const p = r.params;
  const rd = r.cxlrd;
  const res = p.res;
  add(
    'window',
    'window',
    rd.name,
    !!res,
    `${r.name}: ${p.interleaveWays} ways at ${p.interleaveGranularity} B${res ? `, HPA ${hx(res.start)}-${hx(res.end)}` : ', no HPA allocated'} in ${rd.name} (${rd.interleaveWays}-way window)`,
  );
  for (let i = 0; i < p.interleaveWays; i++) {
    const t = p.targets[i];
    if (!t) {
      add(
        'attach',
        'endpoint',
        r.name,
        false,
        `position ${i} has no endpoint decoder (target${i} not written)`,
        i,
      );
      continue;
    }
    const md = cxledToMemdev(t);
    const hb = hostBridgeOf(md);
    add(
      'position',
      'host-bridge',
      md.name,
      rd.targets[rd.interleaveWays === 1 ? 0 : i % rd.interleaveWays] === hb,
      `${md.name} below ${hbName(hb)} at position ${i}`,
      i,
    );
    for (
      let port: CxlPort | undefined = t.port.parentPort();
      port && !port.isRoot;
      port = port.parentPort()
    ) {
      const d = cxlRrLoad(port, r)?.decoder;
      add(
        'port-decoder',
        port.depth === 1 ? 'host-bridge' : 'switch',
        port.name,
        !!d,
        d
          ? `${port.name} (${port.uportDev.name}) uses ${d.name}: ${d.interleaveWays} ways at ${d.interleaveGranularity} B`
          : `${port.name} has no decoder for ${r.name}`,
        i,
      );
    }
    const dpa = t.dpaRes;
    add(
      'dpa',
      'endpoint',
      t.name,
      !!dpa,
      dpa
        ? `${t.name} (${md.name}) DPA ${hx(dpa.start)}-${hx(dpa.end)}, ${t.mode}`
        : `${t.name} has no DPA`,
      i,
    );
  }
  add(
    'commit',
    'commit',
    r.name,
    p.state === CXL_CONFIG_COMMIT,
    p.state === CXL_CONFIG_COMMIT
      ? 'decoders committed'
      : `state ${p.state}: not committed (write 1 to ${r.name}/commit)`,
  );
  return out;
}

/** The kernel lines (current boot) that tell why an auto region stopped. */
export function autoFailure(m: Machine, r: CxlRegion): Classified | undefined {
  const names = new Set([r.name, ...members(r).map((t) => cxledToMemdev(t).name)]);
  const lines = m.kernel.log.lines.filter((l) => [...names].some((n) => l.text.includes(`${n}:`)));
  const pats: [RegExp, string][] = [
    [/cxl_mem (\S+): failed to find decoder mapping/, 'firmware-mapping'],
    [/cxl_mem (\S+): failed to find \S+ in target list of/, 'firmware-targets'],
    [/cxl \S+: \S+:(port\d+) cxl_port_setup_targets expected/, 'firmware-interleave'],
    [/cxl \S+: \S+: (\S+) expected \S+ at \d+$/, 'firmware-targets'],
    [/cxl \S+: region already has \d+ endpoints/, 'firmware-overlap'],
  ];
  for (const l of lines) {
    for (const [re, id] of pats) {
      const x = re.exec(l.text);
      if (!x) continue;
      const device = x[1];
      return { id, ...(device ? { device } : {}), errno: 'ENXIO', message: l.text };
    }
  }
  return undefined;
}

/**
 * The re-derived checks of an auto region: per member, each parent port's decoder mapping the
 * region range and listing the member's dport; per port, firmware ways and granularity.
 */
export function autoChain(r: CxlRegion): Check[] {
  const out: Check[] = [];
  const add = (id: string, level: CheckLevel, device: string, ok: boolean, detail: string) =>
    out.push({ id, level, device, status: ok ? 'ok' : 'failed', detail });
  const res = r.params.res as { start: bigint; end: bigint };
  const range = `${hx(res.start)}-${hx(res.end)}`;
  add(
    'firmware-window',
    'window',
    r.cxlrd.name,
    true,
    `firmware range ${range} lies in ${r.cxlrd.name}`,
  );
  const ms = members(r);
  add(
    'firmware-overlap',
    'region',
    r.name,
    ms.length <= r.params.interleaveWays,
    `${ms.length} endpoint decoder(s) at ${range}, ${r.params.interleaveWays} way(s) (from the first endpoint decoder)`,
  );
  const fan = new Map<CxlPort, Set<unknown>>();
  for (const t of ms) {
    const md = cxledToMemdev(t);
    for (let port: CxlPort | undefined = t.port; port?.parentPort(); port = port.parentPort()) {
      const parent = port.parentPort() as CxlPort;
      const d = parent
        .decoders()
        .find((x) =>
          x instanceof CxlRootDecoder
            ? x.hpaRange.start <= res.start && x.hpaRange.end >= res.end
            : x instanceof CxlSwitchDecoder &&
              x.hpaRange.start === res.start &&
              x.hpaRange.end === res.end,
        ) as CxlSwitchDecoder | CxlRootDecoder | undefined;
      add(
        'firmware-mapping',
        parent.isRoot ? 'window' : parent.depth === 1 ? 'host-bridge' : 'switch',
        md.name,
        !!d,
        d
          ? `${parent.name} (${parent.uportDev.name}) maps ${range} with ${d.name}`
          : `no decoder of ${parent.name} (${parent.uportDev.name}) maps exactly ${range}`,
      );
      if (!d) break;
      const listed = d.targets.slice(0, d.interleaveWays).includes(port.parentDport);
      add(
        'firmware-targets',
        parent.isRoot ? 'window' : 'host-bridge',
        md.name,
        listed,
        `${d.name} targets ${d.targets.slice(0, d.interleaveWays).map(hbName).join(', ')}; ${md.name} comes through ${hbName(port.parentDport)}`,
      );
      if (!parent.isRoot) fan.set(parent, (fan.get(parent) ?? new Set()).add(port.parentDport));
    }
  }
  for (const [port, dports] of fan) {
    const d = port
      .decoders()
      .find(
        (x) =>
          x instanceof CxlSwitchDecoder &&
          x.hpaRange.start === res.start &&
          x.hpaRange.end === res.end,
      );
    if (!d) continue;
    add(
      'firmware-interleave',
      port.depth === 1 ? 'host-bridge' : 'switch',
      port.name,
      d.interleaveWays === dports.size,
      `${d.name}: ${d.interleaveWays} ways at ${d.interleaveGranularity} B committed; the region's members reach ${port.name} through ${dports.size} dport(s)`,
    );
  }
  return out;
}

/** Whether a region is an auto region the kernel could not finish. */
export const isFailedAuto = (r: CxlRegion) =>
  (r.flags & CXL_REGION_F_AUTO) !== 0 && r.params.state < CXL_CONFIG_COMMIT;
