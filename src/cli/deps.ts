/**
 * DOC: what the CLI needs from the rest of cxlsim, loaded on first use.
 *
 * Each dependency is imported lazily so that `cxlsim --version` and `--help` load nothing
 * but commander, and yaml/zod are loaded only when a topology file is read. Tests pass
 * their own {@link CliDeps} to run the CLI over a hand-built machine.
 */

import type { BootOptions, Machine } from '../machine.ts';
import type { CxlMemIoctl } from '../ndctl/lib/ioctl.ts';
import type { NdctlVersion, Profile } from '../profile.ts';
import type { SysfsView } from '../sysfs/view.ts';
import type { Topology } from '../topology/model.ts';
import type { StoredInput } from './state.ts';

/** Output of a `cxl list` run: exactly what ndctl would print, and its exit code. */
export interface ListResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** The CLI's dependencies. */
export interface CliDeps {
  /** Builds the topology from a stored input. @throws Errno (QemuError for QEMU lines) */
  topology(input: StoredInput, profile: Profile): Promise<Topology>;
  /** Boots a machine. */
  boot(topology: Topology, opts: BootOptions): Promise<Machine>;
  /** `cxl list` over a /sys view. */
  list(
    view: SysfsView,
    args: string[],
    opts: { ioctl?: CxlMemIoctl; ndctl: NdctlVersion },
  ): Promise<ListResult>;
}

/** The real implementations. */
export const realDeps: CliDeps = {
  async topology(input, profile) {
    switch (input.kind) {
      case 'preset': {
        const { getPreset } = await import('../topology/presets/index.ts');
        return getPreset(input.name, profile.qemu, profile.kernel);
      }
      case 'qemu': {
        const { parseQemuCommandLine } = await import('../topology/qemu-cmdline.ts');
        const { existsSync } = await import('node:fs');
        return parseQemuCommandLine(input.text, {
          qemu: profile.qemu,
          path: input.path,
          fileExists: (f) => existsSync(f),
        });
      }
      case 'topology': {
        const { parseTopologyFile } = await import('../topology/schema.ts');
        return parseTopologyFile(input.text, input.path);
      }
    }
  },
  async boot(topology, opts) {
    const { bootMachine } = await import('../boot.ts');
    return bootMachine(topology, opts);
  },
  async list(view, args, opts) {
    const { cxlList } = await import('../ndctl/cxl/list.ts');
    return cxlList(view, args, opts);
  },
};
