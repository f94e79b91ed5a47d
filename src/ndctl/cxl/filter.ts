/**
 * DOC: cxl/filter.c — the object filters behind `cxl list -m/-s/-b/-p/-e/-d/-r`.
 *
 * A filter string is split on spaces when it has one, else on commas; tokens OR together and
 * `all` matches everything. Numeric tokens go through sscanf("%d"), so a host name that starts
 * with digits ("0000:35:00.0") also matches id 0. Memdev association is by sysfs path
 * containment (strstr of the memdev's host path). 76.1 and 85 differ in how memdevs are matched
 * to ports (a dport that maps the memdev vs. the port's uport being an ancestor) and bus filters,
 * and in 85 a root decoder passes a region filter through its child regions.
 */

import {
  cxlDecoders,
  decoderName,
  decoderRegion,
  decoderTargetByMemdev,
  targetMapsMemdev,
} from '../lib/decoder.ts';
import {
  cxlMemdevs,
  endpointMemdev,
  memdevEndpoint,
  memdevHost,
  memdevIsPortAncestor,
  memdevName,
  portBus,
} from '../lib/memdev.ts';
import {
  busProvider,
  cxlBuses,
  cxlPortForeachAll,
  dportMapsHostPath,
  dportsOf,
  endpointsOf,
  portHost,
  portHostsEndpoint,
  portName,
} from '../lib/port.ts';
import { cxlRegions, regionName } from '../lib/region.ts';
import type {
  CxlDecoder,
  CxlDport,
  CxlMemdev,
  CxlPort,
  CxlRegion,
  CxlTarget,
} from '../lib/types.ts';
import { scanPrefixInt, scanPrefixIntDotInt, strtok, strtoullEnd } from '../util/cstr.ts';
import { ndctlHas } from '../versions.ts';

/** enum cxl_port_filter_mode */
export type PortFilterMode = 'single' | 'ancestry';

/** which_sep(): " " when the filter has a space, else "," when it has a comma. */
function tokens(filter: string): string[] {
  const sep = filter.includes(' ') ? ' ' : filter.includes(',') ? ',' : ' ';
  return strtok(filter, sep);
}

/** `%d` or `<prefix>%d` (sscanf) equal to id. */
function idMatch(tok: string, prefix: string, id: number): boolean {
  const v = scanPrefixInt(tok, '') ?? scanPrefixInt(tok, prefix);
  return v !== undefined && v === id;
}

/** cxl_filter_has(): some token contains `needle`. */
export function cxlFilterHas(filter: string | undefined, needle: string): boolean {
  if (filter === undefined) return false;
  return tokens(filter).some((t) => t.includes(needle));
}

/** util_cxl_endpoint_filter() */
export function endpointFilter(ep: CxlPort, ident: string | undefined): boolean {
  if (ident === undefined) return true;
  return tokens(ident).some(
    (a) => a === 'all' || idMatch(a, 'endpoint', ep.id) || a === portName(ep) || a === portHost(ep),
  );
}

/** __util_cxl_port_filter() */
function portFilterOne(port: CxlPort, ident: string | undefined): boolean {
  if (ident === undefined) return true;
  return tokens(ident).some(
    (a) =>
      a === 'all' ||
      (a === 'root' && port.type === 'root') ||
      (a === 'switch' && port.type === 'switch') ||
      (a === 'endpoint' && port.type === 'endpoint') ||
      idMatch(a, 'port', port.id) ||
      a === portName(port) ||
      a === portHost(port),
  );
}

/** util_cxl_port_filter(): the port, or (ancestry mode) any of its ancestors, matches. */
export function portFilter(
  port: CxlPort,
  ident: string | undefined,
  mode: PortFilterMode,
): boolean {
  for (let it: CxlPort | undefined = port; it; it = it.parent) {
    if (portFilterOne(it, ident)) return true;
    if (mode === 'single') return false;
  }
  return false;
}

/** util_cxl_endpoint_filter_by_port(): the endpoint itself, else its parent port in `mode`. */
export function endpointFilterByPort(
  ep: CxlPort,
  ident: string | undefined,
  mode: PortFilterMode,
): boolean {
  if (portFilter(ep, ident, 'single')) return true;
  if (!ep.parent) return false;
  return portFilter(ep.parent, ident, mode);
}

/** util_cxl_decoder_filter_by_port() */
export function decoderFilterByPort(
  d: CxlDecoder,
  ident: string | undefined,
  mode: PortFilterMode,
): boolean {
  return portFilter(d.port, ident, mode);
}

/** util_cxl_bus_filter() */
export function busFilter(bus: CxlPort, ident: string | undefined): boolean {
  if (ident === undefined) return true;
  return tokens(ident).some(
    (a) =>
      a === 'all' || idMatch(a, 'root', bus.id) || a === portName(bus) || a === busProvider(bus),
  );
}

/** util_cxl_port_filter_by_bus(): a non-root port must be enabled to have a bus. */
export function portFilterByBus(port: CxlPort, ident: string | undefined): boolean {
  if (ident === undefined) return true;
  if (port.type === 'root') return busFilter(port, ident);
  return cxlBuses(port.ctx).some((bus) => busFilter(bus, ident) && bus === portBus(port));
}

/** util_cxl_decoder_filter_by_bus() */
export function decoderFilterByBus(d: CxlDecoder, ident: string | undefined): boolean {
  return portFilterByBus(d.port, ident);
}

/** util_cxl_memdev_serial_filter(): tokens parsed with strtoull(…, 0), whole token only. */
function memdevSerialFilter(m: CxlMemdev, serials: string | undefined): boolean {
  if (serials === undefined) return true;
  return tokens(serials).some((a) => {
    const { value, end } = strtoullEnd(a, 0);
    return end === a.length && m.serial === value;
  });
}

/** util_cxl_memdev_filter(): by name, id or host, then by serial. */
export function memdevFilter(
  m: CxlMemdev,
  ident: string | undefined,
  serials: string | undefined,
): boolean {
  if (ident === undefined) return memdevSerialFilter(m, serials);
  const hit = tokens(ident).some(
    (a) => a === 'all' || idMatch(a, 'mem', m.id) || a === memdevName(m) || a === memdevHost(m),
  );
  return hit && memdevSerialFilter(m, serials);
}

/** The memdevs passing -m/-s. */
function filteredMemdevs(
  port: CxlPort,
  ident: string | undefined,
  serial: string | undefined,
): CxlMemdev[] {
  return cxlMemdevs(port.ctx).filter((m) => memdevFilter(m, ident, serial));
}

/** util_cxl_bus_filter_by_memdev() */
export function busFilterByMemdev(
  bus: CxlPort,
  ident: string | undefined,
  serial: string | undefined,
): boolean {
  if (ident === undefined && serial === undefined) return true;
  for (const m of cxlMemdevs(bus.ctx)) {
    if (!memdevFilter(m, ident, serial)) continue;
    const ep = memdevEndpoint(m);
    if (ep && portBus(ep) === bus) return true;
  }
  return false;
}

/** util_cxl_endpoint_filter_by_memdev() */
export function endpointFilterByMemdev(
  ep: CxlPort,
  ident: string | undefined,
  serial: string | undefined,
): boolean {
  if (ident === undefined && serial === undefined) return true;
  return filteredMemdevs(ep, ident, serial).some((m) => memdevEndpoint(m) === ep);
}

/** util_cxl_port_filter_by_memdev(): the port hosts a matching memdev's endpoint. */
export function portFilterByMemdev(
  port: CxlPort,
  ident: string | undefined,
  serial: string | undefined,
): boolean {
  if (ident === undefined && serial === undefined) return true;
  return filteredMemdevs(port, ident, serial).some((m) =>
    portHostsEndpoint(port, memdevEndpoint(m)),
  );
}

/** util_cxl_decoder_filter() */
export function decoderFilter(d: CxlDecoder, ident: string | undefined): boolean {
  if (ident === undefined) return true;
  const port = d.port;
  return tokens(ident).some((n) => {
    if (n === 'all') return true;
    if (n === 'root' && port.type === 'root') return true;
    if (n === 'switch' && port.type === 'switch') return true;
    if (n === 'endpoint' && port.type === 'endpoint') return true;
    const ids = scanPrefixIntDotInt(n, '') ?? scanPrefixIntDotInt(n, 'decoder');
    if (ids && port.id === ids[0] && d.id === ids[1]) return true;
    return n === decoderName(d);
  });
}

/** util_cxl_decoder_filter_by_memdev(): a target maps the memdev, or it is the memdev's endpoint. */
export function decoderFilterByMemdev(
  d: CxlDecoder,
  ident: string | undefined,
  serial: string | undefined,
): boolean {
  if (ident === undefined && serial === undefined) return true;
  for (const m of filteredMemdevs(d.port, ident, serial)) {
    if (decoderTargetByMemdev(d, m)) return true;
    if (d.port.type !== 'endpoint') continue;
    if (endpointMemdev(d.port) === m) return true;
  }
  return false;
}

/** util_cxl_target_filter_by_memdev() */
export function targetMatchesMemdevFilter(
  t: CxlTarget,
  ident: string | undefined,
  serial: string | undefined,
): boolean {
  if (ident === undefined && serial === undefined) return true;
  return filteredMemdevs(t.decoder.port, ident, serial).some((m) => targetMapsMemdev(t, m));
}

/** util_cxl_dport_filter_by_memdev() */
export function dportMatchesMemdevFilter(
  d: CxlDport,
  ident: string | undefined,
  serial: string | undefined,
): boolean {
  if (ident === undefined && serial === undefined) return true;
  return filteredMemdevs(d.port, ident, serial).some((m) => dportMapsHostPath(d, m.hostPath));
}

/** __memdev_filter_by_decoder(): a matching decoder of the port (or its endpoints) maps the memdev. */
function memdevByDecoderAt(m: CxlMemdev, port: CxlPort, ident: string): boolean {
  for (const d of cxlDecoders(port)) {
    if (decoderFilter(d, ident) && decoderTargetByMemdev(d, m)) return true;
  }
  return endpointsOf(port).some((ep) => memdevByDecoderAt(m, ep, ident));
}

/** util_cxl_memdev_filter_by_decoder() */
export function memdevFilterByDecoder(m: CxlMemdev, ident: string | undefined): boolean {
  if (ident === undefined) return true;
  for (const bus of cxlBuses(m.ctx)) {
    if (memdevByDecoderAt(m, bus, ident)) return true;
    for (const p of cxlPortForeachAll(bus)) if (memdevByDecoderAt(m, p, ident)) return true;
  }
  return false;
}

/** __memdev_filter_by_port() */
function memdevByPortAt(m: CxlMemdev, port: CxlPort, ident: string | undefined): boolean {
  if (portFilter(port, ident, 'single')) {
    const maps = ndctlHas(m.ctx.ndctl, 'memdevPortAncestry')
      ? memdevIsPortAncestor(m, port)
      : dportsOf(port).some((d) => dportMapsHostPath(d, m.hostPath));
    if (maps) return true;
  }
  return endpointsOf(port).some((ep) => memdevByPortAt(m, ep, ident));
}

/** util_cxl_memdev_filter_by_port() (76.1's bus pass quirk; 85 restricts to matching buses). */
export function memdevFilterByPort(
  m: CxlMemdev,
  busIdent: string | undefined,
  portIdent: string | undefined,
): boolean {
  if (busIdent === undefined && portIdent === undefined) return true;
  for (const bus of cxlBuses(m.ctx)) {
    if (ndctlHas(m.ctx.ndctl, 'memdevPortFilterBusFirst')) {
      if (!busFilter(bus, busIdent)) continue;
    } else if (busFilter(bus, busIdent) && memdevByPortAt(m, bus, portName(bus))) return true;
    if (memdevByPortAt(m, bus, portIdent)) return true;
    for (const p of cxlPortForeachAll(bus)) if (memdevByPortAt(m, p, portIdent)) return true;
  }
  return false;
}

/** util_cxl_region_filter() */
export function regionFilter(r: CxlRegion, ident: string | undefined): boolean {
  if (ident === undefined) return true;
  return tokens(ident).some(
    (n) => n === 'all' || idMatch(n, 'region', r.id) || n === regionName(r),
  );
}

/** util_cxl_region_filter_by_bus() */
export function regionFilterByBus(r: CxlRegion, ident: string | undefined): boolean {
  return decoderFilterByBus(r.decoder, ident);
}

/** util_cxl_region_filter_by_port(): always in ancestry mode. */
export function regionFilterByPort(r: CxlRegion, ident: string | undefined): boolean {
  return portFilter(r.decoder.port, ident, 'ancestry');
}

/** util_cxl_region_filter_by_decoder() */
export function regionFilterByDecoder(r: CxlRegion, ident: string | undefined): boolean {
  return decoderFilter(r.decoder, ident);
}

/** util_cxl_decoder_filter_by_region() (85: a root decoder passes through its child regions). */
export function decoderFilterByRegion(d: CxlDecoder, ident: string | undefined): boolean {
  if (ident === undefined) return true;
  if (
    ndctlHas(d.ctx.ndctl, 'rootDecoderFiltersByChildRegions') &&
    cxlRegions(d).some((r) => regionFilter(r, ident))
  )
    return true;
  const r = decoderRegion(d);
  return r !== undefined && regionFilter(r, ident);
}
