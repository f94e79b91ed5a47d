/**
 * DOC: the kernel's trace event buffers (kernel/trace: the top-level tracefs buffer and its
 * `instances/<name>`), for the events drivers emit with trace_<event>().
 *
 * Each buffer has `tracing_on` (default 1) and per-event enables (default off, as on a real
 * boot); an event is recorded in every buffer that is on and has it enabled at emit time.
 * Separately, every event ever emitted is kept in `history` (what `cxlsim trace` prints: the
 * view of a tracer that enabled events/cxl at boot). Timestamps are synthetic and monotonic
 * (1 µs per event, like the dmesg clock); lines use ftrace's default `trace` layout with an
 * unknown task ("<...>-1").
 */
import type { KernelContext } from './device.ts';
import { copiedWeakMap } from './graph-copy.ts';
import type { TraceValue } from './trace-format.ts';

/**
 * One emitted event: system, name, the TP_printk text and the raw fields (the values
 * TP_fast_assign stores, by TP_STRUCT__entry name: what trace_pipe_raw's record holds).
 */
export interface TraceEvent {
  seq: number;
  /** common_pid: the task that caused the event. */
  pid: number;
  /** Seconds since boot (synthetic). */
  time: number;
  system: string;
  name: string;
  text: string;
  fields: Record<string, TraceValue>;
}

/** The event's ring-buffer timestamp, ns (its synthetic time). */
export function traceEventNs(ev: TraceEvent): bigint {
  return BigInt(ev.seq) * 1000n;
}

/** A trace buffer (the top level or an instance). */
export class TraceBuffer {
  on = true;
  readonly enabled = new Set<string>();
  /** Per-event filter text ("system:event" → the filter written; none: no filter). */
  readonly filters = new Map<string, string>();
  events: TraceEvent[] = [];

  /** True when `system:name` is enabled here (an `events/<system>/enable` sets all of them). */
  isEnabled(system: string, name: string): boolean {
    return this.enabled.has(`${system}:${name}`) || this.enabled.has(`${system}:*`);
  }
}

/**
 * The pid recorded when no task is known (cxlsim's own commands, journal replay): the text
 * layout shows it as "<...>-1".
 */
export const DEFAULT_TASK_PID = 1;

/** A kernel's tracing state. */
export class KernelTrace {
  readonly top = new TraceBuffer();
  /** The current task's pid (what trace_<event>() records as common_pid). */
  pid = DEFAULT_TASK_PID;
  readonly instances = new Map<string, TraceBuffer>();
  readonly history: TraceEvent[] = [];
  private seq = 0;

  /** trace_<name>(): records the event where it is enabled. */
  emit(system: string, name: string, text: string, fields: TraceEvent['fields'] = {}): void {
    this.seq += 1;
    const ev: TraceEvent = {
      seq: this.seq,
      pid: this.pid,
      time: this.seq / 1e6,
      system,
      name,
      text,
      fields,
    };
    this.history.push(ev);
    for (const b of [this.top, ...this.instances.values()])
      if (b.on && b.isEnabled(system, name)) b.events.push(ev);
  }

  /** The instance `name` (created on first use, as mkdir instances/<name> does). */
  instance(name: string): TraceBuffer {
    let b = this.instances.get(name);
    if (!b) {
      b = new TraceBuffer();
      this.instances.set(name, b);
    }
    return b;
  }

  /** ftrace's default line: "           <...>-1       [000] .....     0.000001: name: text". */
  static format(ev: TraceEvent): string {
    // trace_print_context(): "%16s-%-7d [%03d] "
    const task = `${'<...>'.padStart(16)}-${String(ev.pid).padEnd(7)}`;
    return `${task} [000] ..... ${ev.time.toFixed(6).padStart(12)}: ${ev.name}: ${ev.text}`;
  }
}

const traces = copiedWeakMap<KernelContext, KernelTrace>();

/** The tracing state of a kernel (created on first use). */
export function kernelTrace(k: KernelContext): KernelTrace {
  let t = traces.get(k);
  if (!t) {
    t = new KernelTrace();
    traces.set(k, t);
  }
  return t;
}
