/**
 * DOC: the region driver's entry points (drivers/cxl/core/region.c as a whole).
 *
 * {@link installRegionDriver} plugs the sysfs stores that belong to the region driver into the
 * decoder attributes (root decoder create_pmem_region / create_ram_region / delete_region,
 * endpoint decoder mode / dpa_size). Binding is {@link cxlRegionBind} / {@link cxlRegionUnbind};
 * auto-assembly after an endpoint port probe is {@link cxlEndpointAutoAssemble}.
 */
import { dpaSizeStore, modeStore } from '../dpa-alloc.ts';
import { regionHooks } from '../region-hooks.ts';
import { createRegionStore, deleteRegionStore } from './create.ts';

export { cxlDecoderKillRegion } from './attach.ts';
export { cxlAddToRegion, cxlEndpointAutoAssemble } from './auto.ts';
export { cxlRegionBind, cxlRegionProbe, cxlRegionUnbind } from './probe.ts';
export { CxlRegion, isCxlRegion } from './region.ts';
export { cxlDpaToHpa, cxlRegionHpaToDpa } from './translate.ts';

/** Installs the region driver's sysfs store implementations (call once at load). */
export function installRegionDriver(): void {
  regionHooks.createRegion = (d, mode, buf) => createRegionStore(d, mode, buf);
  regionHooks.deleteRegion = (d, buf) => deleteRegionStore(d, buf);
  regionHooks.setMode = (d, buf) => modeStore(d, buf);
  regionHooks.setDpaSize = (d, buf) => dpaSizeStore(d, buf);
}
