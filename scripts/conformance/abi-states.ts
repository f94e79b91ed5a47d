/**
 * DOC: the machine states whose exported /sys trees the ABI coverage is measured on: every
 * preset booted on the profile (a preset the profile's QEMU rejects is booted with QEMU 11.1,
 * the profile's kernel kept), plus `default` and `cxl_test` with a pmem region created by
 * `cxl create-region` so that pmem regions, pmem_regionN and their targets are seen too
 * (`cxl_test` already carries its auto-assembled ram region and dax_regionN on kernels that
 * assemble it).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bootMachine } from '../../src/boot.ts';
import { cxlCommand } from '../../src/ndctl/index.ts';
import { type Profile, resolveProfile } from '../../src/profile.ts';
import { exportSysfs } from '../../src/sysfs/export.ts';
import type { Topology } from '../../src/topology/model.ts';
import { getPreset, PRESET_NAMES } from '../../src/topology/presets/index.ts';

/** One exported state. */
export interface AbiState {
  /** "preset", or "preset + pmem region" */
  name: string;
  /** the exported tree (the directory standing in for /sys) */
  tree: string;
}

/** `cxl create-region` argument lists per preset for the extra pmem-region states. */
const PMEM_REGION: Record<string, string[]> = {
  default: ['create-region', '-t', 'pmem', '-d', 'decoder0.0', '-w', '1'],
  cxl_test: ['create-region', '-t', 'pmem', '-d', 'decoder0.2', '-w', '1'],
};

/** The preset on `profile`, or on `profile` with QEMU 11.1 when that QEMU rejects it. */
function presetFor(name: string, profile: Profile): { topology: Topology; profile: Profile } {
  try {
    return { topology: getPreset(name, profile.qemu), profile };
  } catch {
    const p = resolveProfile(profile.name, { kernel: profile.kernel, qemuVersion: '11.1' });
    return { topology: getPreset(name, p.qemu), profile: p };
  }
}

/**
 * Boots every state of `profileName` and exports it below `dir`.
 * @throws Error when a pmem region cannot be created (the state would not show what it claims)
 */
export function exportAbiStates(profileName: string, dir: string): AbiState[] {
  const profile = resolveProfile(profileName);
  const out: AbiState[] = [];
  for (const name of PRESET_NAMES) {
    const boot = () => {
      const p = presetFor(name, profile);
      return bootMachine(p.topology, { profile: p.profile });
    };
    const m = boot();
    const tree = join(dir, name, 'sys');
    mkdirSync(tree, { recursive: true });
    exportSysfs(m.sysfs, tree);
    out.push({ name, tree });
    const create = PMEM_REGION[name];
    if (!create) continue;
    const r = cxlCommand(m.sysfs, m.ioctl, create, { ndctl: profile.ndctl });
    if (r.code !== 0 || !r.stderr.includes('created 1 region'))
      throw new Error(`${name}: cxl ${create.join(' ')} failed: ${r.stderr.trim()}`);
    const tree2 = join(dir, `${name}+pmem-region`, 'sys');
    mkdirSync(tree2, { recursive: true });
    exportSysfs(m.sysfs, tree2);
    out.push({ name: `${name} + pmem region`, tree: tree2 });
  }
  return out;
}
