/**
 * Boot of every latest-arm64 capture (sysfs-fixtures/stacks/latest-arm64) against its 00-boot snapshot:
 * see stack-suite.ts. The differences kept are listed below with their reasons (docs/fidelity.md).
 */
import { type KnownDiff, stackBootSuite } from './stack-suite.ts';

// None: the firmware-upload uevent that read empty here (and FIRMWARE=/TIMEOUT=/ASYNC= on x86)
// is the distribution kernels' CONFIG_FW_LOADER_USER_HELPER (drivers/env.ts DISTRO_KCONFIG).
const KNOWN: KnownDiff[] = [];

stackBootSuite('latest-arm64', ['armvirt-2hb-switches'], KNOWN);
