/**
 * DOC: QEMU's CXL QMP commands (qapi/cxl.json, hw/mem/cxl_type3.c qmp_cxl_inject_*()):
 * cxl-inject-poison, cxl-inject-general-media-event, cxl-inject-dram-event,
 * cxl-inject-memory-module-event, cxl-inject-uncorrectable-errors,
 * cxl-inject-correctable-error. `path` is resolved as object_resolve_path() does for the
 * devices cxlsim knows: the canonical `/machine/peripheral/<id>` or an unambiguous partial path
 * (`<id>`); errors "Unable to resolve path" / "Path does not point to a CXL type 3 device".
 * Event records get QEMU's header (UUID, length 128, flags byte 0 = `flags`) and the validity
 * bits of the optional members given; the device assigns handle and timestamp on insertion.
 * Error injection sets the RAS capability status bit of the type (unless masked); QEMU's header
 * log recording and AER signalling to the guest are not modelled.
 */

import { Errno } from '../../kernel/errno.ts';
import type { QemuVersion } from '../../profile.ts';
import { qemuAtLeast } from '../../profile.ts';
import type { PciFunctionModel, Type3Model } from '../dev/model.ts';
import { eventInsert } from '../regs/mailbox/events.ts';
import { qmpInjectPoison } from '../regs/mailbox/poison.ts';
import { uuidBytes } from '../regs/mailbox/types.ts';
import { QmpError, type QStruct, visitStruct } from './visit.ts';

const LOGS = ['informational', 'warning', 'failure', 'fatal'] as const;
const CxlEventLog = { enum: LOGS };
const UNCOR = [
  'cache-data-parity',
  'cache-address-parity',
  'cache-be-parity',
  'cache-data-ecc',
  'mem-data-parity',
  'mem-address-parity',
  'mem-be-parity',
  'mem-data-ecc',
  'reinit-threshold',
  'rsvd-encoding',
  'poison-received',
  'receiver-overflow',
  'internal',
  'cxl-ide-tx',
  'cxl-ide-rx',
] as const;
const COR = [
  'cache-data-ecc',
  'mem-data-ecc',
  'crc-threshold',
  'retry-threshold',
  'cache-poison-received',
  'mem-poison-received',
  'physical',
] as const;

/** First QEMU release with each command (qapi/cxl.json "Since:"). */
export const CXL_QMP_SINCE: Readonly<Record<string, string>> = {
  'cxl-inject-poison': '8.1',
  'cxl-inject-general-media-event': '8.1',
  'cxl-inject-dram-event': '8.1',
  'cxl-inject-memory-module-event': '8.1',
  'cxl-inject-uncorrectable-errors': '8.0',
  'cxl-inject-correctable-error': '8.0',
};

/** The argument schemas (qapi/cxl.json). */
export const CXL_QMP_SCHEMAS: Record<string, QStruct> = {
  'cxl-inject-poison': { path: 'str', start: 'uint64', length: 'size' },
  'cxl-inject-general-media-event': {
    path: 'str',
    log: CxlEventLog,
    flags: 'uint8',
    dpa: 'uint64',
    descriptor: 'uint8',
    type: 'uint8',
    'transaction-type': 'uint8',
    '*channel': 'uint8',
    '*rank': 'uint8',
    '*device': 'uint32',
    '*component-id': 'str',
  },
  'cxl-inject-dram-event': {
    path: 'str',
    log: CxlEventLog,
    flags: 'uint8',
    dpa: 'uint64',
    descriptor: 'uint8',
    type: 'uint8',
    'transaction-type': 'uint8',
    '*channel': 'uint8',
    '*rank': 'uint8',
    '*nibble-mask': 'uint32',
    '*bank-group': 'uint8',
    '*bank': 'uint8',
    '*row': 'uint32',
    '*column': 'uint16',
    '*correction-mask': { array: 'uint64' },
  },
  'cxl-inject-memory-module-event': {
    path: 'str',
    log: CxlEventLog,
    flags: 'uint8',
    type: 'uint8',
    'health-status': 'uint8',
    'media-status': 'uint8',
    'additional-status': 'uint8',
    'life-used': 'uint8',
    temperature: 'int16',
    'dirty-shutdown-count': 'uint32',
    'corrected-volatile-error-count': 'uint32',
    'corrected-persistent-error-count': 'uint32',
  },
  'cxl-inject-uncorrectable-errors': {
    path: 'str',
    errors: { array: { struct: { type: { enum: UNCOR }, header: { array: 'uint32' } } } },
  },
  'cxl-inject-correctable-error': { path: 'str', type: { enum: COR } },
};

const GEN_MEDIA_UUID = 'fbcd0a77-c260-417f-85a9-088b1621eba6';
const DRAM_UUID = '601dcbb3-9c06-4eab-b8af-4e9bfb5c9624';
const MEM_MODULE_UUID = 'fe927475-dd59-4339-a586-79bab113b774';

/** object_resolve_path() of a type-3 device. @throws QmpError with QEMU's messages */
export function resolveType3(fns: Iterable<PciFunctionModel>, path: string): Type3Model {
  const all = [...fns];
  const m = /^\/machine\/peripheral\/([^/]+)$/.exec(path);
  let hits: PciFunctionModel[];
  if (m) hits = all.filter((f) => f.id === m[1]);
  else if (!path.startsWith('/')) hits = all.filter((f) => f.id === path);
  else hits = [];
  const fn = hits.length === 1 ? hits[0] : undefined;
  if (!fn) throw new QmpError('GenericError', 'Unable to resolve path');
  if (fn.device.kind !== 'type3')
    throw new QmpError('GenericError', 'Path does not point to a CXL type 3 device');
  return fn.device;
}

/** cxl_assign_event_header() + the log encoding. */
function record(uuid: string, flags: bigint): { rec: Uint8Array; dv: DataView } {
  const rec = new Uint8Array(128);
  rec.set(uuidBytes(uuid), 0);
  rec[0x10] = 128;
  rec[0x11] = Number(flags);
  return { rec, dv: new DataView(rec.buffer) };
}

const u24 = (rec: Uint8Array, off: number, v: bigint) => {
  const n = Number(v);
  rec[off] = n & 0xff;
  rec[off + 1] = (n >> 8) & 0xff;
  rec[off + 2] = (n >> 16) & 0xff;
};

type Args = Record<string, unknown>;
const big = (a: Args, k: string) => a[k] as bigint;

function insert(dev: Type3Model, a: Args, rec: Uint8Array): void {
  eventInsert(dev.state, LOGS.indexOf(a.log as (typeof LOGS)[number]), rec);
}

/**
 * Runs one CXL QMP command on the machine's functions, as QEMU `qemu` (a command newer than it
 * is CommandNotFound).
 * @returns QEMU's reply value ({} for all of them)
 * @throws QmpError (bad arguments, unknown device, QEMU's own checks)
 */
export function cxlQmp(
  fns: Iterable<PciFunctionModel>,
  command: string,
  raw: unknown,
  qemu: QemuVersion,
): Record<string, never> {
  const schema = CXL_QMP_SCHEMAS[command];
  const since = CXL_QMP_SINCE[command];
  if (!schema || !since || !qemuAtLeast(qemu, since))
    throw new QmpError('CommandNotFound', `The command ${command} has not been found`);
  const a = visitStruct(undefined, schema, raw);
  const dev = resolveType3(fns, a.path as string);
  switch (command) {
    case 'cxl-inject-poison':
      try {
        qmpInjectPoison(dev.state, big(a, 'start'), big(a, 'length'));
      } catch (e) {
        if (e instanceof Errno) throw new QmpError('GenericError', e.message);
        throw e;
      }
      break;
    case 'cxl-inject-general-media-event': {
      const { rec, dv } = record(GEN_MEDIA_UUID, big(a, 'flags'));
      dv.setBigUint64(0x30, big(a, 'dpa'), true);
      rec[0x38] = Number(big(a, 'descriptor'));
      rec[0x39] = Number(big(a, 'type'));
      rec[0x3a] = Number(big(a, 'transaction-type'));
      let valid = 0;
      if (a.channel !== undefined) [rec[0x3d], valid] = [Number(big(a, 'channel')), valid | 1];
      if (a.rank !== undefined) [rec[0x3e], valid] = [Number(big(a, 'rank')), valid | 2];
      if (a.device !== undefined) {
        u24(rec, 0x3f, big(a, 'device'));
        valid |= 4;
      }
      if (a['component-id'] !== undefined) {
        const s = new TextEncoder().encode(a['component-id'] as string).subarray(0, 15);
        rec.set(s, 0x42);
        valid |= 8;
      }
      dv.setUint16(0x3b, valid, true);
      insert(dev, a, rec);
      break;
    }
    case 'cxl-inject-dram-event': {
      const { rec, dv } = record(DRAM_UUID, big(a, 'flags'));
      dv.setBigUint64(0x30, big(a, 'dpa'), true);
      rec[0x38] = Number(big(a, 'descriptor'));
      rec[0x39] = Number(big(a, 'type'));
      rec[0x3a] = Number(big(a, 'transaction-type'));
      let valid = 0;
      if (a.channel !== undefined) [rec[0x3d], valid] = [Number(big(a, 'channel')), valid | 1];
      if (a.rank !== undefined) [rec[0x3e], valid] = [Number(big(a, 'rank')), valid | 2];
      if (a['nibble-mask'] !== undefined) {
        u24(rec, 0x3f, big(a, 'nibble-mask'));
        valid |= 4;
      }
      if (a['bank-group'] !== undefined)
        [rec[0x42], valid] = [Number(big(a, 'bank-group')), valid | 8];
      if (a.bank !== undefined) [rec[0x43], valid] = [Number(big(a, 'bank')), valid | 16];
      if (a.row !== undefined) {
        u24(rec, 0x44, big(a, 'row'));
        valid |= 32;
      }
      if (a.column !== undefined) {
        dv.setUint16(0x47, Number(big(a, 'column')), true);
        valid |= 64;
      }
      if (a['correction-mask'] !== undefined) {
        for (const [i, m] of (a['correction-mask'] as bigint[]).slice(0, 4).entries())
          dv.setBigUint64(0x49 + 8 * i, m, true);
        valid |= 128;
      }
      dv.setUint16(0x3b, valid, true);
      insert(dev, a, rec);
      break;
    }
    case 'cxl-inject-memory-module-event': {
      const { rec, dv } = record(MEM_MODULE_UUID, big(a, 'flags'));
      rec[0x30] = Number(big(a, 'type'));
      rec[0x31] = Number(big(a, 'health-status'));
      rec[0x32] = Number(big(a, 'media-status'));
      rec[0x33] = Number(big(a, 'additional-status'));
      rec[0x34] = Number(big(a, 'life-used'));
      dv.setInt16(0x35, Number(big(a, 'temperature')), true);
      dv.setUint32(0x37, Number(big(a, 'dirty-shutdown-count')), true);
      dv.setUint32(0x3b, Number(big(a, 'corrected-volatile-error-count')), true);
      dv.setUint32(0x3f, Number(big(a, 'corrected-persistent-error-count')), true);
      insert(dev, a, rec);
      break;
    }
    case 'cxl-inject-uncorrectable-errors': {
      const errs = a.errors as { type: (typeof UNCOR)[number]; header: bigint[] }[];
      for (const e of errs) {
        if (e.header.length > 32)
          throw new QmpError('GenericError', 'Header must be 32 DWORD or less');
        const i = UNCOR.indexOf(e.type);
        dev.component.ras?.inject('uncorrectable', i <= 11 ? i : i + 2);
      }
      break;
    }
    case 'cxl-inject-correctable-error':
      dev.component.ras?.inject('correctable', COR.indexOf(a.type as (typeof COR)[number]));
      break;
  }
  return {};
}
