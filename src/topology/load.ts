/**
 * DOC: reading a topology from what the user named: a QEMU command-line file (`--qemu`), a
 * topology file (`--topology`, YAML or JSON) or a preset (`--preset`); none means the
 * `default` preset. File errors become Errno values with strerror's words ("cannot read
 * FILE: No such file or directory"), never a stack trace.
 */
import { existsSync } from 'node:fs';
import { Errno } from '../kernel/errno.ts';
import type { QemuVersion } from '../profile.ts';
import { readInputFile } from '../state/input.ts';
import type { Topology } from './model.ts';
import { getPreset } from './presets/index.ts';
import { parseQemuCommandLine } from './qemu-cmdline.ts';
import { parseTopologyFile } from './schema.ts';

/** What to load; at most one of the three. */
export interface TopologyInput {
  /** Path of a file holding a QEMU command line. */
  qemu?: string;
  /** Path of a topology file (YAML or JSON). */
  topology?: string;
  /** Preset name. */
  preset?: string;
}

/**
 * Reads a text file (a regular file of at most 16 MiB: state/input.ts).
 * @throws Errno named after the system error ("cannot read x.qemu: No such file or directory");
 *   StateError for a file that is not regular or too large.
 */
export function readText(path: string): string {
  return readInputFile(path);
}

/**
 * Loads the topology named by `input` for QEMU version `qemu`.
 * @throws EINVAL when more than one source is given or the input is invalid (QemuError for
 *   QEMU lines); ENOENT/EACCES/EISDIR… when a file cannot be read.
 */
export function loadTopology(input: TopologyInput, qemu: QemuVersion): Topology {
  const given = (['qemu', 'topology', 'preset'] as const).filter((k) => input[k] !== undefined);
  if (given.length > 1)
    throw new Errno('EINVAL', 'give only one of --qemu, --topology and --preset');
  if (input.qemu !== undefined)
    return parseQemuCommandLine(readText(input.qemu), {
      qemu,
      path: input.qemu,
      fileExists: (f) => existsSync(f),
    });
  if (input.topology !== undefined)
    return parseTopologyFile(readText(input.topology), input.topology);
  return getPreset(input.preset ?? 'default', qemu);
}
