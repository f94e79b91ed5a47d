/**
 * DOC: which check failed. The region driver emits a structured check event (kernel/log.ts
 * CheckEvent: check id, device, errno, values) with the dev_dbg / dev_err line it logs at each
 * failing check (core/region.c, core/hdm.c); the last event of the refused write names the
 * check and the device. ndctl names its own refusals in its error line (cxl/region.c), matched
 * by the patterns below; the sysfs attribute that was refused tells the rest (size_store,
 * interleave_ways_store, …) when the kernel logged no check event.
 */
import type { ErrnoName } from '../kernel/errno.ts';
import type { Outcome } from './trial.ts';

/** The failing check as the logs tell it. */
export interface Classified {
  id: string;
  /** The device the line names (port, memdev, decoder), when it does. */
  device?: string;
  /** Position (targetN writes). */
  position?: number;
  errno?: ErrnoName;
  /** The line that told it (kernel text without level, or ndctl's line). */
  message?: string;
  /**
   * Who refused: the kernel when a sysfs write was refused (ndctl only reports it), ndctl when
   * its own validation stopped the command before any write was refused.
   */
  by?: 'ndctl' | 'kernel';
}

/** ndctl error patterns → check id; group 1 the device when named. */
const TOOL: [RegExp, string][] = [
  [/no root decoder specified/, 'root-given'],
  // cxl/region.c cxl_region_determine_granularity(): "For an x%d root, only root decoder
  // granularity (%d) permitted" — ndctl refuses before writing anything
  [/only root decoder granularity \(\d+\) permitted/, 'granularity'],
  // a size of 0 (the window holds no ways × 256 MiB) is refused by libcxl without a write
  [/(\S+): set_size failed: Invalid argument/, 'hpa'],
  [/Interleave ways \d+ is greater than number of memdevs/, 'memdevs'],
  [/no active memdevs found/, 'memdev-in-window'],
  [/could not get a free decoder for (\S+)/, 'free-endpoint-decoder'],
  [/region size \S+ exceeds max available space/, 'hpa'],
  [/region type '\w+' not supported|unsupported type/, 'window-type'],
  [/does not support \w+ regions|not a \w+ capable/, 'window-type'],
  [/(?:Invalid|invalid) (?:interleave )?granularity/, 'granularity'],
  [/Invalid interleave ways/, 'ways'],
  [/Invalid size|not an integral multiple/, 'hpa'],
  [
    /(\S+): insufficient (?:ram|pmem|\w+) capacity|unable to allocate DPA|failed to reserve DPA/i,
    'dpa',
  ],
];

/** Check id of a refused attribute write (when the kernel logged nothing more telling). */
function byAttribute(path: string): { id: string; position?: number } {
  const attr = path.split('/').pop() ?? '';
  const t = /^target(\d+)$/.exec(attr);
  if (t) return { id: 'attach', position: Number(t[1]) };
  const map: Record<string, string> = {
    interleave_ways: 'ways',
    interleave_granularity: 'granularity',
    size: 'hpa',
    uuid: 'uuid',
    commit: 'commit',
    dpa_size: 'dpa',
    mode: 'dpa-mode',
    create_pmem_region: 'create',
    create_ram_region: 'create',
    delete_region: 'delete',
  };
  return { id: map[attr] ?? 'write' };
}

/** Strips the printk level and the dev_printk prefix up to the device name. */
export function kernelText(line: string): string {
  return line.replace(/^<\d>/, '');
}

/** The failing check of an attempt, or undefined when it succeeded. */
export function classify(o: Outcome): Classified | undefined {
  const c = classifyOutcome(o);
  return c ? { ...c, by: o.failed ? 'kernel' : 'ndctl' } : c;
}

function classifyOutcome(o: Outcome): Classified | undefined {
  for (const l of o.tool) {
    for (const [re, id] of TOOL) {
      const m = re.exec(l);
      if (m) return { id, ...(m[1] ? { device: m[1] } : {}), message: l };
    }
  }
  const w = o.failed;
  if (!w)
    return o.ok ? undefined : o.tool[0] ? { id: 'tool', message: o.tool[0] } : { id: 'unknown' };
  const base = byAttribute(w.path);
  const errno = w.errno;
  // the region driver's check event of the refusal: the last one the write logged
  const ev = w.checks.at(-1);
  if (ev) {
    return {
      ...base,
      id: ev.check,
      ...(ev.device ? { device: ev.device } : {}),
      ...(errno ? { errno } : {}),
      message: ev.text,
    };
  }
  const last = w.kernel.filter((l) => !/ probe: -?\d+$|config state: \d+$/.test(l)).pop();
  return { ...base, ...(errno ? { errno } : {}), ...(last ? { message: kernelText(last) } : {}) };
}
