/**
 * DOC: manual bind/unbind on the cxl bus (drivers/base/bus.c bind_store/unbind_store →
 * device_driver_attach / device_release_driver), with the devm teardown each CXL driver's
 * unbind implies:
 *
 * - cxl_port unbind releases the port's devm resources: its decoders, its dports and every
 *   port registered below it (child switch ports and endpoints, whose memdevs lose cxl_mem);
 * - cxl_mem unbind removes the memdev's endpoint port;
 * - cxl_region bind/unbind is the region driver's (probe requires a committed region).
 *
 * A bind whose probe fails returns the probe's errno (bind_store passes it back), so
 * `echo regionZ > …/cxl_region/bind` on an uncommitted region fails with ENXIO.
 */

import type { Device, Driver } from '../../../kernel/device.ts';
import { Errno, errnoName } from '../../../kernel/errno.ts';
import type { SysfsHooks } from '../../../sysfs/tree-node.ts';
import { driverProbe } from '../../base.ts';
import { cxlDetachEp, cxlMemProbe } from '../mem.ts';
import { cxlPortProbe } from '../port.ts';
import { CxlDecoder, CxlEndpointDecoder } from './decoder.ts';
import { CxlMemdev } from './memdev.ts';
import { cxlMemDebugfsRemove } from './poison.ts';
import { CxlPort, releasePort } from './port.ts';
import { cxlDecoderKillRegion } from './region/attach.ts';
import { cxlRegionBind, cxlRegionUnbind, isCxlRegion } from './region/index.ts';

/** driver_match_device() on the cxl bus: driver name ↔ device type. */
function matches(drv: Driver, dev: Device): boolean {
  switch (drv.name) {
    case 'cxl_port':
      return dev instanceof CxlPort && !dev.isRoot;
    case 'cxl_mem':
      return dev instanceof CxlMemdev;
    case 'cxl_region':
      return isCxlRegion(dev);
    case 'cxl_nvdimm_bridge':
      return dev.devtype === 'cxl_nvdimm_bridge';
    case 'cxl_nvdimm':
      return dev.devtype === 'cxl_nvdimm';
    case 'cxl_pmem_region':
      return dev.devtype === 'cxl_pmem_region';
    default:
      return false;
  }
}

/** Removes a port and everything registered below it (devm release on unbind / delete). */
export function removePortTree(port: CxlPort): void {
  for (const c of [...port.children]) {
    if (c instanceof CxlPort) removePortTree(c);
    else if (c instanceof CxlEndpointDecoder && c.region) cxlDecoderKillRegion(c);
  }
  if (port.isEndpoint && port.uportDev instanceof CxlMemdev) {
    const md = port.uportDev;
    md.endpoint = undefined;
    md.driver = undefined;
  }
  port.del();
  releasePort(port);
}

/** Releases cxl_port's devm resources on `port`: decoders, dports, child ports. */
function portRelease(port: CxlPort): void {
  for (const c of [...port.children]) {
    if (c instanceof CxlPort) removePortTree(c);
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

const fail = (rc: number, dev: Device) => new Errno(errnoName(rc) ?? 'ENXIO', undefined, dev.name);

/** The bind/unbind hooks the live sysfs tree calls for /sys/bus/cxl/drivers/<drv>/{bind,unbind}. */
export function cxlBusHooks(): Pick<SysfsHooks, 'bind' | 'unbind'> {
  return {
    bind(drv, dev) {
      if (!matches(drv, dev)) throw new Errno('ENODEV', undefined, dev.name);
      if (isCxlRegion(dev)) {
        cxlRegionBind(dev);
        return;
      }
      let rc = 0;
      if (dev instanceof CxlPort) rc = driverProbe(dev, drv, () => cxlPortProbe(dev));
      else if (dev instanceof CxlMemdev) rc = driverProbe(dev, drv, () => cxlMemProbe(dev));
      else rc = driverProbe(dev, drv, () => {});
      if (rc !== 0) throw fail(rc, dev);
    },
    unbind(drv, dev) {
      if (isCxlRegion(dev)) {
        cxlRegionUnbind(dev);
        return;
      }
      if (dev instanceof CxlPort) portRelease(dev);
      if (dev instanceof CxlMemdev) cxlMemDebugfsRemove(dev);
      if (dev instanceof CxlMemdev && dev.endpoint) {
        const parent = dev.endpoint.parentPort();
        removePortTree(dev.endpoint);
        dev.endpoint = undefined;
        cxlDetachEp(dev, parent);
      }
      dev.driver = undefined;
      void drv;
    },
  };
}
