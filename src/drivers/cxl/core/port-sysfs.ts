/**
 * DOC: port attributes (drivers/cxl/core/port.c cxl_port_attribute_groups, drivers/cxl/port.c
 * CDAT): devtype, modalias, decoders_committed (v6.7), CDAT (binary, 0400, when a table was read).
 */

import type { AttributeGroup } from '../../../kernel/device.ts';
import { CXL_KVER } from '../kver.ts';
import type { CxlPort } from './port.ts';
import { cxlBaseAttrs, ro, sharedGroups, since } from './sysfs-common.ts';

/** Attribute groups of rootN / portN / endpointN. */
export const portAttrGroups: () => AttributeGroup<CxlPort>[] = sharedGroups(() => {
  return [
    {
      attrs: [
        ...cxlBaseAttrs<CxlPort>((p) => (p.isRoot ? 4 : 3)),
        ro<CxlPort>(
          'decoders_committed',
          (p) => String(p.commitEnd + 1),
          0o444,
          since(CXL_KVER.decodersCommittedAttr),
        ),
        {
          name: 'CDAT',
          mode: 0o400,
          read: (p) => p.cdat ?? new Uint8Array(0),
          isVisible: (p) => p.cdat !== undefined,
        },
      ],
    },
  ];
});
