/**
 * DOC: `-M`/`-machine` and `-m` — the machine type, `cxl=on`, the CXL fixed memory windows
 * (`cxl-fmw.N.*`) and the RAM size, as QEMU parses and applies them.
 *
 * Parsing follows softmmu/vl.c: every `-M` is parsed with keyval into one dictionary while
 * QEMU walks argv (errors carry the option's location); `-m` is a merged QemuOpts group
 * ("memory": size, slots, maxmem; a size ending in a digit means MiB). Applying follows
 * `qemu_create_machine()` / `qemu_apply_machine_options()`: the type is looked up, then the
 * properties are set in dictionary order with no location: `cxl` (bool), `cxl-fmw` (QAPI
 * `CXLFixedMemoryWindowOptionsList`: size, interleave-granularity, targets; the whole list is
 * visited before `cxl_fixed_memory_window_config()` checks each window: ways, then size, then
 * granularity — hw/cxl/cxl-host.c), `highmem-mmio-size` (virt), and last the memory
 * (`machine_set_mem()`: the size is rounded up to 8 KiB).
 */
import { Errno } from '../kernel/errno.ts';
import { type QemuVersion, qemuAtLeast } from '../profile.ts';
import type { FixedWindow, MachineType } from './model.ts';
import { QemuError } from './qemu-errors.ts';
import {
  type KvDict,
  type KvValue,
  keyvalParseInto,
  optGet,
  parseQemuOpts,
  type QemuOpts,
} from './qemu-opts.ts';
import { QEMU_CMDLINE_SINCE } from './qemu-props.ts';
import { qemuStrtosz, qemuStrtou64 } from './qemu-size.ts';

/** Machine options collected while walking argv. */
export interface MachineOptions {
  dict: KvDict;
  memory: QemuOpts;
}

/** The applied machine: what the Topology's `machine` and `windows` are built from. */
export interface AppliedMachine {
  type: MachineType;
  /** QOM type name used in QEMU's property messages, e.g. "pc-q35-7.2-machine". */
  typeName: string;
  cxl: boolean;
  ramSize: bigint;
  maxMem?: bigint;
  slots?: number;
  highmemMmioSize?: bigint;
  options: Record<string, string>;
  windows: FixedWindow[];
}

const MiB = 1024n * 1024n;

/** Empty option state. */
export function newMachineOptions(): MachineOptions {
  return { dict: new Map(), memory: { id: undefined, params: [] } };
}

/** `-M`/`-machine TEXT`: keyval into the machine dictionary (implied key "type"). */
export function parseMachineOption(m: MachineOptions, text: string): void {
  keyvalParseInto(m.dict, text, 'type');
}

const MEMORY_KEYS = new Set(['size', 'slots', 'maxmem']);

/**
 * `-m TEXT`: QemuOpts "memory" (merge_lists), checked as QEMU checks it at parse time.
 * @throws QemuError "Invalid parameter 'x'", "Parameter 'size' expects a non-negative number…".
 */
export function parseMemoryOption(m: MachineOptions, text: string): void {
  const o = parseQemuOpts(text, 'size');
  for (const [k, v] of o.params) {
    if (!MEMORY_KEYS.has(k)) throw new QemuError(`Invalid parameter '${k}'`);
    if (k === 'slots') {
      if (!qemuStrtou64(v).ok) throw new QemuError(`Parameter 'slots' expects a number`);
    } else {
      const r = qemuStrtosz(v);
      if (!r.ok && r.error === 'ERANGE')
        throw new QemuError(`Value '${v}' is out of range for parameter '${k}'`);
      if (!r.ok)
        throw new QemuError(`Parameter '${k}' expects a non-negative number below 2^64`, {
          hint: 'Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.',
        });
    }
    m.memory.params.push([k, v]);
  }
}

/** Machine type and QOM type name for a `-M` type; undefined when not q35/virt. */
function resolveType(
  given: string,
  qemu: QemuVersion,
): { type: MachineType; typeName: string } | undefined {
  if (given === 'q35') return { type: 'q35', typeName: `pc-q35-${qemu}-machine` };
  if (given === 'pc') return { type: 'pc', typeName: `pc-i440fx-${qemu}-machine` };
  if (/^pc-(i440fx-)?\d+\.\d+$/.test(given))
    return { type: 'pc', typeName: `${given.replace(/^pc-(?!i440fx)/, 'pc-i440fx-')}-machine` };
  if (/^pc-q35-\d+\.\d+$/.test(given)) return { type: 'q35', typeName: `${given}-machine` };
  if (given === 'virt') return { type: 'virt', typeName: `virt-${qemu}-machine` };
  if (/^virt-\d+\.\d+$/.test(given)) return { type: 'virt', typeName: `${given}-machine` };
  return undefined;
}

const BOOL_ON = new Set(['on', 'yes', 'true', 'y']);
const BOOL_OFF = new Set(['off', 'no', 'false', 'n']);

/** keyval bool (`qapi_bool_parse()`). */
function kvBool(name: string, v: KvValue): boolean {
  if (typeof v !== 'string')
    throw new QemuError(`Invalid parameter type for '${name}', expected: boolean`);
  if (BOOL_ON.has(v)) return true;
  if (BOOL_OFF.has(v)) return false;
  throw new QemuError(`Parameter '${name}' expects 'on' or 'off'`);
}

/** keyval size (`qobject_input_type_size_keyval()`). */
function kvSize(name: string, v: KvValue): bigint {
  if (typeof v !== 'string')
    throw new QemuError(`Invalid parameter type for '${name}', expected: size`);
  const r = qemuStrtosz(v);
  if (!r.ok) throw new QemuError(`Parameter '${name}' expects size`);
  return r.value;
}

/** One visited `CXLFixedMemoryWindowOptions`. */
interface WindowOptions {
  size: bigint;
  granularity?: bigint;
  targets: string[];
}

/** `visit_type_CXLFixedMemoryWindowOptionsList()` over the keyval list. */
function visitWindows(v: KvValue): WindowOptions[] {
  if (!Array.isArray(v))
    throw new QemuError(`Invalid parameter type for 'cxl-fmw', expected: array`);
  return v.map((el, i) => {
    const p = `cxl-fmw.${i}`;
    if (!(el instanceof Map))
      throw new QemuError(`Invalid parameter type for '${p}', expected: object`);
    const rest = new Map(el);
    const take = (k: string) => {
      const x = rest.get(k);
      rest.delete(k);
      return x;
    };
    const size = take('size');
    if (size === undefined) throw new QemuError(`Parameter '${p}.size' is missing`);
    const w: WindowOptions = { size: kvSize(`${p}.size`, size), targets: [] };
    const gran = take('interleave-granularity');
    if (gran !== undefined) w.granularity = kvSize(`${p}.interleave-granularity`, gran);
    const targets = take('targets');
    if (targets === undefined) throw new QemuError(`Parameter '${p}.targets' is missing`);
    if (!Array.isArray(targets))
      throw new QemuError(`Invalid parameter type for '${p}.targets', expected: array`);
    targets.forEach((t, j) => {
      if (typeof t !== 'string')
        throw new QemuError(`Invalid parameter type for '${p}.targets.${j}', expected: string`);
      w.targets.push(t);
    });
    const extra = rest.keys().next();
    if (!extra.done) throw new QemuError(`Parameter '${p}.${extra.value}' is unexpected`);
    return w;
  });
}

const WAYS = new Set([1, 2, 4, 8, 16, 3, 6, 12]);
const GRANULARITIES = new Set([256n, 512n, 1024n, 2048n, 4096n, 8192n, 16384n]);

/** `cxl_fixed_memory_window_config()`: ways, then size, then granularity. */
function configWindow(w: WindowOptions, index: number, qemu: QemuVersion): FixedWindow {
  const ways = w.targets.length;
  if (!WAYS.has(ways)) throw new QemuError(`Interleave ways: ${ways} not supported`);
  if (w.size % (256n * MiB) !== 0n) {
    const verb = qemuAtLeast(qemu, QEMU_CMDLINE_SINCE.windowSizeMsgFixed) ? 'be' : 'my';
    throw new QemuError(`Size of a CXL fixed memory window must ${verb} a multiple of 256MiB`);
  }
  let granularity = 256;
  if (w.granularity !== undefined) {
    if (!GRANULARITIES.has(w.granularity))
      throw new QemuError(`Interleave granularity: ${w.granularity} invalid`);
    granularity = Number(w.granularity);
  }
  return { index, targets: [...w.targets], size: w.size, granularity };
}

/** Flattens a nested keyval value into "a.b" → "v" strings for `MachineConfig.options`. */
function flatten(prefix: string, v: KvValue, out: Record<string, string>): void {
  if (typeof v === 'string') out[prefix] = v;
  else if (Array.isArray(v)) for (const [i, x] of v.entries()) flatten(`${prefix}.${i}`, x, out);
  else for (const [k, x] of v) flatten(`${prefix}.${k}`, x, out);
}

/** `machine_set_mem()` on the "memory" options. */
function applyMemory(mem: QemuOpts, out: AppliedMachine): void {
  const sizeText = optGet(mem, 'size');
  let size = 128n * MiB;
  if (sizeText !== undefined) {
    const legacy = /\d$/.test(sizeText);
    const r = qemuStrtosz(sizeText, legacy ? 'M' : 'B');
    if (!r.ok) throw new QemuError(`Parameter 'memory.size' expects size`);
    if (r.value !== 0n) size = r.value;
  }
  size = ((size + 8191n) / 8192n) * 8192n;
  const maxText = optGet(mem, 'maxmem');
  const slotsText = optGet(mem, 'slots');
  const slots =
    slotsText === undefined
      ? undefined
      : Number((qemuStrtou64(slotsText) as { value: bigint }).value);
  const hex = (x: bigint) => `0x${x.toString(16)}`;
  if (maxText !== undefined) {
    const r = qemuStrtosz(maxText);
    const max = r.ok ? r.value : 0n;
    if (max < size)
      throw new QemuError(
        `invalid value of maxmem: maximum memory size (${hex(max)}) must be at least the initial memory size (${hex(size)})`,
      );
    if (slots !== undefined && slots !== 0 && max === size)
      throw new QemuError(
        `invalid value of maxmem: memory slots were specified but maximum memory size (${hex(max)}) is equal to the initial memory size (${hex(size)})`,
      );
    out.maxMem = max;
  } else if (slots !== undefined) {
    throw new QemuError('slots specified but no max-size');
  }
  out.ramSize = size;
  if (slots !== undefined) out.slots = slots;
}

/**
 * Selects the machine and applies its options, as QEMU does after parsing argv.
 * @throws QemuError with QEMU's text (no location); Errno EINVAL for machine types cxlsim
 *   does not model.
 */
export function applyMachine(m: MachineOptions, qemu: QemuVersion, binary: string): AppliedMachine {
  const given = m.dict.get('type');
  const x86 = /x86_64|i386/.test(binary);
  const arm = /aarch64|arm/.test(binary);
  const hint = 'Use -machine help to list supported machines';
  if (given === undefined && arm)
    throw new QemuError('No machine specified, and there is no default', { hint });
  const typeText = typeof given === 'string' ? given : 'pc';
  const t = resolveType(typeText, qemu);
  if (t && ((t.type === 'virt' && x86) || (t.type !== 'virt' && arm)))
    throw new QemuError('unsupported machine type', { hint });
  if (!t)
    throw new Errno(
      'EINVAL',
      `unsupported machine type '${typeText}' (cxlsim models q35, pc and virt)`,
    );
  const out: AppliedMachine = { ...t, cxl: false, ramSize: 128n * MiB, options: {}, windows: [] };
  for (const [key, v] of m.dict) {
    if (key === 'type') continue;
    const cxlProp = key === 'cxl' || key === 'cxl-fmw';
    if (
      (cxlProp && t.type === 'virt' && !qemuAtLeast(qemu, QEMU_CMDLINE_SINCE.virtCxl)) ||
      (key === 'highmem-mmio-size' && t.type !== 'virt')
    )
      throw new QemuError(`Property '${t.typeName}.${key}' not found`);
    if (key === 'cxl') out.cxl = kvBool('cxl', v);
    else if (key === 'cxl-fmw')
      out.windows = visitWindows(v).map((w, i) => configWindow(w, i, qemu));
    else if (key === 'highmem-mmio-size') out.highmemMmioSize = kvSize(key, v);
    else flatten(key, v, out.options);
  }
  applyMemory(m.memory, out);
  return out;
}
