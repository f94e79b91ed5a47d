/**
 * DOC: the firmware memory map a guest boots with, and the CXL windows that land on it
 * ("E820 over a window").
 *
 * q35 (QEMU hw/i386/pc.c pc_memory_init() + hw/i386/pc_q35.c RAM split, SeaBIOS's e820 table;
 * checked against the latest interleave capture's "BIOS-e820:" lines, -m 2G): RAM 0–0x9fbff,
 * reserved 0x9fc00–0x9ffff (EBDA) and 0xf0000–0xfffff (BIOS), RAM from 1 MiB to the end of low
 * RAM less 128 KiB (SeaBIOS keeps the rest reserved), reserved 0xb0000000–0xbfffffff (MCFG),
 * 0xfed1c000–0xfed1ffff (ICH9 RCRB), 0xfffc0000–0xffffffff (BIOS flash), the above-4G RAM at
 * 4 GiB (or 1 TiB after the AMD relocation), and the AMD HyperTransport hole
 * 0xfd00000000–0xffffffffff reserved when the CPU is AMD with phys-bits ≥ 40. arm virt (EDK2's
 * UEFI memory map): RAM at 1 GiB. The device-memory (maxmem) range is not in either map.
 *
 * QEMU places the windows after all of it (pc_get_cxl_range_start(), cxl_fmws_set_memmap()),
 * so a window only lands on the map when QEMU left it unplaced at base 0 (its end would pass the
 * physical address width: QEMU ≥ 10 skips it and the CEDT still advertises base 0): the guest's
 * "CXL Window N" then covers RAM the kernel already owns.
 */
import type { PlacedWindow } from '../hw/placement.ts';
import type { Topology } from '../topology/model.ts';
import { bootableAbove4gStart, x86Cpu } from '../topology/qemu-memmap.ts';
import type { Finding } from './types.ts';

/** One firmware memory-map entry (inclusive end). */
export interface MapEntry {
  start: bigint;
  end: bigint;
  type: 'System RAM' | 'device reserved';
}

const MiB = 1n << 20n;
const GiB = 1n << 30n;
const AMD_HT_START = 0xfd00000000n;
const AMD_HT_END = 0xffffffffffn;

/** The guest's firmware memory map for `t` (E820 on q35, the UEFI map's RAM on arm virt). */
export function firmwareMemoryMap(t: Topology): MapEntry[] {
  const mc = t.machine;
  const ram = mc.ramSize;
  if (mc.type === 'virt') return [{ start: GiB, end: GiB + ram - 1n, type: 'System RAM' }];
  let lowmem = ram >= 0xb0000000n ? 0x80000000n : 0xb0000000n;
  const cap = mc.options['max-ram-below-4g'];
  if (cap && /^\d+$/.test(cap) && BigInt(cap) < lowmem) lowmem = BigInt(cap);
  const below = ram < lowmem ? ram : lowmem;
  const out: MapEntry[] = [
    { start: 0n, end: 0x9fbffn, type: 'System RAM' },
    { start: 0x9fc00n, end: 0x9ffffn, type: 'device reserved' },
    { start: 0xf0000n, end: 0xfffffn, type: 'device reserved' },
    { start: MiB, end: below - 0x20000n - 1n, type: 'System RAM' },
    { start: below - 0x20000n, end: below - 1n, type: 'device reserved' },
    { start: 0xb0000000n, end: 0xbfffffffn, type: 'device reserved' },
    { start: 0xfed1c000n, end: 0xfed1ffffn, type: 'device reserved' },
    { start: 0xfffc0000n, end: 0xffffffffn, type: 'device reserved' },
  ];
  if (ram > below) {
    const start = bootableAbove4gStart(t);
    out.push({ start, end: start + (ram - below) - 1n, type: 'System RAM' });
  }
  const cpu = x86Cpu(t);
  if (cpu.amd && (cpu.physBits ?? 0) >= 40)
    out.push({ start: AMD_HT_START, end: AMD_HT_END, type: 'device reserved' });
  return out.sort((a, b) => (a.start < b.start ? -1 : 1));
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

/**
 * One finding per window whose range overlaps the firmware memory map: an error when it covers
 * RAM, a warning for a reserved range. The option named: the window's size or the CPU's
 * physical address width when QEMU left it at base 0, else the RAM options.
 */
export function e820Findings(t: Topology, windows: readonly PlacedWindow[]): Finding[] {
  const map = firmwareMemoryMap(t);
  const what = t.machine.type === 'virt' ? 'UEFI memory map' : 'E820';
  const out: Finding[] = [];
  for (const w of windows) {
    if (w.size === 0n) continue;
    const end = w.base + w.size - 1n;
    const hits = map.filter((e) => e.start <= end && e.end >= w.base);
    if (hits.length === 0) continue;
    const ram = hits.some((e) => e.type === 'System RAM');
    const list = hits.map((e) => `${e.type} ${hex(e.start)}-${hex(e.end)}`).join(', ');
    const unplaced = w.base === 0n;
    out.push({
      severity: ram ? 'error' : 'warning',
      kind: 'e820-over-window',
      subject: `cxl-fmw.${w.index}`,
      message: `cxl-fmw.${w.index} ${hex(w.base)}-${hex(end)} overlaps the ${what} (${list})${
        unplaced
          ? ': QEMU could not place it below the physical address limit and the CEDT advertises base 0'
          : ''
      }; the guest's CXL window covers ${ram ? 'RAM the kernel already owns' : 'reserved firmware ranges'}`,
      option: unplaced
        ? `-M cxl-fmw.${w.index}.size (smaller), or -cpu …,phys-bits=N`
        : '-m / -m …,maxmem= (guest RAM size), or -M max-ram-below-4g=',
    });
  }
  return out;
}
