/**
 * DOC: the formatting helpers of drivers/cxl/core/trace.h's TP_printk (__print_flags(),
 * __print_symbolic(), __print_hex(), %pUb), the record field readers (get_unaligned_le16/24/32,
 * le64_to_cpu) and the tables every kernel version shares.
 */
import type { CxlMemdev } from './memdev.ts';

/**
 * What the RAS paths need of a region (struct cxl_region): its name, uuid and
 * cxl_dpa_to_hpa(). RegionRef (core/region) provides it; typed here so that core does not
 * import the region folder.
 */
export interface RegionRef {
  name: string;
  params: { uuid: string };
  /** cxl_dpa_to_hpa(): the HPA of `cxlmd`'s `dpa` in this region, ULLONG_MAX when none. */
  dpaToHpa(cxlmd: CxlMemdev, dpa: bigint): bigint;
}

/** Where a media record's DPA lands: region and HPA (ULLONG_MAX without one). */
export interface HpaOf {
  cxlr: RegionRef | undefined;
  hpa: bigint;
}

/** Event log names (cxl_event_log_type_str). */
export const LOG_NAMES = ['Informational', 'Warning', 'Failure', 'Fatal'];
/** UUIDs of the record types (cxl/event.h). */
export const CXL_EVENT_GEN_MEDIA_UUID = 'fbcd0a77-c260-417f-85a9-088b1621eba6';
export const CXL_EVENT_DRAM_UUID = '601dcbb3-9c06-4eab-b8af-4e9bfb5c9624';
export const CXL_EVENT_MEM_MODULE_UUID = 'fe927475-dd59-4339-a586-79bab113b774';

export const hex = (v: bigint | number) => v.toString(16);
export const NULL_UUID = '00000000-0000-0000-0000-000000000000';

/** __print_flags(): names of the set bits joined by `delim`, leftover bits as 0x…. */
export function printFlags(v: number, delim: string, names: [number, string][]): string {
  const out: string[] = [];
  let rest = v;
  for (const [bit, name] of names)
    if ((v & bit) === bit && bit !== 0) {
      out.push(name);
      rest &= ~bit;
    }
  if (rest) out.push(`0x${hex(rest)}`);
  return out.join(delim);
}

/** __print_symbolic(): the name of a value, else 0x…. */
export function printSymbolic(
  v: number,
  names: readonly string[] | Record<number, string>,
): string {
  const n = (names as Record<number, string>)[v];
  return n ?? `0x${hex(v)}`;
}

/** __print_hex(): bytes as two hex digits separated by spaces. */
export function printHex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** %pUb of 16 bytes. */
export function pUb(b: Uint8Array): string {
  const h = [...b.subarray(0, 16)].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const u16 = (b: Uint8Array, o: number) => (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8);
export const u24 = (b: Uint8Array, o: number) => u16(b, o) | ((b[o + 2] ?? 0) << 16);
export const u32 = (b: Uint8Array, o: number) => (u24(b, o) | ((b[o + 3] ?? 0) << 24)) >>> 0;
export const u64 = (b: Uint8Array, o: number) => (BigInt(u32(b, o + 4)) << 32n) | BigInt(u32(b, o));
export const s16 = (b: Uint8Array, o: number) => (u16(b, o) << 16) >> 16;

/** "memdev=… host=… serial=…" of a memdev. */
export function who(cxlmd: CxlMemdev): string {
  return `memdev=${cxlmd.name} host=${cxlmd.parent?.name ?? ''} serial=${BigInt.asIntN(64, cxlmd.cxlds.serial)}`;
}

/** show_dpa_flags(). */
export const DPA_FLAGS: [number, string][] = [
  [1, 'VOLATILE'],
  [2, 'NOT_REPAIRABLE'],
];
/** show_event_desc_flags(). */
export const DESC_FLAGS: [number, string][] = [
  [1, 'UNCORRECTABLE_EVENT'],
  [2, 'THRESHOLD_EVENT'],
  [4, 'POISON_LIST_OVERFLOW'],
];
/** show_media_status(). */
export const MEDIA_STATUS = [
  'Normal',
  'Not Ready',
  'Write Persistency Lost',
  'All Data Lost',
  'Write Persistency Loss in the Event of Power Loss',
  'Write Persistency Loss in Event of Shutdown',
  'Write Persistency Loss Imminent',
  'All Data Loss in Event of Power Loss',
  'All Data loss in the Event of Shutdown',
  'All Data Loss Imminent',
];
