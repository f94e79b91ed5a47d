/**
 * DOC: `cxlsim boot` — replace the persisted machine with a new one.
 *
 * The input is read and stored by content (`--qemu FILE`, `--topology FILE`) or by name
 * (`--preset NAME`, default `default`); the profile is resolved (`--profile`, `--kernel`,
 * `--qemu-version`, `--ndctl`). The new machine is booted completely before the journal is
 * replaced, so a bad input, an unknown preset or profile, or a state file that cannot be
 * read leaves the previous state exactly as it was — as does a VMM refusal (a vfio-cxl
 * placement rejection: QEMU would not start). `--vfio-cxl-placement` and a host-device file
 * (`--topology HOST.yaml` with `--qemu`/`--preset`) are stored with the input.
 */
import { resolve } from 'node:path';
import { resolveProfile } from '../../profile.ts';
import { readInputFile } from '../../state/input.ts';
import { compactQemuCommandLine } from '../../topology/qemu-compact.ts';
import { CliError } from '../errors.ts';
import { bootState, type CliContext, DEFAULT_PRESET, withLockedState } from '../session.ts';
import { dropSnapshot, startBackgroundSnapshot } from '../snapshot/build.ts';
import { newState, type StoredInput, type StoredVfio, writeState } from '../state.ts';
import { bootSummary } from './summary.ts';

/** Options of `cxlsim boot`. */
export interface BootArgs {
  qemu?: string;
  topology?: string;
  preset?: string;
  profile?: string;
  kernel?: string;
  qemuVersion?: string;
  ndctl?: string;
  dyndbg?: boolean;
  verbose?: boolean;
  /** `--vfio-cxl-placement per-window|first-window` (docs/vfio-cxl.md). */
  vfioCxlPlacement?: string;
}

/**
 * Reads an input file: a regular file of at most 16 MiB (state/input.ts).
 * @throws Errno "cannot read FILE: <strerror>"; StateError when not regular or too large
 */
function readInput(cwd: string, file: string): string {
  return readInputFile(resolve(cwd, file), file);
}

/**
 * The stored input for the given options. `--topology` next to `--qemu` or `--preset` is a
 * host-device file (read by {@link storedVfio}), not the topology.
 * @throws CliError when more than one input is given
 */
function storedInput(ctx: CliContext, a: BootArgs): StoredInput {
  const hostFile = a.topology !== undefined && (a.qemu !== undefined || a.preset !== undefined);
  const given = [a.qemu, hostFile ? undefined : a.topology, a.preset].filter(
    (x) => x !== undefined,
  );
  if (given.length > 1) throw new CliError('give only one of --qemu, --topology and --preset');
  if (a.qemu !== undefined) {
    const text = readInput(ctx.io.cwd, a.qemu);
    // QEMU would boot its default machine ('pc'): say what is wrong with the file instead
    if (/^(?:\s*(?:#[^\n]*)?\n?)*$/.test(text))
      throw new CliError(`${a.qemu}: no QEMU command line in it (empty, or only comments)`);
    return { kind: 'qemu', text: compactQemuCommandLine(text), path: a.qemu };
  }
  if (a.topology !== undefined && !hostFile)
    return { kind: 'topology', text: readInput(ctx.io.cwd, a.topology), path: a.topology };
  return { kind: 'preset', name: a.preset ?? DEFAULT_PRESET };
}

/**
 * The vfio-cxl VMM options to store: placement mode, host-device file content.
 * @throws CliError unknown placement mode
 */
function storedVfio(ctx: CliContext, a: BootArgs): StoredVfio | undefined {
  const v: StoredVfio = {};
  const p = a.vfioCxlPlacement;
  if (p !== undefined) {
    if (p !== 'per-window' && p !== 'first-window')
      throw new CliError(`unknown --vfio-cxl-placement '${p}' (per-window, first-window)`);
    v.placement = p;
  }
  if (a.topology !== undefined && (a.qemu !== undefined || a.preset !== undefined))
    v.hosts = { text: readInput(ctx.io.cwd, a.topology), path: a.topology };
  return v.placement || v.hosts ? v : undefined;
}

/** Runs `cxlsim boot`; returns the exit code. */
export async function bootCommand(ctx: CliContext, a: BootArgs): Promise<number> {
  const profile = resolveProfile(a.profile, {
    kernel: a.kernel,
    qemuVersion: a.qemuVersion,
    ndctl: a.ndctl,
  });
  const input = storedInput(ctx, a);
  const vfio = storedVfio(ctx, a);
  return withLockedState(ctx, async (_old, lock) => {
    const st = newState(input, profile, a.dyndbg ?? false, ctx.version);
    if (vfio) st.vfio = vfio;
    const cpu0 = process.cpuUsage();
    const machine = await bootState(ctx.deps, st);
    const cpu = process.cpuUsage(cpu0);
    writeState(ctx.stateDir, st, () => lock.assertHeld());
    dropSnapshot(ctx.stateDir);
    // a large machine is snapshotted now, in the background, not after 256 operations
    startBackgroundSnapshot(ctx.stateDir, ctx.io.env, (cpu.user + cpu.system) / 1e6);
    ctx.io.out(`${bootSummary(machine, a.verbose ?? false).join('\n')}\n`);
    return 0;
  });
}
