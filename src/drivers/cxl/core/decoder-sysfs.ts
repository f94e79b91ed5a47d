/**
 * DOC: decoder attributes (drivers/cxl/core/port.c cxl_decoder_root/switch/endpoint
 * attribute groups; core/hdm.c mode and dpa_size stores). Formats as the kernel prints them:
 * start/size %#llx, dpa_size %pa, dpa_resource %#llx (all-ones when unallocated).
 */

import type { Attribute, AttributeGroup } from '../../../kernel/device.ts';
import { hexll, pa } from '../../../sysfs/format.ts';
import {
  CXL_DECODER_F_PMEM,
  CXL_DECODER_F_RAM,
  CXL_DECODER_F_TYPE2,
  CXL_DECODER_F_TYPE3,
} from '../cxl.ts';
import { CXL_KVER } from '../kver.ts';
import {
  type CxlDecoder,
  type CxlEndpointDecoder,
  type CxlRootDecoder,
  type CxlSwitchDecoder,
  rangeLen,
} from './decoder.ts';
import { dpaSizeStore, modeStore } from './dpa-alloc.ts';
import { cxlBaseAttrs, ro, sharedGroups, since } from './sysfs-common.ts';

const flag = (f: number) => (d: CxlDecoder) => ((d.flags & f) !== 0 ? '1' : '0');

/** emit_target_list(): dport ids up to the first empty slot, comma separated. */
export function emitTargetList(d: CxlRootDecoder | CxlSwitchDecoder): string {
  const out: string[] = [];
  for (let i = 0; i < d.interleaveWays; i++) {
    const t = d.targets[i];
    if (!t) break;
    out.push(String(t.portId));
  }
  return out.join(',');
}

function baseAttrs<D extends CxlDecoder>(): Attribute<D>[] {
  return [
    ...cxlBaseAttrs<D>(),
    ro<D>('start', (d) => hexll(d.hpaRange.start), 0o400),
    ro<D>('size', (d) => hexll(rangeLen(d.hpaRange))),
    ro<D>('locked', (d) => (d.locked ? '1' : '0')),
    ro<D>('interleave_ways', (d) => String(d.interleaveWays)),
    ro<D>('interleave_granularity', (d) => String(d.interleaveGranularity)),
  ];
}

/**
 * Root decoder groups (cxl_decoder_root_attrs). The region driver's create_pmem_region,
 * create_ram_region and delete_region are defined with the region (region/sysfs.ts), as
 * region.c defines them, and added by cxl_acpi when it registers the decoder.
 */
export const rootDecoderAttrGroups: () => AttributeGroup<CxlRootDecoder>[] = sharedGroups(() => {
  return [
    {
      attrs: [
        ...baseAttrs<CxlRootDecoder>(),
        ro('cap_pmem', flag(CXL_DECODER_F_PMEM)),
        ro('cap_ram', flag(CXL_DECODER_F_RAM)),
        ro('cap_type2', flag(CXL_DECODER_F_TYPE2)),
        ro('cap_type3', flag(CXL_DECODER_F_TYPE3)),
        ro('target_list', emitTargetList),
        ro('qos_class', (d) => String(d.qosClass), 0o444, since(CXL_KVER.rootDecoderQosClass)),
      ],
    },
  ];
});

/** Switch decoder groups. */
export const switchDecoderAttrGroups: () => AttributeGroup<CxlSwitchDecoder>[] = sharedGroups(
  () => {
    return [
      {
        attrs: [
          ...baseAttrs<CxlSwitchDecoder>(),
          ro('target_type', (d) => d.targetType),
          ro('target_list', emitTargetList),
          ro('region', (d) => d.region?.name ?? ''),
        ],
      },
    ];
  },
);

/** Endpoint decoder groups. */
export const endpointDecoderAttrGroups: () => AttributeGroup<CxlEndpointDecoder>[] = sharedGroups(
  () => {
    return [
      {
        attrs: [
          ...baseAttrs<CxlEndpointDecoder>(),
          ro('target_type', (d) => d.targetType),
          ro('region', (d) => d.region?.name ?? ''),
          {
            name: 'mode',
            mode: 0o644,
            show: (d) => `${d.mode}\n`,
            store: modeStore,
          },
          {
            name: 'dpa_size',
            mode: 0o644,
            show: (d) => `${pa(d.dpaRes ? rangeLen(d.dpaRes) : 0n)}\n`,
            store: dpaSizeStore,
          },
          ro('dpa_resource', (d) => hexll(d.dpaRes ? d.dpaRes.start : (1n << 64n) - 1n)),
        ],
      },
    ];
  },
);
