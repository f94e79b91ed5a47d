/**
 * DOC: the cxl trace events (drivers/cxl/core/trace.h) with their TP_printk text:
 * cxl_poison, cxl_overflow, cxl_general_media, cxl_dram, cxl_memory_module, cxl_generic_event.
 * The record layouts are the kernel's (cxl/event.h, CXL 3.1 §8.2.9.2.1 Tables 8-43…8-47):
 * common header 0x30 bytes (uuid, length, flags[3], handle, related handle, timestamp,
 * maintenance class / subclass), then the type's fields. Kernels from RAS_KVER.cxl31Records
 * (6.15, the CXL 3.1 record updates) print the v7.x trace.h text built here; 6.3–6.14
 * (debian-13's 6.12) print the CXL 3.0 text of trace-v30.ts. cxl_poison, cxl_overflow and
 * cxl_generic_event keep one format (the header's maint_op_sub_class aside).
 */
import { kernelTrace } from '../../../kernel/trace.ts';
import type { CxlMemdev } from './memdev.ts';
import { rasKver } from './ras-kver.ts';
import { cxlHdrValues, cxlMediaValues, uuidBytes } from './trace-fields.ts';
import {
  CXL_EVENT_DRAM_UUID,
  CXL_EVENT_GEN_MEDIA_UUID,
  CXL_EVENT_MEM_MODULE_UUID,
  DESC_FLAGS,
  DPA_FLAGS,
  type HpaOf,
  hex,
  LOG_NAMES,
  MEDIA_STATUS,
  NULL_UUID,
  printFlags,
  printHex,
  printSymbolic,
  pUb,
  type RegionRef,
  s16,
  u16,
  u24,
  u32,
  u64,
  who,
} from './trace-fmt.ts';
import { dramText30, generalMediaText30, hdrText30, memoryModuleText30 } from './trace-v30.ts';

export type { HpaOf, RegionRef };
export {
  CXL_EVENT_DRAM_UUID,
  CXL_EVENT_GEN_MEDIA_UUID,
  CXL_EVENT_MEM_MODULE_UUID,
  printFlags,
  printHex,
  printSymbolic,
  pUb,
};

/** Poison trace types (enum cxl_poison_trace_type). */
export type PoisonTraceType = 'List' | 'Inject' | 'Clear';
/** enum cxl_poison_trace_type in order (CXL_POISON_TRACE_LIST = 0, INJECT, CLEAR). */
const POISON_TRACE_TYPES: readonly PoisonTraceType[] = ['List', 'Inject', 'Clear'];

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
    host: cxlmd.parent?.name ?? '',
    serial: cxlmd.cxlds.serial,
    trace_type: POISON_TRACE_TYPES.indexOf(type),
    region: cxlr?.name ?? '',
    overflow_ts: ovf,
    hpa,
    dpa,
    dpa_length: len,
    uuid: cxlr ? uuidBytes(cxlr.params.uuid) : new Uint8Array(16),
    source,
    flags,
  });
}

/** trace_cxl_overflow(): a Get Event Records answer with the overflow flag. */
export function traceCxlOverflow(cxlmd: CxlMemdev, log: number, payload: Uint8Array): void {
  const text = `${who(cxlmd)}: log=${printSymbolic(log, LOG_NAMES)} : ${u16(payload, 2)} records from ${u64(payload, 4)} to ${u64(payload, 0xc)}`;
  kernelTrace(cxlmd.ctx).emit('cxl', 'cxl_overflow', text, {
    memdev: cxlmd.name,
    host: cxlmd.parent?.name ?? '',
    log,
    serial: cxlmd.cxlds.serial,
    first_ts: u64(payload, 4),
    last_ts: u64(payload, 0xc),
    count: u16(payload, 2),
  });
}

const HDR_FLAGS: [number, string][] = [
  [1 << 2, 'PERMANENT_CONDITION'],
  [1 << 3, 'MAINTENANCE_NEEDED'],
  [1 << 4, 'PERFORMANCE_DEGRADED'],
  [1 << 5, 'HARDWARE_REPLACEMENT_NEEDED'],
  [1 << 6, 'MAINT_OP_SUB_CLASS_VALID'],
];

/**
 * CXL_EVT_TP_printk's common prefix for a record of log `log` with uuid `uuid`; before
 * RAS_KVER.cxl31Records, without maint_op_sub_class (trace-v30.ts).
 */
function hdrText(cxlmd: CxlMemdev, log: number, rec: Uint8Array, uuid: string): string {
  if (!rasKver(cxlmd, 'cxl31Records')) return hdrText30(cxlmd, log, rec, uuid);
  return (
    `${who(cxlmd)} log=${printSymbolic(log, LOG_NAMES)} : time=${u64(rec, 0x18)} uuid=${uuid} ` +
    `len=${rec[0x10] ?? 0} flags='${printFlags(u24(rec, 0x11), ' | ', HDR_FLAGS)}' ` +
    `handle=${hex(u16(rec, 0x14))} related_handle=${hex(u16(rec, 0x16))} ` +
    `maint_op_class=${rec[0x20] ?? 0} maint_op_sub_class=${rec[0x21] ?? 0} : `
  );
}

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

/** The region fields of a media event: hpa, region_uuid, region_name. */
function regionValues(at: HpaOf) {
  return {
    hpa: at.hpa,
    region_uuid: at.cxlr ? uuidBytes(at.cxlr.params.uuid) : new Uint8Array(16),
    region_name: at.cxlr?.name ?? '',
  };
}

/** TP_fast_assign of cxl_general_media (every version's fields; each layout takes its own). */
function generalMediaValues(cxlmd: CxlMemdev, log: number, rec: Uint8Array, at: HpaOf) {
  return {
    ...cxlHdrValues(cxlmd, log, rec, uuidBytes(CXL_EVENT_GEN_MEDIA_UUID)),
    ...cxlMediaValues(rec),
    device: u24(rec, 0x3f),
    comp_id: rec.slice(0x42, 0x52),
    cme_threshold_ev_flags: rec[0x52] ?? 0,
    cme_count: u24(rec, 0x53),
    sub_type: rec[0x56] ?? 0,
    ...regionValues(at),
  };
}

/** trace_cxl_general_media(): the v7.x text, or the 6.3–6.14 one (trace-v30.ts). */
export function traceCxlGeneralMedia(cxlmd: CxlMemdev, log: number, rec: Uint8Array, at: HpaOf) {
  const values = generalMediaValues(cxlmd, log, rec, at);
  if (!rasKver(cxlmd, 'cxl31Records')) {
    const text =
      hdrText30(cxlmd, log, rec, CXL_EVENT_GEN_MEDIA_UUID) + generalMediaText30(cxlmd, rec, at);
    kernelTrace(cxlmd.ctx).emit('cxl', 'cxl_general_media', text, values);
    return;
  }
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
  kernelTrace(cxlmd.ctx).emit('cxl', 'cxl_general_media', text, values);
}

/** TP_fast_assign of cxl_dram (every version's fields). */
function dramValues(cxlmd: CxlMemdev, log: number, rec: Uint8Array, at: HpaOf) {
  return {
    ...cxlHdrValues(cxlmd, log, rec, uuidBytes(CXL_EVENT_DRAM_UUID)),
    ...cxlMediaValues(rec),
    nibble_mask: u24(rec, 0x3f),
    bank_group: rec[0x42] ?? 0,
    bank: rec[0x43] ?? 0,
    row: u24(rec, 0x44),
    column: u16(rec, 0x47),
    cor_mask: rec.slice(0x49, 0x69),
    comp_id: rec.slice(0x69, 0x79),
    sub_channel: rec[0x79] ?? 0,
    cme_threshold_ev_flags: rec[0x7a] ?? 0,
    cvme_count: u24(rec, 0x7b),
    sub_type: rec[0x7e] ?? 0,
    ...regionValues(at),
  };
}

/** trace_cxl_dram(): the v7.x text, or the 6.3–6.14 one (trace-v30.ts). */
export function traceCxlDram(cxlmd: CxlMemdev, log: number, rec: Uint8Array, at: HpaOf) {
  const values = dramValues(cxlmd, log, rec, at);
  if (!rasKver(cxlmd, 'cxl31Records')) {
    const text = hdrText30(cxlmd, log, rec, CXL_EVENT_DRAM_UUID) + dramText30(cxlmd, rec, at);
    kernelTrace(cxlmd.ctx).emit('cxl', 'cxl_dram', text, values);
    return;
  }
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
  kernelTrace(cxlmd.ctx).emit('cxl', 'cxl_dram', text, values);
}

/** TP_fast_assign of cxl_memory_module (every version's fields). */
function memoryModuleValues(cxlmd: CxlMemdev, log: number, rec: Uint8Array) {
  return {
    ...cxlHdrValues(cxlmd, log, rec, uuidBytes(CXL_EVENT_MEM_MODULE_UUID)),
    event_type: rec[0x30] ?? 0,
    health_status: rec[0x31] ?? 0,
    media_status: rec[0x32] ?? 0,
    add_status: rec[0x33] ?? 0,
    life_used: rec[0x34] ?? 0,
    device_temp: s16(rec, 0x35),
    dirty_shutdown_cnt: u32(rec, 0x37),
    cor_vol_err_cnt: u32(rec, 0x3b),
    cor_per_err_cnt: u32(rec, 0x3f),
    validity_flags: u16(rec, 0x43),
    comp_id: rec.slice(0x45, 0x55),
    event_sub_type: rec[0x55] ?? 0,
  };
}

/** trace_cxl_memory_module(): the v7.x text, or the 6.3–6.14 one (trace-v30.ts). */
export function traceCxlMemoryModule(cxlmd: CxlMemdev, log: number, rec: Uint8Array) {
  const values = memoryModuleValues(cxlmd, log, rec);
  if (!rasKver(cxlmd, 'cxl31Records')) {
    const text = hdrText30(cxlmd, log, rec, CXL_EVENT_MEM_MODULE_UUID) + memoryModuleText30(rec);
    kernelTrace(cxlmd.ctx).emit('cxl', 'cxl_memory_module', text, values);
    return;
  }
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
    `media_status='${printSymbolic(rec[0x32] ?? 0, MEDIA_STATUS)}' ` +
    `as_life_used=${printSymbolic(as & 3, two)} as_dev_temp=${printSymbolic((as & 0xc) >> 2, two)} ` +
    `as_cor_vol_err_cnt=${printSymbolic((as & 0x10) >> 4, one)} as_cor_per_err_cnt=${printSymbolic((as & 0x20) >> 5, one)} ` +
    `life_used=${rec[0x34] ?? 0} device_temp=${s16(rec, 0x35)} dirty_shutdown_cnt=${u32(rec, 0x37)} ` +
    `cor_vol_err_cnt=${u32(rec, 0x3b)} cor_per_err_cnt=${u32(rec, 0x3f)} ` +
    `validity_flags='${printFlags(valid, '|', [
      [1, 'COMPONENT'],
      [2, 'COMPONENT PLDM FORMAT'],
    ])}' ${compIdText(rec.subarray(0x45, 0x55), valid, 1, 2)}`;
  kernelTrace(cxlmd.ctx).emit('cxl', 'cxl_memory_module', text, values);
}

/** trace_cxl_generic_event(): a record of an unknown type, data as hex. */
export function traceCxlGenericEvent(cxlmd: CxlMemdev, log: number, rec: Uint8Array) {
  const text =
    hdrText(cxlmd, log, rec, pUb(rec.subarray(0, 16))) + printHex(rec.subarray(0x30, 0x80));
  kernelTrace(cxlmd.ctx).emit('cxl', 'cxl_generic_event', text, {
    ...cxlHdrValues(cxlmd, log, rec, rec.slice(0, 16)),
    data: rec.slice(0x30, 0x80),
  });
}
