/**
 * DOC: predicting what `cxl` commands will do on the guest a QEMU line gives, before any real
 * boot: the commands run, in order, on the simulated guest (ndctl's emulation through the
 * simulated /sys, as `cxlsim` runs them), and each create-region is judged the way a user
 * reads the result — created, or refused, and by whom: **ndctl** when its own validation
 * stopped it before the kernel saw a write (validate_ways, collect_memdevs, size checks,
 * "could not get a free decoder"), the **kernel** when a sysfs write was refused (errno).
 *
 * Known traps the simulation leaves to the platform are applied on top ({@link trapsFor}): on
 * an x86 guest whose CPU shows the hypervisor CPUID bit, kernels since 6.12 (capture evidence:
 * debian-13 and latest minimal-hypervisor; upstream cxl_region_invalidate_memregion()) refuse
 * to commit a region — "Failed to synchronize CPU cache state", -ENXIO, which ndctl reports as
 * "failed to commit decode: No such device or address" — and ndctl then deletes the region.
 */

import { classify } from '../explain/classify.ts';
import { runAttempt } from '../explain/trial.ts';
import type { Machine } from '../machine.ts';
import { cxlCommand } from '../ndctl/index.ts';
import { kernelAtLeast, type Profile } from '../profile.ts';
import type { Topology } from '../topology/model.ts';
import { cpuOption } from '../topology/qemu-memmap.ts';

/** Who stopped a refused create-region. */
export type RefusedBy = 'ndctl' | 'kernel';

/** The predicted result of one command. */
export interface Prediction {
  /** The command as given (cxl argv without the leading "cxl"). */
  argv: string[];
  /** For create-region: created at least one region. Other commands: exit code 0. */
  ok: boolean;
  refusedBy?: RefusedBy;
  /** ndctl's first error line, or the kernel's message for the refused write. */
  reason?: string;
  /** The sysfs attribute whose write was refused (kernel refusals). */
  write?: string;
}

/** A platform trap the simulation does not model by itself, as a prediction rule. */
export interface Trap {
  id: 'hypervisor';
  /** Text of the failure as ndctl prints it. */
  ndctl: string;
  /** The kernel's own line. */
  kernel: string;
}

/** True when the x86 guest CPU keeps the hypervisor CPUID bit (no `-hypervisor` in -cpu). */
export function hypervisorBitSet(t: Topology): boolean {
  if (t.machine.type === 'virt') return false;
  const cpu = cpuOption(t) ?? 'qemu64';
  return !cpu.split(',').some((p) => p === '-hypervisor' || p === 'hypervisor=off');
}

/** First kernel (of the modelled ones) with evidence of the cache-invalidation refusal. */
const HYPERVISOR_REFUSAL_SINCE = '6.12';

/** The traps that apply to a topology on a profile. */
export function trapsFor(t: Topology, p: Profile): Trap[] {
  if (hypervisorBitSet(t) && kernelAtLeast(p, HYPERVISOR_REFUSAL_SINCE))
    return [
      {
        id: 'hypervisor',
        ndctl: 'failed to commit decode: No such device or address',
        kernel: 'Failed to synchronize CPU cache state',
      },
    ];
  return [];
}

/** The region names a create-region printed (its JSON on stdout). */
function createdRegions(stdout: string): string[] {
  return [...stdout.matchAll(/"region":"(region\d+)"/g)].map((m) => m[1] as string);
}

/**
 * Runs `argvs` in order on `m` (which they change) and predicts each one's outcome.
 * @param traps rules applied on top of the simulation ({@link trapsFor})
 */
export function predictCommands(m: Machine, argvs: string[][], traps: Trap[] = []): Prediction[] {
  const out: Prediction[] = [];
  for (const argv of argvs) {
    if (argv[0] !== 'create-region') {
      const r = cxlCommand(m.sysfs, m.ioctl, argv, { ndctl: m.profile.ndctl, isTty: false });
      out.push({ argv, ok: r.code === 0 });
      continue;
    }
    const o = runAttempt(m, { kind: 'command', argv });
    if (o.ok) {
      const trap = traps.find((x) => x.id === 'hypervisor');
      if (trap) {
        // the kernel refuses the commit; ndctl deletes the region it made
        for (const r of createdRegions(o.stdout))
          cxlCommand(m.sysfs, m.ioctl, ['destroy-region', '-f', r], { ndctl: m.profile.ndctl });
        out.push({
          argv,
          ok: false,
          refusedBy: 'kernel',
          reason: `${trap.ndctl} (${trap.kernel})`,
          write: 'commit',
        });
        continue;
      }
      out.push({ argv, ok: true });
      continue;
    }
    const c = classify(o);
    const p: Prediction = { argv, ok: false, refusedBy: o.failed ? 'kernel' : 'ndctl' };
    const reason = o.failed ? (c?.message ?? o.tool[0]) : (o.tool[0] ?? c?.message);
    if (reason !== undefined) p.reason = reason;
    if (o.failed) p.write = o.failed.path.split('/').pop() ?? o.failed.path;
    out.push(p);
  }
  return out;
}
