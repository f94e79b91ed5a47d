/**
 * DOC: the driver objects of the CXL stack (names as /sys/bus/.../drivers/<name> shows them,
 * and the module each lives in for the `module` link).
 */
import type { Driver, KernelContext } from '../../kernel/device.ts';
import { env } from '../env.ts';
import { CXL_KVER } from './kver.ts';

export const cxlAcpiDriver: Driver = { name: 'cxl_acpi', bus: 'platform', module: 'cxl_acpi' };
export const cxlPciDriver: Driver = { name: 'cxl_pci', bus: 'pci', module: 'cxl_pci' };
/** suppress_bind_attrs on the cxl_pmem drivers from {@link CXL_KVER.pmemSuppressBindAttrs}. */
const pmemSince = {
  suppressBindAttrs: (k: KernelContext) => env(k).since(CXL_KVER.pmemSuppressBindAttrs),
};
export const cxlNvdimmBridgeDriver: Driver = {
  name: 'cxl_nvdimm_bridge',
  bus: 'cxl',
  module: 'cxl_pmem',
  suppressBindAttrs: true,
  appliesOn: pmemSince,
};
export const cxlNvdimmDriver: Driver = {
  name: 'cxl_nvdimm',
  bus: 'cxl',
  module: 'cxl_pmem',
  suppressBindAttrs: true,
  appliesOn: pmemSince,
};
export const cxlPmemRegionDriver: Driver = {
  name: 'cxl_pmem_region',
  bus: 'cxl',
  module: 'cxl_pmem',
  suppressBindAttrs: true,
  appliesOn: pmemSince,
};
/** drivers/dax/cxl.c (registered from {@link CXL_KVER.daxCxlDriver} on; no bind/unbind). */
export const cxlDaxRegionDriver: Driver = {
  name: 'cxl_dax_region',
  bus: 'cxl',
  module: 'dax_cxl',
  suppressBindAttrs: true,
};
export const pcieportDriver: Driver = { name: 'pcieport', bus: 'pci' };

/** Drivers registered on the cxl bus at boot besides cxl_port (port.ts) and cxl_mem (mem.ts), in the order /sys lists none of this (kernfs order). */
export const CXL_BUS_DRIVERS: Driver[] = [
  cxlNvdimmBridgeDriver,
  cxlNvdimmDriver,
  cxlPmemRegionDriver,
];

/**
 * The cxl-bus drivers a kernel registers at boot: {@link CXL_BUS_DRIVERS}, then cxl_core's
 * cxl_region driver (`region`: it lives with its probe in core/region/probe.ts), plus dax_cxl's.
 */
export function cxlBusDrivers(since: (v: string) => boolean, region: Driver): Driver[] {
  const drivers = [...CXL_BUS_DRIVERS, region];
  return since(CXL_KVER.daxCxlDriver) ? [...drivers, cxlDaxRegionDriver] : drivers;
}
