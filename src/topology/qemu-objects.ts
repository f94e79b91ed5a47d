/**
 * DOC: `-object` — the memory backends behind CXL devices.
 *
 * QEMU parses each `-object` with keyval (implied key `qom-type`, softmmu/vl.c
 * `object_option_parse()`) while walking argv, and creates memory backends later, before the
 * machine's devices ("late" objects: `object_create_early()` defers `memory-backend-*`), so a
 * `-device` may name a backend defined further down the line. Creation checks follow
 * backends/hostmem*.c: size 0 → "can't create backend with size 0", a file backend without
 * `mem-path` → "mem-path property not set". A backend consumed twice (`-numa memdev=`, two
 * type-3 devices) is refused by QEMU ≥ 9.1 ("memory backend X can't be used multiple
 * times."); QEMU 7.2 has no such check in cxl_type3.c. Other object types are kept only by id
 * (QOM path look-ups name them in messages).
 */
import type { QemuOption } from './qemu-args.ts';
import { optionLocation } from './qemu-args.ts';
import { QemuError } from './qemu-errors.ts';
import { keyvalParse } from './qemu-opts.ts';
import { qemuStrtosz } from './qemu-size.ts';

/** A memory backend (`memory-backend-ram|file|memfd`). */
export interface Backend {
  id: string;
  qomType: string;
  /** Bytes; 0 when not given. */
  size: bigint;
  memPath?: string;
  option: QemuOption;
  /** Consumed by a device or NUMA node (QEMU's host_memory_backend_is_mapped()). */
  mapped: boolean;
  /** Consumed by a CXL device (so the option is not listed as ignored). */
  usedByCxl: boolean;
}

/** All `-object`s: backends by id, and every object id with its type. */
export interface ObjectTable {
  backends: Map<string, Backend>;
  ids: Map<string, string>;
  /** In command-line order, for creation-time checks. */
  order: { id: string; qomType: string; option: QemuOption }[];
}

/** An empty table. */
export function newObjectTable(): ObjectTable {
  return { backends: new Map(), ids: new Map(), order: [] };
}

/** True for the QOM types that are host memory backends. */
export function isMemoryBackendType(t: string): boolean {
  return t === 'memory-backend-ram' || t === 'memory-backend-file' || t === 'memory-backend-memfd';
}

/** Parses an `-object` argument (keyval or JSON) into string properties. */
function objectProps(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new QemuError(`JSON parse error, ${(e as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null)
      throw new QemuError('Invalid JSON object given');
    for (const [k, v] of Object.entries(parsed))
      out.set(k, typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v));
    return out;
  }
  for (const [k, v] of keyvalParse(text, 'qom-type')) if (typeof v === 'string') out.set(k, v);
  return out;
}

/**
 * `-object TEXT` at parse time.
 * @throws QemuError "Parameter 'qom-type' is missing", "Parameter 'id' is missing",
 *   "Parameter 'size' expects size", keyval syntax errors.
 */
export function parseObjectOption(t: ObjectTable, o: QemuOption): void {
  const props = objectProps(o.arg ?? '');
  const qomType = props.get('qom-type');
  if (qomType === undefined) throw new QemuError("Parameter 'qom-type' is missing");
  const id = props.get('id');
  if (id === undefined) throw new QemuError("Parameter 'id' is missing");
  t.order.push({ id, qomType, option: o });
  if (!isMemoryBackendType(qomType)) return;
  let size = 0n;
  const s = props.get('size');
  if (s !== undefined) {
    const r = qemuStrtosz(s);
    if (!r.ok) throw new QemuError("Parameter 'size' expects size");
    size = r.value;
  }
  const b: Backend = { id, qomType, size, option: o, mapped: false, usedByCxl: false };
  const mp = props.get('mem-path');
  if (mp !== undefined) b.memPath = mp;
  t.backends.set(id, b);
}

/**
 * Creates the objects (ids into the QOM /objects container, backends allocated): duplicate
 * ids and backend allocation errors, located at the `-object` option.
 * @throws QemuError as QEMU reports them.
 */
export function createObjects(t: ObjectTable, binary: string): void {
  for (const { id, qomType, option } of t.order) {
    const loc = { option: optionLocation(option), binary };
    if (t.ids.has(id))
      throw new QemuError(
        `attempt to add duplicate property '${id}' to object (type 'container')`,
        loc,
      );
    t.ids.set(id, qomType);
    const b = t.backends.get(id);
    if (!b || b.option !== option) continue;
    if (b.size === 0n) throw new QemuError("can't create backend with size 0", loc);
    if (qomType === 'memory-backend-file' && b.memPath === undefined)
      throw new QemuError('mem-path property not set', loc);
  }
}

/** Marks backends consumed by `-numa node,memdev=ID` or `-machine memory-backend=ID`. */
export function consumeBoardMemdevs(t: ObjectTable, ids: string[]): void {
  for (const id of ids) {
    const b = t.backends.get(id);
    if (b) b.mapped = true;
  }
}
