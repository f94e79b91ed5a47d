/**
 * DOC: cpu_cache_has_invalidate_memregion() — whether the CPU can write back and invalidate its
 * caches for a physical address range that changes contents behind its back (a CXL region
 * being set up or torn down).
 *
 * x86 (arch/x86/mm/pat/set_memory.c): `!cpu_feature_enabled(X86_FEATURE_HYPERVISOR)` — WBINVD
 * is only trusted on bare metal, so every guest whose CPUID has the hypervisor bit (QEMU's
 * default for every x86 model, see topology/qemu-cpu.ts) answers false.
 * arm64: not modelled (no capture of a region on arm64 yet); cxlsim answers true there.
 */
import type { CpuBus } from '../../bus/index.ts';

/** cpu_cache_has_invalidate_memregion() for the guest's boot CPU. */
export function cpuCacheHasInvalidateMemregion(cpu: CpuBus): boolean {
  if (cpu.arch === 'x86') return !cpu.hypervisor;
  return true;
}
