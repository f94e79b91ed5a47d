/**
 * Boot of every debian-13 capture (sysfs-fixtures/stacks/debian-13) against its 00-boot snapshot:
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
    list: 'plain',
    reason:
      'ndctl list, owned by h-list: ndctl 81 keys (firmware_version, decoders_committed, parent_dport, qos_class; no alert_config) and the -vvv firmware object',
  },
  {
    list: 'vvv',
    reason:
      'ndctl list, owned by h-list: ndctl 81 keys (firmware_version, decoders_committed, parent_dport, qos_class; no alert_config) and the -vvv firmware object',
  },
  {
    list: 'M',
    reason:
      'ndctl list, owned by h-list: ndctl 81 keys (firmware_version, decoders_committed, parent_dport, qos_class; no alert_config) and the -vvv firmware object',
  },
  {
    list: 'D',
    reason:
      'ndctl list, owned by h-list: ndctl 81 keys (firmware_version, decoders_committed, parent_dport, qos_class; no alert_config) and the -vvv firmware object',
  },
  {
    list: 'P',
    reason:
      'ndctl list, owned by h-list: ndctl 81 keys (firmware_version, decoders_committed, parent_dport, qos_class; no alert_config) and the -vvv firmware object',
  },
  {
    list: 'E',
    reason:
      'ndctl list, owned by h-list: ndctl 81 keys (firmware_version, decoders_committed, parent_dport, qos_class; no alert_config) and the -vvv firmware object',
  },
  {
    list: 'T',
    reason:
      'ndctl list, owned by h-list: ndctl 81 keys (firmware_version, decoders_committed, parent_dport, qos_class; no alert_config) and the -vvv firmware object',
  },
  {
    list: 'u-vvv',
    reason:
      'ndctl list, owned by h-list: ndctl 81 keys (firmware_version, decoders_committed, parent_dport, qos_class; no alert_config) and the -vvv firmware object',
  },
  {
    list: 'R-vvv',
    reason:
      'ndctl list, owned by h-list: ndctl 81 keys (firmware_version, decoders_committed, parent_dport, qos_class; no alert_config) and the -vvv firmware object',
  },
  {
    list: 'i-vvv',
    reason:
      'ndctl list, owned by h-list: ndctl 81 keys (firmware_version, decoders_committed, parent_dport, qos_class; no alert_config) and the -vvv firmware object',
  },
];

stackBootSuite('debian-13', ['interleave', 'minimal', 'minimal-hypervisor'], KNOWN);
