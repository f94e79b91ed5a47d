/**
 * DOC: the cxl_region driver (core/region.c cxl_region_probe, devm_cxl_add_pmem_region,
 * devm_cxl_add_dax_region) and the cxl_pmem_region probe (drivers/cxl/pmem.c) as far as the
 * CXL bus shows it.
 *
 * Binding a committed region adds its child: `pmem_regionZ` (devtype cxl_pmem_region, bound by
 * cxl_pmem_region when an nvdimm bridge is up) for pmem, `dax_regionZ` (cxl_dax_region) for
 * ram. An uncommitted region refuses ("config state: %d", -ENXIO) — which is what the bus's
 * probe attempt at region creation logs. Unbinding removes the child. The libnvdimm and dax
 * objects behind the children are outside the CXL model. The driver is a driver-core object
 * ({@link cxlRegionDriver}: match/probe, bound through kernel/dd.ts as cxl_port and cxl_mem are).
 */

import { deviceReleaseDriver, driverProbe } from '../../../../kernel/dd.ts';
import { Device as Dev, type Device, type Driver } from '../../../../kernel/device.ts';
import { Errno, errnoName } from '../../../../kernel/errno.ts';
import { cxlDaxRegionProbe, daxRegionGroup } from '../../../dax/bus.ts';
import { cxlDaxRegionDriver, cxlPmemRegionDriver } from '../../drivers.ts';
import { kver } from './kver.ts';
import {
  CXL_CONFIG_COMMIT,
  CXL_REGION_F_NEEDS_RESET,
  type CxlRegion,
  isCxlRegion,
} from './region.ts';
import { cxlBaseGroups } from './sysfs.ts';

/** The bound nvdimm bridge of the region's CXL root (cxl_find_nvdimm_bridge). */
function findNvdimmBridge(cxlr: CxlRegion): Device | undefined {
  const root = cxlr.cxlrd.port;
  return root.children.find((c) => c.devtype === 'cxl_nvdimm_bridge' && c.registered && c.driver);
}

/**
 * cxl_pmem_region_probe(): register the nd region (outside the model); logs the NUMA target
 * node fixup on the region (not on 7.3, whose region already has its node).
 * @throws ENXIO "bridge not found"
 */
function cxlPmemRegionProbe(cxlr: CxlRegion, pmemRegion: Device): void {
  if (!findNvdimmBridge(cxlr)) throw pmemRegion.dbgErr('ENXIO', 'bridge not found');
  if (!kver(cxlr, 'dbgWording73')) cxlr.dbg('changing target node from -1 to 0');
}

/** A child device of the region on the cxl bus with the common attributes. */
function regionChild(cxlr: CxlRegion, name: string, devtype: string): Device {
  const d = new Dev(cxlr.ctx, name, cxlr, 'cxl', devtype);
  d.setGroups(
    devtype === 'cxl_dax_region' ? [...cxlBaseGroups(), daxRegionGroup()] : cxlBaseGroups(),
  );
  return d;
}

/** devm_cxl_add_pmem_region(): `pmem_regionZ`, probed by cxl_pmem_region. */
function devmCxlAddPmemRegion(cxlr: CxlRegion): void {
  const dev = regionChild(cxlr, `pmem_region${cxlr.id}`, 'cxl_pmem_region');
  dev.add();
  cxlr.child = dev;
  cxlr.devmAdd(removeChild, cxlr); // cxlr_pmem_unregister
  driverProbe(dev, cxlPmemRegionDriver, () => cxlPmemRegionProbe(cxlr, dev));
  cxlr.dbg(`${cxlr.name}: register ${dev.name}`);
}

/**
 * phys_to_target_node() of the region's range: the node acpi_parse_cfmws() gave its window — a
 * fake proximity domain per CFMWS in CEDT order, node k for window k when the guest has no
 * SRAT (QEMU without -numa; cxlsim builds no SRAT).
 */
function cfmwsNode(cxlr: CxlRegion): number {
  const m = /(\d+)$/.exec(cxlr.cxlrd.resName);
  return m ? Number(m[1]) : 0;
}

/** devm_cxl_add_dax_region(): `dax_regionZ`, probed by cxl_dax_region (drivers/dax/cxl.c). */
function devmCxlAddDaxRegion(cxlr: CxlRegion): void {
  const dev = regionChild(cxlr, `dax_region${cxlr.id}`, 'cxl_dax_region');
  dev.add();
  cxlr.child = dev;
  cxlr.devmAdd(removeChild, cxlr); // cxlr_dax_unregister
  const res = cxlr.params.res;
  driverProbe(dev, cxlDaxRegionDriver, () => {
    if (res && kver(cxlr, 'daxDevice'))
      cxlDaxRegionProbe(dev, {
        id: cxlr.id,
        start: res.start,
        end: res.end,
        align: 0,
        targetNode: cfmwsNode(cxlr),
      });
  });
  cxlr.dbg(`${cxlr.name}: register ${dev.name}`);
}

/**
 * cxl_region_probe().
 * @throws ENXIO not committed ("config state: %d"), needs reset, unsupported mode
 */
export function cxlRegionProbe(cxlr: CxlRegion): void {
  const p = cxlr.params;
  if (p.state < CXL_CONFIG_COMMIT) throw cxlr.dbgErr('ENXIO', `config state: ${p.state}`);
  if (cxlr.flags & CXL_REGION_F_NEEDS_RESET)
    throw cxlr.err('ENXIO', 'failed to activate, re-commit region and retry');
  if (cxlr.mode === 'pmem') {
    devmCxlAddPmemRegion(cxlr);
    return;
  }
  if (cxlr.mode === 'ram' && kver(cxlr, 'autoAssembly')) {
    // The type-2 series ("cxl: Avoid dax creation for accelerators"): only host-only memory
    // (HDM-H) goes to device-dax; an accelerator's device memory is its driver's.
    if (cxlr.type !== 'accelerator') devmCxlAddDaxRegion(cxlr);
    return;
  }
  throw cxlr.dbgErr('ENXIO', `unsupported region mode: ${cxlr.mode === 'ram' ? 1 : 2}`, {
    check: 'dpa-mode',
  });
}

/**
 * The cxl_region driver (core/region.c cxl_region_driver, registered by cxl_core): matches
 * every region (CXL_DEVICE_REGION); its probe is {@link cxlRegionProbe}. The driver core binds
 * it: device_add() of a new region tries it (an uncommitted one refuses: "config state: 0"),
 * bind_store() and auto-assembly bind it, device_release_driver() unbinds it, and the region's
 * pmem/dax child is a devres action of the region, released on unbind or a failed probe.
 */
export const cxlRegionDriver: Driver = {
  name: 'cxl_region',
  bus: 'cxl',
  module: 'cxl_core',
  match: (dev) => isCxlRegion(dev),
  probe: (dev) => {
    if (isCxlRegion(dev)) cxlRegionProbe(dev);
  },
};

/**
 * Bind the region driver: `echo regionZ > /sys/bus/cxl/drivers/cxl_region/bind`
 * (bind_store → device_driver_attach), what `cxl enable-region` does.
 * @throws EBUSY already bound; the probe's errno (ENXIO when not committed)
 */
export function cxlRegionBind(cxlr: CxlRegion): void {
  if (cxlr.driver) throw new Errno('EBUSY', undefined, cxlr.name);
  const rc = driverProbe(cxlr, cxlRegionDriver);
  if (rc !== 0) throw new Errno(errnoName(rc) ?? 'ENXIO', undefined, cxlr.name);
}

/** The region's pmem/dax child goes (devm release of cxlr_pmem_unregister / cxlr_dax_unregister). */
function removeChild(cxlr: CxlRegion): void {
  const c = cxlr.child;
  cxlr.child = undefined;
  c?.devresRelease(); // the dax device of a dax_region goes with it
  if (c?.registered) c.del();
}

/**
 * device_release_driver(region): `unbind`, `cxl disable-region`, de-commit and detach all end
 * here. No-op when unbound.
 */
export function cxlRegionUnbind(cxlr: CxlRegion): void {
  if (!cxlr.driver) return;
  deviceReleaseDriver(cxlr);
}
