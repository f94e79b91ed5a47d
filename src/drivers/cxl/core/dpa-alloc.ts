/**
 * DOC: endpoint decoder DPA allocation from sysfs (drivers/cxl/core/port.c mode_store,
 * dpa_size_store; core/hdm.c cxl_dpa_set_mode / cxl_dpa_set_part, cxl_dpa_alloc,
 * __cxl_dpa_reserve, cxl_dpa_free).
 *
 * A memdev's DPA space is split in partitions (ram first, then pmem; bytes). An endpoint
 * decoder picks a partition with `mode`, then `dpa_size` frees its allocation and allocates
 * anew right after the last allocation in that partition. Allocating in a higher partition while
 * lower ones have unallocated space reserves that space as the decoder's DPA skip. Allocations
 * go in increasing decoder id (`hdm_end + 1`), frees in decreasing id. Linux 6.1 always has both
 * partitions (an empty one has size 0); later kernels only list partitions with capacity.
 */
import { Errno } from '../../../kernel/errno.ts';
import { kstrtoull, pa, sysfsStreq } from '../../../sysfs/format.ts';
import { env } from '../../env.ts';
import { CXL_DECODER_F_ENABLE, SZ_256M } from '../cxl.ts';
import { CxlEndpointDecoder, frozenRange, type HpaRange } from './decoder.ts';
import { type CxlMemdev, memdevOfEndpoint } from './memdev.ts';
import { REGION_KVER } from './region/kver.ts';

/** One DPA partition: inclusive range (end = start - 1 when empty). */
export interface DpaPart {
  mode: 'ram' | 'pmem';
  start: bigint;
  end: bigint;
}

/** 6.1 keeps both partitions; later kernels (cxl_dpa_setup + add_part) only non-empty ones. */
function partitionsKept(cxlmd: CxlMemdev): boolean {
  return !env(cxlmd).since(REGION_KVER.partitions);
}

/** The memdev's partitions in DPA order (cxlds->part[] / ram_res, pmem_res). */
export function dpaPartitions(cxlmd: CxlMemdev): DpaPart[] {
  const { ram, pmem } = cxlmd.cxlds;
  const parts: DpaPart[] = [
    { mode: 'ram', start: ram.start, end: ram.start + ram.size - 1n },
    { mode: 'pmem', start: pmem.start, end: pmem.start + pmem.size - 1n },
  ];
  return partitionsKept(cxlmd) ? parts : parts.filter((p) => p.end >= p.start);
}

/** Reserved DPA pieces (allocations and skips) of every endpoint decoder of the memdev. */
function pieces(cxlmd: CxlMemdev): HpaRange[] {
  const out: HpaRange[] = [];
  for (const d of cxlmd.endpoint?.children ?? []) {
    if (!(d instanceof CxlEndpointDecoder) || !d.dpaRes) continue;
    if (d.skip > 0n) out.push({ start: d.dpaRes.start - d.skip, end: d.dpaRes.start - 1n });
    out.push({ start: d.dpaRes.start, end: d.dpaRes.end });
  }
  return out;
}

/** End of the last reserved piece inside `part` (its last resource child), or undefined. */
function lastChildEnd(cxlmd: CxlMemdev, part: DpaPart): bigint | undefined {
  let end: bigint | undefined;
  for (const p of pieces(cxlmd)) {
    if (p.start > part.end || p.end < part.start) continue;
    const e = p.end < part.end ? p.end : part.end;
    if (end === undefined || e > end) end = e;
  }
  return end;
}

/** Lowest reserved piece start inside `part` (its first resource child), or undefined. */
function firstChildStart(cxlmd: CxlMemdev, part: DpaPart): bigint | undefined {
  let start: bigint | undefined;
  for (const p of pieces(cxlmd)) {
    if (p.start > part.end || p.end < part.start) continue;
    const s = p.start > part.start ? p.start : part.start;
    if (start === undefined || s < start) start = s;
  }
  return start;
}

function memdevOf(cxled: CxlEndpointDecoder): CxlMemdev {
  const m = memdevOfEndpoint(cxled.port);
  if (!m) throw new Errno('ENODEV', undefined, cxled.name);
  return m;
}

/** Mode numbers as the kernel prints them ("unsupported mode: %d"). */
function modeNumber(cxled: CxlEndpointDecoder, mode: 'ram' | 'pmem'): number {
  // 6.1 enum cxl_decoder_mode: NONE 0, RAM 1, PMEM 2; later enum cxl_partition_mode: RAM 0, PMEM 1.
  return partitionsKept(memdevOf(cxled)) ? (mode === 'ram' ? 1 : 2) : mode === 'ram' ? 0 : 1;
}

/**
 * cxl_dpa_set_mode() (6.1) / cxl_dpa_set_part(): choose the partition for later allocations.
 * @throws EBUSY decoder committed; EINVAL no such partition ("unsupported mode: %d");
 *   ENXIO partition without capacity ("no available %s capacity" / "… for mode: %d")
 */
export function cxlDpaSetMode(cxled: CxlEndpointDecoder, mode: 'ram' | 'pmem'): void {
  const cxlmd = memdevOf(cxled);
  if (cxled.flags & CXL_DECODER_F_ENABLE) throw new Errno('EBUSY', undefined, cxled.name);
  const part = dpaPartitions(cxlmd).find((p) => p.mode === mode);
  if (!part) throw cxled.dbgErr('EINVAL', `unsupported mode: ${modeNumber(cxled, mode)}`);
  if (part.end < part.start) {
    if (partitionsKept(cxlmd))
      throw cxled.dbgErr('ENXIO', `no available ${mode} capacity`, { check: 'dpa' });
    throw cxled.dbgErr('ENXIO', `no available capacity for mode: ${modeNumber(cxled, mode)}`, {
      check: 'dpa',
    });
  }
  cxled.mode = mode;
}

/**
 * cxl_dpa_free(): release the decoder's allocation and skip (`hdm_end--`).
 * @throws EBUSY in a region, committed, or not the highest allocated decoder
 */
export function cxlDpaFree(cxled: CxlEndpointDecoder): void {
  const port = cxled.port;
  if (!cxled.dpaRes) return;
  if (cxled.region) throw cxled.dbgErr('EBUSY', `decoder assigned to: ${cxled.region.name}`);
  if (cxled.flags & CXL_DECODER_F_ENABLE) throw cxled.dbgErr('EBUSY', 'decoder enabled');
  if (cxled.id !== port.hdmEnd)
    throw cxled.dbgErr('EBUSY', `expected decoder${port.id}.${port.hdmEnd}`);
  cxled.dpaRes = undefined;
  cxled.skip = 0n;
  port.hdmEnd--;
}

/**
 * __cxl_dpa_reserve(): record [base, base + len) with `skip` bytes reserved below it.
 * @throws EINVAL empty; EBUSY existing allocation, out of decoder order, or overlap
 */
export function cxlDpaReserveAlloc(
  cxled: CxlEndpointDecoder,
  base: bigint,
  len: bigint,
  skip: bigint,
): void {
  const port = cxled.port;
  const cxlmd = memdevOf(cxled);
  const tag = `decoder${port.id}.${cxled.id}`;
  if (len === 0n) {
    port.warn(`${tag}: empty reservation attempted`);
    throw new Errno('EINVAL', `${tag}: empty reservation attempted`, port.name);
  }
  if (cxled.dpaRes)
    throw port.dbgErr('EBUSY', `${tag}: existing allocation ${fmtDpa(cxled.dpaRes)} assigned`);
  if (port.hdmEnd + 1 !== cxled.id)
    throw port.dbgErr('EBUSY', `${tag}: expected decoder${port.id}.${port.hdmEnd + 1}`);
  const total = cxlmd.cxlds.ram.size + cxlmd.cxlds.pmem.size;
  const busy = pieces(cxlmd);
  const overlaps = (s: bigint, e: bigint) =>
    busy.some((b) => b.start <= e && b.end >= s) || s < 0n || e >= total;
  if (skip > 0n && overlaps(base - skip, base - 1n)) {
    if (!partitionsKept(cxlmd)) {
      // request_skip() logs on cxlds->dev (the PCI function); "skipped" is what got reserved.
      throw cxlmd.cxlds.pdev.dbgErr(
        'EBUSY',
        `${cxled.name}: failed to reserve skipped space (${pa(base - skip)} ${pa(skip)} ${pa(0n)})`,
      );
    }
    throw port.dbgErr('EBUSY', `${tag}: failed to reserve skipped space`);
  }
  if (overlaps(base, base + len - 1n))
    throw port.dbgErr('EBUSY', `${tag}: failed to reserve allocation`);
  cxled.dpaRes = frozenRange(base, base + len - 1n);
  cxled.skip = skip;
  port.hdmEnd++;
}

/** `%pr` of a DPA resource. */
function fmtDpa(r: HpaRange): string {
  const h = (v: bigint) => `0x${v.toString(16).padStart(8, '0')}`;
  return `[mem ${h(r.start)}-${h(r.end)} flags 0x80000200]`;
}

/**
 * cxl_dpa_alloc(): allocate `size` bytes in the decoder's partition, right after its last
 * allocation, reserving any unallocated lower-partition space as skip.
 * @throws EBUSY in a region / committed / (later kernels) no partition chosen;
 *   EINVAL (6.1) "mode not set"; ENOSPC not enough room; __cxl_dpa_reserve's errors
 */
export function cxlDpaAlloc(cxled: CxlEndpointDecoder, size: bigint): void {
  const cxlmd = memdevOf(cxled);
  if (cxled.region) throw cxled.dbgErr('EBUSY', `decoder attached to ${cxled.region.name}`);
  if (cxled.flags & CXL_DECODER_F_ENABLE) throw cxled.dbgErr('EBUSY', 'decoder enabled');
  const parts = dpaPartitions(cxlmd);
  const idx = parts.findIndex((p) => p.mode === cxled.mode);
  const part = parts[idx];
  if (!part) {
    if (partitionsKept(cxlmd)) throw cxled.dbgErr('EINVAL', 'mode not set');
    throw cxled.dbgErr('EBUSY', 'partition not set');
  }
  const last = lastChildEnd(cxlmd, part);
  const start = last === undefined ? part.start : last + 1n;
  let skip = 0n;
  if (partitionsKept(cxlmd)) {
    // 6.1: only pmem skips, from the end of the last ram allocation.
    if (part.mode === 'pmem') {
      const ram = parts[0] as DpaPart;
      const ramLast = lastChildEnd(cxlmd, ram);
      const skipStart = ramLast === undefined ? ram.start : ramLast + 1n;
      const first = firstChildStart(cxlmd, part);
      const skipEnd = first !== undefined && skipStart === first ? skipStart - 1n : start - 1n;
      skip = skipEnd - skipStart + 1n;
    }
  } else {
    let skipStart: bigint | undefined;
    for (let i = idx; i > 0; i--) {
      const prev = parts[i - 1] as DpaPart;
      const l = lastChildEnd(cxlmd, prev);
      if (l !== undefined) {
        skipStart = l + 1n;
        break;
      }
      skipStart = prev.start;
    }
    skip = skipStart === undefined ? 0n : part.start - skipStart;
  }
  const avail = part.end - start + 1n;
  if (size > avail) {
    if (partitionsKept(cxlmd))
      throw cxled.dbgErr(
        'ENOSPC',
        `${pa(size)} exceeds available ${part.mode} capacity: ${pa(avail)}`,
        { check: 'dpa' },
      );
    throw cxled.dbgErr('ENOSPC', `${size} exceeds available ${part.mode} capacity: ${avail}`, {
      check: 'dpa',
    });
  }
  cxlDpaReserveAlloc(cxled, start, size, skip);
}

/**
 * `mode` store: "ram" or "pmem" (sysfs_streq).
 * @throws EINVAL anything else; cxlDpaSetMode's errors
 */
export function modeStore(cxled: CxlEndpointDecoder, buf: string): void {
  let mode: 'ram' | 'pmem';
  if (sysfsStreq(buf, 'pmem')) mode = 'pmem';
  else if (sysfsStreq(buf, 'ram')) mode = 'ram';
  else throw new Errno('EINVAL', undefined, cxled.name);
  cxlDpaSetMode(cxled, mode);
}

/**
 * `dpa_size` store: kstrtoull, 256 MiB aligned; free first, then allocate when non-zero.
 * @throws EINVAL parse / alignment; cxlDpaFree / cxlDpaAlloc errors
 */
export function dpaSizeStore(cxled: CxlEndpointDecoder, buf: string): void {
  const size = kstrtoull(buf, 0);
  if (size % SZ_256M !== 0n) throw new Errno('EINVAL', undefined, cxled.name);
  cxlDpaFree(cxled);
  if (size === 0n) return;
  cxlDpaAlloc(cxled, size);
}
