/**
 * DOC: region attributes (drivers/cxl/core/region.c cxl_region_group, cxl_region_target_group,
 * cxl_pmem_region / cxl_dax_region base groups), with the captures' modes and formats.
 *
 * `uuid` is 0644 on pmem regions (%pUb) and, from 6.3, 0444 reading an empty line on ram
 * regions; `interleave_ways` / `interleave_granularity` print %d (0 until set); `size` and
 * `resource` print %#llx (`resource` is all-ones before the HPA is allocated); `commit` prints
 * 0/1; `mode` (6.3+) and `locked` (7.0) are read-only; `targetN` is visible for N < ways and
 * prints the endpoint decoder's name or an empty line.
 */

import type { Attribute, AttributeGroup, Device } from '../../../../kernel/device.ts';
import { hexll } from '../../../../sysfs/format.ts';
import { CXL_DECODER_F_PMEM, CXL_DECODER_F_RAM, CXL_DECODER_F_TYPE3 } from '../../cxl.ts';
import type { CxlRootDecoder } from '../decoder.ts';
import { cxlBaseAttrs, ro, sharedGroups, since } from '../sysfs-common.ts';
import { storeTargetN } from './attach.ts';
import { commitShow, commitStore } from './commit.ts';
import { createRegionStore, deleteRegionStore } from './create.ts';
import { regionSize } from './hpa.ts';
import { kver, REGION_KVER } from './kver.ts';
import { interleaveGranularityStore, interleaveWaysStore, sizeStore, uuidStore } from './params.ts';
import { CXL_REGION_F_LOCK, type CxlRegion } from './region.ts';

/** A 0644 attribute with show and store. */
function rw(
  name: string,
  show: (r: CxlRegion) => string,
  store: (r: CxlRegion, buf: string) => void,
): Attribute<CxlRegion> {
  return { name, mode: 0o644, show: (r) => `${show(r)}\n`, store };
}

/** show_targetN(). @throws ENXIO "position %d out of range %d" */
function showTarget(r: CxlRegion, pos: number): string {
  const p = r.params;
  if (pos >= p.interleaveWays)
    throw r.dbgErr('ENXIO', `position ${pos} out of range ${p.interleaveWays}`);
  return `${p.targets[pos]?.name ?? ''}\n`;
}

/** cxl_region_target_group: target0 … target15, visible below the region's ways. */
function targetAttrs(): Attribute<CxlRegion>[] {
  const out: Attribute<CxlRegion>[] = [];
  for (let n = 0; n < 16; n++) {
    out.push({
      name: `target${n}`,
      mode: 0o644,
      show: (r) => showTarget(r, n),
      store: (r, buf) => storeTargetN(r, n, buf),
      isVisible: (r) => n < r.params.interleaveWays,
    });
  }
  return out;
}

/** The groups of `regionZ`. */
export const regionAttrGroups = sharedGroups<CxlRegion>(() => [
  {
    attrs: [
      ...cxlBaseAttrs<CxlRegion>(),
      { ...rw('uuid', (r) => r.params.uuid, uuidStore), isVisible: (r) => r.mode === 'pmem' },
      {
        name: 'uuid',
        mode: 0o444,
        show: () => '\n',
        isVisible: (r) => r.mode !== 'pmem' && kver(r, 'autoAssembly'),
      },
      rw('commit', commitShow, commitStore),
      rw('interleave_ways', (r) => String(r.params.interleaveWays), interleaveWaysStore),
      rw(
        'interleave_granularity',
        (r) => String(r.params.interleaveGranularity),
        interleaveGranularityStore,
      ),
      ro<CxlRegion>('resource', (r) => hexll(r.params.res ? r.params.res.start : (1n << 64n) - 1n)),
      rw('size', regionSize, sizeStore),
      ro<CxlRegion>(
        'mode',
        (r) => r.mode,
        0o444,
        (r) => kver(r, 'autoAssembly'),
      ),
      ro<CxlRegion>(
        'locked',
        (r) => (r.flags & CXL_REGION_F_LOCK ? '1' : '0'),
        0o444,
        (r) => kver(r, 'regionLock'),
      ),
    ],
  },
  { attrs: targetAttrs() },
]);

/** The groups of `pmem_regionZ` / `dax_regionZ`: the cxl bus's common attributes only. */
export function cxlBaseGroups<D extends Device>(): AttributeGroup<D>[] {
  return BASE_GROUPS() as unknown as AttributeGroup<D>[];
}
const BASE_GROUPS = sharedGroups<Device>(() => [{ attrs: cxlBaseAttrs<Device>() }]);

const rootPmem = (d: CxlRootDecoder) =>
  (d.flags & CXL_DECODER_F_TYPE3) !== 0 && (d.flags & CXL_DECODER_F_PMEM) !== 0;
const rootRam = (d: CxlRootDecoder) =>
  (d.flags & CXL_DECODER_F_TYPE3) !== 0 && (d.flags & CXL_DECODER_F_RAM) !== 0;

/**
 * The region driver's root decoder attributes (region.c create_pmem_region,
 * create_ram_region (6.3+), delete_region), shown where the window allows the mode; their
 * stores create and delete regions (create.ts).
 */
export const cxlRegionRootDecoderAttrs: Attribute<CxlRootDecoder>[] = [
  {
    name: 'create_pmem_region',
    mode: 0o644,
    show: (d) => `region${d.regionId}\n`,
    store: (d, buf) => createRegionStore(d, 'pmem', buf),
    isVisible: rootPmem,
  },
  {
    name: 'create_ram_region',
    mode: 0o644,
    show: (d) => `region${d.regionId}\n`,
    store: (d, buf) => createRegionStore(d, 'ram', buf),
    isVisible: since(REGION_KVER.autoAssembly, rootRam),
  },
  {
    name: 'delete_region',
    mode: 0o200,
    store: (d, buf) => deleteRegionStore(d, buf),
    isVisible: (d) =>
      rootPmem(d) || (rootRam(d) && since<CxlRootDecoder>(REGION_KVER.autoAssembly)(d)),
  },
];
