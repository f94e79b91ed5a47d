/**
 * DOC: libcxl buses, ports, endpoints and dports (cxl/lib/libcxl.c cxl_port_init(),
 * add_cxl_bus(), add_cxl_port(), add_cxl_endpoint(), add_cxl_dport() and accessors).
 *
 * Buses are the rootN entries of /sys/bus/cxl/devices; below a port, child ports (portN),
 * endpoints (endpointN) and dports (dportN) are read from the port's own directory. Every one of
 * these lists is built by list_add() — prepending — so it runs in reverse readdir order.
 * A port's uport and a dport's device are realpath()s; dport aliases come from its
 * physical_node / firmware_node links.
 */
import { strtoull, toI32 } from '../util/cstr.ts';
import { ndctlHas } from '../versions.ts';
import { deviceParse, isDriverBound, readAttrAt, realpathAt } from './sysfs.ts';
import { type CxlCtx, type CxlDport, type CxlPort, devname, type PortType } from './types.ts';

/** cxl_port_init(): undefined when the uport link does not resolve. */
function portInit(
  ctx: CxlCtx,
  parent: CxlPort | undefined,
  type: PortType,
  id: number,
  base: string,
): CxlPort | undefined {
  const uport = realpathAt(ctx, base, 'uport');
  if (uport === undefined) return undefined;
  const depth = parent ? parent.depth + 1 : 0;
  let parentDportPath: string | undefined;
  let decodersCommitted = 0;
  if (ndctlHas(ctx.ndctl, 'portParentDport') && depth > 1)
    parentDportPath = realpathAt(ctx, base, 'parent_dport');
  if (ndctlHas(ctx.ndctl, 'decodersCommitted')) {
    const dc = readAttrAt(ctx, base, 'decoders_committed');
    if (typeof dc === 'string') decodersCommitted = toI32(strtoull(dc));
  }
  return {
    ctx,
    id,
    type,
    parent,
    depth,
    devPath: base,
    uport,
    decodersCommitted,
    parentDportPath,
    parentDport: undefined,
    childPorts: undefined,
    endpoints: undefined,
    decoders: undefined,
    dports: undefined,
    nrDports: 0,
    bus: undefined,
    memdev: undefined,
  };
}

/** cxl_bus_foreach(): the rootN devices, in reverse readdir order. */
export function cxlBuses(ctx: CxlCtx): CxlPort[] {
  if (ctx.buses) return ctx.buses;
  const list: CxlPort[] = [];
  ctx.buses = list;
  deviceParse(ctx, '/sys/bus/cxl/devices', 'root', (id, base) => {
    const dup = list.find((b) => b.id === id);
    if (dup) return dup;
    const bus = portInit(ctx, undefined, 'root', id, base);
    if (bus) list.unshift(bus);
    return bus;
  });
  return list;
}

/** cxl_port_foreach(): child ports (portN) of a port. */
export function cxlPortForeach(port: CxlPort): CxlPort[] {
  if (port.childPorts) return port.childPorts;
  const list: CxlPort[] = [];
  port.childPorts = list;
  deviceParse(port.ctx, port.devPath, 'port', (id, base) => {
    const dup = list.find((p) => p.id === id);
    if (dup) return dup;
    const p = portInit(port.ctx, port, 'switch', id, base);
    if (p) list.unshift(p);
    return p;
  });
  return list;
}

/** cxl_port_foreach_all(top, port): every descendant of `top`, depth first, pre-order, lazily. */
export function* cxlPortForeachAll(top: CxlPort): Generator<CxlPort> {
  for (const c of cxlPortForeach(top)) {
    yield c;
    yield* cxlPortForeachAll(c);
  }
}

/** cxl_endpoint_foreach(): endpoints (endpointN) attached to a port. */
export function endpointsOf(port: CxlPort): CxlPort[] {
  if (port.endpoints) return port.endpoints;
  const list: CxlPort[] = [];
  port.endpoints = list;
  deviceParse(port.ctx, port.devPath, 'endpoint', (id, base) => {
    const dup = list.find((p) => p.id === id);
    if (dup) return dup;
    const ep = portInit(port.ctx, port, 'endpoint', id, base);
    if (ep) list.unshift(ep);
    return ep;
  });
  return list;
}

/** add_cxl_dport() */
function addDport(port: CxlPort, id: number, base: string): CxlDport | undefined {
  // base is `${port.devPath}/dportN`: resolve below the port's own directory string
  const dir = base.startsWith(`${port.devPath}/`)
    ? port.devPath
    : base.slice(0, base.lastIndexOf('/'));
  const name = base.slice(dir.length + 1);
  const devPath = realpathAt(port.ctx, dir, name);
  if (devPath === undefined) return undefined;
  let physPath = realpathAt(port.ctx, dir, `${name}/physical_node`);
  const fwPath = realpathAt(port.ctx, dir, `${name}/firmware_node`);
  if (physPath === undefined && fwPath !== undefined) physPath = devPath;
  return { id, port, devPath, physPath, fwPath };
}

/** cxl_dport_foreach(): the port's dports (dportN links). */
export function dportsOf(port: CxlPort): CxlDport[] {
  if (port.dports) return port.dports;
  const list: CxlDport[] = [];
  port.dports = list;
  deviceParse(port.ctx, port.devPath, 'dport', (id, base) => {
    const dup = list.find((d) => d.id === id);
    if (dup) return dup;
    const d = addDport(port, id, base);
    if (d) {
      port.nrDports++;
      list.unshift(d);
    }
    return d;
  });
  return list;
}

/** cxl_port_get_nr_dports() */
export function nrDports(port: CxlPort): number {
  dportsOf(port);
  return port.nrDports;
}

/** cxl_port_get_host(): the uport's device name. */
export function portHost(port: CxlPort): string {
  return devname(port.uport);
}

/** cxl_port_get_devname() */
export function portName(port: CxlPort): string {
  return devname(port.devPath);
}

/** cxl_port_is_enabled(): the port's driver link exists. */
export function portIsEnabled(port: CxlPort): boolean {
  return isDriverBound(port.ctx, port.devPath);
}

/** cxl_bus_get_provider(): ACPI.CXL / cxl_test for the known root devices, else the uport name. */
export function busProvider(bus: CxlPort): string {
  const name = devname(bus.uport);
  if (name === 'ACPI0017:00') return 'ACPI.CXL';
  if (name === 'cxl_acpi.0') return 'cxl_test';
  return name;
}

/** cxl_port_hosts_memdev(): the port is the memdev's endpoint or one of its ancestors. */
export function portHostsEndpoint(port: CxlPort, ep: CxlPort | undefined): boolean {
  let it = ep;
  while (it && it !== port) it = it.parent;
  return it !== undefined;
}

/** cxl_port_get_parent_dport() (85): the parent's dport named like the parent_dport link. */
export function parentDport(port: CxlPort): CxlDport | undefined {
  if (port.parentDport) return port.parentDport;
  if (!port.parentDportPath || !port.parent) return undefined;
  const name = devname(port.parentDportPath);
  const d = dportsOf(port.parent).find((x) => devname(x.devPath) === name);
  port.parentDport = d;
  return d;
}

/** cxl_dport_maps_memdev(): strstr(memdev host path, dport physical node or device path). */
export function dportMapsHostPath(d: CxlDport, hostPath: string): boolean {
  return hostPath.includes(d.physPath ?? d.devPath);
}
