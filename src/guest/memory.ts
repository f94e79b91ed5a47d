/**
 * DOC: what a guest's memory looks like from userland — /proc/iomem (the kernel's iomem
 * resource tree: firmware RAM, CXL windows, regions and the dax/kmem ranges under them) and the
 * memory blocks of /sys/devices/system/memory — built from the booted machine's state.
 *
 * RAM is what QEMU's firmware reports in the e820 map (hw/i386/pc_q35.c RAM split, SeaBIOS):
 * page 0 reserved, 0x1000-0x9fbff, then 1 MiB up to the end of low RAM less SeaBIOS's 128 KiB,
 * then everything above 4 GiB. Low RAM ends at min(-m, lowmem) with lowmem 0x80000000 when
 * -m ≥ 0xb0000000, else 0xb0000000 (max-ram-below-4g caps it). Memory blocks are 128 MiB
 * (x86 probe_memory_block_size() below 64 GiB of RAM); every block holding boot RAM is online
 * (auto_online_blocks "online", the Debian kernels' CONFIG_MHP_DEFAULT_ONLINE_TYPE). Only q35 is
 * modelled; a CXL range onlined by kmem is not (no guest here can bind kmem to a CXL window's
 * node other than node 0, see drivers/dax/bus.ts).
 */
import { CxlRootDecoder } from '../drivers/cxl/core/decoder.ts';
import { CxlRegion } from '../drivers/cxl/core/region/region.ts';
import { DevDax } from '../drivers/dax/bus.ts';
import type { Machine } from '../machine.ts';

const MiB = 1n << 20n;
const GiB = 1n << 30n;

/** One /proc/iomem line: inclusive range, name, nesting depth. */
export interface IomemEntry {
  start: bigint;
  end: bigint;
  name: string;
  depth: number;
}

/** Boot RAM ranges (inclusive) as e820 reports them on q35. */
export function bootRam(m: Machine): { start: bigint; end: bigint }[] {
  const mc = m.topology.machine;
  const ram = mc.ramSize;
  let lowmem = ram >= 0xb0000000n ? 0x80000000n : 0xb0000000n;
  const cap = mc.options['max-ram-below-4g'];
  if (cap && /^\d+$/.test(cap) && BigInt(cap) < lowmem) lowmem = BigInt(cap);
  const below = ram < lowmem ? ram : lowmem;
  const out = [
    { start: 0x1000n, end: 0x9fbffn },
    { start: MiB, end: below - 0x20000n - 1n },
  ];
  if (ram > below) out.push({ start: 4n * GiB, end: 4n * GiB + (ram - below) - 1n });
  return out;
}

/** The iomem lines cxlsim models: System RAM, the CXL windows, regions, dax and kmem ranges. */
export function iomemEntries(m: Machine): IomemEntry[] {
  const out: IomemEntry[] = bootRam(m).map((r) => ({ ...r, name: 'System RAM', depth: 0 }));
  const cxl = m.kernel.buses.get('cxl')?.devices ?? [];
  for (const rd of cxl) {
    if (!(rd instanceof CxlRootDecoder) || !rd.registered || !rd.resName) continue;
    out.push({ ...rd.hpaRange, name: rd.resName, depth: 0 });
    for (const r of cxl) {
      if (!(r instanceof CxlRegion) || !r.registered || r.cxlrd !== rd) continue;
      const res = r.params.res;
      if (!res || !r.params.resInserted) continue;
      out.push({ start: res.start, end: res.end, name: r.name, depth: 1 });
      for (const d of m.kernel.buses.get('dax')?.devices ?? []) {
        if (!(d instanceof DevDax) || !d.registered || d.driver?.name !== 'kmem') continue;
        if (d.region.start < res.start || d.region.end > res.end) continue;
        out.push({ start: d.region.start, end: d.region.end, name: d.name, depth: 2 });
        out.push({ start: d.region.start, end: d.region.end, name: 'System RAM (kmem)', depth: 3 });
      }
    }
  }
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.depth - b.depth));
}

/** /proc/iomem text of the modelled lines (r_show(): "%0*llx-%0*llx : %s", 2 spaces a level). */
export function procIomem(m: Machine): string {
  const h = (v: bigint) => v.toString(16).padStart(8, '0');
  return iomemEntries(m)
    .map((e) => `${'  '.repeat(e.depth)}${h(e.start)}-${h(e.end)} : ${e.name}\n`)
    .join('');
}

/** Memory blocks (128 MiB) holding boot RAM, and how many are online (all of them). */
export function memoryBlocks(m: Machine): { autoOnline: string; blocks: number; online: number } {
  const size = 128n * MiB;
  const ids = new Set<bigint>();
  for (const r of bootRam(m)) for (let b = r.start / size; b <= r.end / size; b++) ids.add(b);
  return { autoOnline: 'online', blocks: ids.size, online: ids.size };
}
