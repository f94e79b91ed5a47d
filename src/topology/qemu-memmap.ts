/**
 * DOC: the x86 (q35 / pc) address-space arithmetic of hw/i386/pc.c, shared by QEMU's own
 * phys-bits check (below) and by hw/placement.ts (where the CXL blocks and windows land).
 *
 * * RAM split (pc_q35_init()): `lowmem` 0x80000000 when -m ≥ 0xb0000000, else 0xb0000000
 *   (capped by `max-ram-below-4g`); the rest is "above 4G" RAM at `above_4g_mem_start` (4 GiB,
 *   or 1 TiB after the AMD relocation below).
 * * pc_get_device_memory_range(): ROUND_UP(above_4g_end, 1 GiB), sized maxmem − ram + 1 GiB ×
 *   slots. pc_get_cxl_range_start(): the end of that range when maxmem > ram, else above_4g_end.
 * * pc_get_cxl_range_end(): cxl_base + 1 MiB, then (with windows) ROUND_UP(…, 256 MiB) + the
 *   size of every window — all of them, placed or not.
 * * pc_pci_hole64_start(): ROUND_UP(cxl range end (cxl=on) | device memory end | above_4g_end,
 *   1 GiB). pc_max_used_gpa() (64-bit CPU): hole64 start + pci-hole64-size (32 GiB,
 *   Q35_PCI_HOST_HOLE64_SIZE_DEFAULT / I440FX_…) − 1.
 * * pc_memory_init() (QEMU ≥ 7.1, so all modelled versions): an AMD CPU (qemu64, the default,
 *   is AuthenticAMD) whose max used GPA reaches AMD_HT_START (0xfd00000000) has its above-4G
 *   RAM moved to 1 TiB; then, if (1 << phys-bits) − 1 < max used GPA, QEMU exits with
 *   "Address space limit 0x… < 0x… phys-bits too low (N)". phys-bits is 40 (TCG_PHYS_ADDR_BITS)
 *   unless `-cpu …,phys-bits=N`; `host-phys-bits=on` and `-cpu host` take the host's width,
 *   which cxlsim does not know, so no check is made then.
 */
import type { MachineConfig, Topology } from './model.ts';
import { QemuError } from './qemu-errors.ts';

const MiB = 1n << 20n;
const GiB = 1n << 30n;
/** AMD HyperTransport hole start / the relocated above-4G RAM start (pc.c). */
const AMD_HT_START = 0xfd00000000n;
const AMD_ABOVE_1TB_START = 0x10000000000n;
/** pci-hole64-size default of q35 and i440fx (1 << 35). */
const PCI_HOLE64_SIZE = 1n << 35n;

function roundUp(v: bigint, a: bigint): bigint {
  return ((v + a - 1n) / a) * a;
}

/** QEMU size text ("4G", "0x80000000") → bytes; undefined when invalid. */
function sizeText(raw: string | undefined): bigint | undefined {
  if (raw === undefined) return undefined;
  const m = /^(0x[0-9a-f]+|\d+)([kmgtpe]?)b?$/i.exec(raw.trim());
  if (!m?.[1]) return undefined;
  const exp = 'kmgtpe'.indexOf((m[2] ?? '').toLowerCase()) + 1;
  return BigInt(m[1]) * (1n << BigInt(10 * exp));
}

/** The `-cpu` argument (kept among the ignored options), e.g. "qemu64,phys-bits=46". */
export function cpuOption(t: Topology): string | undefined {
  for (const a of t.ignored) if (a.startsWith('-cpu ')) return a.slice(5).trim();
  return undefined;
}

/** What pc.c needs to know about the first CPU. */
export interface X86Cpu {
  /** phys-bits, or undefined when it is the host's (unknown to cxlsim). */
  physBits: number | undefined;
  /** CPUID vendor is AuthenticAMD. */
  amd: boolean;
}

/**
 * The x86 CPU of a topology: `-cpu MODEL[,phys-bits=N][,host-phys-bits=on][,vendor=V]`.
 * qemu64 (the default) and max under TCG are AMD; named Intel models (Skylake…) are not.
 */
export function x86Cpu(t: Topology): X86Cpu {
  const cpu = cpuOption(t) ?? 'qemu64';
  const parts = cpu.split(',');
  const model = parts[0] ?? 'qemu64';
  const prop = (k: string) =>
    parts
      .slice(1)
      .map((p) => p.split('='))
      .find(([n]) => n === k)?.[1];
  const vendor = prop('vendor');
  const amd =
    vendor !== undefined
      ? vendor === 'AuthenticAMD'
      : /^(qemu64|max|EPYC|Opteron|phenom|athlon)/i.test(model);
  const pb = prop('phys-bits');
  const hostBits = ['on', 'true', 'yes'].includes(prop('host-phys-bits') ?? '') || model === 'host';
  const physBits = pb !== undefined && /^\d+$/.test(pb) ? Number(pb) : hostBits ? undefined : 40;
  return { physBits, amd };
}

/** End of above-4G RAM for a given start (pc_above_4g_end()). */
function above4gEnd(m: MachineConfig, start: bigint): bigint {
  let lowmem = m.ramSize >= 0xb0000000n ? 0x80000000n : 0xb0000000n;
  const maxBelow = sizeText(m.options['max-ram-below-4g']);
  if (maxBelow !== undefined && maxBelow > 0n && lowmem > maxBelow) lowmem = maxBelow;
  const above = m.ramSize >= lowmem ? m.ramSize - lowmem : 0n;
  return start + above;
}

/** pc_get_device_memory_range() end, or undefined without maxmem > ram. */
function deviceMemoryEnd(m: MachineConfig, start: bigint): bigint | undefined {
  const maxram = m.maxMem ?? m.ramSize;
  if (maxram <= m.ramSize) return undefined;
  return roundUp(above4gEnd(m, start), GiB) + (maxram - m.ramSize) + GiB * BigInt(m.slots ?? 0);
}

/** pc_get_cxl_range_start(): cxl_base for above-4G RAM at `start`. */
export function pcCxlBase(m: MachineConfig, start: bigint): bigint {
  return deviceMemoryEnd(m, start) ?? above4gEnd(m, start);
}

/** pc_max_used_gpa() for a 64-bit CPU. */
function maxUsedGpa(t: Topology, start: bigint): bigint {
  const m = t.machine;
  let hole64: bigint;
  if (m.cxl) {
    hole64 = pcCxlBase(m, start) + MiB;
    if (t.windows.length > 0) {
      hole64 = roundUp(hole64, 256n * MiB);
      for (const w of t.windows) hole64 += w.size;
    }
  } else hole64 = deviceMemoryEnd(m, start) ?? above4gEnd(m, start);
  return roundUp(hole64, GiB) + PCI_HOLE64_SIZE - 1n;
}

/** Where above-4G RAM starts: 4 GiB, or 1 TiB after the AMD HyperTransport relocation. */
export function above4gStart(t: Topology): bigint {
  if (x86Cpu(t).amd && maxUsedGpa(t, 4n * GiB) >= AMD_HT_START) return AMD_ABOVE_1TB_START;
  return 4n * GiB;
}

/**
 * above4gStart() for placement: the relocated start only when QEMU then boots (the
 * phys-bits check passes); a topology QEMU would refuse (topology files bypass the check)
 * keeps 4 GiB.
 */
export function bootableAbove4gStart(t: Topology): bigint {
  const start = above4gStart(t);
  const { physBits } = x86Cpu(t);
  if (start === 4n * GiB || physBits === undefined) return start;
  return maxUsedGpa(t, start) <= (1n << BigInt(physBits)) - 1n ? start : 4n * GiB;
}

/**
 * pc_memory_init()'s address-space check, for q35 and pc machines.
 * @throws QemuError "Address space limit 0xffffffffff < 0x1093fffffff phys-bits too low (40)"
 *   (no location: QEMU reports it while initialising the machine)
 */
export function checkPhysBits(t: Topology, binary: string): void {
  if (t.machine.type === 'virt') return;
  const { physBits } = x86Cpu(t);
  if (physBits === undefined) return;
  const used = maxUsedGpa(t, above4gStart(t));
  const max = (1n << BigInt(physBits)) - 1n;
  if (max < used)
    throw new QemuError(
      `Address space limit 0x${max.toString(16)} < 0x${used.toString(16)} phys-bits too low (${physBits})`,
      { binary },
    );
}
