/**
 * Boot of every latest capture (sysfs-fixtures/stacks/latest) against its 00-boot snapshot:
 * see stack-suite.ts. The differences kept are listed below with their reasons (docs/fidelity.md).
 */
import { type KnownDiff, stackBootSuite } from './stack-suite.ts';

const KNOWN: KnownDiff[] = [];

stackBootSuite(
  'latest',
  ['failures', 'interleave', 'minimal', 'minimal-hypervisor', 'threeway', 'volatile'],
  KNOWN,
);
