/**
 * DOC: cxl/filter.c cxl_filter_walk() — the topology walk that assembles `cxl list` output.
 *
 * Memdevs first (only disabled ones, with -i, go to "anon memdevs"), then per bus: root decoders
 * (and their regions), endpoints attached to the root, then child ports recursively (each port's
 * endpoints, its decoders, its child ports). An object nests under the closest listed ancestor
 * ("ports:port1", "decoders:endpoint3", …); objects with no listed ancestor land in the top-level
 * arrays, which are emitted flat when only one is non-empty and as single-key containers otherwise.
 */

import { cxlDecoders, decoderName } from '../lib/decoder.ts';
import { cxlMemdevs, endpointMemdev, memdevIsEnabled } from '../lib/memdev.ts';
import { cxlBuses, cxlPortForeach, endpointsOf, portIsEnabled, portName } from '../lib/port.ts';
import { cxlRegions, regionIsEnabled } from '../lib/region.ts';
import type { CxlCtx, CxlDecoder, CxlPort } from '../lib/types.ts';
import { arrAdd, type JArr, type JObj, jArr, jObj, objAdd } from '../util/jsonc.ts';
import { ndctlHas } from '../versions.ts';
import {
  busFilter,
  busFilterByMemdev,
  decoderFilter,
  decoderFilterByBus,
  decoderFilterByMemdev,
  decoderFilterByPort,
  decoderFilterByRegion,
  endpointFilter,
  endpointFilterByMemdev,
  endpointFilterByPort,
  memdevFilter,
  memdevFilterByDecoder,
  memdevFilterByPort,
  type PortFilterMode,
  portFilter,
  portFilterByBus,
  portFilterByMemdev,
  regionFilter,
  regionFilterByBus,
  regionFilterByDecoder,
  regionFilterByPort,
} from './filter.ts';
import { type FilterParams, filterToFlags } from './filter-params.ts';
import {
  busToJson,
  decoderToJson,
  dportsAppendJson,
  memdevToJson,
  portToJson,
  regionToJson,
  targetsAppendJson,
} from './json.ts';

type Arr = JArr | undefined;

/** pick_array(): the child array when there is one, else the container. */
const pick = (child: Arr, container: Arr): Arr => child ?? container;

/** cond_add_put_array_suffix(): adds "<key>:<suffix>" when both exist and the array is non-empty. */
function condAdd(o: JObj | undefined, key: string, suffix: string, a: Arr): void {
  if (o && a && a.a.length > 0) objAdd(o, `${key}:${suffix}`, a);
}

const pfMode = (p: FilterParams): PortFilterMode => (p.single ? 'single' : 'ancestry');

/** walk_regions() */
function walkRegions(d: CxlDecoder, jregions: Arr, p: FilterParams, flags: number): void {
  for (const r of cxlRegions(d)) {
    if (!regionFilter(r, p.regionFilter)) continue;
    if (!regionFilterByBus(r, p.busFilter)) continue;
    if (!regionFilterByPort(r, p.portFilter)) continue;
    if (!regionFilterByDecoder(r, p.decoderFilter)) continue;
    if (!p.idle && !regionIsEnabled(r)) continue;
    if (jregions) arrAdd(jregions, regionToJson(r, flags));
  }
}

/** walk_decoders() */
function walkDecoders(
  port: CxlPort,
  p: FilterParams,
  jdecoders: Arr,
  jregions: Arr,
  flags: number,
): void {
  for (const d of cxlDecoders(port)) {
    let jchildregions: Arr;
    let jdecoder: JObj | undefined;
    const listed =
      p.decoders &&
      decoderFilter(d, p.decoderFilter) &&
      decoderFilterByBus(d, p.busFilter) &&
      decoderFilterByPort(d, p.portFilter, pfMode(p)) &&
      decoderFilterByMemdev(d, p.memdevFilter, p.serialFilter) &&
      decoderFilterByRegion(d, p.regionFilter);
    if (listed) {
      if (!p.idle && d.size === 0n) continue;
      jdecoder = decoderToJson(d, flags);
      targetsAppendJson(jdecoder, d, p.memdevFilter, p.serialFilter, flags);
      if (p.regions) jchildregions = jArr();
      if (jdecoders) arrAdd(jdecoders, jdecoder);
    }
    if (!p.regions) continue;
    if (port.type !== 'root') continue;
    walkRegions(d, pick(jchildregions, jregions), p, flags);
    condAdd(jdecoder, 'regions', decoderName(d), jchildregions);
  }
}

/** walk_endpoints() */
function walkEndpoints(
  port: CxlPort,
  p: FilterParams,
  jeps: Arr,
  jdevs: Arr,
  jdecoders: Arr,
  flags: number,
): void {
  for (const ep of endpointsOf(port)) {
    const name = portName(ep);
    let jendpoint: JObj | undefined;
    let jchilddecoders: Arr;
    if (!endpointFilter(ep, p.endpointFilter)) continue;
    if (!portFilterByBus(ep, p.busFilter)) continue;
    if (!endpointFilterByPort(ep, p.portFilter, pfMode(p))) continue;
    if (!endpointFilterByMemdev(ep, p.memdevFilter, p.serialFilter)) continue;
    if (!p.idle && !portIsEnabled(ep)) continue;
    if (p.endpoints) {
      jendpoint = portToJson(ep, 'endpoint', flags);
      if (jeps) arrAdd(jeps, jendpoint);
    }
    if (p.memdevs) {
      const m = endpointMemdev(ep);
      if (!m) continue;
      if (!memdevFilter(m, p.memdevFilter, p.serialFilter)) continue;
      if (!memdevFilterByDecoder(m, p.decoderFilter)) continue;
      if (!memdevFilterByPort(m, p.busFilter, p.portFilter)) continue;
      if (!p.idle && !memdevIsEnabled(m)) continue;
      const jm = memdevToJson(m, flags);
      if (p.endpoints && jendpoint) objAdd(jendpoint, 'memdev', jm);
      else if (jdevs) arrAdd(jdevs, jm);
    }
    if (p.decoders && p.endpoints) jchilddecoders = jArr();
    if (!p.decoders) continue;
    walkDecoders(ep, p, pick(jchilddecoders, jdecoders), undefined, flags);
    condAdd(jendpoint, 'decoders', name, jchilddecoders);
  }
}

/** walk_child_ports() */
function walkChildPorts(
  parent: CxlPort,
  p: FilterParams,
  jports: Arr,
  jportdecoders: Arr,
  jeps: Arr,
  jepdecoders: Arr,
  jdevs: Arr,
  flags: number,
): void {
  for (const port of cxlPortForeach(parent)) {
    const name = portName(port);
    let jport: JObj | undefined;
    let jchilddevs: Arr;
    let jchildports: Arr;
    let jchildeps: Arr;
    let jchilddecoders: Arr;
    if (!portFilterByMemdev(port, p.memdevFilter, p.serialFilter)) continue;
    const listed = portFilter(port, p.portFilter, pfMode(p)) && portFilterByBus(port, p.busFilter);
    if (listed) {
      if (!p.idle && !portIsEnabled(port)) continue;
      if (p.ports) {
        jport = portToJson(port, 'port', flags);
        dportsAppendJson(jport, port, p.memdevFilter, p.serialFilter, flags);
        if (jports) arrAdd(jports, jport);
        jchildports = jArr();
        if (p.memdevs) jchilddevs = jArr();
        if (p.endpoints) jchildeps = jArr();
        if (p.decoders) jchilddecoders = jArr();
      }
    }
    if (p.endpoints || p.memdevs || p.decoders) {
      walkEndpoints(
        port,
        p,
        pick(jchildeps, jeps),
        pick(jchilddevs, jdevs),
        pick(jchilddecoders, jepdecoders),
        flags,
      );
    }
    walkDecoders(port, p, pick(jchilddecoders, jportdecoders), undefined, flags);
    walkChildPorts(
      port,
      p,
      pick(jchildports, jports),
      pick(jchilddecoders, jportdecoders),
      pick(jchildeps, jeps),
      pick(jchilddecoders, jepdecoders),
      pick(jchilddevs, jdevs),
      flags,
    );
    condAdd(jport, 'ports', name, jchildports);
    condAdd(jport, 'endpoints', name, jchildeps);
    condAdd(jport, 'decoders', name, jchilddecoders);
    condAdd(jport, 'memdevs', name, jchilddevs);
  }
}

/** cxl_filter_walk(): the array util_display_json_array() prints. */
export function cxlFilterWalk(ctx: CxlCtx, p: FilterParams): JArr {
  const flags = filterToFlags(p);
  const platform = jArr();
  const janondevs = jArr();
  const jbuses = jArr();
  const jports = jArr();
  const jeps = jArr();
  const jdevs = jArr();
  const jbusdecoders = jArr();
  const jportdecoders = jArr();
  const jepdecoders = jArr();
  const jregions = jArr();

  for (const m of cxlMemdevs(ctx)) {
    if (!memdevFilter(m, p.memdevFilter, p.serialFilter)) continue;
    if (ndctlHas(ctx.ndctl, 'anonMemdevFilters')) {
      if (!memdevFilterByDecoder(m, p.decoderFilter)) continue;
      if (!memdevFilterByPort(m, p.busFilter, p.portFilter)) continue;
    }
    if (memdevIsEnabled(m)) continue;
    if (!p.idle) continue;
    if (p.memdevs) arrAdd(janondevs, memdevToJson(m, flags));
  }

  for (const bus of cxlBuses(ctx)) {
    const name = portName(bus);
    let jbus: JObj | undefined;
    let jchilddecoders: Arr;
    let jchildports: Arr;
    let jchilddevs: Arr;
    let jchildeps: Arr;
    let jchildregions: Arr;
    if (!busFilterByMemdev(bus, p.memdevFilter, p.serialFilter)) continue;
    const listed = busFilter(bus, p.busFilter) && portFilter(bus, p.portFilter, pfMode(p));
    if (listed && p.buses) {
      jbus = busToJson(bus, flags);
      dportsAppendJson(jbus, bus, p.memdevFilter, p.serialFilter, flags);
      arrAdd(jbuses, jbus);
      if (p.ports) jchildports = jArr();
      if (p.endpoints) jchildeps = jArr();
      if (p.memdevs) jchilddevs = jArr();
      if (p.decoders) jchilddecoders = jArr();
      if (p.regions) jchildregions = jArr();
    }
    walkDecoders(bus, p, pick(jchilddecoders, jbusdecoders), pick(jchildregions, jregions), flags);
    if (p.endpoints || p.memdevs || p.decoders) {
      walkEndpoints(
        bus,
        p,
        pick(jchildeps, jeps),
        pick(jchilddevs, jdevs),
        pick(jchilddecoders, jepdecoders),
        flags,
      );
    }
    walkChildPorts(
      bus,
      p,
      pick(jchildports, jports),
      pick(jchilddecoders, jportdecoders),
      pick(jchildeps, jeps),
      pick(jchilddecoders, jepdecoders),
      pick(jchilddevs, jdevs),
      flags,
    );
    condAdd(jbus, 'ports', name, jchildports);
    condAdd(jbus, 'endpoints', name, jchildeps);
    condAdd(jbus, 'decoders', name, jchilddecoders);
    condAdd(jbus, 'regions', name, jchildregions);
    condAdd(jbus, 'memdevs', name, jchilddevs);
  }

  const tops: Array<[string, JArr]> = [
    ['anon memdevs', janondevs],
    ['buses', jbuses],
    ['ports', jports],
    ['endpoints', jeps],
    ['memdevs', jdevs],
    ['root decoders', jbusdecoders],
    ['port decoders', jportdecoders],
    ['endpoint decoders', jepdecoders],
    ['regions', jregions],
  ];
  const container = tops.filter(([, a]) => a.a.length > 0).length > 1;
  for (const [key, a] of tops) {
    if (a.a.length === 0) continue;
    if (container) {
      const c = jObj();
      objAdd(c, key, a);
      arrAdd(platform, c);
    } else platform.a.push(...a.a);
  }
  return platform;
}
