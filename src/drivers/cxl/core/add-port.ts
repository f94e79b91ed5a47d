/**
 * DOC: port and dport registration (drivers/cxl/core/port.c devm_cxl_add_port,
 * devm_cxl_add_dport, find_cxl_port).
 *
 * Adding a port registers `rootN`/`portN`/`endpointN`; the driver core then probes it with
 * cxl_port synchronously (the kernel's probe runs inside device_add when the driver exists).
 */
import type { Device } from '../../../kernel/device.ts';
import { copiedWeakMap } from '../../../kernel/graph-copy.ts';
import type { Kernel } from '../../../kernel/kernel.ts';
import { env } from '../../env.ts';
import { CXL_KVER } from '../kver.ts';
import { type CxlDport, CxlPort, NO_DPORTS, type PortKind } from './port.ts';
import { portAttrGroups } from './port-sysfs.ts';

/**
 * devm_cxl_add_port(): registers a port below `parentDport` (or the root when undefined); the
 * driver core probes it with cxl_port (root ports have no driver). `hostBridge` is the PCI host bridge whose
 * root bus a host-bridge port's dports sit on. Logs "%s added to %s" /
 * "%s added (root port)" on `host`.
 */
export function devmCxlAddPort(
  host: Device,
  uport: Device,
  componentBase: bigint | undefined,
  parentDport: CxlDport | undefined,
  kind: PortKind,
  parentDev?: Device,
  hostBridge?: Device,
): CxlPort {
  const parent = parentDev ?? (parentDport ? parentDport.port : uport);
  const port = new CxlPort(host.ctx, kind, parent, uport, parentDport, componentBase);
  port.hostBridge = hostBridge;
  port.setGroups(portAttrGroups());
  port.links.set('uport', port.uportDev);
  if (parentDport && env(host).since(CXL_KVER.parentDportLink))
    port.links.set('parent_dport', parentDport.dport);
  for (const d of hostBridge && hostBridge !== uport ? [uport, hostBridge] : [uport]) {
    const list = portsByUport.get(d);
    if (list) list.push(port);
    else portsByUport.set(d, [port]);
  }
  port.add(); // device_add(): cxl_port, when registered, probes it here
  if (parentDport) host.dbg(`${port.name} added to ${parentDport.port.name}`);
  else host.dbg(`${port.name} added (root port)`);
  return port;
}

/**
 * devm_cxl_add_dport(): adds a downstream port with id `portId` and a `dport<id>` link.
 * @throws EBUSY duplicate port id ("unable to add dport%d-%s non-unique port id (%s)")
 */
export function devmCxlAddDport(
  host: Device,
  port: CxlPort,
  dportDev: Device,
  portId: number,
  componentBase?: bigint,
): CxlDport {
  const dup = port.findDport(portId);
  if (dup) {
    throw host.err(
      'EBUSY',
      `unable to add dport${portId}-${dportDev.name} non-unique port id (${dup.dport.name})`,
    );
  }
  const dport: CxlDport = { dport: dportDev, portId, port, componentBase };
  // the first dport replaces the shared empty list (NO_DPORTS); later ones go into the port's own
  if (port.dports === NO_DPORTS) port.dports = [dport];
  else (port.dports as CxlDport[]).push(dport);
  const known = dportsByDev.get(dportDev);
  if (known) known.push(dport);
  else dportsByDev.set(dportDev, [dport]);
  port.links.set(`dport${portId}`, dportDev);
  host.dbg(`add dport${portId}: ${dportDev.name}`);
  return dport;
}

/**
 * Every port ever registered, by its uport and by its host bridge, in registration order (the
 * cxl bus's order for these ports): lookups by uport without walking the whole cxl bus.
 */
const portsByUport = copiedWeakMap<Device, CxlPort[]>();

/** The ports registered with `dev` as their uport or host bridge, oldest first (some deleted). */
export function portsOfUport(dev: Device): readonly CxlPort[] {
  return portsByUport.get(dev) ?? [];
}

/**
 * Every dport ever added, by its device: find_cxl_port() without walking the whole cxl bus
 * (entries of ports since deleted, or of dports a teardown dropped, are skipped on lookup).
 */
const dportsByDev = copiedWeakMap<Device, CxlDport[]>();

/**
 * find_cxl_port(): the port that has `dportDev` as a dport — the first such port in the cxl
 * bus's registration order (bus_find_device() with match_port_by_dport()).
 */
export function findCxlPort(
  kernel: Kernel,
  dportDev: Device,
): { port: CxlPort; dport: CxlDport } | undefined {
  let best: CxlPort | undefined;
  let bestAt = -1;
  for (const dp of dportsByDev.get(dportDev) ?? []) {
    const port = dp.port;
    if (port === best || port.ctx !== kernel || !port.registered || !port.dports.includes(dp))
      continue;
    if (!best) {
      best = port;
      continue;
    }
    // Two live ports claim the device: the bus order decides, as the kernel's list walk does.
    const devices = kernel.buses.get('cxl')?.devices ?? [];
    if (bestAt < 0) bestAt = devices.indexOf(best);
    const at = devices.indexOf(port);
    if (at >= 0 && (bestAt < 0 || at < bestAt)) {
      best = port;
      bestAt = at;
    }
  }
  const dport = best?.findDportByDev(dportDev);
  return best && dport ? { port: best, dport } : undefined;
}
