/**
 * DOC: what `cxlsim explain` reports — plain, serializable data (bigints as "0x…" in JSON).
 *
 * An {@link Explanation} is about one *attempt* (an ndctl command or a sysfs write, replayed on
 * a copy of the machine as it was just before it), one existing region, or one device. It lists
 * the kernel's checks in the order the kernel makes them (root decoder → each position's host
 * bridge, ports and endpoint decoder → switch/host-bridge programming → commit), marks the one
 * that failed with the kernel's errno and message, and proposes fixes, each verified by
 * applying it to a fresh copy of the machine.
 */
import type { ErrnoName } from '../kernel/errno.ts';

/** Where in the decode hierarchy a check sits. */
export type CheckLevel =
  | 'tool'
  | 'window'
  | 'region'
  | 'host-bridge'
  | 'switch'
  | 'endpoint'
  | 'commit';

/** ok: passes; failed: the kernel (or ndctl) refused here; not-reached: after the failure. */
export type CheckStatus = 'ok' | 'failed' | 'not-reached' | 'warn';

/** One check. */
export interface Check {
  /** Stable identifier (e.g. "position", "port-decoder", "ways"). */
  id: string;
  level: CheckLevel;
  /** The device the check is about (decoder0.1, port2, mem3, region1…). */
  device: string;
  /** Interleave position the check belongs to, when per position. */
  position?: number;
  status: CheckStatus;
  /** What is checked and what was found, in words. */
  detail: string;
  /** For the failed check: the errno and the kernel's (or ndctl's) message. */
  errno?: ErrnoName;
  message?: string;
}

/** A proposed fix: commands to run instead (cxlsim command lines), verified or not. */
export interface Fix {
  /** What changes, in words. */
  description: string;
  /** cxlsim command lines, in order. */
  commands: string[];
  /** True when applying it to a copy of the machine succeeded. */
  verified: boolean;
  /** Firmware fixes: the whole patched topology file (YAML), to boot instead. */
  topology?: string;
  /** QEMU-side fixes: the edited QEMU command line, verified by booting it. */
  qemu?: string;
}

/** The explanation of one attempt, region or device. */
export interface Explanation {
  /** What is explained ("cxl create-region -m -d decoder0.1 …", "region0", "echo 3 > …"). */
  subject: string;
  /** One line: succeeded / failed where and why. */
  summary: string;
  ok: boolean;
  /** The failure as the user saw it. */
  failure?: {
    /** Who refused: ndctl's own validation, or the kernel (a refused sysfs write). */
    by: 'ndctl' | 'kernel';
    /** The sysfs write the kernel refused, if any. */
    write?: { path: string; value: string };
    errno?: ErrnoName;
    /** The kernel's dev_dbg / dev_err lines of the failing step (dynamic debug forced on). */
    kernel: string[];
    /** ndctl's own error lines. */
    tool: string[];
  };
  checks: Check[];
  fixes: Fix[];
}

/**
 * The check recorder every chain builder uses: `add(id, level, device, ok, detail, position?)`
 * appends a Check marked 'ok' or 'failed' to `out`.
 */
export function checkAdder(
  out: Check[],
): (
  id: string,
  level: CheckLevel,
  device: string,
  ok: boolean,
  detail: string,
  position?: number,
) => void {
  return (id, level, device, ok, detail, position) => {
    out.push({
      id,
      level,
      device,
      status: ok ? 'ok' : 'failed',
      detail,
      ...(position !== undefined ? { position } : {}),
    });
  };
}
