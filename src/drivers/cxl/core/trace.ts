/**
 * DOC: the cxl trace events (drivers/cxl/core/trace.h) with their TP_printk text:
 * cxl_poison, cxl_overflow, cxl_general_media, cxl_dram, cxl_memory_module, cxl_generic_event.
 * The record layouts are the kernel's (cxl/event.h, CXL 3.1 §8.2.9.2.1 Tables 8-43…8-47):
 * common header 0x30 bytes (uuid, length, flags[3], handle, related handle, timestamp,
 * maintenance class / subclass), then the type's fields. The formats are the v7.x trace.h
 * ones for every modelled kernel (6.12's shorter general media / DRAM lines are not modelled).
 */
import { kernelTrace } from '../../../kernel/trace.ts';
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

/** Event log names (cxl_event_log_type_str). */
const LOG_NAMES = ['Informational', 'Warning', 'Failure', 'Fatal'];
/** UUIDs of the record types (cxl/event.h). */
export const CXL_EVENT_GEN_MEDIA_UUID = 'fbcd0a77-c260-417f-85a9-088b1621eba6';
export const CXL_EVENT_DRAM_UUID = '601dcbb3-9c06-4eab-b8af-4e9bfb5c9624';
export const CXL_EVENT_MEM_MODULE_UUID = 'fe927475-dd59-4339-a586-79bab113b774';

const hex = (v: bigint | number) => v.toString(16);
const NULL_UUID = '00000000-0000-0000-0000-000000000000';

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

const u16 = (b: Uint8Array, o: number) => (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8);
const u24 = (b: Uint8Array, o: number) => u16(b, o) | ((b[o + 2] ?? 0) << 16);
const u32 = (b: Uint8Array, o: number) => (u24(b, o) | ((b[o + 3] ?? 0) << 24)) >>> 0;
const u64 = (b: Uint8Array, o: number) => (BigInt(u32(b, o + 4)) << 32n) | BigInt(u32(b, o));
const s16 = (b: Uint8Array, o: number) => (u16(b, o) << 16) >> 16;

/** "memdev=… host=… serial=…" of a memdev. */
function who(cxlmd: CxlMemdev): string {
  return `memdev=${cxlmd.name} host=${cxlmd.parent?.name ?? ''} serial=${BigInt.asIntN(64, cxlmd.cxlds.serial)}`;
}

/** Poison trace types (enum cxl_poison_trace_type). */
export type PoisonTraceType = 'List' | 'Inject' | 'Clear';

/**
 * trace_cxl_poison(): one poison record (address with source bits, length in 64-byte units).
 * @param hpa the record's HPA in `cxlr` (ULLONG_MAX without a region)
 */
export function traceCxlPoison(
  cxlmd: CxlMemdev,
  cxlr: RegionRef | undefined,
  hpa: bigint,
  record: { address: bigint; length: number },
  flags: number,
  overflowTs: bigint,
  type: PoisonTraceType,
): void {
  const dpa = record.address & ~0x3fn;
  const source = Number(record.address & 7n);
  const src =
    source > 3 && source !== 7
      ? 'Reserved'
      : printSymbolic(source, {
          0: 'Unknown',
          1: 'External',
          2: 'Internal',
          3: 'Injected',
          7: 'Vendor',
        });
  const ovf = flags & 2 ? overflowTs : 0n;
  const len = record.length * 64;
  const text =
    `${who(cxlmd)} trace_type=${type} region=${cxlr?.name ?? ''} ` +
    `region_uuid=${cxlr ? cxlr.params.uuid : NULL_UUID} hpa=0x${hex(hpa)} dpa=0x${hex(dpa)} ` +
    `dpa_length=0x${hex(len)} source=${src} ` +
    `flags=${printFlags(flags, '|', [
      [1, 'More'],
      [2, 'Overflow'],
      [4, 'Scanning'],
    ])} overflow_time=${ovf}`;
  kernelTrace(cxlmd.ctx).emit('cxl', 'cxl_poison', text, {
    memdev: cxlmd.name,
    region: cxlr?.name ?? '',
    hpa,
    dpa,
    dpa_length: len,
    source,
    flags,
    overflow_ts: ovf,
  });
}

/** trace_cxl_overflow(): a Get Event Records answer with the overflow flag. */
export function traceCxlOverflow(cxlmd: CxlMemdev, log: number, payload: Uint8Array): void {
  const text = `${who(cxlmd)}: log=${printSymbolic(log, LOG_NAMES)} : ${u16(payload, 2)} records from ${u64(payload, 4)} to ${u64(payload, 0xc)}`;
  kernelTrace(cxlmd.ctx).emit('cxl', 'cxl_overflow', text, { memdev: cxlmd.name, log });
}

const HDR_FLAGS: [number, string][] = [
  [1 << 2, 'PERMANENT_CONDITION'],
  [1 << 3, 'MAINTENANCE_NEEDED'],
  [1 << 4, 'PERFORMANCE_DEGRADED'],
  [1 << 5, 'HARDWARE_REPLACEMENT_NEEDED'],
  [1 << 6, 'MAINT_OP_SUB_CLASS_VALID'],
];

/** CXL_EVT_TP_printk's common prefix for a record of log `log` with uuid `uuid`. */
function hdrText(cxlmd: CxlMemdev, log: number, rec: Uint8Array, uuid: string): string {
  return (
    `${who(cxlmd)} log=${printSymbolic(log, LOG_NAMES)} : time=${u64(rec, 0x18)} uuid=${uuid} ` +
    `len=${rec[0x10] ?? 0} flags='${printFlags(u24(rec, 0x11), ' | ', HDR_FLAGS)}' ` +
    `handle=${hex(u16(rec, 0x14))} related_handle=${hex(u16(rec, 0x16))} ` +
    `maint_op_class=${rec[0x20] ?? 0} maint_op_sub_class=${rec[0x21] ?? 0} : `
  );
}

const DPA_FLAGS: [number, string][] = [
  [1, 'VOLATILE'],
  [2, 'NOT_REPAIRABLE'],
];
const DESC_FLAGS: [number, string][] = [
  [1, 'UNCORRECTABLE_EVENT'],
  [2, 'THRESHOLD_EVENT'],
  [4, 'POISON_LIST_OVERFLOW'],
];
const TRANS = [
  'Unknown',
  'Host Read',
  'Host Write',
  'Host Scan Media',
  'Host Inject Poison',
  'Internal Media Scrub',
  'Internal Media Management',
  'Internal Media Error Check Scrub',
  'Media Initialization',
];
const SUB_TYPE = [
  'Not Reported',
  'Internal Datapath Error',
  'Media Link Command Training Error',
  'Media Link Control Training Error',
  'Media Link Data Training Error',
  'Media Link CRC Error',
];
const CME_FLAGS: [number, string][] = [
  [1, 'Corrected Memory Errors in Multiple Media Components'],
  [2, 'Exceeded Programmable Threshold'],
];
const PLDM_FLAGS: [number, string][] = [
  [1, 'PLDM Entity ID'],
  [2, 'Resource ID'],
];

/** comp_id=… comp_id_pldm_valid_flags=… pldm_entity_id=… pldm_resource_id=… */
function compIdText(comp: Uint8Array, valid: number, compBit: number, fmtBit: number): string {
  const both = valid & compBit && valid & fmtBit;
  const entity = both && (comp[0] ?? 0) & 1 ? printHex(comp.subarray(1, 7)) : '0x00';
  const res = both && (comp[0] ?? 0) & 2 ? printHex(comp.subarray(7, 11)) : '0x00';
  return (
    `comp_id=${printHex(comp)} comp_id_pldm_valid_flags='${printFlags(comp[0] ?? 0, ' | ', PLDM_FLAGS)}' ` +
    `pldm_entity_id=${entity} pldm_resource_id=${res}`
  );
}

/** Where a media record's DPA lands: region and HPA (ULLONG_MAX without one). */
export interface HpaOf {
  cxlr: RegionRef | undefined;
  hpa: bigint;
}

/** trace_cxl_general_media(). */
export function traceCxlGeneralMedia(cxlmd: CxlMemdev, log: number, rec: Uint8Array, at: HpaOf) {
  const phys = u64(rec, 0x30);
  const valid = u16(rec, 0x3b);
  const text =
    hdrText(cxlmd, log, rec, CXL_EVENT_GEN_MEDIA_UUID) +
    `dpa=${hex(phys & ~0x3fn)} dpa_flags='${printFlags(Number(phys & 3n), '|', DPA_FLAGS)}' ` +
    `descriptor='${printFlags(rec[0x38] ?? 0, '|', DESC_FLAGS)}' ` +
    `type='${printSymbolic(rec[0x39] ?? 0, ['ECC Error', 'Invalid Address', 'Data Path Error', 'TE State Violation', 'Scrub Media ECC Error', 'Adv Prog CME Counter Expiration', 'CKID Violation'])}' ` +
    `sub_type='${printSymbolic(rec[0x56] ?? 0, SUB_TYPE)}' ` +
    `transaction_type='${printSymbolic(rec[0x3a] ?? 0, TRANS)}' channel=${rec[0x3d] ?? 0} rank=${rec[0x3e] ?? 0} ` +
    `device=${hex(u24(rec, 0x3f))} validity_flags='${printFlags(valid, '|', [
      [1, 'CHANNEL'],
      [2, 'RANK'],
      [4, 'DEVICE'],
      [8, 'COMPONENT'],
      [16, 'COMPONENT PLDM FORMAT'],
    ])}' ` +
    `${compIdText(rec.subarray(0x42, 0x52), valid, 8, 16)} ` +
    `hpa=${hex(at.hpa)} region=${at.cxlr?.name ?? ''} region_uuid=${at.cxlr ? at.cxlr.params.uuid : NULL_UUID} ` +
    `cme_threshold_ev_flags='${printFlags(rec[0x52] ?? 0, '|', CME_FLAGS)}' cme_count=${u24(rec, 0x53)}`;
  kernelTrace(cxlmd.ctx).emit('cxl', 'cxl_general_media', text, { memdev: cxlmd.name, log });
}

/** trace_cxl_dram(). */
export function traceCxlDram(cxlmd: CxlMemdev, log: number, rec: Uint8Array, at: HpaOf) {
  const phys = u64(rec, 0x30);
  const valid = u16(rec, 0x3b);
  const text =
    hdrText(cxlmd, log, rec, CXL_EVENT_DRAM_UUID) +
    `dpa=${hex(phys & ~0x3fn)} dpa_flags='${printFlags(Number(phys & 3n), '|', DPA_FLAGS)}' ` +
    `descriptor='${printFlags(rec[0x38] ?? 0, '|', DESC_FLAGS)}' ` +
    `type='${printSymbolic(rec[0x39] ?? 0, ['ECC Error', 'Scrub Media ECC Error', 'Invalid Address', 'Data Path Error', 'TE State Violation', 'Adv Prog CME Counter Expiration', 'CKID Violation'])}' ` +
    `sub_type='${printSymbolic(rec[0x7e] ?? 0, SUB_TYPE)}' ` +
    `transaction_type='${printSymbolic(rec[0x3a] ?? 0, TRANS)}' channel=${rec[0x3d] ?? 0} rank=${rec[0x3e] ?? 0} ` +
    `nibble_mask=${hex(u24(rec, 0x3f))} bank_group=${rec[0x42] ?? 0} bank=${rec[0x43] ?? 0} ` +
    `row=${u24(rec, 0x44)} column=${u16(rec, 0x47)} cor_mask=${printHex(rec.subarray(0x49, 0x69))} ` +
    `validity_flags='${printFlags(valid, '|', [
      [1, 'CHANNEL'],
      [2, 'RANK'],
      [4, 'NIBBLE'],
      [8, 'BANK GROUP'],
      [16, 'BANK'],
      [32, 'ROW'],
      [64, 'COLUMN'],
      [128, 'CORRECTION MASK'],
      [256, 'COMPONENT'],
      [512, 'COMPONENT PLDM FORMAT'],
      [1024, 'SUB CHANNEL'],
    ])}' ` +
    `${compIdText(rec.subarray(0x69, 0x79), valid, 256, 512)} ` +
    `hpa=${hex(at.hpa)} region=${at.cxlr?.name ?? ''} region_uuid=${at.cxlr ? at.cxlr.params.uuid : NULL_UUID} ` +
    `sub_channel=${rec[0x79] ?? 0} cme_threshold_ev_flags='${printFlags(rec[0x7a] ?? 0, '|', CME_FLAGS)}' cvme_count=${u24(rec, 0x7b)}`;
  kernelTrace(cxlmd.ctx).emit('cxl', 'cxl_dram', text, { memdev: cxlmd.name, log });
}

/** trace_cxl_memory_module(). */
export function traceCxlMemoryModule(cxlmd: CxlMemdev, log: number, rec: Uint8Array) {
  const as = rec[0x33] ?? 0;
  const two = ['Normal', 'Warning', 'Critical'];
  const one = ['Normal', 'Warning'];
  const valid = u16(rec, 0x43);
  const text =
    hdrText(cxlmd, log, rec, CXL_EVENT_MEM_MODULE_UUID) +
    `event_type='${printSymbolic(rec[0x30] ?? 0, ['Health Status Change', 'Media Status Change', 'Life Used Change', 'Temperature Change', 'Data Path Error', 'LSA Error', 'Unrecoverable Internal Sideband Bus Error', 'Memory Media FRU Error', 'Power Management Fault'])}' ` +
    `event_sub_type='${printSymbolic(rec[0x55] ?? 0, ['Not Reported', 'Invalid Config Data', 'Unsupported Config Data', 'Unsupported Memory Media FRU'])}' ` +
    `health_status='${printFlags(rec[0x31] ?? 0, '|', [
      [1, 'MAINTENANCE_NEEDED'],
      [2, 'PERFORMANCE_DEGRADED'],
      [4, 'REPLACEMENT_NEEDED'],
      [8, 'MEM_CAPACITY_DEGRADED'],
    ])}' ` +
    `media_status='${printSymbolic(rec[0x32] ?? 0, ['Normal', 'Not Ready', 'Write Persistency Lost', 'All Data Lost', 'Write Persistency Loss in the Event of Power Loss', 'Write Persistency Loss in Event of Shutdown', 'Write Persistency Loss Imminent', 'All Data Loss in Event of Power Loss', 'All Data loss in the Event of Shutdown', 'All Data Loss Imminent'])}' ` +
    `as_life_used=${printSymbolic(as & 3, two)} as_dev_temp=${printSymbolic((as & 0xc) >> 2, two)} ` +
    `as_cor_vol_err_cnt=${printSymbolic((as & 0x10) >> 4, one)} as_cor_per_err_cnt=${printSymbolic((as & 0x20) >> 5, one)} ` +
    `life_used=${rec[0x34] ?? 0} device_temp=${s16(rec, 0x35)} dirty_shutdown_cnt=${u32(rec, 0x37)} ` +
    `cor_vol_err_cnt=${u32(rec, 0x3b)} cor_per_err_cnt=${u32(rec, 0x3f)} ` +
    `validity_flags='${printFlags(valid, '|', [
      [1, 'COMPONENT'],
      [2, 'COMPONENT PLDM FORMAT'],
    ])}' ${compIdText(rec.subarray(0x45, 0x55), valid, 1, 2)}`;
  kernelTrace(cxlmd.ctx).emit('cxl', 'cxl_memory_module', text, { memdev: cxlmd.name, log });
}

/** trace_cxl_generic_event(): a record of an unknown type, data as hex. */
export function traceCxlGenericEvent(cxlmd: CxlMemdev, log: number, rec: Uint8Array) {
  const text =
    hdrText(cxlmd, log, rec, pUb(rec.subarray(0, 16))) + printHex(rec.subarray(0x30, 0x80));
  kernelTrace(cxlmd.ctx).emit('cxl', 'cxl_generic_event', text, { memdev: cxlmd.name, log });
}
