/**
 * Boot of every latest-arm64 capture (sysfs-fixtures/stacks/latest-arm64) against its 00-boot snapshot:
 * see stack-suite.ts. The differences kept are listed below with their reasons (docs/fidelity.md).
 */
import { type KnownDiff, stackBootSuite } from './stack-suite.ts';

const KNOWN: KnownDiff[] = [
  {
    sysfs: /\/MEM\[[^\]]+\]\/firmware(\/|$)/,
    reason:
      'memN/firmware/memN (the fw_upload class device cxl_pci registers, v6.6) is not modelled — owned by h-list',
  },
  {
    list: 'vvv',
    reason:
      'ndctl list, owned by h-list: -vvv firmware object: fw_update_in_progress/remaining_size come from memN/firmware/memN, not modelled',
  },
  {
    list: 'u-vvv',
    reason:
      'ndctl list, owned by h-list: -vvv firmware object: fw_update_in_progress/remaining_size come from memN/firmware/memN, not modelled',
  },
  {
    list: 'i-vvv',
    reason:
      'ndctl list, owned by h-list: -vvv firmware object: fw_update_in_progress/remaining_size come from memN/firmware/memN, not modelled',
  },
];

stackBootSuite('latest-arm64', ['armvirt-2hb-switches'], KNOWN);
