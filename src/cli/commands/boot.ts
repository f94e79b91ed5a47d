/**
 * DOC: `cxlsim boot` — replace the persisted machine with a new one.
 *
 * The input is read and stored by content (`--qemu FILE`, `--topology FILE`) or by name
 * (`--preset NAME`, default `default`); the profile is resolved (`--profile`, `--kernel`,
 * `--qemu-version`, `--ndctl`). The new machine is booted completely before the journal is
 * replaced, so a bad input, an unknown preset or profile, or a state file that cannot be
 * read leaves the previous state exactly as it was.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ERRNO, Errno, type ErrnoName } from '../../kernel/errno.ts';
import { resolveProfile } from '../../profile.ts';
import { CliError } from '../errors.ts';
import { bootState, type CliContext, DEFAULT_PRESET, withLockedState } from '../session.ts';
import { newState, type StoredInput, writeState } from '../state.ts';
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
}

/** Reads an input file. @throws Errno "cannot read FILE: <strerror>" */
function readInput(cwd: string, file: string): string {
  try {
    return readFileSync(resolve(cwd, file), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    const name: ErrnoName = code in ERRNO ? (code as ErrnoName) : 'EIO';
    throw new Errno(name, `cannot read ${file}: ${ERRNO[name][1]}`);
  }
}

/** The stored input for the given options. @throws CliError when more than one is given */
function storedInput(ctx: CliContext, a: BootArgs): StoredInput {
  const given = [a.qemu, a.topology, a.preset].filter((x) => x !== undefined);
  if (given.length > 1) throw new CliError('give only one of --qemu, --topology and --preset');
  if (a.qemu !== undefined)
    return { kind: 'qemu', text: readInput(ctx.io.cwd, a.qemu), path: a.qemu };
  if (a.topology !== undefined)
    return { kind: 'topology', text: readInput(ctx.io.cwd, a.topology), path: a.topology };
  return { kind: 'preset', name: a.preset ?? DEFAULT_PRESET };
}

/** Runs `cxlsim boot`; returns the exit code. */
export async function bootCommand(ctx: CliContext, a: BootArgs): Promise<number> {
  const profile = resolveProfile(a.profile, {
    kernel: a.kernel,
    qemuVersion: a.qemuVersion,
    ndctl: a.ndctl,
  });
  const input = storedInput(ctx, a);
  return withLockedState(ctx, async () => {
    const st = newState(input, profile, a.dyndbg ?? false, ctx.version);
    const machine = await bootState(ctx.deps, st);
    writeState(ctx.stateDir, st);
    ctx.io.out(`${bootSummary(machine, a.verbose ?? false).join('\n')}\n`);
    return 0;
  });
}
