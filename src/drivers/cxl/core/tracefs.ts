/**
 * DOC: the cxl trace events as tracefs shows them (drivers/cxl/core/trace.h TRACE_EVENT()s,
 * registered under /sys/kernel/tracing/events/cxl/ when cxl_core loads), over the kernel's
 * trace buffers (kernel/trace.ts).
 *
 * Top level and every `instances/<name>/`: `trace` (read: ftrace's header and the recorded
 * lines; a write clears it), `trace_pipe` (read consumes), `tracing_on`, `events/enable`,
 * `events/cxl/enable` and `events/cxl/<event>/enable` ("0", "1", or "X" when mixed) for the
 * events the kernel version has. SysfsView has no mkdir: looking an instance up creates it,
 * which stands for libtracefs's tracefs_instance_create() (mkdir instances/<name>).
 */
import { Errno } from '../../../kernel/errno.ts';
import type { Kernel } from '../../../kernel/kernel.ts';
import { KernelTrace, kernelTrace, type TraceBuffer } from '../../../kernel/trace.ts';
import type { DebugfsEntry } from '../../../sysfs/tree-node.ts';
import { env } from '../../env.ts';

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

/** The `trace` file's text: header with the entry counts, then one line per event. */
function traceText(b: TraceBuffer): string {
  const n = b.events.length;
  const head = [...HEADER];
  head[2] = `# entries-in-buffer/entries-written: ${n}/${n}   #P:1`;
  return `${[...head, ...b.events.map(KernelTrace.format)].join('\n')}\n`;
}

/** kstrtoul of an enable / tracing_on write: 0 or 1. @throws EINVAL otherwise */
function parseBool(buf: string): boolean {
  const v = buf.trim();
  if (v === '1') return true;
  if (v === '0') return false;
  throw new Errno('EINVAL');
}

/** An `enable` file over a set of events ("X" when only some are on). */
function enableFile(b: TraceBuffer, events: readonly string[]): DebugfsEntry {
  return {
    kind: 'file',
    mode: 0o644,
    show: () => {
      const on = events.filter((e) => b.enabled.has(`cxl:${e}`)).length;
      return on === 0 ? '0\n' : on === events.length ? '1\n' : 'X\n';
    },
    store: (buf) => {
      const on = parseBool(buf);
      for (const e of events) {
        if (on) b.enabled.add(`cxl:${e}`);
        else b.enabled.delete(`cxl:${e}`);
      }
    },
  };
}

/** The files of one trace buffer (top level or instance). */
function bufferEntries(b: TraceBuffer, events: readonly string[]): Map<string, DebugfsEntry> {
  const cxl = new Map<string, DebugfsEntry>();
  if (events.length > 0) cxl.set('enable', enableFile(b, events));
  for (const e of events)
    cxl.set(e, { kind: 'dir', entries: () => new Map([['enable', enableFile(b, [e])]]) });
  const evDir = new Map<string, DebugfsEntry>([['enable', enableFile(b, events)]]);
  if (events.length > 0) evDir.set('cxl', { kind: 'dir', entries: () => cxl });
  return new Map<string, DebugfsEntry>([
    ['events', { kind: 'dir', entries: () => evDir }],
    [
      'trace',
      {
        kind: 'file',
        mode: 0o644,
        show: () => traceText(b),
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
          const t = b.events.map((e) => `${KernelTrace.format(e)}\n`).join('');
          b.events = [];
          return t;
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

/** The `instances/` listing: existing instances; a lookup of a new name creates it. */
class InstanceDir extends Map<string, DebugfsEntry> {
  private readonly trace: KernelTrace;
  private readonly events: readonly string[];
  constructor(trace: KernelTrace, events: readonly string[]) {
    super();
    this.trace = trace;
    this.events = events;
    for (const n of trace.instances.keys()) super.set(n, this.entry(n));
  }
  private entry(name: string): DebugfsEntry {
    return { kind: 'dir', entries: () => bufferEntries(this.trace.instance(name), this.events) };
  }
  override get(name: string): DebugfsEntry | undefined {
    if (!name || name.includes('/')) return undefined;
    return super.get(name) ?? this.entry(name);
  }
}

/**
 * The top-level entries of a guest's /sys/kernel/tracing for the SysfsHooks `tracefs` hook:
 * the top buffer's files, `events/cxl/<event>/enable` for the kernel's cxl events (once the cxl
 * bus exists) and `instances/`.
 */
export function cxlTracefs(kernel: Kernel): () => Map<string, DebugfsEntry> {
  return () => {
    const t = kernelTrace(kernel);
    const e = env(kernel);
    const events = kernel.buses.has('cxl')
      ? CXL_TRACE_EVENTS.filter(([, since]) => e.since(since)).map(([n]) => n)
      : [];
    const top = bufferEntries(t.top, events);
    top.set('instances', { kind: 'dir', entries: () => new InstanceDir(t, events) });
    return top;
  };
}
