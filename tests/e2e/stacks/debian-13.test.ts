/**
 * Boot of every debian-13 capture (sysfs-fixtures/stacks/debian-13) against its 00-boot snapshot:
 * see stack-suite.ts. The differences kept are listed below with their reasons (docs/fidelity.md).
 */
import { type KnownDiff, stackBootSuite } from './stack-suite.ts';

const KNOWN: KnownDiff[] = [
  {
    sysfs: /\/firmware\/MEM\[[^\]]+\]\/power(\/|$)/,
    reason:
      'the power/ group of the fw_upload device memN/firmware/memN is not modelled — ndctl firmware dir, owned by h-list',
  },
];

stackBootSuite('debian-13', ['interleave', 'minimal', 'minimal-hypervisor'], KNOWN);
