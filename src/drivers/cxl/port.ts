/**
 * DOC: the cxl_port driver (drivers/cxl/port.c cxl_port_probe, core/pci.c
 * devm_cxl_port_enumerate_dports).
 *
 * Switch and host-bridge ports enumerate their dports from the PCI bus below the uport (root
 * ports or switch downstream ports; dport id = Link Capabilities Port Number), then set up
 * HDM decoders from the component registers. Linux 6.1 gives a port with exactly one dport a
 * passthrough decoder without looking at HDM registers; later kernels only fall back to it when
 * the HDM capability is missing. Endpoint ports set up HDM from the memdev's component
 * registers, read CDAT, enable HDM decode and enumerate the endpoint decoders.
 */
import type { Device, Driver } from '../../kernel/device.ts';
import { env } from '../env.ts';
import { PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_ROOT_PORT, PciDev } from '../pci/pci-dev.ts';
import { devmCxlAddDport } from './core/add-port.ts';
import { readCdatData } from './core/cdat.ts';
import { CxlDecoder, CxlEndpointDecoder } from './core/decoder.ts';
import {
  devmCxlAddPassthroughDecoder,
  devmCxlEnumerateDecoders,
  devmCxlSetupHdm,
} from './core/hdm.ts';
import { memdevOfEndpoint } from './core/memdev.ts';
import { cxlAwaitMediaReady, cxlHdmDecodeInit } from './core/pci.ts';
import { CxlPort, unregisterPort } from './core/port.ts';
import { cxlDecoderKillRegion } from './core/region/attach.ts';
import { cxlEndpointAutoAssemble } from './core/region/auto.ts';
import { cxlFindRegblock } from './core/regs.ts';
import { CXL_REGLOC_RBI_COMPONENT } from './cxlpci.ts';

/**
 * devm_cxl_port_enumerate_dports(): every PCIe root port / downstream port on the bus below
 * the port's uport becomes a dport. Returns the count.
 * @throws ENODEV "no dports found"
 */
export function devmCxlPortEnumerateDports(port: CxlPort): number {
  const below = port.hostBridge ? port.hostBridge.children : port.uportDev.children;
  let count = 0;
  for (const d of below) {
    if (!(d instanceof PciDev)) continue;
    const type = d.pcieType();
    if (type !== PCI_EXP_TYPE_ROOT_PORT && type !== PCI_EXP_TYPE_DOWNSTREAM) continue;
    let comp: bigint | undefined;
    try {
      comp = cxlFindRegblock(d, CXL_REGLOC_RBI_COMPONENT).base;
    } catch {
      comp = undefined;
    }
    devmCxlAddDport(port, port, d, d.portNumber(), comp);
    count++;
  }
  if (count === 0) throw port.err('ENODEV', 'no dports found');
  return count;
}

/**
 * cxl_port_probe().
 * @throws ENXIO HDM registers missing (non-passthrough), decoder enumeration failures
 */
export function cxlPortProbe(port: CxlPort): void {
  const e = env(port);
  if (!port.isEndpoint) {
    const n = devmCxlPortEnumerateDports(port);
    if (!e.since('6.3')) {
      // 6.1: a single dport always gets a passthrough decoder, HDM registers or not.
      if (n === 1) {
        devmCxlAddPassthroughDecoder(port);
        return;
      }
      devmCxlEnumerateDecoders(devmCxlSetupHdm(port, port.componentBase));
      return;
    }
    let hdm: ReturnType<typeof devmCxlSetupHdm> | undefined;
    try {
      hdm = devmCxlSetupHdm(port, port.componentBase, port, true);
    } catch (err) {
      if (n !== 1) throw err;
    }
    if (hdm) {
      devmCxlEnumerateDecoders(hdm);
      return;
    }
    port.dbg('Fallback to passthrough decoder');
    devmCxlAddPassthroughDecoder(port);
    return;
  }
  const cxlmd = memdevOfEndpoint(port);
  if (!cxlmd) throw port.err('ENXIO', 'endpoint without memdev');
  const hdm = devmCxlSetupHdm(port, cxlmd.cxlds.componentBase);
  readCdatData(port, cxlmd);
  cxlHdmDecodeInit(cxlmd.cxlds, hdm, port);
  const rc = cxlAwaitMediaReady(cxlmd.cxlds);
  if (rc) throw port.err(rc, `Media not active (${rc === 'EIO' ? -5 : -110})`);
  devmCxlEnumerateDecoders(hdm);
  cxlEndpointAutoAssemble(port);
}

/**
 * What cxl_port's devres undoes when the driver lets go of a port (unbind, or the port's
 * deletion): the ports registered below it, its decoders (an endpoint decoder first leaves
 * its region: cxl_decoder_kill_region()), its dports and the HDM mapping.
 */
function cxlPortRemove(port: CxlPort): void {
  for (const c of [...port.children]) {
    if (c instanceof CxlPort) unregisterPort(c);
    else if (c instanceof CxlDecoder) {
      if (c instanceof CxlEndpointDecoder && c.region) cxlDecoderKillRegion(c);
      c.del();
      port.decoderIda.free(c.id);
    }
  }
  for (const d of port.dports) port.links.delete(`dport${d.portId}`);
  port.dports.length = 0;
  port.commitEnd = -1;
  port.hdm = undefined;
}

const isPort = (dev: Device): dev is CxlPort => dev instanceof CxlPort;

/**
 * The cxl_port driver (drivers/cxl/port.c cxl_port_driver): binds every non-root port
 * (cxl_bus_match() on CXL_DEVICE_PORT; root0 stays unbound, as the captures show).
 */
export const cxlPortDriver: Driver = {
  name: 'cxl_port',
  bus: 'cxl',
  match: (dev) => isPort(dev) && !dev.isRoot,
  probe: (dev) => {
    if (isPort(dev)) cxlPortProbe(dev);
  },
  remove: (dev) => {
    if (isPort(dev)) cxlPortRemove(dev);
  },
};
