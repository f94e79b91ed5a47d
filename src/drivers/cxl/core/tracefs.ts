/**
 * DOC: the cxl trace events as tracefs shows them (drivers/cxl/core/trace.h TRACE_EVENT()s,
 * registered under /sys/kernel/tracing/events/cxl/ when cxl_core loads).
 *
 * Only what user space probes is modelled: the `instances/` directory libtracefs creates its
 * instances in (tracefs_instance_create()), `tracing_on`, and each event's `enable` file
 * (tracefs_event_enable() writes "1" there). No event is ever recorded here: the ring buffer
 * stays empty, so ndctl's `cxl list -L` finds no media errors.
 */
import type { Kernel } from '../../../kernel/kernel.ts';
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

/** A 0644 boolean control file ("0\n"/"1\n"), as tracefs's enable and tracing_on files. */
function boolFile(get: () => boolean, set: (v: boolean) => void): DebugfsEntry {
  return {
    kind: 'file',
    mode: 0o644,
    show: () => `${get() ? 1 : 0}\n`,
    store: (buf) => set(Number.parseInt(buf, 10) !== 0),
  };
}

/**
 * The top-level entries of a guest's /sys/kernel/tracing for the SysfsHooks `tracefs` hook:
 * `events/cxl/<event>/enable` for the kernel's cxl events (once the cxl bus exists),
 * `instances/` and `tracing_on`.
 */
export function cxlTracefs(kernel: Kernel): () => Map<string, DebugfsEntry> {
  const enabled = new Map<string, boolean>();
  let tracingOn = true;
  return () => {
    const e = env(kernel);
    const cxl = new Map<string, DebugfsEntry>();
    if (kernel.buses.has('cxl')) {
      for (const [name, since] of CXL_TRACE_EVENTS) {
        if (!e.since(since)) continue;
        const enable = boolFile(
          () => enabled.get(name) ?? false,
          (v) => enabled.set(name, v),
        );
        cxl.set(name, { kind: 'dir', entries: () => new Map([['enable', enable]]) });
      }
    }
    const events = new Map<string, DebugfsEntry>();
    if (cxl.size > 0) events.set('cxl', { kind: 'dir', entries: () => cxl });
    return new Map<string, DebugfsEntry>([
      ['events', { kind: 'dir', entries: () => events }],
      ['instances', { kind: 'dir', entries: () => new Map() }],
      [
        'tracing_on',
        boolFile(
          () => tracingOn,
          (v) => {
            tracingOn = v;
          },
        ),
      ],
    ]);
  };
}
