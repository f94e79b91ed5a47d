/**
 * DOC: memdev registration and the cxl_mem driver (drivers/cxl/core/memdev.c
 * devm_cxl_add_memdev, drivers/cxl/mem.c cxl_mem_probe, core/port.c devm_cxl_enumerate_ports).
 *
 * cxl_mem walks from the memdev up the PCI hierarchy two devices at a time (memdev → its PCI
 * function → the dport above it), registering any missing switch port on the way
 * (add_port_attach_ep), until it meets a port already below the CXL root; then it adds the
 * `endpointN` port, which cxl_port probes.
 */
import type { Driver } from '../../kernel/device.ts';
import { Errno } from '../../kernel/errno.ts';
import { env } from '../env.ts';
import { devmCxlAddPort, findCxlPort } from './core/add-port.ts';
import { CxlMemdev } from './core/memdev.ts';
import {
  type CxlDport,
  type CxlPort,
  cxlDetachEp,
  devmCxlEnumeratePorts,
  grandparent,
  unregisterPort,
} from './core/port.ts';
import { cxlKver } from './kver.ts';
import { devmCxlAddNvdimm } from './pmem.ts';

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
  // v6.2+: devm_cxl_add_nvdimm(parent_port, cxlmd) once the port topology is found; -ENODEV
  // (no nvdimm bridge above) fails the probe with "PMEM disabled by platform"
  if (cxlmd.cxlds.pmem.size > 0n && !cxlmd.cxlds.isType2 && cxlKver(cxlmd, 'nvdimmInMemProbe')) {
    if (!devmCxlAddNvdimm(cxlmd, cxlmd)) {
      cxlmd.info('PMEM disabled by platform');
      throw new Errno('ENODEV', 'PMEM disabled by platform', cxlmd.name);
    }
  }
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
  cxlmd.devmAdd(deleteEndpoint, cxlmd);
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
