/**
 * DOC: the TP_STRUCT__entry of each drivers/cxl/core/trace.h event per kernel version — what
 * tracefs's `format` files list and trace_pipe_raw's records hold — and their print fmt.
 *
 * Versions (only 6.1, 6.12 and 7.3 are modelled; the 6.12 layout is read from the v6.6–v6.14
 * trace.h and the CXL 3.1 series' patch context, 7.3's from torvalds/linux master):
 * * CXL_EVT_TP_entry: memdev, host (__string), log (int), hdr_uuid (uuid_t), serial (u64),
 *   hdr_flags (u32), hdr_handle, hdr_related_handle (u16), hdr_timestamp (u64), hdr_length,
 *   hdr_maint_op_class (u8); from RAS_KVER.cxl31Records also hdr_maint_op_sub_class (u8).
 * * cxl_general_media / cxl_dram: hpa, region_uuid and the region_name string from
 *   RAS_KVER.mediaEventRegion; the CXL 3.1 fields (sub_type, comp_id, cme/cvme counts,
 *   sub_channel) from RAS_KVER.cxl31Records, some "out of order to pack trace record".
 * * cxl_memory_module: event_sub_type, comp_id, validity_flags from RAS_KVER.cxl31Records.
 * * cxl_poison (6.5 on) and cxl_overflow keep one layout.
 * * cxl_aer_*: memdev, host, serial from RAS_KVER.events (dev_name before).
 *
 * The print fmt is TP_printk() as the kernel stringifies it: __entry becomes REC, macros are
 * expanded (BIT(n) → ((((1UL))) << (n))), enum constants stay names. No capture shows a cxl
 * format file; the spacing of the expanded macros is the best reading of the preprocessor.
 */
import {
  type TraceField,
  type TraceValue,
  tpArray,
  tpField,
  tpString,
  tpStruct,
} from '../../../kernel/trace-format.ts';
import type { CxlMemdev } from './memdev.ts';
import { RAS_KVER } from './ras-kver.ts';
import { u16, u24, u64 } from './trace-fmt.ts';

/** The kernel-version switches the layouts depend on. */
export interface CxlTraceLayoutFlags {
  /** RAS_KVER.cxl31Records. */
  cxl31: boolean;
  /** RAS_KVER.mediaEventRegion. */
  region: boolean;
  /** RAS_KVER.events (memdev/host/serial in the AER events). */
  memdevAer: boolean;
  /** RAS_KVER.dramEventTypeTable. */
  dramTable: boolean;
  /** RAS_KVER.unsignedChar. */
  unsignedChar: boolean;
}

/** The layout flags of a kernel whose version test is `since` (GuestEnv.since). */
export function cxlTraceLayoutFlags(since: (v: string) => boolean): CxlTraceLayoutFlags {
  return {
    cxl31: since(RAS_KVER.cxl31Records),
    region: since(RAS_KVER.mediaEventRegion),
    memdevAer: since(RAS_KVER.events),
    dramTable: since(RAS_KVER.dramEventTypeTable),
    unsignedChar: since(RAS_KVER.unsignedChar),
  };
}

/** An event's fields and print fmt. */
export interface CxlEventFormat {
  fields: TraceField[];
  printFmt: string;
}

const BIT = (n: number) => `((((1UL))) << (${n}))`;
const hex2 = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/** __print_flags(REC->f, "delim", { v, "name" }, …). */
function pflags(expr: string, delim: string, entries: [string, string][]): string {
  return `__print_flags(${expr}, "${delim}", ${entries.map(([v, n]) => `{ ${v}, "${n}" }`).join(', ')})`;
}
/** __print_symbolic(REC->f, { v, "name" }, …). */
function psym(expr: string, entries: [string, string][]): string {
  return `__print_symbolic(${expr}, ${entries.map(([v, n]) => `{ ${v}, "${n}" }`).join(', ')})`;
}
const bits = (names: string[], from = 0): [string, string][] =>
  names.map((n, i) => [BIT(from + i), n]);
const seq = (names: string[], fmt = hex2): [string, string][] => names.map((n, i) => [fmt(i), n]);

const LOG_STR = psym('REC->log', [
  ['CXL_EVENT_TYPE_INFO', 'Informational'],
  ['CXL_EVENT_TYPE_WARN', 'Warning'],
  ['CXL_EVENT_TYPE_FAIL', 'Failure'],
  ['CXL_EVENT_TYPE_FATAL', 'Fatal'],
]);

/** CXL_EVT_TP_entry. */
function hdrFields(f: CxlTraceLayoutFlags): TraceField[] {
  const out = [
    tpString('memdev'),
    tpString('host'),
    tpField('int', 'log'),
    tpStruct('uuid_t', 'hdr_uuid', 16),
    tpField('u64', 'serial'),
    tpField('u32', 'hdr_flags'),
    tpField('u16', 'hdr_handle'),
    tpField('u16', 'hdr_related_handle'),
    tpField('u64', 'hdr_timestamp'),
    tpField('u8', 'hdr_length'),
    tpField('u8', 'hdr_maint_op_class'),
  ];
  if (f.cxl31) out.push(tpField('u8', 'hdr_maint_op_sub_class'));
  return out;
}

/** CXL_EVT_TP_printk(fmt, args). */
function hdrPrint(f: CxlTraceLayoutFlags, fmt: string, args: string[]): string {
  const hdrNames = [
    'PERMANENT_CONDITION',
    'MAINTENANCE_NEEDED',
    'PERFORMANCE_DEGRADED',
    'HARDWARE_REPLACEMENT_NEEDED',
  ];
  if (f.cxl31) hdrNames.push('MAINT_OP_SUB_CLASS_VALID');
  const head =
    "memdev=%s host=%s serial=%lld log=%s : time=%llu uuid=%pUb len=%d flags='%s' handle=%x related_handle=%x " +
    (f.cxl31 ? 'maint_op_class=%u maint_op_sub_class=%u : ' : 'maint_op_class=%u : ');
  const hargs = [
    '__get_str(memdev)',
    '__get_str(host)',
    'REC->serial',
    LOG_STR,
    'REC->hdr_timestamp',
    '&REC->hdr_uuid',
    'REC->hdr_length',
    pflags('REC->hdr_flags', ' | ', bits(hdrNames, 2)),
    'REC->hdr_handle',
    'REC->hdr_related_handle',
    'REC->hdr_maint_op_class',
  ];
  if (f.cxl31) hargs.push('REC->hdr_maint_op_sub_class');
  return `"${head}${fmt}", ${[...hargs, ...args].join(', ')}`;
}

const DPA_FLAGS = pflags('REC->dpa_flags', '|', bits(['VOLATILE', 'NOT_REPAIRABLE']));
const DESC = pflags(
  'REC->descriptor',
  '|',
  bits(['UNCORRECTABLE_EVENT', 'THRESHOLD_EVENT', 'POISON_LIST_OVERFLOW']),
);
const TRANS30 = [
  'Unknown',
  'Host Read',
  'Host Write',
  'Host Scan Media',
  'Host Inject Poison',
  'Internal Media Scrub',
  'Internal Media Management',
];
const TRANS31 = [...TRANS30, 'Internal Media Error Check Scrub', 'Media Initialization'];
const SUBTYPE = pflagsSym('REC->sub_type', [
  'Not Reported',
  'Internal Datapath Error',
  'Media Link Command Training Error',
  'Media Link Control Training Error',
  'Media Link Data Training Error',
  'Media Link CRC Error',
]);
const CME = pflags(
  'REC->cme_threshold_ev_flags',
  '|',
  bits(['Corrected Memory Errors in Multiple Media Components', 'Exceeded Programmable Threshold']),
);
const PLDM = pflags('REC->comp_id[0]', ' | ', bits(['PLDM Entity ID', 'Resource ID']));

function pflagsSym(expr: string, names: string[]): string {
  return psym(expr, seq(names));
}

/** show_pldm_entity_id() / show_pldm_resource_id() of a validity bit pair. */
function pldmIds(comp: number, fmt: number): string[] {
  const both = `(REC->validity_flags & ${BIT(comp)} && REC->validity_flags & ${BIT(fmt)})`;
  return [
    `${both} ? (REC->comp_id[0] & ${BIT(0)}) ? __print_hex(&REC->comp_id[1], 6) : "0x00" : "0x00"`,
    `${both} ? (REC->comp_id[0] & ${BIT(1)}) ? __print_hex(&REC->comp_id[7], 4) : "0x00" : "0x00"`,
  ];
}

function generalMedia(f: CxlTraceLayoutFlags): CxlEventFormat {
  const fields = [
    ...hdrFields(f),
    tpField('u64', 'dpa'),
    tpField('u8', 'descriptor'),
    tpField('u8', 'type'),
    tpField('u8', 'transaction_type'),
    tpField('u8', 'channel'),
    tpField('u32', 'device'),
    tpArray('u8', 'comp_id', 16),
  ];
  const valid = ['CHANNEL', 'RANK', 'DEVICE', 'COMPONENT'];
  if (f.cxl31) {
    fields.push(
      tpField('u64', 'hpa'),
      tpStruct('uuid_t', 'region_uuid', 16),
      tpField('u16', 'validity_flags'),
      tpField('u8', 'rank'),
      tpField('u8', 'dpa_flags'),
      tpField('u32', 'cme_count'),
      tpField('u8', 'sub_type'),
      tpField('u8', 'cme_threshold_ev_flags'),
      tpString('region_name'),
    );
    const types = [
      'ECC Error',
      'Invalid Address',
      'Data Path Error',
      'TE State Violation',
      'Scrub Media ECC Error',
      'Adv Prog CME Counter Expiration',
      'CKID Violation',
    ];
    const fmt =
      "dpa=%llx dpa_flags='%s' descriptor='%s' type='%s' sub_type='%s' transaction_type='%s' channel=%u rank=%u device=%x validity_flags='%s' comp_id=%s comp_id_pldm_valid_flags='%s' pldm_entity_id=%s pldm_resource_id=%s hpa=%llx region=%s region_uuid=%pUb cme_threshold_ev_flags='%s' cme_count=%u";
    const args = [
      'REC->dpa',
      DPA_FLAGS,
      DESC,
      psym('REC->type', seq(types)),
      SUBTYPE,
      psym('REC->transaction_type', seq(TRANS31)),
      'REC->channel',
      'REC->rank',
      'REC->device',
      pflags('REC->validity_flags', '|', bits([...valid, 'COMPONENT PLDM FORMAT'])),
      '__print_hex(REC->comp_id, 0x10)',
      PLDM,
      ...pldmIds(3, 4),
      'REC->hpa',
      '__get_str(region_name)',
      '&REC->region_uuid',
      CME,
      'REC->cme_count',
    ];
    return { fields, printFmt: hdrPrint(f, fmt, args) };
  }
  if (f.region) fields.push(tpField('u64', 'hpa'), tpStruct('uuid_t', 'region_uuid', 16));
  fields.push(tpField('u16', 'validity_flags'), tpField('u8', 'rank'), tpField('u8', 'dpa_flags'));
  if (f.region) fields.push(tpString('region_name'));
  let fmt =
    "dpa=%llx dpa_flags='%s' descriptor='%s' type='%s' transaction_type='%s' channel=%u rank=%u device=%x comp_id=%s validity_flags='%s'";
  const args = [
    'REC->dpa',
    DPA_FLAGS,
    DESC,
    psym('REC->type', seq(['ECC Error', 'Invalid Address', 'Data Path Error'])),
    psym('REC->transaction_type', seq(TRANS30)),
    'REC->channel',
    'REC->rank',
    'REC->device',
    '__print_hex(REC->comp_id, 0x10)',
    pflags('REC->validity_flags', '|', bits(valid)),
  ];
  if (f.region) {
    fmt += ' hpa=%llx region=%s region_uuid=%pUb';
    args.push('REC->hpa', '__get_str(region_name)', '&REC->region_uuid');
  }
  return { fields, printFmt: hdrPrint(f, fmt, args) };
}

function dram(f: CxlTraceLayoutFlags): CxlEventFormat {
  const fields = [
    ...hdrFields(f),
    tpField('u64', 'dpa'),
    tpField('u8', 'descriptor'),
    tpField('u8', 'type'),
    tpField('u8', 'transaction_type'),
    tpField('u8', 'channel'),
    tpField('u16', 'validity_flags'),
    tpField('u16', 'column'),
    tpField('u32', 'nibble_mask'),
    tpField('u32', 'row'),
    tpArray('u8', 'cor_mask', 0x20),
  ];
  if (f.region) fields.push(tpField('u64', 'hpa'), tpStruct('uuid_t', 'region_uuid', 16));
  fields.push(
    tpField('u8', 'rank'),
    tpField('u8', 'bank_group'),
    tpField('u8', 'bank'),
    tpField('u8', 'dpa_flags'),
  );
  const valid = [
    'CHANNEL',
    'RANK',
    'NIBBLE',
    'BANK GROUP',
    'BANK',
    'ROW',
    'COLUMN',
    'CORRECTION MASK',
  ];
  const head =
    "dpa=%llx dpa_flags='%s' descriptor='%s' type='%s' transaction_type='%s' channel=%u rank=%u nibble_mask=%x bank_group=%u bank=%u row=%u column=%u cor_mask=%s validity_flags='%s'";
  if (f.cxl31) {
    fields.push(
      tpArray('u8', 'comp_id', 16),
      tpField('u32', 'cvme_count'),
      tpField('u8', 'sub_type'),
      tpField('u8', 'sub_channel'),
      tpField('u8', 'cme_threshold_ev_flags'),
      tpString('region_name'),
    );
    const types = [
      'ECC Error',
      'Scrub Media ECC Error',
      'Invalid Address',
      'Data Path Error',
      'TE State Violation',
      'Adv Prog CME Counter Expiration',
      'CKID Violation',
    ];
    const fmt =
      "dpa=%llx dpa_flags='%s' descriptor='%s' type='%s' sub_type='%s' transaction_type='%s' channel=%u rank=%u nibble_mask=%x bank_group=%u bank=%u row=%u column=%u cor_mask=%s validity_flags='%s' comp_id=%s comp_id_pldm_valid_flags='%s' pldm_entity_id=%s pldm_resource_id=%s hpa=%llx region=%s region_uuid=%pUb sub_channel=%u cme_threshold_ev_flags='%s' cvme_count=%u";
    const args = [
      'REC->dpa',
      DPA_FLAGS,
      DESC,
      psym('REC->type', seq(types)),
      SUBTYPE,
      psym('REC->transaction_type', seq(TRANS31)),
      'REC->channel',
      'REC->rank',
      'REC->nibble_mask',
      'REC->bank_group',
      'REC->bank',
      'REC->row',
      'REC->column',
      '__print_hex(REC->cor_mask, 0x20)',
      pflags(
        'REC->validity_flags',
        '|',
        bits([...valid, 'COMPONENT', 'COMPONENT PLDM FORMAT', 'SUB CHANNEL']),
      ),
      '__print_hex(REC->comp_id, 0x10)',
      PLDM,
      ...pldmIds(8, 9),
      'REC->hpa',
      '__get_str(region_name)',
      '&REC->region_uuid',
      'REC->sub_channel',
      CME,
      'REC->cvme_count',
    ];
    return { fields, printFmt: hdrPrint(f, fmt, args) };
  }
  if (f.region) fields.push(tpString('region_name'));
  const types = rasKverDramTypes(f);
  const args = [
    'REC->dpa',
    DPA_FLAGS,
    DESC,
    psym('REC->type', seq(types)),
    psym('REC->transaction_type', seq(TRANS30)),
    'REC->channel',
    'REC->rank',
    'REC->nibble_mask',
    'REC->bank_group',
    'REC->bank',
    'REC->row',
    'REC->column',
    '__print_hex(REC->cor_mask, 0x20)',
    pflags('REC->validity_flags', '|', bits(valid)),
  ];
  let fmt = head;
  if (f.region) {
    fmt += ' hpa=%llx region=%s region_uuid=%pUb';
    args.push('REC->hpa', '__get_str(region_name)', '&REC->region_uuid');
  }
  return { fields, printFmt: hdrPrint(f, fmt, args) };
}

/** show_dram_mem_event_type() where the kernel has it (6.12), else the GMER table. */
function rasKverDramTypes(f: CxlTraceLayoutFlags): string[] {
  return f.dramTable
    ? ['ECC Error', 'Scrub Media ECC Error', 'Invalid Address', 'Data Path Error']
    : ['ECC Error', 'Invalid Address', 'Data Path Error'];
}

function memoryModule(f: CxlTraceLayoutFlags): CxlEventFormat {
  const fields = [
    ...hdrFields(f),
    tpField('u8', 'event_type'),
    tpField('u8', 'health_status'),
    tpField('u8', 'media_status'),
    tpField('u8', 'life_used'),
    tpField('u32', 'dirty_shutdown_cnt'),
    tpField('u32', 'cor_vol_err_cnt'),
    tpField('u32', 'cor_per_err_cnt'),
    tpField('s16', 'device_temp'),
    tpField('u8', 'add_status'),
  ];
  const evt = [
    'Health Status Change',
    'Media Status Change',
    'Life Used Change',
    'Temperature Change',
    'Data Path Error',
    'LSA Error',
  ];
  const health = ['MAINTENANCE_NEEDED', 'PERFORMANCE_DEGRADED', 'REPLACEMENT_NEEDED'];
  const media = [
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
  const two = (e: string) =>
    psym(
      e,
      seq(['Normal', 'Warning', 'Critical'], (i) => `0x${i}`),
    );
  const one = (e: string) =>
    psym(
      e,
      seq(['Normal', 'Warning'], (i) => `0x${i}`),
    );
  const tail = [
    two('(REC->add_status & 0x3)'),
    two('((REC->add_status & 0xC) >> 2)'),
    one('((REC->add_status & 0x10) >> 4)'),
    one('((REC->add_status & 0x20) >> 5)'),
    'REC->life_used',
    'REC->device_temp',
    'REC->dirty_shutdown_cnt',
    'REC->cor_vol_err_cnt',
    'REC->cor_per_err_cnt',
  ];
  const asFmt =
    'as_life_used=%s as_dev_temp=%s as_cor_vol_err_cnt=%s as_cor_per_err_cnt=%s life_used=%u device_temp=%d dirty_shutdown_cnt=%u cor_vol_err_cnt=%u cor_per_err_cnt=%u';
  if (f.cxl31) {
    fields.push(
      tpField('u8', 'event_sub_type'),
      tpArray('u8', 'comp_id', 16),
      tpField('u16', 'validity_flags'),
    );
    const fmt = `event_type='%s' event_sub_type='%s' health_status='%s' media_status='%s' ${asFmt} validity_flags='%s' comp_id=%s comp_id_pldm_valid_flags='%s' pldm_entity_id=%s pldm_resource_id=%s`;
    const args = [
      psym(
        'REC->event_type',
        seq([
          ...evt,
          'Unrecoverable Internal Sideband Bus Error',
          'Memory Media FRU Error',
          'Power Management Fault',
        ]),
      ),
      psym(
        'REC->event_sub_type',
        seq([
          'Not Reported',
          'Invalid Config Data',
          'Unsupported Config Data',
          'Unsupported Memory Media FRU',
        ]),
      ),
      pflags('REC->health_status', '|', bits([...health, 'MEM_CAPACITY_DEGRADED'])),
      psym('REC->media_status', seq(media)),
      ...tail,
      pflags('REC->validity_flags', '|', bits(['COMPONENT', 'COMPONENT PLDM FORMAT'])),
      '__print_hex(REC->comp_id, 0x10)',
      PLDM,
      ...pldmIds(0, 1),
    ];
    return { fields, printFmt: hdrPrint(f, fmt, args) };
  }
  const fmt = `event_type='%s' health_status='%s' media_status='%s' ${asFmt}`;
  const args = [
    psym('REC->event_type', seq(evt)),
    pflags('REC->health_status', '|', bits(health)),
    psym('REC->media_status', seq(media)),
    ...tail,
  ];
  return { fields, printFmt: hdrPrint(f, fmt, args) };
}

function poison(f: CxlTraceLayoutFlags): CxlEventFormat {
  return {
    fields: [
      tpString('memdev'),
      tpString('host'),
      tpField('u64', 'serial'),
      tpField('u8', 'trace_type'),
      tpString('region'),
      tpField('u64', 'overflow_ts'),
      tpField('u64', 'hpa'),
      tpField('u64', 'dpa'),
      tpField('u32', 'dpa_length'),
      tpArray('char', 'uuid', 16, f.unsignedChar),
      tpField('u8', 'source'),
      tpField('u8', 'flags'),
    ],
    printFmt:
      '"memdev=%s host=%s serial=%lld trace_type=%s region=%s region_uuid=%pU hpa=0x%llx dpa=0x%llx dpa_length=0x%x source=%s flags=%s overflow_time=%llu", ' +
      [
        '__get_str(memdev)',
        '__get_str(host)',
        'REC->serial',
        psym('REC->trace_type', [
          ['CXL_POISON_TRACE_LIST', 'List'],
          ['CXL_POISON_TRACE_INJECT', 'Inject'],
          ['CXL_POISON_TRACE_CLEAR', 'Clear'],
        ]),
        '__get_str(region)',
        'REC->uuid',
        'REC->hpa',
        'REC->dpa',
        'REC->dpa_length',
        `(((REC->source > 3) && (REC->source != 7)) ? "Reserved" : ${psym('REC->source', [
          ['0', 'Unknown'],
          ['1', 'External'],
          ['2', 'Internal'],
          ['3', 'Injected'],
          ['7', 'Vendor'],
        ])})`,
        pflags('REC->flags', '|', bits(['More', 'Overflow', 'Scanning'])),
        'REC->overflow_ts',
      ].join(', '),
  };
}

function overflow(): CxlEventFormat {
  return {
    fields: [
      tpString('memdev'),
      tpString('host'),
      tpField('int', 'log'),
      tpField('u64', 'serial'),
      tpField('u64', 'first_ts'),
      tpField('u64', 'last_ts'),
      tpField('u16', 'count'),
    ],
    printFmt: `"memdev=%s host=%s serial=%lld: log=%s : %u records from %llu to %llu", __get_str(memdev), __get_str(host), REC->serial, ${LOG_STR}, REC->count, REC->first_ts, REC->last_ts`,
  };
}

function generic(f: CxlTraceLayoutFlags): CxlEventFormat {
  return {
    fields: [...hdrFields(f), tpArray('u8', 'data', 0x50)],
    printFmt: hdrPrint(f, '%s', ['__print_hex(REC->data, 0x50)']),
  };
}

const UC = [
  'Cache Data Parity Error',
  'Cache Address Parity Error',
  'Cache Byte Enable Parity Error',
  'Cache Data ECC Error',
  'Memory Data Parity Error',
  'Memory Address Parity Error',
  'Memory Byte Enable Parity Error',
  'Memory Data ECC Error',
  'REINIT Threshold Hit',
  'Received Unrecognized Encoding',
  'Received Poison From Peer',
  'Receiver Overflow',
];
const CE = [
  'Cache Data ECC Error',
  'Memory Data ECC Error',
  'CRC Threshold Hit',
  'Retry Threshold',
  'Received Cache Poison From Peer',
  'Received Memory Poison From Peer',
  'Received Error From Physical Layer',
];

function aer(f: CxlTraceLayoutFlags, uncorrectable: boolean): CxlEventFormat {
  const who = f.memdevAer
    ? [tpString('memdev'), tpString('host'), tpField('u64', 'serial')]
    : [tpString('dev_name')];
  const whoFmt = f.memdevAer ? 'memdev=%s host=%s serial=%lld: ' : '%s: ';
  const whoArgs = f.memdevAer
    ? ['__get_str(memdev)', '__get_str(host)', 'REC->serial']
    : ['__get_str(dev_name)'];
  if (!uncorrectable)
    return {
      fields: [...who, tpField('u32', 'status')],
      printFmt: `"${whoFmt}status: '%s'", ${[...whoArgs, pflags('REC->status', ' | ', bits(CE))].join(', ')}`,
    };
  const ucBits: [string, string][] = [
    ...bits(UC),
    [BIT(14), 'Component Specific Error'],
    [BIT(15), 'IDE Tx Error'],
    [BIT(16), 'IDE Rx Error'],
  ];
  return {
    fields: [
      ...who,
      tpField('u32', 'status'),
      tpField('u32', 'first_error'),
      tpArray('u32', 'header_log', 128),
    ],
    printFmt: `"${whoFmt}status: '%s' first_error: '%s'", ${[
      ...whoArgs,
      pflags('REC->status', ' | ', ucBits),
      pflags('REC->first_error', ' | ', ucBits),
    ].join(', ')}`,
  };
}

/** The format of cxl event `name` for a kernel with `f`; undefined for an unknown event. */
export function cxlEventFormat(name: string, f: CxlTraceLayoutFlags): CxlEventFormat | undefined {
  switch (name) {
    case 'cxl_poison':
      return poison(f);
    case 'cxl_overflow':
      return overflow();
    case 'cxl_generic_event':
      return generic(f);
    case 'cxl_general_media':
      return generalMedia(f);
    case 'cxl_dram':
      return dram(f);
    case 'cxl_memory_module':
      return memoryModule(f);
    case 'cxl_aer_uncorrectable_error':
      return aer(f, true);
    case 'cxl_aer_correctable_error':
      return aer(f, false);
  }
  return undefined;
}

/** uuid_t bytes of "xxxxxxxx-xxxx-…" (uuid_parse order: the string's bytes in order). */
export function uuidBytes(s: string): Uint8Array {
  const h = s.replace(/-/g, '');
  const b = new Uint8Array(16);
  for (let i = 0; i < 16 && 2 * i + 1 < h.length; i++)
    b[i] = Number.parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return b;
}

/** CXL_EVT_TP_fast_assign(): the header fields of a 128-byte record (cxl/event.h). */
export function cxlHdrValues(
  cxlmd: CxlMemdev,
  log: number,
  rec: Uint8Array,
  uuid: Uint8Array,
): Record<string, TraceValue> {
  return {
    memdev: cxlmd.name,
    host: cxlmd.parent?.name ?? '',
    log,
    hdr_uuid: uuid,
    serial: cxlmd.cxlds.serial,
    hdr_flags: u24(rec, 0x11),
    hdr_handle: u16(rec, 0x14),
    hdr_related_handle: u16(rec, 0x16),
    hdr_timestamp: u64(rec, 0x18),
    hdr_length: rec[0x10] ?? 0,
    hdr_maint_op_class: rec[0x20] ?? 0,
    hdr_maint_op_sub_class: rec[0x21] ?? 0,
  };
}

/** The media header fields (dpa, dpa_flags, descriptor, type, …) of a GMER/DER record. */
export function cxlMediaValues(rec: Uint8Array): Record<string, TraceValue> {
  const phys = u64(rec, 0x30);
  return {
    dpa: phys & ~0x3fn,
    dpa_flags: Number(phys & 3n),
    descriptor: rec[0x38] ?? 0,
    type: rec[0x39] ?? 0,
    transaction_type: rec[0x3a] ?? 0,
    validity_flags: u16(rec, 0x3b),
    channel: rec[0x3d] ?? 0,
    rank: rec[0x3e] ?? 0,
  };
}
