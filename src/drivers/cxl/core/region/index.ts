/**
 * DOC: the region driver's entry points (drivers/cxl/core/region.c as a whole).
 *
 * The root decoder's create_pmem_region / create_ram_region / delete_region attributes are in
 * sysfs.ts (cxl_acpi adds them to the decoders it registers); the endpoint decoder's mode and
 * dpa_size stores are hdm.c's (../dpa-alloc.ts). Binding is {@link cxlRegionBind} / {@link cxlRegionUnbind};
 * auto-assembly after an endpoint port probe is {@link cxlEndpointAutoAssemble}.
 */

export { cxlDecoderKillRegion } from './attach.ts';
export { cxlAddToRegion, cxlEndpointAutoAssemble } from './auto.ts';
export { cxlRegionBind, cxlRegionDriver, cxlRegionProbe, cxlRegionUnbind } from './probe.ts';
export { CxlRegion, isCxlRegion } from './region.ts';
export { cxlDpaToHpa, cxlRegionHpaToDpa } from './translate.ts';
