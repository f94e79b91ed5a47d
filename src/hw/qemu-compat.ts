/**
 * DOC: QEMU version switches of the emulated CXL platform — one named entry per behaviour with
 * the first QEMU release that has it (compare with {@link qemuAtLeast}).
 *
 * Three QEMU versions are checked against captures: 7.2 (debian-12), 10.0 (debian-13) and 11.1
 * (latest, latest-arm64). docs/profiles.md lists each entry with the capture that shows it.
 * (Older code in src/hw still tests `qemu !== '7.2'` for changes between 7.2 and 10.0.)
 */
import type { QemuVersion } from '../profile.ts';

/** QEMU-behaviour switches. */
export const QEMU_COMPAT = {
  /**
   * The type-3 mailbox implements Sanitize (0x4400, a background command) and lists it in the
   * CEL (hw/cxl/cxl-mailbox-utils.c cmd_sanitize_overwrite, QEMU 8.2); with a 6.5+ kernel the
   * memdev gets `security/sanitize` (0200).
   */
  sanitizeCommand: '8.2',
  /**
   * Get/Set Alert Configuration 0x4201/0x4202: not in 10.0 (debian-13 captures: ndctl 81's
   * `cxl list -vvv` has no alert_config), present in 11.1 (latest captures: QEMU's defaults
   * 75/40/35/10/25/20). First release 10.1.
   */
  alertConfig: '10.1',
} as const;

/** Numeric order of "MAJOR.MINOR" versions (10.0 > 7.2). */
function vnum(v: string): number {
  const [a = '0', b = '0'] = v.split('.');
  return Number(a) * 100 + Number(b);
}

/** True when QEMU `q` is release `v` or newer. */
export function qemuAtLeast(q: QemuVersion, v: string): boolean {
  return vnum(q) >= vnum(v);
}

/** True when QEMU `q` has the behaviour `k`. */
export function qemuHas(q: QemuVersion, k: keyof typeof QEMU_COMPAT): boolean {
  return qemuAtLeast(q, QEMU_COMPAT[k]);
}
