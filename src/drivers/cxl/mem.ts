/**
 * DOC: memdev registration and the cxl_mem driver (drivers/cxl/core/memdev.c
 * devm_cxl_add_memdev, drivers/cxl/mem.c cxl_mem_probe, core/port.c devm_cxl_enumerate_ports).
 *
 * cxl_mem walks from the memdev up the PCI hierarchy two devices at a time (memdev → its PCI
 * function → the dport above it), registering any missing switch port on the way
 * (add_port_attach_ep), until it meets a port already below the CXL root; then it adds the
 * `endpointN` port, which cxl_port probes.
 */
import type { Device, Driver } from '../../kernel/device.ts';
import { env } from '../env.ts';
import { PciDev } from '../pci/pci-dev.ts';
import { devmCxlAddPort, findCxlPort } from './core/add-port.ts';
import { type CxlDevState, CxlMemdev } from './core/memdev.ts';
import { memdevAttrGroups } from './core/memdev-sysfs.ts';
import {
  type CxlDport,
  type CxlPort,
  CxlPort as CxlPortClass,
  unregisterPort,
} from './core/port.ts';
import { cxlFindRegblock } from './core/regs.ts';
import { cxlModalias } from './core/sysfs-common.ts';
import { CXL_REGLOC_RBI_COMPONENT } from './cxlpci.ts';
import { cxlKver } from './kver.ts';
import { devmCxlAddNvdimm } from './pmem.ts';
import { cxlPortAddDport } from './port.ts';

const grandparent = (d: Device | undefined) => d?.parent?.parent;

/**
 * find_cxl_port() as cxl_mem's walk sees it: the port that owns `dportDev` as a dport. From
 * {@link CXL_KVER.lazyDports} (6.18) a switch or host-bridge port lists a dport only once an
 * endpoint below it attaches, so when no port owns `dportDev` yet the walk finds the port by its
 * uport (`dportDev`'s parent) and adds the dport there (cxl_port_add_dport()). Only a bound
 * port qualifies (an unbound one released its dports; the walk then registers a new port, as
 * it does on older kernels).
 * @throws decoder setup errors of cxl_port_add_dport()
 */
function findPortForDport(
  cxlmd: CxlMemdev,
  dportDev: Device,
): { port: CxlPort; dport: CxlDport } | undefined {
  const kernel = env(cxlmd).kernel;
  const found = findCxlPort(kernel, dportDev);
  if (found || !cxlKver(cxlmd, 'lazyDports')) return found;
  const uport = dportDev.parent;
  const port = (kernel.buses.get('cxl')?.devices ?? []).find(
    (d): d is CxlPort =>
      d instanceof CxlPortClass &&
      d.registered &&
      d.driver !== undefined &&
      !d.isEndpoint &&
      !d.isRoot &&
      (d.uportDev === uport || d.hostBridge === uport),
  );
  if (!port) return undefined;
  return { port, dport: cxlPortAddDport(port, dportDev) };
}

/**
 * devm_cxl_add_memdev(): registers memN below the PCI function; the driver core probes it with
 * cxl_mem (device_add), after which the nvdimm is added for a device with persistent capacity.
 */
export function addMemdev(pdev: PciDev, cxlds: CxlDevState): CxlMemdev {
  const cxlmd = new CxlMemdev(pdev.ctx, cxlds);
  cxlmd.setGroups(memdevAttrGroups());
  cxlmd.ueventVars = () => [
    ['MAJOR', String(cxlmd.major)],
    ['MINOR', String(cxlmd.id)],
    ['DEVNAME', `cxl/${cxlmd.name}`],
    ['MODALIAS', cxlModalias(cxlmd)],
  ];
  cxlmd.add();
  if (cxlds.pmem.size > 0n) devmCxlAddNvdimm(pdev, cxlmd);
  return cxlmd;
}

/** The uport's component registers (find_component_registers). */
function findComponentRegisters(uport: Device): bigint | undefined {
  if (!(uport instanceof PciDev)) return undefined;
  try {
    return cxlFindRegblock(uport, CXL_REGLOC_RBI_COMPONENT).base;
  } catch {
    return undefined;
  }
}

/**
 * add_port_attach_ep(): registers the switch port whose uport is `uportDev` below the port
 * that owns the dport above it. Returns 'again' when that parent port does not exist yet.
 * @throws ENXIO reached the root without a CXL root port, or the parent port is disabled
 */
function addPortAttachEp(cxlmd: CxlMemdev, uportDev: Device, dportDev: Device): 'again' | 'added' {
  const dparent = grandparent(dportDev);
  if (!dparent) throw cxlmd.dbgErr('ENXIO', `${dportDev.name} is a root dport`);
  const parent = findPortForDport(cxlmd, dparent);
  if (!parent) return 'again';
  if (!parent.port.driver) {
    cxlmd.warn(
      `port ${parent.port.name}:${parent.port.uportDev.name} disabled, failed to enumerate CXL.mem`,
    );
    throw cxlmd.err('ENXIO', `port ${parent.port.name} disabled`);
  }
  let found = findPortForDport(cxlmd, dportDev);
  if (!found) {
    devmCxlAddPort(uportDev, uportDev, findComponentRegisters(uportDev), parent.dport, 'switch');
    found = findPortForDport(cxlmd, dportDev);
  }
  if (!found) throw cxlmd.err('ENXIO', `failed to add port for ${uportDev.name}`);
  cxlmd.dbg(`add to new port ${found.port.name}:${found.port.uportDev.name}`);
  return 'added';
}

/**
 * devm_cxl_enumerate_ports(): ensures every port between the memdev and the CXL root exists.
 * @throws ENXIO when the hierarchy does not reach a CXL root
 */
export function devmCxlEnumeratePorts(cxlmd: CxlMemdev): void {
  for (let pass = 0; pass < 64; pass++) {
    let restart = false;
    for (let iter: Device | undefined = cxlmd; iter; iter = grandparent(iter)) {
      const dportDev = grandparent(iter);
      if (!dportDev) return;
      const uportDev = dportDev.parent;
      if (!uportDev) {
        cxlmd.warn(`at ${iter.name} no parent for dport: ${dportDev.name}`);
        throw cxlmd.err('ENXIO', `no parent for dport ${dportDev.name}`);
      }
      cxlmd.dbg(`scan: iter: ${iter.name} dport_dev: ${dportDev.name} parent: ${uportDev.name}`);
      const found = findPortForDport(cxlmd, dportDev);
      if (found) {
        cxlmd.dbg(`found already registered port ${found.port.name}:${found.port.uportDev.name}`);
        if (found.port.parentPort()?.isRoot) return;
        continue;
      }
      const r = addPortAttachEp(cxlmd, uportDev, dportDev);
      if (r === 'again') continue;
      restart = true;
      break;
    }
    if (!restart) return;
  }
}

/** True when an endpoint port is registered anywhere below `port`. */
function hasEndpointBelow(port: CxlPort): boolean {
  return port.children.some(
    (c) => c instanceof CxlPortClass && (c.isEndpoint || hasEndpointBelow(c)),
  );
}

/**
 * cxl_detach_ep() (core/port.c), run when cxl_mem lets go of a memdev whose endpoint was below
 * `parent`: walking up from that port, a switch port (one whose parent is not the CXL root) left
 * without any endpoint below it, under a parent that is still bound, is garbage collected
 * ("delete portN") with everything registered below it; host-bridge ports stay.
 */
export function cxlDetachEp(cxlmd: CxlMemdev, parent: CxlPort | undefined): void {
  for (let port = parent; port && !port.isRoot; ) {
    const up = port.parentPort();
    if (!up || up.isRoot || !up.driver || !port.registered || hasEndpointBelow(port)) return;
    cxlmd.dbg(`delete ${port.name}`);
    unregisterPort(port);
    port = up;
  }
}

/** cxl_mem_find_port(): the port holding the memdev's PCI function's upstream dport. */
function cxlMemFindPort(cxlmd: CxlMemdev): { port: CxlPort; dport: CxlDport } | undefined {
  const dportDev = grandparent(cxlmd);
  return dportDev ? findCxlPort(env(cxlmd).kernel, dportDev) : undefined;
}

/**
 * cxl_mem_probe(): enumerate ports, then add the endpoint port.
 * @throws ENXIO "CXL port topology not found" / "… not enabled" / "%s failed probe"
 */
export function cxlMemProbe(cxlmd: CxlMemdev): void {
  devmCxlEnumeratePorts(cxlmd);
  const parent = cxlMemFindPort(cxlmd);
  if (!parent) throw cxlmd.err('ENXIO', 'CXL port topology not found');
  if (!parent.port.driver)
    throw cxlmd.err('ENXIO', `CXL port topology ${parent.port.name} not enabled`);
  let hb: CxlPort = parent.port;
  while (hb.parentPort() && !hb.parentPort()?.isRoot) hb = hb.parentPort() as CxlPort;
  cxlmd.dbg(`host-bridge: ${hb.uportDev.name}`);
  const endpoint = devmCxlAddPort(
    cxlmd,
    cxlmd,
    cxlmd.cxlds.componentBase,
    parent.dport,
    'endpoint',
    parent.port,
  );
  cxlmd.endpoint = endpoint;
  // devm_cxl_add_endpoint(): delete_endpoint() runs when cxl_mem lets go of the memdev
  cxlmd.devmAdd(() => deleteEndpoint(cxlmd));
  if (!endpoint.driver) throw cxlmd.err('ENXIO', `${endpoint.name} failed probe`);
}

/**
 * delete_endpoint(): the endpoint port goes (with its decoders), then the switch ports left
 * without an endpoint below them (cxl_detach_ep()).
 */
function deleteEndpoint(cxlmd: CxlMemdev): void {
  const endpoint = cxlmd.endpoint;
  if (!endpoint?.registered) return;
  const parent = endpoint.parentPort();
  unregisterPort(endpoint);
  cxlmd.endpoint = undefined;
  cxlDetachEp(cxlmd, parent);
}

/** The cxl_mem driver (drivers/cxl/mem.c cxl_mem_driver): binds every memdev. */
export const cxlMemDriver: Driver = {
  name: 'cxl_mem',
  bus: 'cxl',
  module: 'cxl_mem',
  match: (dev) => dev instanceof CxlMemdev,
  probe: (dev) => {
    if (dev instanceof CxlMemdev) cxlMemProbe(dev);
  },
};
