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

/** One emitted event: system, name, the TP_printk text and the raw fields tools read. */
export interface TraceEvent {
  seq: number;
  /** Seconds since boot (synthetic). */
  time: number;
  system: string;
  name: string;
  text: string;
  fields: Record<string, string | number | bigint>;
}

/** A trace buffer (the top level or an instance). */
export class TraceBuffer {
  on = true;
  readonly enabled = new Set<string>();
  events: TraceEvent[] = [];

  /** True when `system:name` is enabled here (an `events/<system>/enable` sets all of them). */
  isEnabled(system: string, name: string): boolean {
    return this.enabled.has(`${system}:${name}`) || this.enabled.has(`${system}:*`);
  }
}

/** A kernel's tracing state. */
export class KernelTrace {
  readonly top = new TraceBuffer();
  readonly instances = new Map<string, TraceBuffer>();
  readonly history: TraceEvent[] = [];
  private seq = 0;

  /** trace_<name>(): records the event where it is enabled. */
  emit(system: string, name: string, text: string, fields: TraceEvent['fields'] = {}): void {
    this.seq += 1;
    const ev: TraceEvent = { seq: this.seq, time: this.seq / 1e6, system, name, text, fields };
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
    return `           <...>-1       [000] ..... ${ev.time.toFixed(6).padStart(12)}: ${ev.name}: ${ev.text}`;
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
