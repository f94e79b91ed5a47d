/**
 * DOC: libcxl memdevs — add_cxl_memdev(), cxl_memdevs_init() and the memdev accessors
 * (cxl/lib/libcxl.c).
 *
 * Memdevs come from /sys/bus/cxl/devices/memN in readdir order, each prepended (list_add), so the
 * list runs in reverse readdir order. 76.1 requires pmem/size, ram/size, payload_max,
 * label_storage_size and firmware_version (a missing one drops the memdev with "add_dev()
 * failed"); 85 tolerates their absence. The /dev/cxl/memN node is assumed to exist.
 */
import { atoi, strtol, strtoull, toI32, U64_MAX } from '../util/cstr.ts';
import { ndctlHas } from '../versions.ts';
import { cxlBuses, cxlPortForeach, endpointsOf, portHost } from './port.ts';
import { deviceParse, isDriverBound, readAttrAt, realpath } from './sysfs.ts';
import { type CxlCtx, type CxlMemdev, type CxlPort, devname, QOS_CLASS_NONE } from './types.ts';

const ok = (v: string | Error): v is string => typeof v === 'string';

/** add_cxl_memdev(): undefined when a required attribute is missing. */
function addMemdev(ctx: CxlCtx, id: number, base: string): CxlMemdev | undefined {
  const optional = ndctlHas(ctx.ndctl, 'memdevOptionalAttrs');
  const attr = (name: string): string | Error => readAttrAt(ctx, base, name);
  const pmem = attr('pmem/size');
  const ram = attr('ram/size');
  if (!optional && (!ok(pmem) || !ok(ram))) return undefined;
  let pmemQosClass = QOS_CLASS_NONE;
  let ramQosClass = QOS_CLASS_NONE;
  if (ndctlHas(ctx.ndctl, 'qosClass')) {
    const pq = attr('pmem/qos_class');
    const rq = attr('ram/qos_class');
    if (ok(pq)) pmemQosClass = atoi(pq);
    if (ok(rq)) ramQosClass = atoi(rq);
  }
  const pmax = attr('payload_max');
  let payloadMax = -1;
  if (ok(pmax)) {
    payloadMax = toI32(strtoull(pmax));
    if (payloadMax < 0) return undefined;
  } else if (!optional) return undefined;
  const lsa = attr('label_storage_size');
  let lsaSize = U64_MAX;
  if (ok(lsa)) {
    lsaSize = strtoull(lsa);
    if (lsaSize === U64_MAX) return undefined;
  } else if (!optional) return undefined;
  const serial = attr('serial');
  const numa = attr('numa_node');
  const real = realpath(ctx, base);
  if (real === undefined) return undefined;
  const hostPath = real.slice(0, real.lastIndexOf('/'));
  const fw = attr('firmware_version');
  if (!ok(fw) && !optional) return undefined;
  return {
    ctx,
    id,
    devPath: base,
    hostPath,
    pmemSize: ok(pmem) ? strtoull(pmem) : 0n,
    ramSize: ok(ram) ? strtoull(ram) : 0n,
    pmemQosClass,
    ramQosClass,
    payloadMax,
    lsaSize,
    serial: ok(serial) ? strtoull(serial) : U64_MAX,
    numaNode: ok(numa) ? toI32(strtol(numa)) : -1,
    firmwareVersion: ok(fw) ? fw : undefined,
    endpoint: undefined,
  };
}

/** cxl_memdev_foreach(): memdevs in libcxl list order (reverse readdir). */
export function cxlMemdevs(ctx: CxlCtx): CxlMemdev[] {
  if (ctx.memdevs) return ctx.memdevs;
  const list: CxlMemdev[] = [];
  ctx.memdevs = list;
  // add_cxl_memdev()'s duplicate check (a walk of the list in C) by id: linear, not quadratic,
  // in the number of memdevs
  const byId = new Map<number, CxlMemdev>();
  const added: CxlMemdev[] = [];
  deviceParse(ctx, '/sys/bus/cxl/devices', 'mem', (id, base) => {
    const dup = byId.get(id);
    if (dup) return dup;
    const m = addMemdev(ctx, id, base);
    if (m) {
      byId.set(id, m);
      added.push(m);
    }
    return m;
  });
  // list_add() prepends: the list runs in reverse readdir order
  for (let i = added.length - 1; i >= 0; i--) list.push(added[i] as CxlMemdev);
  return list;
}

/**
 * The first memdev so named in list order (the loop of cxl_endpoint_get_memdev()), through a
 * name index rebuilt whenever the list has grown: a walk over N endpoints stays O(N).
 */
function memdevByName(ctx: CxlCtx, name: string): CxlMemdev | undefined {
  const list = cxlMemdevs(ctx);
  let idx = ctx.memdevIndex;
  if (!idx || idx.list !== list || idx.size !== list.length) {
    const byName = new Map<string, CxlMemdev>();
    for (const m of list) {
      const n = memdevName(m);
      if (!byName.has(n)) byName.set(n, m);
    }
    idx = { list, size: list.length, byName };
    ctx.memdevIndex = idx;
  }
  return idx.byName.get(name);
}

/** cxl_memdev_get_devname() */
export function memdevName(m: CxlMemdev): string {
  return devname(m.devPath);
}

/** cxl_memdev_get_host(): the name of the memdev's parent device (a PCI function). */
export function memdevHost(m: CxlMemdev): string {
  return devname(m.hostPath);
}

/** cxl_memdev_is_enabled(): memN/driver is a symlink. */
export function memdevIsEnabled(m: CxlMemdev): boolean {
  return isDriverBound(m.ctx, m.devPath);
}

/** cxl_port_find_endpoint() (76.1: child ports only; 85: the port's own endpoints first). */
function findEndpoint(parent: CxlPort, m: CxlMemdev): CxlPort | undefined {
  const name = memdevName(m);
  if (ndctlHas(m.ctx.ndctl, 'endpointSearchOwnFirst')) {
    for (const ep of endpointsOf(parent)) if (portHost(ep) === name) return ep;
  }
  return recurseEndpoint(parent, name);
}

function recurseEndpoint(parent: CxlPort, name: string): CxlPort | undefined {
  for (const port of cxlPortForeach(parent)) {
    for (const ep of endpointsOf(port)) if (portHost(ep) === name) return ep;
    const ep = recurseEndpoint(port, name);
    if (ep) return ep;
  }
  return undefined;
}

/** cxl_memdev_get_endpoint(): found by walking every bus; only for an enabled memdev. */
export function memdevEndpoint(m: CxlMemdev): CxlPort | undefined {
  if (m.endpoint) return m.endpoint;
  if (!memdevIsEnabled(m)) return undefined;
  let endpoint: CxlPort | undefined;
  for (const bus of cxlBuses(m.ctx)) {
    endpoint = findEndpoint(bus, m);
    if (endpoint) break;
  }
  if (!endpoint) return undefined;
  if (endpoint.memdev && endpoint.memdev !== m) {
    m.ctx.out.log(
      'libcxl',
      'cxl_memdev_get_endpoint',
      `${devname(endpoint.devPath)} assigned to ${memdevName(endpoint.memdev)} not ${memdevName(m)}\n`,
    );
  }
  m.endpoint = endpoint;
  endpoint.memdev = m;
  return endpoint;
}

/** cxl_endpoint_get_memdev(): the memdev named by the (enabled) endpoint's uport. */
export function endpointMemdev(ep: CxlPort): CxlMemdev | undefined {
  if (ep.memdev) return ep.memdev;
  if (!isDriverBound(ep.ctx, ep.devPath)) return undefined;
  const m = memdevByName(ep.ctx, portHost(ep));
  if (m) {
    if (m.endpoint && m.endpoint !== ep) {
      ep.ctx.out.log(
        'libcxl',
        'cxl_endpoint_get_memdev',
        `${memdevName(m)} assigned to ${devname(m.endpoint.devPath)} not ${devname(ep.devPath)}\n`,
      );
    }
    ep.memdev = m;
    m.endpoint = ep;
    return m;
  }
  return undefined;
}

/** cxl_memdev_get_bus(): the bus of the memdev's endpoint. */
export function memdevBus(m: CxlMemdev): CxlPort | undefined {
  const ep = memdevEndpoint(m);
  if (!ep) return undefined;
  return portBus(ep);
}

/** cxl_port_get_bus(): the root port above an enabled port. */
export function portBus(port: CxlPort): CxlPort | undefined {
  if (!isDriverBound(port.ctx, port.devPath)) return undefined;
  if (port.bus) return port.bus;
  let p = port;
  while (p.parent) p = p.parent;
  port.bus = p;
  return p;
}

/**
 * cxl_memdev_is_port_ancestor() (85): whether the port's uport name is a component of the
 * memdev's host path below /sys/devices (or /sys/devices/platform).
 */
export function memdevIsPortAncestor(m: CxlMemdev, port: CxlPort): boolean {
  const uport = portHost(port);
  const at = m.hostPath.indexOf('devices');
  let rest = m.hostPath.slice(at + 'devices'.length + 1);
  if (rest.startsWith('platform')) rest = rest.slice('platform'.length + 1);
  return rest.split('/').some((c) => c !== '' && c === uport);
}
