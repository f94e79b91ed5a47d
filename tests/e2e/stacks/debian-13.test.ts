/**
 * Boot of every debian-13 capture (sysfs-fixtures/stacks/debian-13) against its 00-boot snapshot:
 * see stack-suite.ts. The differences kept are listed below with their reasons (docs/fidelity.md).
 */
import { type KnownDiff, stackBootSuite } from './stack-suite.ts';

const KNOWN: KnownDiff[] = [];

stackBootSuite('debian-13', ['interleave', 'minimal', 'minimal-hypervisor'], KNOWN);
