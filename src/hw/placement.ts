/**
 * DOC: where QEMU puts the CXL host-bridge register blocks and the fixed memory windows.
 *
 * q35 (hw/i386/pc.c pc_memory_init(), pc_get_cxl_range_start(); hw/i386/pc_q35.c for the RAM
 * split): RAM is split at `lowmem` (0x80000000 when -m ≥ 0xb0000000, else 0xb0000000, capped
 * by max-ram-below-4g); the rest sits above 4 GiB. With maxmem > ram the memory-hotplug region
 * follows at ROUND_UP(above_4g_end, 1 GiB), sized maxmem − ram + 1 GiB × slots. `cxl_base` is the
 * end of that region, else above_4g_end; a 1 MiB "cxl_host_reg" region sits there, one 64 KiB
 * CHBCR per pxb-cxl at 64 KiB × (child-list index). The windows start at
 * ROUND_UP(cxl_base + 1 MiB, 256 MiB), packed in index order. QEMU 10.x (cxl_fmws_set_memmap())
 * skips a window whose end would pass the CPU's max physical address (phys-bits, 40 under
 * TCG) and leaves it at base 0.
 * Check (interleave capture, -m 2G): above_4g_end = 4 GiB → CHBCR 0x100000000, 0x100010000;
 * windows 0x110000000 (4G), 0x210000000 (8G), 0x410000000 (4G).
 *
 * arm virt (hw/arm/virt.c virt_set_memmap()/virt_set_high_memmap(), QEMU 10.1): device memory
 * at ROUND_UP(1 GiB + ram, 1 GiB), sized maxmem − ram + 1 GiB × slots; the high IO area starts
 * at its end but never below 256 GiB; then, each aligned to its own size, the extended regions
 * GIC_REDIST2 (64 MiB), CXL_HOST (16 × 64 KiB), HIGH_PCIE_ECAM (256 MiB), HIGH_PCIE_MMIO
 * (512 GiB or highmem-mmio-size). A region past BIT(pa_bits) is disabled (and, with the
 * default compact-highmem, takes no space); highest_gpa is the end of the last one that fits.
 * cxl_fmws_set_memmap(ROUND_UP(highest_gpa + 1, 256 MiB), BIT(pa_bits)) then packs the windows.
 * Check (armvirt-vfio-4gpu.qemu: -m default 128M, highmem-mmio-size=4T, 4 × 256G): base 256G;
 * REDIST2 256G, CXL_HOST 256G+64M, ECAM 256G+256M, MMIO ROUND_UP(256G+512M, 4T) = 4T..8T →
 * windows 0x80000000000, 0x84000000000, 0x88000000000, 0x8c000000000.
 * Derivation for armvirt-2hb-switches.qemu (-m 2048M,slots=0,maxmem=6144M, no
 * highmem-mmio-size): device memory ROUND_UP(1G + 2G, 1G) = 3G, size 6G − 2G + 0 = 4G →
 * memtop 7G < 256G → base 256G; REDIST2 256G, CXL_HOST 0x4004000000, ECAM 256G+256M, MMIO
 * ROUND_UP(256G+512M, 512G) = 512G..1T → windows at 0x10000000000 (4G) and 0x10100000000 (4G).
 * Physical address width: q35 40 bits (TCG qemu64) unless `-cpu …,phys-bits=N`; virt 52 bits
 * for `-cpu max` (FEAT_LPA), else 48; `highmem=off` limits virt to 32 bits. The -cpu option is
 * read from the topology's ignored arguments; `-machine …,phys-bits=N` / `pa-bits=N` override.
 */
import { Errno } from '../kernel/errno.ts';
import type { Profile } from '../profile.ts';
import type { MachineConfig, Topology } from '../topology/model.ts';
import { machineCpu } from '../topology/qemu-cpu.ts';
import { bootableAbove4gStart, cpuOption, pcCxlBase } from '../topology/qemu-memmap.ts';
import { QEMU_CFMWS_RESTRICTIONS } from './acpi/cedt.ts';
import { childListOrder, hostBridgeUid } from './acpi/namespace.ts';
import { qemuHas } from './qemu-compat.ts';

const KiB = 1024n;
const MiB = 1024n * KiB;
const GiB = 1024n * MiB;

/** One CFMWS as placed (what the CEDT advertises). */
export interface PlacedWindow {
  index: number;
  /** Base HPA in bytes; 0n when QEMU could not place it. */
  base: bigint;
  size: bigint;
  ways: number;
  /** Host bridge interleave granularity in bytes. */
  granularity: number;
  /** Host bridge UIDs in interleave order. */
  targets: number[];
  restrictions: number;
  arithmetic: 'modulo' | 'xor';
  qtgId: number;
}

/** The HPA layout QEMU computes for the CXL objects. */
export interface MemoryMap {
  windows: PlacedWindow[];
  /** Base of the CXL host register region (cxl_host_reg / VIRT_CXL_HOST). */
  hostRegBase: bigint;
  /** CHBCR (64 KiB component register block) base per host bridge id. */
  chbcr: Map<string, bigint>;
  /** Largest usable physical address + 1 (BIT(pa_bits)). */
  physLimit: bigint;
}

/** Size of one pxb-cxl CHBCR block (CXL2_COMPONENT_BLOCK_SIZE). */
export const CHBCR_SIZE = 64n * KiB;
/** At most 16 pxb-cxl share the 1 MiB host register region. */
export const MAX_PXB_CXL = 16;

export function roundUp(v: bigint, align: bigint): bigint {
  return ((v + align - 1n) / align) * align;
}

function isOff(opts: Record<string, string>, key: string): boolean {
  const v = opts[key];
  return v === 'off' || v === 'false' || v === 'no';
}

function intOption(opts: Record<string, string>, key: string): number | undefined {
  const v = opts[key];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** arm virt: base of VIRT_CXL_HOST and the first window candidate (virt_set_memmap()). */
function virtLayout(m: MachineConfig, paBits: number): { hostReg: bigint; fmwBase: bigint } {
  const ram = m.ramSize;
  const maxram = m.maxMem ?? ram;
  const devBase = roundUp(GiB + ram, GiB);
  const devSize = maxram - ram + BigInt(m.slots ?? 0) * GiB;
  const memtop = devBase + roundUp(devSize, GiB);
  let base = memtop < GiB + 255n * GiB ? GiB + 255n * GiB : memtop;
  let highestGpa = memtop - 1n;
  const limit = 1n << BigInt(paBits);
  const compact = !isOff(m.options, 'compact-highmem');
  const regions: { name: string; size: bigint; enabled: boolean }[] = [
    { name: 'redist2', size: 64n * MiB, enabled: !isOff(m.options, 'highmem-redists') },
    { name: 'cxl-host', size: CHBCR_SIZE * 16n, enabled: m.cxl },
    { name: 'ecam', size: 256n * MiB, enabled: !isOff(m.options, 'highmem-ecam') },
    {
      name: 'mmio',
      size: m.highmemMmioSize ?? 512n * GiB,
      enabled: !isOff(m.options, 'highmem-mmio'),
    },
  ];
  let hostReg = 0n;
  for (const r of regions) {
    const regionBase = roundUp(base, r.size);
    const fits = regionBase + r.size <= limit;
    const enabled = r.enabled && fits;
    if (r.name === 'cxl-host') hostReg = enabled ? regionBase : 0n;
    if (compact && !enabled) continue;
    base = regionBase + r.size;
    if (fits) highestGpa = base - 1n;
  }
  return { hostReg, fmwBase: roundUp(highestGpa + 1n, 256n * MiB) };
}

/**
 * Places the CHBCR blocks and the fixed memory windows as QEMU does for the machine type.
 * @throws EINVAL "Insufficient space for pxb cxl host register space" (> 16 pxb-cxl),
 *   "Could not resolve CXLFM target X"
 */
export function placeMemoryMap(t: Topology, p: Profile): MemoryMap {
  const m = t.machine;
  const opts = m.options;
  let hostRegBase: bigint;
  let fmwBase: bigint;
  let physLimit: bigint;
  if (m.type === 'virt') {
    const dflt = machineCpu(m).model === 'max' ? 52 : 48;
    const paBits = isOff(opts, 'highmem') ? 32 : (intOption(opts, 'pa-bits') ?? dflt);
    physLimit = 1n << BigInt(paBits);
    const l = virtLayout(m, paBits);
    hostRegBase = l.hostReg;
    fmwBase = l.fmwBase;
  } else {
    const cpuBits = /(?:^|,)phys-bits=(\d+)/.exec(cpuOption(t) ?? '')?.[1];
    const bits = machineCpu(m).physBits ?? (cpuBits ? Number(cpuBits) : 40);
    physLimit = 1n << BigInt(intOption(opts, 'phys-bits') ?? bits);
    hostRegBase = pcCxlBase(m, bootableAbove4gStart(t));
    fmwBase = roundUp(hostRegBase + MiB, 256n * MiB);
  }

  const order = childListOrder(t);
  // QEMU's 1 MiB host register region holds 16 blocks. Topology files describe platforms
  // beyond QEMU (large hosts): there the region grows to fit and the windows move up.
  if (order.length > MAX_PXB_CXL) {
    if (t.source.kind === 'qemu')
      throw new Errno('EINVAL', 'Insufficient space for pxb cxl host register space');
    const grow = roundUp(CHBCR_SIZE * BigInt(order.length), 256n * MiB);
    if (m.type !== 'virt') fmwBase = roundUp(hostRegBase + grow, 256n * MiB);
  }
  const chbcr = new Map<string, bigint>();
  order.forEach((hb, i) => {
    chbcr.set(hb.id, hostRegBase + CHBCR_SIZE * BigInt(i));
  });

  const uidOf = new Map(t.hostBridges.map((hb) => [hb.id, hostBridgeUid(hb)]));
  const pinned = t.windows
    .filter((w) => w.base !== undefined)
    .map((w) => [w.base ?? 0n, w.size] as const);
  const overlapsPinned = (b: bigint, s: bigint) =>
    pinned.some(([pb, ps]) => b < pb + ps && pb < b + s);
  // 7.2 places every window (no limit check); 10.x skips those past the physical limit.
  const limitFor = !qemuHas(p.qemu, 'windowPhysLimit')
    ? 1n << 64n
    : physLimit - (m.type === 'virt' ? 0n : 1n);

  let next = fmwBase;
  const windows: PlacedWindow[] = [...t.windows]
    .sort((a, b) => a.index - b.index)
    .map((w) => {
      const targets = w.targets.map((id) => {
        const uid = uidOf.get(id);
        if (uid === undefined) throw new Errno('EINVAL', `Could not resolve CXLFM target ${id}`);
        return uid;
      });
      let base = 0n;
      if (w.base !== undefined) base = w.base;
      else {
        while (overlapsPinned(next, w.size)) {
          const hit = pinned.find(([pb, ps]) => next < pb + ps && pb < next + w.size);
          next = roundUp((hit?.[0] ?? 0n) + (hit?.[1] ?? 0n), 256n * MiB);
        }
        if (next + w.size <= limitFor) {
          base = next;
          next += w.size;
        }
      }
      return {
        index: w.index,
        base,
        size: w.size,
        ways: targets.length,
        granularity: w.granularity,
        targets,
        restrictions: w.restrictions ?? QEMU_CFMWS_RESTRICTIONS,
        arithmetic: w.arithmetic ?? 'modulo',
        qtgId: w.qtgId ?? 0,
      };
    });
  return { windows, hostRegBase, chbcr, physLimit };
}
