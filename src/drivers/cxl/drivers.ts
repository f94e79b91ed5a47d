/**
 * DOC: the driver objects of the CXL stack (names as /sys/bus/.../drivers/<name> shows them,
 * and the module each lives in for the `module` link).
 */
import type { Driver } from '../../kernel/device.ts';

export const cxlAcpiDriver: Driver = { name: 'cxl_acpi', bus: 'platform', module: 'cxl_acpi' };
export const cxlPciDriver: Driver = { name: 'cxl_pci', bus: 'pci', module: 'cxl_pci' };
export const cxlNvdimmBridgeDriver: Driver = {
  name: 'cxl_nvdimm_bridge',
  bus: 'cxl',
  module: 'cxl_pmem',
};
export const cxlNvdimmDriver: Driver = { name: 'cxl_nvdimm', bus: 'cxl', module: 'cxl_pmem' };
export const cxlPmemRegionDriver: Driver = {
  name: 'cxl_pmem_region',
  bus: 'cxl',
  module: 'cxl_pmem',
  suppressBindAttrs: false,
};
export const cxlRegionDriver: Driver = { name: 'cxl_region', bus: 'cxl', module: 'cxl_core' };
export const cxlDaxRegionDriver: Driver = { name: 'cxl_dax_region', bus: 'cxl', module: 'dax_cxl' };
export const pcieportDriver: Driver = { name: 'pcieport', bus: 'pci' };

/** Drivers registered on the cxl bus at boot besides cxl_port (port.ts) and cxl_mem (mem.ts), in the order /sys lists none of this (kernfs order). */
export const CXL_BUS_DRIVERS: Driver[] = [
  cxlNvdimmBridgeDriver,
  cxlNvdimmDriver,
  cxlPmemRegionDriver,
  cxlRegionDriver,
];
