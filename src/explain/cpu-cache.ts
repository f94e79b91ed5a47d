/**
 * DOC: the hypervisor-bit refusal, named. Linux ≥ 6.2 has the CPU write back and invalidate its
 * caches for a region's address range before committing (or de-committing) it
 * (core/region.c cxl_region_invalidate_memregion). On x86 the kernel trusts that only on bare
 * metal (cpu_cache_has_invalidate_memregion() is `!X86_FEATURE_HYPERVISOR`), and QEMU sets the
 * CPUID hypervisor bit on every x86 CPU model by default — so every region commit in a default
 * QEMU guest fails with -ENXIO and only "Failed to synchronize CPU cache state", which does not
 * say why. This names the cause and both ways out: hide the bit (`-cpu MODEL,-hypervisor`; the
 * QEMU-side fix verified on an edited command line comes from qemu-fixes.ts when the machine was
 * booted from one) or a kernel built with CONFIG_CXL_REGION_INVALIDATION_TEST=y (testing only:
 * the invalidation is skipped).
 */
import type { Machine } from '../machine.ts';
import { machineCpu } from '../topology/qemu-cpu.ts';
import type { Classified } from './classify.ts';
import type { Check, Fix } from './types.ts';

/** The kernel's words for the refusal (dev_WARN on the region). */
export const CPU_CACHE_MESSAGE = /Failed to synchronize CPU cache state/;

/** The cause in words and the fixes, when `c` is the hypervisor-bit refusal; else undefined. */
export function hypervisorCause(
  m: Machine,
  c: Classified | undefined,
  haveQemuFix: boolean,
): { cause: string; fixes: Fix[] } | undefined {
  if (!c?.message || !CPU_CACHE_MESSAGE.test(c.message)) return undefined;
  const cpu = machineCpu(m.topology.machine);
  const cause =
    `the guest CPU (${cpu.model}${cpu.explicit ? '' : ', the machine default'}) shows the CPUID ` +
    'hypervisor bit, so the kernel cannot invalidate CPU caches for the region ' +
    '(cpu_cache_has_invalidate_memregion() is false on x86 under a hypervisor) and refuses the commit';
  const fixes: Fix[] = [];
  if (!haveQemuFix)
    fixes.push({
      description: `QEMU: hide the hypervisor CPUID bit: -cpu ${cpu.model},-hypervisor`,
      commands: [],
      verified: false,
    });
  fixes.push({
    description:
      'kernel: build it with CONFIG_CXL_REGION_INVALIDATION_TEST=y (for testing only: the ' +
      'invalidation is skipped, "Bypassing cpu_cache_invalidate_memregion() for testing!")',
    commands: [],
    verified: false,
  });
  return { cause, fixes };
}

/** Puts the cause on the failed check. */
export function nameCause(checks: Check[], cause: string): void {
  const f = checks.find((x) => x.status === 'failed');
  if (f) f.detail = cause;
}
