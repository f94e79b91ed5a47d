/**
 * DOC: memdev attributes (drivers/cxl/core/memdev.c cxl_memdev_attribute_groups): the top-level
 * identity attributes, `ram/` and `pmem/` partitions (size %#llx; qos_class from v6.8, hidden when
 * the partition is absent or the class is invalid), `serial` %#llx, `numa_node` %d, `dev`.
 */

import type { AttributeGroup } from '../../../kernel/device.ts';
import { hexll } from '../../../sysfs/format.ts';
import type { CxlMemdev } from './memdev.ts';
import { memdevSecurityGroup, triggerPoisonListAttr } from './memdev-security.ts';
import { ro, sharedGroups } from './sysfs-common.ts';

/** Attribute groups of memN. */
export const memdevAttrGroups: () => AttributeGroup<CxlMemdev>[] = sharedGroups(() => {
  return [
    {
      attrs: [
        ro('dev', (m) => `${m.major}:${m.id}`),
        ro('firmware_version', (m) => m.cxlds.fwRevision.slice(0, 16)),
        ro('payload_max', (m) => String(m.cxlds.payloadSize)),
        ro('label_storage_size', (m) => String(m.cxlds.lsaSize)),
        ro('serial', (m) => hexll(m.cxlds.serial)),
        ro('numa_node', () => '-1'),
        triggerPoisonListAttr(),
      ],
    },
    { name: 'ram', attrs: [ro('size', (m) => hexll(m.cxlds.ram.size))] },
    { name: 'pmem', attrs: [ro('size', (m) => hexll(m.cxlds.pmem.size))] },
    memdevSecurityGroup(),
  ] as AttributeGroup<CxlMemdev>[];
});
