/**
 * DOC: the kernel log ring (dmesg).
 *
 * Lines carry a printk level (0 emerg … 7 debug) and the `dev_printk()` prefix
 * "<driver or bus> <device>: " already applied. Debug lines (level 7) are recorded always and
 * shown by `cxlsim dmesg` only when the machine was booted with dynamic debug on
 * (`--dyndbg`), as `dev_dbg` lines appear only then on a real kernel. Timestamps are
 * synthetic and monotonic (1 µs per line) so that output is deterministic.
 */
import type { ErrnoName } from './errno.ts';

/** printk levels (include/linux/kern_levels.h). */
export const KERN = {
  EMERG: 0,
  ALERT: 1,
  CRIT: 2,
  ERR: 3,
  WARNING: 4,
  NOTICE: 5,
  INFO: 6,
  DEBUG: 7,
} as const;

/**
 * A structured check event: which check of a driver failed, on which device, with which errno
 * and values. cxlsim's own (tracepoint-style, never printed): the region driver attaches one to
 * the dev_err / dev_dbg line it prints at a failing check, so that `cxlsim explain` reads the
 * check from the event instead of parsing the line. The dmesg text is unchanged by it.
 */
export interface CheckEvent {
  /** The check's name (explain's check ids: 'ways', 'hpa', 'port-decoder', 'dpa', …). */
  check: string;
  /** The device the check is about (a memdev, port or decoder name), when there is one. */
  device?: string;
  /** The errno the check fails with, when it refuses. */
  errno?: ErrnoName;
  /** The values the check compared (as printed). */
  args?: Record<string, string | number>;
}

/**
 * One dmesg line: level, seconds since boot (synthetic), the text with its prefix, and the
 * check event the line was printed for (cxlsim's, not part of the text).
 */
export interface LogLine {
  level: number;
  time: number;
  text: string;
  check?: CheckEvent;
}

/** The ring buffer. `dyndbg` decides whether debug lines are emitted (as the kernel does). */
export class KernelLog {
  readonly lines: LogLine[] = [];
  dyndbg = false;
  private clock = 0;

  /**
   * Append a line (with the check event it reports, if any); debug lines are dropped unless
   * dynamic debug is on.
   */
  printk(level: number, text: string, check?: CheckEvent): void {
    if (level >= KERN.DEBUG && !this.dyndbg) return;
    this.clock += 1;
    this.lines.push(
      check
        ? { level, time: this.clock / 1e6, text, check }
        : { level, time: this.clock / 1e6, text },
    );
  }

  /** Mark of the current end (for "lines since" queries). */
  mark(): number {
    return this.lines.length;
  }

  /** Lines after a mark. */
  since(mark: number): LogLine[] {
    return this.lines.slice(mark);
  }

  /** busybox dmesg format: "[    0.000001] text"; with `raw`, "<7>[    0.000001] text". */
  static format(l: LogLine, raw = false): string {
    const t = `[${l.time.toFixed(6).padStart(12)}] ${l.text}`;
    return raw ? `<${l.level}>${t}` : t;
  }
}
