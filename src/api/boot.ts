/**
 * DOC: `boot()` — the library's entry: a preset, a QEMU command line or a topology (object, or
 * YAML/JSON text) on a profile, booted into a {@link Machine}.
 */
import { type BootedMachine, bootMachine } from '../boot.ts';
import { Errno } from '../kernel/errno.ts';
import { type Profile, resolveProfile } from '../profile.ts';
import type { Topology } from '../topology/model.ts';
import { getPreset } from '../topology/presets/index.ts';
import { parseQemuCommandLine } from '../topology/qemu-cmdline.ts';
import { parseTopologyFile } from '../topology/schema.ts';
import { Machine, type MachineSnapshot, type StoredBootInput } from './machine.ts';

/**
 * What to boot: `{ preset: 'default' }`, `{ qemu: '<command line text>' }` or `{ topology }`
 * where topology is a {@link Topology} (as `loadTopology`/`parseQemuLine` return), a
 * topology-file object, or the text of a topology file (YAML or JSON). `path` names the
 * source in messages.
 */
export type BootInput =
  | { preset: string }
  | { qemu: string; path?: string }
  | { topology: Topology | Record<string, unknown> | string; path?: string };

/** Boot options. */
export interface BootApiOptions {
  /** A profile name ('latest', 'debian-13', 'debian-12') or a Profile; default 'latest'. */
  profile?: string | Profile;
  /** Dynamic debug on for drivers/cxl (dev_dbg lines in dmesg). */
  dyndbg?: boolean;
}

/** Resolves a profile name or object. @throws Errno EINVAL for an unknown name */
export function profileOf(p: string | Profile | undefined): Profile {
  return typeof p === 'object' ? { ...p } : resolveProfile(p);
}

/** True for a normalized {@link Topology} (as opposed to a topology-file object). */
function isModel(t: object): t is Topology {
  const x = t as Record<string, unknown>;
  return typeof x.source === 'object' && Array.isArray(x.cxims) && typeof x.machine === 'object';
}

/**
 * A topology input as the library stores it, and its parsed topology.
 * @throws Errno EINVAL (QemuError for QEMU lines) for invalid input
 */
export function loadTopology(
  input: BootInput,
  profile: string | Profile = 'latest',
): { input: StoredBootInput; topology: Topology } {
  const p = profileOf(profile);
  if ('preset' in input)
    return {
      input: { kind: 'preset', name: input.preset },
      topology: getPreset(input.preset, p.qemu, p.kernel),
    };
  if ('qemu' in input) {
    const topology = parseQemuLine(input.qemu, {
      profile: p,
      ...(input.path ? { path: input.path } : {}),
    });
    return {
      input: { kind: 'qemu', text: input.qemu, ...(input.path ? { path: input.path } : {}) },
      topology,
    };
  }
  if ('topology' in input) {
    const t = input.topology;
    let topology: Topology;
    if (typeof t === 'string') topology = parseTopologyFile(t, input.path);
    else if (isModel(t)) topology = structuredClone(t);
    else
      topology = parseTopologyFile(
        JSON.stringify(t, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)),
        input.path,
      );
    return { input: { kind: 'topology', topology }, topology };
  }
  throw new Errno('EINVAL', 'cxlsim: boot input needs one of preset, qemu or topology');
}

/**
 * Parses a QEMU command line (the text of a qemu-system-* invocation, continuation
 * backslashes allowed) for a profile's QEMU version.
 * @throws QemuError (an Errno EINVAL with QEMU's own message) for what QEMU refuses
 */
export function parseQemuLine(
  text: string,
  opts: { profile?: string | Profile; path?: string } = {},
): Topology {
  const p = profileOf(opts.profile);
  return parseQemuCommandLine(text, { qemu: p.qemu, ...(opts.path ? { path: opts.path } : {}) });
}

const booter = (t: Topology, profile: Profile, dyndbg: boolean): BootedMachine =>
  bootMachine(t, { profile, dyndbg });

/** {@link boot} without the promise. */
export function bootSync(input: BootInput, opts: BootApiOptions = {}): Machine {
  const profile = profileOf(opts.profile);
  const { input: stored, topology } = loadTopology(input, profile);
  return new Machine(stored, profile, topology, booter, { dyndbg: opts.dyndbg ?? false });
}

/**
 * Boots a machine: QEMU's part (platform from the topology), then the guest's drivers.
 * Guest-side failures do not reject: they are in `dmesg()` as the kernel logs them.
 * @throws (rejects with) Errno EINVAL for input QEMU or cxlsim refuses
 */
export async function boot(input: BootInput, opts: BootApiOptions = {}): Promise<Machine> {
  return bootSync(input, opts);
}

/** Rebuilds a machine from {@link Machine.snapshot}. @throws Errno when an operation no longer replays */
export function restore(s: MachineSnapshot): Machine {
  if (s.format !== 'cxlsim-machine' || s.version !== 1)
    throw new Errno('EINVAL', 'cxlsim: not a cxlsim machine snapshot');
  const topology =
    s.input.kind === 'preset'
      ? getPreset(s.input.name, s.profile.qemu, s.profile.kernel)
      : s.input.kind === 'qemu'
        ? parseQemuLine(s.input.text, { profile: s.profile })
        : s.input.topology;
  return new Machine(s.input, s.profile, topology, booter, { dyndbg: s.dyndbg, ops: s.ops });
}
