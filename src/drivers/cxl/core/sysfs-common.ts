/**
 * DOC: attributes every cxl-bus device has (drivers/cxl/core/port.c: devtype, modalias) and
 * the helpers attribute tables share.
 */

import type { Attribute, AttributeGroup, Device } from '../../../kernel/device.ts';
import { env } from '../../env.ts';

/** CXL_DEVICE_* ids used in `modalias` (cxl:t%d). */
export const CXL_DEVICE_ID: Record<string, number> = {
  cxl_nvdimm_bridge: 1,
  cxl_nvdimm: 2,
  cxl_port: 3,
  cxl_memdev: 5,
  cxl_decoder_root: 0,
  cxl_decoder_switch: 0,
  cxl_decoder_endpoint: 0,
  cxl_region: 6,
  cxl_pmem_region: 7,
  cxl_dax_region: 8,
  cxl_pmu: 9,
};

/** Read-only text attribute (0444 unless given). */
export function ro<D extends Device>(
  name: string,
  show: (d: D) => string,
  mode = 0o444,
  isVisible?: (d: D) => boolean,
): Attribute<D> {
  return { name, mode, show: (d) => `${show(d)}\n`, ...(isVisible ? { isVisible } : {}) };
}

/** Visible only from kernel version `v` on (ABI `since`). */
export function since<D extends Device>(v: string, also?: (d: D) => boolean): (d: D) => boolean {
  return (d) => env(d).since(v) && (also ? also(d) : true);
}

/**
 * The `MODALIAS=` value cxl_bus_uevent() (drivers/cxl/core/port.c) emits for every device on the
 * cxl bus, `cxl:t<cxl_device_id()>` — also for devices without a `modalias` attribute, such as
 * memN (cxl_memdev_attribute_groups has none; its uevent still ends `MODALIAS=cxl:t5`).
 */
export function cxlModalias(d: Device): string {
  return `cxl:t${CXL_DEVICE_ID[d.devtype ?? ''] ?? 0}`;
}

/** devtype + modalias (the cxl bus's common attributes). `modalias` of a root port is cxl:t4. */
export function cxlBaseAttrs<D extends Device>(modaliasId?: (d: D) => number): Attribute<D>[] {
  return [
    ro<D>('devtype', (d) => d.devtype ?? ''),
    ro<D>(
      'modalias',
      (d) => `cxl:t${modaliasId ? modaliasId(d) : (CXL_DEVICE_ID[d.devtype ?? ''] ?? 0)}`,
    ),
  ];
}

/**
 * One frozen set of attribute groups shared by every device of a type (the kernel's
 * `static const struct attribute_group`): shows and stores take the device as argument, so
 * thousands of decoders need not each carry their own copy of the table and its closures.
 */
export function sharedGroups<D extends Device>(
  build: () => AttributeGroup<D>[],
): () => AttributeGroup<D>[] {
  let groups: AttributeGroup<D>[] | undefined;
  return () => {
    if (!groups) {
      groups = build();
      for (const g of groups) Object.freeze(Object.freeze(g).attrs);
      Object.freeze(groups);
    }
    return groups;
  };
}
