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
import { CxlDecoder, CxlEndpointDecoder, CxlSwitchDecoder } from './core/decoder.ts';
import {
  devmCxlAddPassthroughDecoder,
  devmCxlEnumerateDecoders,
  devmCxlSetupHdm,
} from './core/hdm.ts';
import { memdevOfEndpoint } from './core/memdev.ts';
import { cxlAwaitMediaReady, cxlHdmDecodeInit } from './core/pci.ts';
import { type CxlDport, CxlPort, unregisterPort } from './core/port.ts';
import { cxlDecoderKillRegion } from './core/region/attach.ts';
import { cxlEndpointAutoAssemble } from './core/region/auto.ts';
import { cxlFindRegblock } from './core/regs.ts';
import { CXL_REGLOC_RBI_COMPONENT } from './cxlpci.ts';
import { CXL_KVER, cxlKver } from './kver.ts';

/** Adds `d` (a root port or switch downstream port) as a dport of `port`. */
function addPciDport(port: CxlPort, d: PciDev): CxlDport {
  let comp: bigint | undefined;
  try {
    comp = cxlFindRegblock(d, CXL_REGLOC_RBI_COMPONENT).base;
  } catch {
    comp = undefined;
  }
  return devmCxlAddDport(port, port, d, d.portNumber(), comp);
}

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
    addPciDport(port, d);
    count++;
  }
  if (count === 0) throw port.err('ENODEV', 'no dports found');
  return count;
}

/**
 * The HDM decoders of a switch or host-bridge port with `nDports` dports
 * (devm_cxl_switch_port_decoders_setup() in 6.18+, the tail of cxl_switch_port_probe() before):
 * the HDM decoders when the capability is there, else a passthrough decoder for a single dport.
 * 6.1 gives a single-dport port a passthrough decoder without looking at HDM registers.
 * @throws ENXIO HDM registers missing with more than one dport
 */
function switchPortDecodersSetup(port: CxlPort, nDports: number): void {
  if (!env(port).since('6.3')) {
    if (nDports === 1) {
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
    if (nDports !== 1) throw err;
  }
  if (hdm) {
    devmCxlEnumerateDecoders(hdm);
    return;
  }
  port.dbg('Fallback to passthrough decoder');
  devmCxlAddPassthroughDecoder(port);
}

/**
 * cxl_port_add_dport() (6.18+, {@link CXL_KVER.lazyDports}): called while cxl_mem enumerates
 * the ports above a memdev, adds `dportDev` to `port` unless it is there already; the first
 * dport of a port sets up its decoders ("first dport%d:%s added with decoders").
 * @throws ENXIO the port has no driver; decoder setup errors
 */
export function cxlPortAddDport(port: CxlPort, dportDev: Device): CxlDport {
  const have = port.findDportByDev(dportDev);
  if (have) return have;
  if (!port.driver) throw port.err('ENXIO', `${port.name} not enabled`);
  if (!(dportDev instanceof PciDev)) throw port.err('ENXIO', `${dportDev.name} is not a PCI port`);
  const first = port.decoders().length === 0;
  const dport = addPciDport(port, dportDev);
  if (first) {
    switchPortDecodersSetup(port, 1);
    port.dbg(`first dport${dport.portId}:${dportDev.name} added with decoders`);
  } else {
    cxlPortUpdateDecoderTargets(port, dport);
    port.dbg(`dport${dport.portId}:${dportDev.name} added`);
  }
  return dport;
}

/**
 * cxl_port_update_decoder_targets() (6.18+): a dport added after the port's decoders were set
 * up fills the slots (within `ways`) of every switch decoder whose target map names its id.
 */
function cxlPortUpdateDecoderTargets(port: CxlPort, dport: CxlDport): void {
  for (const d of port.decoders()) {
    if (!(d instanceof CxlSwitchDecoder)) continue;
    for (let i = 0; i < d.interleaveWays; i++)
      if (!d.targets[i] && d.targetMap[i] === dport.portId) d.targets[i] = dport;
  }
}

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
    switchPortDecodersSetup(port, devmCxlPortEnumerateDports(port));
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
