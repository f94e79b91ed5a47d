/**
 * Boot of every latest capture (sysfs-fixtures/stacks/latest) against its 00-boot snapshot:
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

stackBootSuite(
  'latest',
  ['failures', 'interleave', 'minimal', 'minimal-hypervisor', 'threeway', 'volatile'],
  KNOWN,
);
