/**
 * DOC: port and dport registration (drivers/cxl/core/port.c devm_cxl_add_port,
 * devm_cxl_add_dport, find_cxl_port).
 *
 * Adding a port registers `rootN`/`portN`/`endpointN` and, as the cxl_port driver is loaded,
 * probes it synchronously (the kernel's probe runs inside device_add when the driver exists).
 */
import type { Device } from '../../../kernel/device.ts';
import type { Kernel } from '../../../kernel/kernel.ts';
import { portAttrGroups } from '../../../sysfs/attrs/port.ts';
import { driverProbe } from '../../base.ts';
import { env } from '../../env.ts';
import { cxlPortDriver } from '../drivers.ts';
import { cxlPortProbe } from '../port.ts';
import { type CxlDport, CxlPort, type PortKind } from './port.ts';

/**
 * devm_cxl_add_port(): registers a port below `parentDport` (or the root when undefined) and
 * probes it with cxl_port (root ports have no driver). `hostBridge` is the PCI host bridge whose
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
  port.links.set('uport', () => port.uportDev);
  if (parentDport && env(host).since('6.3'))
    port.links.set('parent_dport', () => parentDport.dport);
  port.add();
  if (kind !== 'root') driverProbe(port, cxlPortDriver, () => cxlPortProbe(port));
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
  port.dports.push(dport);
  port.links.set(`dport${portId}`, () => dportDev);
  host.dbg(`add dport${portId}: ${dportDev.name}`);
  return dport;
}

/** find_cxl_port(): the port that has `dportDev` as a dport. */
export function findCxlPort(
  kernel: Kernel,
  dportDev: Device,
): { port: CxlPort; dport: CxlDport } | undefined {
  for (const d of kernel.buses.get('cxl')?.devices ?? []) {
    if (d instanceof CxlPort) {
      const dp = d.findDportByDev(dportDev);
      if (dp) return { port: d, dport: dp };
    }
  }
  return undefined;
}
