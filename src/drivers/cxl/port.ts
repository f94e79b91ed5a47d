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
import { PciDev } from '../pci/pci-dev.ts';
import { readCdatData } from './core/cdat.ts';
import { CxlDecoder, CxlEndpointDecoder } from './core/decoder.ts';
import { devmCxlEnumerateDecoders, devmCxlSetupHdm, switchPortDecodersSetup } from './core/hdm.ts';
import { memdevOfEndpoint } from './core/memdev.ts';
import { cxlMockEndpointParseCdat, cxlMockPortEnumerateDportsRc } from './core/mock-hooks.ts';
import { cxlAwaitMediaReady, cxlHdmDecodeInit, devmCxlPortEnumerateDports } from './core/pci.ts';
import { CxlPort, NO_DPORTS, unregisterPort } from './core/port.ts';
import { cxlDecoderKillRegion } from './core/region/attach.ts';
import { cxlEndpointAutoAssemble } from './core/region/auto.ts';
import { CXL_KVER, cxlKver } from './kver.ts';

/**
 * cxl_port_probe().
 * @throws ENXIO HDM registers missing (non-passthrough), decoder enumeration failures
 */
export function cxlPortProbe(port: CxlPort): void {
  if (!port.isEndpoint) {
    // cxl_switch_port_probe(): "Cache the data early to ensure is_visible() works"
    if (cxlKver(port, 'switchPortCdat') && port.uportDev instanceof PciDev)
      readCdatData(port, port.uportDev);
    // 6.18+: dports (and with the first one the decoders) come with the endpoints below
    if (cxlKver(port, 'lazyDports')) return;
    switchPortDecodersSetup(
      port,
      cxlMockPortEnumerateDportsRc(port, devmCxlPortEnumerateDports(port)),
    );
    return;
  }
  const cxlmd = memdevOfEndpoint(port);
  if (!cxlmd) throw port.err('ENXIO', 'endpoint without memdev');
  const hdm = devmCxlSetupHdm(port, cxlmd.cxlds.componentBase);
  readCdatData(port, cxlmd);
  // cxl_endpoint_parse_cdat() (v6.8): only the cxl_test mock's version finds a qos_class
  if (cxlKver(port, 'memdevQosClass')) cxlMockEndpointParseCdat(cxlmd.cxlds.pdev, cxlmd.cxlds);
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
  port.dports = NO_DPORTS;
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
  // the `module` link: absent in the 6.1 capture, present in 6.12's and 7.3's
  module: 'cxl_port',
  appliesOn: { module: (k) => env(k).since(CXL_KVER.cxlPortModuleLink) },
  match: (dev) => isPort(dev) && !dev.isRoot,
  probe: (dev) => {
    if (isPort(dev)) cxlPortProbe(dev);
  },
  remove: (dev) => {
    if (isPort(dev)) cxlPortRemove(dev);
  },
};
