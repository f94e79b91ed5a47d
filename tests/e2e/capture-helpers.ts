/**
 * Helpers for comparing a booted cxlsim machine with a kernel capture (sysfs-fixtures/<scenario>):
 * which sysfs entries count as CXL entries, and loading a scenario's QEMU command line.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootMachine } from '../../src/boot.ts';
import { resolveProfile } from '../../src/profile.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';

export const FIXTURES = join(import.meta.dirname, '../../sysfs-fixtures');

/** Scenarios that have a QEMU command line and a 00-boot snapshot. */
export function bootScenarios(): string[] {
  return readdirSync(FIXTURES).filter(
    (s) =>
      existsSync(join(FIXTURES, s, 'host/qemu-cmdline.sh')) &&
      existsSync(join(FIXTURES, s, '00-boot/sysfs.txt')),
  );
}

/** Boots a capture's command line with the capture's stack (debian-12). */
export function bootScenario(scenario: string, dyndbg = false) {
  const text = readFileSync(join(FIXTURES, scenario, 'host/qemu-cmdline.sh'), 'utf8');
  const topo = parseQemuCommandLine(text, {
    qemu: '7.2',
    path: `${scenario}/host/qemu-cmdline.sh`,
  });
  return bootMachine(topo, { profile: resolveProfile('debian-12'), dyndbg });
}

const CXL_DIR =
  /^(root|port|endpoint|decoder|mem|region|nvdimm-bridge|pmem|pmem_region|dax_region)\d+(\.\d+)?$/;

/**
 * True for an entry the fidelity check compares: everything under bus/cxl, and every path that
 * holds a CXL device directory (rootN, portN, endpointN, decoderX.Y, memN, regionN,
 * nvdimm-bridgeN, pmemN …) — libnvdimm ndbus subtrees excluded.
 */
export function isCxlEntry(path: string): boolean {
  if (/\/ndbus\d+(\/|$)/.test(path)) return false;
  if (path === 'bus/cxl' || path.startsWith('bus/cxl/')) return true;
  return path.split('/').some((p) => CXL_DIR.test(p));
}
