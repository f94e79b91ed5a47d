/**
 * DOC: the cxl trace events as tracefs shows them (drivers/cxl/core/trace.h TRACE_EVENT()s,
 * registered under /sys/kernel/tracing/events/cxl/ when cxl_core loads; kernel/trace/
 * trace.c, trace_events.c), over the kernel's trace buffers (kernel/trace.ts).
 *
 * Top level and every `instances/<name>/`: `trace` (read: ftrace's header and the recorded
 * lines; a write clears it), `trace_pipe` (read consumes), `tracing_on`, `set_event`,
 * `events/enable`, `events/cxl/enable`, `events/cxl/<event>/{enable,filter,format,id}` for the
 * events the kernel version has ("0", "1", or "X" when mixed), `events/header_page` and
 * `events/header_event`, and `per_cpu/cpuN/{trace,trace_pipe,trace_pipe_raw}`.
 * trace_pipe_raw gives the ring buffer's binary pages (kernel/trace-ring.ts) of the records
 * (kernel/trace-format.ts, layouts in trace-fields.ts), consuming them; with nothing to read it
 * fails with EAGAIN (what a non-blocking reader gets; cxlsim cannot block a reader). Every
 * event is recorded on CPU 0. The top level also has `available_events` (only the cxl events:
 * the other subsystems are not modelled).
 *
 * cxlsim-specific: SysfsView has no mkdir, so looking an instance up creates it, which stands
 * for libtracefs's tracefs_instance_create() (mkdir instances/<name>). The guest has
 * GUEST_CPUS CPUs (per_cpu lists cpu0…cpu1) but a lookup of any higher cpuN answers too (an
 * empty buffer): cxlsim's /sys has no devices/system/cpu, so glibc's
 * sysconf(_SC_NPROCESSORS_CONF) in a `cxlsim run` process counts the host's CPUs, and
 * libtracefs opens per_cpu/cpuN for each of them. Event IDs are cxlsim's (the kernel numbers
 * module events at load time; no capture shows them).
 */
import { Errno } from '../../../kernel/errno.ts';
import type { Kernel } from '../../../kernel/kernel.ts';
import {
  KernelTrace,
  kernelTrace,
  type TraceBuffer,
  type TraceEvent,
  traceEventNs,
} from '../../../kernel/trace.ts';
import { traceFormatText, traceRecord } from '../../../kernel/trace-format.ts';
import { headerEventText, headerPageText, ringBufferPages } from '../../../kernel/trace-ring.ts';
import type { DebugfsEntry } from '../../../sysfs/tree-node.ts';
import { env } from '../../env.ts';
import { type CxlEventFormat, cxlEventFormat, cxlTraceLayoutFlags } from './trace-fields.ts';

/** drivers/cxl/core/trace.h events, with the first kernel version that has each. */
export const CXL_TRACE_EVENTS: ReadonlyArray<readonly [name: string, since: string]> = [
  ['cxl_aer_uncorrectable_error', '6.2'],
  ['cxl_aer_correctable_error', '6.2'],
  ['cxl_overflow', '6.3'],
  ['cxl_generic_event', '6.3'],
  ['cxl_general_media', '6.3'],
  ['cxl_dram', '6.3'],
  ['cxl_memory_module', '6.3'],
  ['cxl_poison', '6.5'],
];

const HEADER = [
  '# tracer: nop',
  '#',
  '',
  '#',
  '#                                _-----=> irqs-off/BH-disabled',
  '#                               / _----=> need-resched',
  '#                              | / _---=> hardirq/softirq',
  '#                              || / _--=> preempt-depth',
  '#                              ||| / _-=> migrate-disable',
  '#                              |||| /     delay',
  '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
  '#              | |         |   |||||     |         |',
];

/** The guest's CPU count (the presets' QEMU lines say `-smp 2`; CPUs are not otherwise modelled). */
export const GUEST_CPUS = 2;
/** Highest cpuN a per_cpu lookup answers (see the DOC). */
const MAX_CPU_LOOKUP = 8192;
/** cxlsim's ID of the first cxl event (see the DOC). */
const CXL_EVENT_ID_BASE = 1800;

/** What the files of one kernel's tracefs share: its cxl events and their formats. */
interface TracefsCtx {
  trace: KernelTrace;
  events: readonly string[];
  formats: ReadonlyMap<string, { id: number; fmt: CxlEventFormat }>;
  unsignedChar: boolean;
  /**
   * Each instance's files, made on the first walk into it and kept while the instance is the
   * same buffer (an rmdir and mkdir of the name makes another): libtracefs walks an instance's
   * files many times per `cxl list` memdev.
   */
  instanceFiles: Map<string, { buffer: TraceBuffer; files: Map<string, DebugfsEntry> }>;
}

/** The `trace` file's text: header with the entry counts, then one line per event. */
function traceText(evs: readonly TraceEvent[]): string {
  const n = evs.length;
  const head = [...HEADER];
  head[2] = `# entries-in-buffer/entries-written: ${n}/${n}   #P:${GUEST_CPUS}`;
  return `${[...head, ...evs.map(KernelTrace.format)].join('\n')}\n`;
}

/** kstrtoul of an enable / tracing_on write: 0 or 1. @throws EINVAL otherwise */
function parseBool(buf: string): boolean {
  const v = buf.trim();
  if (v === '1') return true;
  if (v === '0') return false;
  throw new Errno('EINVAL');
}

/** A read-only text file. */
const textFile = (text: () => string): DebugfsEntry => ({ kind: 'file', mode: 0o444, show: text });

/** An `enable` file over a set of events ("X" when only some are on). */
function enableFile(b: TraceBuffer, events: readonly string[]): DebugfsEntry {
  return {
    kind: 'file',
    mode: 0o644,
    show: () => {
      const on = events.filter((e) => b.isEnabled('cxl', e)).length;
      return on === 0 ? '0\n' : on === events.length ? '1\n' : 'X\n';
    },
    store: (buf) => {
      const on = parseBool(buf);
      b.enabled.delete('cxl:*');
      for (const e of events) {
        if (on) b.enabled.add(`cxl:${e}`);
        else b.enabled.delete(`cxl:${e}`);
      }
    },
  };
}

/**
 * `set_event` (ftrace_event_write()): lists the enabled "system:event"s; a write of
 * "[!][system:]event" (or "system:*") enables (or disables) the matches, a blank write clears
 * every event. cxlsim cannot see O_TRUNC, so `echo x > set_event` adds x like `>>` does.
 */
function setEventFile(t: TracefsCtx, b: TraceBuffer): DebugfsEntry {
  return {
    kind: 'file',
    mode: 0o644,
    show: () =>
      t.events
        .filter((e) => b.isEnabled('cxl', e))
        .map((e) => `cxl:${e}\n`)
        .join(''),
    store: (buf) => {
      for (const word of buf.split(/\s+/).filter(Boolean)) {
        const off = word.startsWith('!');
        const w = off ? word.slice(1) : word;
        const [sys, ev] = w.includes(':') ? w.split(':', 2) : ['*', w];
        if (sys !== '*' && sys !== 'cxl' && sys !== '') throw new Errno('EINVAL');
        const hits = t.events.filter((e) => ev === '*' || ev === '' || ev === e);
        if (hits.length === 0) throw new Errno('EINVAL');
        for (const e of hits) {
          if (off) b.enabled.delete(`cxl:${e}`);
          else b.enabled.add(`cxl:${e}`);
        }
      }
      if (!buf.trim()) b.enabled.clear();
    },
  };
}

/** The record of one buffered event (only events with a format: the cxl ones). */
function recordOf(t: TracefsCtx, ev: TraceEvent): Uint8Array | undefined {
  const f = t.formats.get(ev.name);
  return f ? traceRecord(f.id, ev.pid, f.fmt.fields, ev.fields) : undefined;
}

/**
 * per_cpu/cpuN/trace_pipe_raw (tracing_buffers_read()): one page of the CPU's events per read,
 * consumed; EAGAIN when empty. Every event is on CPU 0.
 */
function pipeRawFile(t: TracefsCtx, b: TraceBuffer, cpu: number): DebugfsEntry {
  return {
    kind: 'file',
    mode: 0o444,
    show: () => {
      if (cpu !== 0) throw new Errno('EAGAIN');
      const evs: { ev: TraceEvent; record: Uint8Array }[] = [];
      for (const ev of b.events) {
        const record = recordOf(t, ev);
        if (record) evs.push({ ev, record });
      }
      const pages = ringBufferPages(evs.map((e) => ({ ts: traceEventNs(e.ev), record: e.record })));
      const first = pages[0];
      if (!first) throw new Errno('EAGAIN');
      // the events of the page read are consumed (ring_buffer_read_page())
      const gone = new Set(evs.slice(0, first.count).map((e) => e.ev));
      b.events = b.events.filter((e) => !gone.has(e));
      return Buffer.from(first.page).toString('latin1');
    },
  };
}

/** per_cpu/cpuN: the CPU's view of the buffer. */
function perCpuDir(t: TracefsCtx, b: TraceBuffer, cpu: number): DebugfsEntry {
  const mine = () => (cpu === 0 ? b.events : []);
  return {
    kind: 'dir',
    entries: () =>
      new Map<string, DebugfsEntry>([
        [
          'trace',
          {
            kind: 'file',
            mode: 0o644,
            show: () => traceText(mine()),
            store: () => {
              if (cpu === 0) b.events = [];
            },
          },
        ],
        [
          'trace_pipe',
          {
            kind: 'file',
            mode: 0o444,
            show: () => {
              const text = mine()
                .map((e) => `${KernelTrace.format(e)}\n`)
                .join('');
              if (cpu === 0) b.events = [];
              return text;
            },
          },
        ],
        ['trace_pipe_raw', pipeRawFile(t, b, cpu)],
      ]),
  };
}

/** `per_cpu/`: cpu0…cpu(GUEST_CPUS-1) listed, any cpuN answered (see the DOC). */
function perCpuRoot(t: TracefsCtx, b: TraceBuffer): DebugfsEntry {
  const listed = () => {
    const m = new Map<string, DebugfsEntry>();
    for (let c = 0; c < GUEST_CPUS; c++) m.set(`cpu${c}`, perCpuDir(t, b, c));
    return m;
  };
  return {
    kind: 'dir',
    entries: listed,
    lookup: (name) => {
      const m = /^cpu(0|[1-9]\d*)$/.exec(name);
      const c = m ? Number(m[1]) : -1;
      return c >= 0 && c < MAX_CPU_LOOKUP ? perCpuDir(t, b, c) : undefined;
    },
  };
}

/** events/cxl/<event>/: enable, filter, format, id. */
function eventDir(t: TracefsCtx, b: TraceBuffer, e: string): DebugfsEntry {
  const f = t.formats.get(e);
  const m = new Map<string, DebugfsEntry>([['enable', enableFile(b, [e])]]);
  m.set('filter', {
    kind: 'file',
    mode: 0o644,
    show: () => `${b.filters.get(`cxl:${e}`) ?? 'none'}\n`,
    store: (buf) => {
      const v = buf.trim();
      if (v === '0' || v === '') b.filters.delete(`cxl:${e}`);
      else b.filters.set(`cxl:${e}`, v);
    },
  });
  if (f) {
    m.set(
      'format',
      textFile(() => traceFormatText(e, f.id, f.fmt.fields, f.fmt.printFmt, t.unsignedChar)),
    );
    m.set(
      'id',
      textFile(() => `${f.id}\n`),
    );
  }
  return { kind: 'dir', entries: () => m };
}

/** The files of one trace buffer (top level or instance). */
function bufferEntries(t: TracefsCtx, b: TraceBuffer): Map<string, DebugfsEntry> {
  const events = t.events;
  const cxl = new Map<string, DebugfsEntry>();
  if (events.length > 0) cxl.set('enable', enableFile(b, events));
  for (const e of events) cxl.set(e, eventDir(t, b, e));
  const evDir = new Map<string, DebugfsEntry>([
    ['enable', enableFile(b, events)],
    ['header_event', textFile(headerEventText)],
    ['header_page', textFile(headerPageText)],
  ]);
  if (events.length > 0) evDir.set('cxl', { kind: 'dir', entries: () => cxl });
  return new Map<string, DebugfsEntry>([
    ['events', { kind: 'dir', entries: () => evDir }],
    ['per_cpu', perCpuRoot(t, b)],
    ['set_event', setEventFile(t, b)],
    [
      'trace',
      {
        kind: 'file',
        mode: 0o644,
        show: () => traceText(b.events),
        store: () => {
          b.events = [];
        },
      },
    ],
    [
      'trace_pipe',
      {
        kind: 'file',
        mode: 0o444,
        show: () => {
          const text = b.events.map((e) => `${KernelTrace.format(e)}\n`).join('');
          b.events = [];
          return text;
        },
      },
    ],
    [
      'tracing_on',
      {
        kind: 'file',
        mode: 0o644,
        show: () => (b.on ? '1\n' : '0\n'),
        store: (buf) => {
          b.on = parseBool(buf);
        },
      },
    ],
  ]);
}

/** The files of instance `name` (created by the lookup if it does not exist). */
function instanceFiles(t: TracefsCtx, name: string): Map<string, DebugfsEntry> {
  const buffer = t.trace.instance(name);
  const had = t.instanceFiles.get(name);
  if (had?.buffer === buffer) return had.files;
  const files = bufferEntries(t, buffer);
  t.instanceFiles.set(name, { buffer, files });
  return files;
}

/** The `instances/` listing: existing instances; a lookup of a new name creates it. */
class InstanceDir extends Map<string, DebugfsEntry> {
  private readonly t: TracefsCtx;
  constructor(t: TracefsCtx) {
    super();
    this.t = t;
    for (const n of t.trace.instances.keys()) super.set(n, this.entry(n));
  }
  private entry(name: string): DebugfsEntry {
    return { kind: 'dir', entries: () => instanceFiles(this.t, name) };
  }
  override get(name: string): DebugfsEntry | undefined {
    if (!name || name.includes('/')) return undefined;
    return super.get(name) ?? this.entry(name);
  }
}

/**
 * The top-level entries of a guest's /sys/kernel/tracing for the SysfsHooks `tracefs` hook:
 * the top buffer's files, `available_events`, `events/cxl/<event>/…` for the kernel's cxl
 * events (once the cxl bus exists) and `instances/`.
 */
export function cxlTracefs(kernel: Kernel): () => Map<string, DebugfsEntry> {
  // Made once per set of events (they appear with the cxl bus; the layouts depend only on the
  // kernel version): libtracefs walks these files many times per `cxl list -vvv` memdev.
  let made: { events: string; top: Map<string, DebugfsEntry> } | undefined;
  return () => {
    const e = env(kernel);
    const events = kernel.buses.has('cxl')
      ? CXL_TRACE_EVENTS.filter(([, since]) => e.since(since)).map(([n]) => n)
      : [];
    const key = events.join(' ');
    if (made?.events === key) return made.top;
    const flags = cxlTraceLayoutFlags(e.since);
    const formats = new Map<string, { id: number; fmt: CxlEventFormat }>();
    CXL_TRACE_EVENTS.forEach(([n], i) => {
      const fmt = cxlEventFormat(n, flags);
      if (fmt && events.includes(n)) formats.set(n, { id: CXL_EVENT_ID_BASE + i, fmt });
    });
    const t: TracefsCtx = {
      trace: kernelTrace(kernel),
      events,
      formats,
      unsignedChar: flags.unsignedChar,
      instanceFiles: new Map(),
    };
    const top = bufferEntries(t, t.trace.top);
    top.set(
      'available_events',
      textFile(() => events.map((n) => `cxl:${n}\n`).join('')),
    );
    top.set('instances', { kind: 'dir', entries: () => new InstanceDir(t) });
    made = { events: key, top };
    return top;
  };
}
