/**
 * DOC: the cxl event trace text of kernels 6.3–6.14 (before RAS_KVER.cxl31Records): the CXL
 * 3.0 records as drivers/cxl/core/trace.h printed them then (v6.12 for debian-13).
 *
 * * header: "… maint_op_class=%u : " with no maint_op_sub_class; show_hdr_flags() without
 *   MAINT_OP_SUB_CLASS_VALID (bit 6 prints as 0x40);
 * * cxl_general_media: dpa, dpa_flags, descriptor, type (3 GMER types), transaction_type (7),
 *   channel, rank, device, comp_id (16 bytes hex), validity_flags (4), then hpa, region,
 *   region_uuid (from RAS_KVER.mediaEventRegion);
 * * cxl_dram: the same with nibble_mask, bank_group, bank, row, column, cor_mask, 8 validity
 *   flags; type from the DRAM table from RAS_KVER.dramEventTypeTable (the GMER one before);
 * * cxl_memory_module: 6 event types, 3 health status flags, no sub type or component id.
 */
import type { CxlMemdev } from './memdev.ts';
import { rasKver } from './ras-kver.ts';
import {
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
  s16,
  u16,
  u24,
  u32,
  u64,
  who,
} from './trace-fmt.ts';

/** show_hdr_flags() before MAINT_OP_SUB_CLASS_VALID. */
const HDR_FLAGS_30: [number, string][] = [
  [1 << 2, 'PERMANENT_CONDITION'],
  [1 << 3, 'MAINTENANCE_NEEDED'],
  [1 << 4, 'PERFORMANCE_DEGRADED'],
  [1 << 5, 'HARDWARE_REPLACEMENT_NEEDED'],
];
/** show_gmer_mem_event_type() (show_mem_event_type() before 6.12). */
const GMER_TYPES_30 = ['ECC Error', 'Invalid Address', 'Data Path Error'];
/** show_dram_mem_event_type() (6.12). */
const DRAM_TYPES_30 = ['ECC Error', 'Scrub Media ECC Error', 'Invalid Address', 'Data Path Error'];
/** show_trans_type() before the CXL 3.1 types. */
const TRANS_30 = [
  'Unknown',
  'Host Read',
  'Host Write',
  'Host Scan Media',
  'Host Inject Poison',
  'Internal Media Scrub',
  'Internal Media Management',
];

/** CXL_EVT_TP_printk's prefix (6.3–6.14). */
export function hdrText30(cxlmd: CxlMemdev, log: number, rec: Uint8Array, uuid: string): string {
  return (
    `${who(cxlmd)} log=${printSymbolic(log, LOG_NAMES)} : time=${u64(rec, 0x18)} uuid=${uuid} ` +
    `len=${rec[0x10] ?? 0} flags='${printFlags(u24(rec, 0x11), ' | ', HDR_FLAGS_30)}' ` +
    `handle=${hex(u16(rec, 0x14))} related_handle=${hex(u16(rec, 0x16))} ` +
    `maint_op_class=${rec[0x20] ?? 0} : `
  );
}

/** " hpa=%llx region=%s region_uuid=%pUb" where the kernel has it, else "". */
function regionText(cxlmd: CxlMemdev, at: HpaOf): string {
  if (!rasKver(cxlmd, 'mediaEventRegion')) return '';
  const uuid = at.cxlr ? at.cxlr.params.uuid : NULL_UUID;
  return ` hpa=${hex(at.hpa)} region=${at.cxlr?.name ?? ''} region_uuid=${uuid}`;
}

/** The media header's dpa, dpa_flags, descriptor and type fields. */
function mediaHead(rec: Uint8Array, types: readonly string[]): string {
  const phys = u64(rec, 0x30);
  return (
    `dpa=${hex(phys & ~0x3fn)} dpa_flags='${printFlags(Number(phys & 3n), '|', DPA_FLAGS)}' ` +
    `descriptor='${printFlags(rec[0x38] ?? 0, '|', DESC_FLAGS)}' ` +
    `type='${printSymbolic(rec[0x39] ?? 0, types)}' ` +
    `transaction_type='${printSymbolic(rec[0x3a] ?? 0, TRANS_30)}' ` +
    `channel=${rec[0x3d] ?? 0} rank=${rec[0x3e] ?? 0} `
  );
}

/** cxl_general_media's fields (6.3–6.14). */
export function generalMediaText30(cxlmd: CxlMemdev, rec: Uint8Array, at: HpaOf): string {
  const valid = u16(rec, 0x3b);
  return (
    mediaHead(rec, GMER_TYPES_30) +
    `device=${hex(u24(rec, 0x3f))} comp_id=${printHex(rec.subarray(0x42, 0x52))} ` +
    `validity_flags='${printFlags(valid, '|', [
      [1, 'CHANNEL'],
      [2, 'RANK'],
      [4, 'DEVICE'],
      [8, 'COMPONENT'],
    ])}'` +
    regionText(cxlmd, at)
  );
}

/** cxl_dram's fields (6.3–6.14). */
export function dramText30(cxlmd: CxlMemdev, rec: Uint8Array, at: HpaOf): string {
  const types = rasKver(cxlmd, 'dramEventTypeTable') ? DRAM_TYPES_30 : GMER_TYPES_30;
  return (
    mediaHead(rec, types) +
    `nibble_mask=${hex(u24(rec, 0x3f))} bank_group=${rec[0x42] ?? 0} bank=${rec[0x43] ?? 0} ` +
    `row=${u24(rec, 0x44)} column=${u16(rec, 0x47)} cor_mask=${printHex(rec.subarray(0x49, 0x69))} ` +
    `validity_flags='${printFlags(u16(rec, 0x3b), '|', [
      [1, 'CHANNEL'],
      [2, 'RANK'],
      [4, 'NIBBLE'],
      [8, 'BANK GROUP'],
      [16, 'BANK'],
      [32, 'ROW'],
      [64, 'COLUMN'],
      [128, 'CORRECTION MASK'],
    ])}'` +
    regionText(cxlmd, at)
  );
}

/** cxl_memory_module's fields (6.3–6.14). */
export function memoryModuleText30(rec: Uint8Array): string {
  const as = rec[0x33] ?? 0;
  const two = ['Normal', 'Warning', 'Critical'];
  const one = ['Normal', 'Warning'];
  return (
    `event_type='${printSymbolic(rec[0x30] ?? 0, ['Health Status Change', 'Media Status Change', 'Life Used Change', 'Temperature Change', 'Data Path Error', 'LSA Error'])}' ` +
    `health_status='${printFlags(rec[0x31] ?? 0, '|', [
      [1, 'MAINTENANCE_NEEDED'],
      [2, 'PERFORMANCE_DEGRADED'],
      [4, 'REPLACEMENT_NEEDED'],
    ])}' ` +
    `media_status='${printSymbolic(rec[0x32] ?? 0, MEDIA_STATUS)}' ` +
    `as_life_used=${printSymbolic(as & 3, two)} as_dev_temp=${printSymbolic((as & 0xc) >> 2, two)} ` +
    `as_cor_vol_err_cnt=${printSymbolic((as & 0x10) >> 4, one)} as_cor_per_err_cnt=${printSymbolic((as & 0x20) >> 5, one)} ` +
    `life_used=${rec[0x34] ?? 0} device_temp=${s16(rec, 0x35)} dirty_shutdown_cnt=${u32(rec, 0x37)} ` +
    `cor_vol_err_cnt=${u32(rec, 0x3b)} cor_per_err_cnt=${u32(rec, 0x3f)}`
  );
}
