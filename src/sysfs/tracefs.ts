/**
 * DOC: tracefs at /sys/kernel/tracing (kernel/trace/trace.c, trace_events.c) over the kernel's
 * trace buffers (kernel/trace.ts): `trace` (read: ftrace header + recorded lines; write:
 * clears), `trace_pipe` (read consumes), `tracing_on`, `events/enable`,
 * `events/<system>/enable` and `events/<system>/<event>/enable` ("0", "1", or "X" when mixed),
 * and `instances/<name>/` with the same files. SysfsView has no mkdir: looking an instance up
 * creates it, which stands for libtracefs' tracefs_instance_create() (mkdir instances/<name>).
 */

import type { KernelContext } from '../kernel/device.ts';
import { Errno } from '../kernel/errno.ts';
import { KernelTrace, kernelTrace, TRACE_EVENTS, type TraceBuffer } from '../kernel/trace.ts';
import { kernfsOrder } from './kernfs-hash.ts';
import { type DirNode, fileNode, type Node, staticDir } from './tree-node.ts';

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

function traceText(b: TraceBuffer): string {
  const n = b.events.length;
  const head = [...HEADER];
  head[2] = `# entries-in-buffer/entries-written: ${n}/${n}   #P:1`;
  return `${[...head, ...b.events.map(KernelTrace.format)].join('\n')}\n`;
}

/** kstrtoul of an enable file: 0 or 1. @throws EINVAL otherwise */
function parseBool(buf: string): boolean {
  const v = buf.trim();
  if (v === '1') return true;
  if (v === '0') return false;
  throw new Errno('EINVAL');
}

function enableFile(b: TraceBuffer, events: [string, string][]): () => Node {
  const show = () => {
    const on = events.filter(([s, e]) => b.enabled.has(`${s}:${e}`)).length;
    return on === 0 ? '0\n' : on === events.length ? '1\n' : 'X\n';
  };
  const store = (buf: string) => {
    const on = parseBool(buf);
    for (const [s, e] of events) {
      if (on) b.enabled.add(`${s}:${e}`);
      else b.enabled.delete(`${s}:${e}`);
    }
  };
  return () => fileNode(0o644, show, store);
}

const allEvents = (system?: string): [string, string][] =>
  Object.entries(TRACE_EVENTS)
    .filter(([s]) => system === undefined || s === system)
    .flatMap(([s, evs]) => evs.map((e): [string, string] => [s, e]));

function eventsDir(b: TraceBuffer): DirNode {
  const sys = (system: string): DirNode =>
    staticDir(
      () =>
        new Map<string, () => Node | undefined>([
          ['enable', enableFile(b, allEvents(system))],
          ...(TRACE_EVENTS[system] ?? []).map((e): [string, () => Node] => [
            e,
            () => staticDir(() => new Map([['enable', enableFile(b, [[system, e]])]])),
          ]),
        ]),
    );
  return staticDir(
    () =>
      new Map<string, () => Node | undefined>([
        ['enable', enableFile(b, allEvents())],
        ...Object.keys(TRACE_EVENTS).map((s): [string, () => Node] => [s, () => sys(s)]),
      ]),
  );
}

function bufferDir(b: TraceBuffer, extra: [string, () => Node][] = []): DirNode {
  return staticDir(
    () =>
      new Map<string, () => Node | undefined>([
        [
          'trace',
          () =>
            fileNode(
              0o644,
              () => traceText(b),
              () => {
                b.events = [];
              },
            ),
        ],
        [
          'trace_pipe',
          () =>
            fileNode(
              0o444,
              () => {
                const t = b.events.map((e) => `${KernelTrace.format(e)}\n`).join('');
                b.events = [];
                return t;
              },
              undefined,
            ),
        ],
        [
          'tracing_on',
          () =>
            fileNode(
              0o644,
              () => (b.on ? '1\n' : '0\n'),
              (buf) => {
                b.on = parseBool(buf);
              },
            ),
        ],
        ['events', () => eventsDir(b)],
        ...extra,
      ]),
  );
}

/** `/sys/kernel/tracing` of a kernel. */
export function tracingDir(k: KernelContext): DirNode {
  const t = kernelTrace(k);
  const instances: DirNode = {
    t: 'dir',
    list: () => kernfsOrder([...t.instances.keys()]),
    lookup: (name) => bufferDir(t.instance(name)),
  };
  return bufferDir(t.top, [['instances', () => instances]]);
}
