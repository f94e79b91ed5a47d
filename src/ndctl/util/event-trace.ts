/**
 * DOC: ndctl's util/event_trace.c over what it links: the parts of libtracefs (instance
 * files, tracefs_event_enable(), tracefs_trace_on(), tracefs_iterate_raw_events()) and of
 * libtraceevent (tep_parse_event() of a `format` file, kbuffer's sub-buffer walk,
 * tep_get_field_raw()) that ndctl uses, read through /sys like every libcxl access.
 *
 * The raw read: per_cpu/cpuN/trace_pipe_raw of the instance, one page (4096 bytes: u64
 * time_stamp, 8-byte commit, events) per read until EAGAIN, for cpu0…cpuN-1 as listed under
 * per_cpu; each event's type is its record's common_type, matched to the event whose `format`
 * file (events/<system>/<event>/format of the top level, tracefs_local_events()) has that ID.
 * event_to_json(): {"system", "event", "timestamp" (ns), then every non-common field by its
 * format: a __data_loc string as a string, an array as numbers, a uuid_t as its text, else a
 * number (signed per the format; u64 unsigned)}.
 */
import type { CxlCtx } from '../lib/types.ts';
import { arrAdd, type JObj, type JVal, jArr, jInt64, jObj, jStr, jU64, objAdd } from './jsonc.ts';

/** TRACEFS_PATH: where libtracefs finds tracefs in a guest (systemd mounts it there). */
export const TRACING_DIR = 'kernel/tracing';

/** One field of a parsed format (struct tep_format_field). */
export interface TepField {
  type: string;
  name: string;
  offset: number;
  size: number;
  signed: boolean;
  /** TEP_FIELD_IS_ARRAY: "name[len]" or a __data_loc. */
  array: boolean;
  /** TEP_FIELD_IS_DYNAMIC: a __data_loc. */
  dynamic: boolean;
  /** TEP_FIELD_IS_STRING: a char/u8/s8 array. */
  string: boolean;
  /** element size (size / len for arrays). */
  elementSize: number;
}

/** A parsed `format` file (struct tep_event). */
export interface TepEvent {
  system: string;
  name: string;
  id: number;
  fields: TepField[];
}

/** event_read_fields() of one "\tfield:TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;" line. */
function parseField(line: string): TepField | undefined {
  const m = /^\s*field:(.+?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/.exec(line);
  if (!m) return undefined;
  let decl = (m[1] as string).trim();
  const size = Number(m[3]);
  const dynamic = decl.startsWith('__data_loc ');
  if (dynamic) decl = decl.slice('__data_loc '.length);
  let len = 0;
  const arr = /^(.*?)\s*\[(\d*)\]$/.exec(decl);
  if (arr) {
    decl = arr[1] as string;
    len = Number(arr[2] || 0);
  }
  const sp = decl.lastIndexOf(' ');
  let type = decl.slice(0, sp).trim();
  let name = decl.slice(sp + 1);
  const arr2 = /^(\w+)\[(\d*)\]$/.exec(name);
  if (arr2) {
    name = arr2[1] as string;
    len = Number(arr2[2] || 0);
    type = `${type}[]`;
  }
  const array = dynamic || arr !== null || arr2 !== null;
  const string = array && /char|u8|s8/.test(type);
  return {
    type,
    name,
    offset: Number(m[2]),
    size,
    signed: m[4] === '1',
    array,
    dynamic,
    string,
    elementSize: array && len > 0 ? size / len : size,
  };
}

/** tep_parse_event(): the name, ID and non-common fields of a `format` file. */
export function tepParseEvent(text: string, system: string): TepEvent | undefined {
  const name = /^name: (.+)$/m.exec(text)?.[1];
  const id = /^ID: (\d+)$/m.exec(text)?.[1];
  if (!name || !id) return undefined;
  const body = text.slice(text.indexOf('format:'));
  const fields: TepField[] = [];
  for (const line of body.split('\n')) {
    if (line.startsWith('print fmt:')) break;
    const f = parseField(line);
    if (f && !f.name.startsWith('common_')) fields.push(f);
  }
  return { system, name, id: Number(id), fields };
}

/** A record as kbuffer hands it out: its time (ns) and data (common header first). */
export interface TepRecord {
  ts: bigint;
  data: Uint8Array;
}

/** kbuffer_load_subbuffer() + kbuffer_next_event() over one page: its records in order. */
export function kbufferRecords(page: Uint8Array): TepRecord[] {
  const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
  if (page.length < 16) return [];
  let ts = dv.getBigUint64(0, true);
  const commit = Number(dv.getBigUint64(8, true) & 0xfffffn);
  const end = Math.min(16 + commit, page.length);
  const out: TepRecord[] = [];
  let o = 16;
  while (o + 4 <= end) {
    const hdr = dv.getUint32(o, true);
    const typeLen = hdr & 0x1f;
    const delta = BigInt(hdr >>> 5);
    o += 4;
    if (typeLen === 29) {
      // padding: array[0] is the length to skip
      o += o + 4 <= end ? dv.getUint32(o, true) : end;
      continue;
    }
    if (typeLen === 30 || typeLen === 31) {
      const ext = BigInt(dv.getUint32(o, true));
      o += 4;
      ts = typeLen === 30 ? ts + ((ext << 27n) + delta) : (ext << 27n) + delta;
      continue;
    }
    let len: number;
    if (typeLen === 0) {
      len = ((dv.getUint32(o, true) - 4 + 3) & ~3) >>> 0;
      o += 4;
    } else len = typeLen * 4;
    ts += delta;
    if (o + len > end) break;
    out.push({ ts, data: page.subarray(o, o + len) });
    o += len;
  }
  return out;
}

/** Little-endian integer of `size` bytes at `off`, signed or not. */
function readInt(d: Uint8Array, off: number, size: number, signed: boolean): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(d[off + i] ?? 0);
  return signed ? BigInt.asIntN(size * 8, v) : v;
}

/** num_to_json(): an int64, or for an unsigned 8-byte value a uint64. */
function numToJson(d: Uint8Array, off: number, size: number, signed: boolean): JVal {
  const v = readInt(d, off, size, signed);
  return size === 8 && !signed ? jU64(v) : jInt64(v);
}

/** uuid_unparse() of 16 bytes (lower case). */
function uuidUnparse(b: Uint8Array): string {
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** tep_get_field_raw() of a __data_loc string: its bytes up to the NUL. */
function dataLocString(rec: TepRecord, f: TepField): string {
  const loc = Number(readInt(rec.data, f.offset, 4, false));
  const off = loc & 0xffff;
  const len = loc >>> 16;
  const bytes = rec.data.subarray(off, off + len);
  const nul = bytes.indexOf(0);
  return new TextDecoder().decode(nul >= 0 ? bytes.subarray(0, nul) : bytes);
}

/** A TEP_FIELD_IS_STRING field read as a C string: its bytes from the field to a NUL. */
function rawCString(rec: TepRecord, f: TepField): string {
  const bytes = rec.data.subarray(f.offset);
  const nul = bytes.indexOf(0);
  return Buffer.from(nul >= 0 ? bytes.subarray(0, nul) : bytes).toString('latin1');
}

/**
 * event_to_json(): one event as ndctl's monitor prints it; `arraysAsNumbers` false (ndctl
 * before NDCTL_SINCE.eventArraysAsNumbers) prints every char/u8 array as a C string too.
 */
export function eventToJson(ev: TepEvent, rec: TepRecord, arraysAsNumbers = true): JObj {
  const j = jObj();
  objAdd(j, 'system', jStr(ev.system));
  objAdd(j, 'event', jStr(ev.name));
  objAdd(j, 'timestamp', jU64(rec.ts));
  for (const f of ev.fields) {
    if (f.string && f.dynamic) objAdd(j, f.name, jStr(dataLocString(rec, f)));
    else if (f.string && !arraysAsNumbers) objAdd(j, f.name, jStr(rawCString(rec, f)));
    else if (f.array) {
      const a = jArr();
      const n = f.elementSize > 0 ? f.size / f.elementSize : 0;
      for (let i = 0; i < n; i++)
        arrAdd(a, numToJson(rec.data, f.offset + i * f.elementSize, f.elementSize, f.signed));
      objAdd(j, f.name, a);
    } else if (/uuid_t/i.test(f.type))
      objAdd(j, f.name, jStr(uuidUnparse(rec.data.subarray(f.offset, f.offset + 16))));
    else if ([1, 2, 4, 8].includes(f.size))
      objAdd(j, f.name, numToJson(rec.data, f.offset, f.size, f.signed));
  }
  return j;
}

/** A tracefs file path (relative to /sys) of instance `inst` (undefined: the top level). */
export function instanceFile(inst: string | undefined, file: string): string {
  return inst === undefined ? `${TRACING_DIR}/${file}` : `${TRACING_DIR}/instances/${inst}/${file}`;
}

/** tracefs_instance_create(): the instance exists afterwards (false: no tracefs). */
export function tracefsInstanceCreate(ctx: CxlCtx, name: string): boolean {
  try {
    return ctx.view.lstat(instanceFile(name, ''))?.kind === 'dir';
  } catch {
    return false;
  }
}

/** A tracefs write; false when it failed. */
function tracefsWrite(ctx: CxlCtx, path: string, value: string): boolean {
  try {
    ctx.view.write(path, value);
    return true;
  } catch {
    return false;
  }
}

/**
 * trace_event_enable(): tracefs_event_enable(inst, system, event) (events/<system>/enable, or
 * the event's own enable), then tracing_on unless on. @returns 0, or -ENOENT (-2)
 */
export function traceEventEnable(
  ctx: CxlCtx,
  inst: string,
  system: string,
  event?: string,
): number {
  const enable = event ? `events/${system}/${event}/enable` : `events/${system}/enable`;
  if (!tracefsWrite(ctx, instanceFile(inst, enable), '1')) return -2;
  const on = instanceFile(inst, 'tracing_on');
  let cur = '';
  try {
    const v = ctx.view.read(on);
    cur = typeof v === 'string' ? v : '';
  } catch {}
  if (cur.trim() !== '1') tracefsWrite(ctx, on, '1');
  return 0;
}

/** trace_event_disable(): tracefs_trace_off(). */
export function traceEventDisable(ctx: CxlCtx, inst: string): boolean {
  return tracefsWrite(ctx, instanceFile(inst, 'tracing_on'), '0');
}

/** tracefs_local_events(NULL): the parsed formats of every system under events/, by ID. */
export function tracefsLocalEvents(ctx: CxlCtx): Map<number, TepEvent> {
  const out = new Map<number, TepEvent>();
  const events = `${TRACING_DIR}/events`;
  let systems: string[] = [];
  try {
    systems = ctx.view.readdir(events);
  } catch {
    return out;
  }
  for (const sys of systems) {
    if (ctx.view.lstat(`${events}/${sys}`)?.kind !== 'dir') continue;
    for (const ev of ctx.view.readdir(`${events}/${sys}`)) {
      try {
        const text = ctx.view.read(`${events}/${sys}/${ev}/format`);
        const e = tepParseEvent(typeof text === 'string' ? text : '', sys);
        if (e) out.set(e.id, e);
      } catch {}
    }
  }
  return out;
}

/**
 * tracefs_iterate_raw_events(tep, inst, NULL, 0, cb): every record of the instance's CPUs,
 * oldest first, each page read from per_cpu/cpuN/trace_pipe_raw until it answers EAGAIN.
 */
export function tracefsIterateRawEvents(
  ctx: CxlCtx,
  inst: string,
  tep: ReadonlyMap<number, TepEvent>,
  cb: (ev: TepEvent, rec: TepRecord) => void,
): void {
  let cpus: string[] = [];
  try {
    cpus = ctx.view.readdir(instanceFile(inst, 'per_cpu')).filter((n) => /^cpu\d+$/.test(n));
  } catch {
    return;
  }
  const all: TepRecord[] = [];
  for (const cpu of cpus) {
    for (let guard = 0; guard < 1 << 16; guard++) {
      let page: string | Uint8Array;
      try {
        page = ctx.view.read(instanceFile(inst, `per_cpu/${cpu}/trace_pipe_raw`));
      } catch {
        break;
      }
      const bytes = typeof page === 'string' ? Uint8Array.from(Buffer.from(page, 'latin1')) : page;
      all.push(...kbufferRecords(bytes));
    }
  }
  all.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  for (const rec of all) {
    const id = Number(readInt(rec.data, 0, 2, false));
    const ev = tep.get(id);
    if (ev) cb(ev, rec);
  }
}
