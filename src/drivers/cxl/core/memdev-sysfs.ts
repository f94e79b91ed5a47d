/**
 * DOC: memdev attributes (drivers/cxl/core/memdev.c cxl_memdev_attribute_groups): the top-level
 * identity attributes, `ram/` and `pmem/` partitions (size %#llx; qos_class from v6.8, hidden when
 * the partition is absent or the class is invalid), `serial` %#llx, `numa_node` %d, `dev`.
 */

import type { Attribute, AttributeGroup } from '../../../kernel/device.ts';
import { hexll } from '../../../sysfs/format.ts';
import { cxlKver } from '../kver.ts';
import type { CxlMemdev } from './memdev.ts';
import { memdevSecurityGroup, triggerPoisonListAttr } from './memdev-security.ts';
import { ro, sharedGroups } from './sysfs-common.ts';

/**
 * ram_qos_class_show() / pmem_qos_class_show() ("%d"), hidden by cxl_ram_visible() /
 * cxl_pmem_visible() while the class is CXL_QOS_CLASS_INVALID (v6.8).
 */
function qosClassAttr(q: (m: CxlMemdev) => number | undefined): Attribute<CxlMemdev> {
  return {
    name: 'qos_class',
    mode: 0o444,
    show: (m) => `${q(m) ?? -1}\n`,
    isVisible: (m) => cxlKver(m, 'memdevQosClass') && q(m) !== undefined,
  };
}

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
    {
      name: 'ram',
      attrs: [ro('size', (m) => hexll(m.cxlds.ram.size)), qosClassAttr((m) => m.cxlds.ramQosClass)],
    },
    {
      name: 'pmem',
      attrs: [
        ro('size', (m) => hexll(m.cxlds.pmem.size)),
        qosClassAttr((m) => m.cxlds.pmemQosClass),
      ],
    },
    memdevSecurityGroup(),
  ] as AttributeGroup<CxlMemdev>[];
});
