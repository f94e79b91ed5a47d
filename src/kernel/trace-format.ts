/**
 * DOC: a trace event's binary record and its tracefs `format` file (include/trace/
 * trace_events.h, kernel/trace/trace_events.c f_show()).
 *
 * TRACE_EVENT()'s TP_STRUCT__entry becomes `struct trace_event_raw_<event>`: the common
 * header (struct trace_entry: common_type u16, common_flags u8, common_preempt_count u8,
 * common_pid int — 8 bytes), then each field at its natural alignment (u64 at 8, u32 and a
 * __data_loc at 4, u16 at 2, u8 / char / u8[] / uuid_t at 1), then `char __data[]`. A
 * `__string()` is a `u32 __data_loc` whose value is (length << 16) | offset, the offset
 * counted from the record start, the string (with its NUL) stored after the fixed part in
 * declaration order; the record is sizeof(struct) + the strings' lengths.
 *
 * The format file lists the common fields, an empty line, the event's fields
 * ("\tfield:TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;\n", arrays as "TYPE NAME[LEN]",
 * strings as "__data_loc char[] NAME"), an empty line and "print fmt: …" — the layout the
 * host's 6.18 tracefs prints (sched_process_exec, sched_switch), which libtraceevent parses.
 */

/** One TP_STRUCT__entry member. */
export type TraceField =
  /** __field(type, name) / __field_struct(type, name): a scalar or a struct of `size` bytes. */
  | { kind: 'field'; type: string; name: string; size: number; align: number; signed: boolean }
  /** __array(type, name, len): `len` elements of `elem` bytes. */
  | { kind: 'array'; type: string; name: string; elem: number; len: number; signed: boolean }
  /** __string(name, src): a __data_loc char[]. */
  | { kind: 'string'; name: string };

/** A field value: integers (number or bigint), bytes (arrays, structs) or a string. */
export type TraceValue = number | bigint | string | Uint8Array;

/** The C integer types of TP_STRUCT__entry: [size, signed]. */
const SCALARS: Record<string, [number, boolean]> = {
  u8: [1, false],
  u16: [2, false],
  u32: [4, false],
  u64: [8, false],
  s8: [1, true],
  s16: [2, true],
  s32: [4, true],
  s64: [8, true],
  int: [4, true],
  char: [1, true],
};

/** `char` is unsigned from v6.2 (-funsigned-char); the caller says which. */
function scalar(type: string, unsignedChar: boolean): [number, boolean] {
  const s = SCALARS[type];
  if (!s) throw new Error(`cxlsim: unknown trace field type ${type}`);
  return type === 'char' && unsignedChar ? [1, false] : s;
}

/** __field(type, name). */
export function tpField(type: string, name: string, unsignedChar = true): TraceField {
  const [size, signed] = scalar(type, unsignedChar);
  return { kind: 'field', type, name, size, align: size, signed };
}

/** __field_struct(type, name): a struct of `size` bytes, alignment 1 (uuid_t), unsigned. */
export function tpStruct(type: string, name: string, size: number): TraceField {
  return { kind: 'field', type, name, size, align: 1, signed: false };
}

/** __array(type, name, len). */
export function tpArray(type: string, name: string, len: number, unsignedChar = true): TraceField {
  const [elem, signed] = scalar(type, unsignedChar);
  return { kind: 'array', type, name, elem, len, signed };
}

/** __string(name, src). */
export function tpString(name: string): TraceField {
  return { kind: 'string', name };
}

/** A field with its place in the record. */
export interface PlacedField {
  field: TraceField;
  offset: number;
  size: number;
}

/** The layout of an event's record: fields at their offsets, the fixed part's size. */
export interface TraceLayout {
  fields: PlacedField[];
  /** offsetof(__data): where the strings start. */
  dataOffset: number;
  /** sizeof(struct trace_event_raw_<event>). */
  structSize: number;
}

const COMMON_SIZE = 8;
const align = (v: number, a: number) => Math.ceil(v / a) * a;

/** The struct layout of TP_STRUCT__entry (see the DOC). */
export function traceLayout(fields: readonly TraceField[]): TraceLayout {
  let off = COMMON_SIZE;
  let maxAlign = 4;
  const placed: PlacedField[] = [];
  for (const f of fields) {
    const [size, a] =
      f.kind === 'field'
        ? [f.size, f.align]
        : f.kind === 'array'
          ? [f.elem * f.len, f.elem]
          : [4, 4];
    off = align(off, a);
    placed.push({ field: f, offset: off, size });
    off += size;
    maxAlign = Math.max(maxAlign, a);
  }
  return { fields: placed, dataOffset: off, structSize: align(off, maxAlign) };
}

/** One "\tfield:…" line of a format file. */
function fieldLine(type: string, offset: number, size: number, signed: boolean): string {
  return `\tfield:${type};\toffset:${offset};\tsize:${size};\tsigned:${signed ? 1 : 0};\n`;
}

/**
 * The `format` file of an event (f_show()): name, ID, the common and event fields, print fmt.
 * @param printFmt the TP_printk text as the kernel stringifies it ("\"…\", REC->a, …")
 */
export function traceFormatText(
  name: string,
  id: number,
  fields: readonly TraceField[],
  printFmt: string,
  unsignedChar = true,
): string {
  const out = [
    `name: ${name}\n`,
    `ID: ${id}\n`,
    'format:\n',
    fieldLine('unsigned short common_type', 0, 2, false),
    fieldLine('unsigned char common_flags', 2, 1, false),
    fieldLine('unsigned char common_preempt_count', 3, 1, false),
    fieldLine('int common_pid', 4, 4, true),
    '\n',
  ];
  for (const p of traceLayout(fields).fields) {
    const f = p.field;
    if (f.kind === 'field') out.push(fieldLine(`${f.type} ${f.name}`, p.offset, p.size, f.signed));
    else if (f.kind === 'array')
      out.push(fieldLine(`${f.type} ${f.name}[${f.len}]`, p.offset, p.size, f.signed));
    else out.push(fieldLine(`__data_loc char[] ${f.name}`, p.offset, 4, !unsignedChar));
  }
  out.push('\n', `print fmt: ${printFmt}\n`);
  return out.join('');
}

/** Little-endian store of an integer of `size` bytes. */
function putInt(b: Uint8Array, off: number, size: number, v: number | bigint): void {
  let x = BigInt.asUintN(size * 8, typeof v === 'bigint' ? v : BigInt(Math.trunc(v)));
  for (let i = 0; i < size; i++) {
    b[off + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

/**
 * trace_event_raw_event_<event>(): the record of one event — common header (type `id`,
 * flags 0, preempt count 0, `pid`), the fields from `values` by name (absent ones 0 / ""),
 * the strings after the fixed part. Bytes beyond a byte value's length stay 0.
 */
export function traceRecord(
  id: number,
  pid: number,
  fields: readonly TraceField[],
  values: Readonly<Record<string, TraceValue>>,
): Uint8Array {
  const lay = traceLayout(fields);
  const enc = new TextEncoder();
  const strings = lay.fields
    .filter((p) => p.field.kind === 'string')
    .map((p) => {
      const v = values[p.field.name];
      return enc.encode(`${typeof v === 'string' ? v : ''}\0`);
    });
  const total = lay.structSize + strings.reduce((n, s) => n + s.length, 0);
  const b = new Uint8Array(total);
  putInt(b, 0, 2, id);
  putInt(b, 4, 4, pid);
  let dyn = lay.dataOffset;
  let si = 0;
  for (const p of lay.fields) {
    const f = p.field;
    const v = values[f.name];
    if (f.kind === 'string') {
      const s = strings[si++] as Uint8Array;
      putInt(b, p.offset, 4, (s.length << 16) | dyn);
      b.set(s, dyn);
      dyn += s.length;
    } else if (v instanceof Uint8Array) b.set(v.subarray(0, p.size), p.offset);
    else if (typeof v === 'number' || typeof v === 'bigint') {
      if (f.kind === 'array') putInt(b, p.offset, f.elem, v);
      else putInt(b, p.offset, p.size, v);
    }
  }
  return b;
}
