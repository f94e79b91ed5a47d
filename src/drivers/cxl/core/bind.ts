/**
 * DOC: manual bind/unbind on the cxl bus (drivers/base/bus.c bind_store/unbind_store →
 * device_driver_attach / device_release_driver), with the devm teardown each CXL driver's
 * unbind implies:
 *
 * - cxl_port unbind releases the port's devm resources: its decoders, its dports and every
 *   port registered below it (child switch ports and endpoints, whose memdevs lose cxl_mem);
 * - cxl_mem unbind removes the memdev's endpoint port;
 * - cxl_region unbind releases the region's pmem/dax child (devres of cxl_region_probe);
 *   its probe requires a committed region.
 *
 * A bind whose probe fails returns the probe's errno (bind_store passes it back), so
 * `echo regionZ > …/cxl_region/bind` on an uncommitted region fails with ENXIO.
 */

import { deviceReleaseDriver, driverProbe } from '../../../kernel/dd.ts';
import type { Device, Driver } from '../../../kernel/device.ts';
import { Errno, errnoName } from '../../../kernel/errno.ts';
import type { SysfsHooks } from '../../../sysfs/tree-node.ts';
import { cxlMockMemMatch } from '../mock-mem.ts';

/**
 * driver_match_device() on the cxl bus: the driver's own match (cxl_port, cxl_mem, cxl_region),
 * else the device type the driver serves; on the platform bus, cxl_test's cxl_mock_mem
 * (platform_match() by its id table).
 */
function matches(drv: Driver, dev: Device): boolean {
  if (drv.match) return drv.match(dev);
  switch (drv.name) {
    case 'cxl_nvdimm_bridge':
    case 'cxl_nvdimm':
    case 'cxl_pmem_region':
      return dev.devtype === drv.name;
    case 'cxl_mock_mem':
      return cxlMockMemMatch(dev);
    default:
      return false;
  }
}

const fail = (rc: number, dev: Device) => new Errno(errnoName(rc) ?? 'ENXIO', undefined, dev.name);

/** The bind/unbind hooks the live sysfs tree calls for /sys/bus/cxl/drivers/<drv>/{bind,unbind}. */
export function cxlBusHooks(): Pick<SysfsHooks, 'bind' | 'unbind'> {
  return {
    bind(drv, dev) {
      if (!matches(drv, dev)) throw new Errno('ENODEV', undefined, dev.name);
      const rc = driverProbe(dev, drv);
      if (rc !== 0) throw fail(rc, dev);
    },
    unbind(_drv, dev) {
      deviceReleaseDriver(dev);
    },
  };
}
