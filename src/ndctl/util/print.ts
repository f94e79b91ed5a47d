/**
 * DOC: output streams of one `cxl list` run and ndctl's printing helpers.
 *
 * util/usage.c error()/warning() ("  Error: …", "  Warning: …" on stderr, one newline added to the
 * caller's text), util/log.c log_stderr() ("<owner>: <function>: <message>", used by libcxl's err()
 * at the default LOG_ERR priority) and util/json.c util_display_json_array().
 */

import type { JsoncVersion } from '../versions.ts';
import { type JArr, type JVal, type Ndctl, toJsonPretty } from './jsonc.ts';

/** util/json.h UTIL_JSON_* flags that matter to printing and object shapes. */
export const UTIL_JSON = {
  IDLE: 1 << 0,
  MEDIA_ERRORS: 1 << 1,
  DAX: 1 << 2,
  DAX_DEVS: 1 << 3,
  HUMAN: 1 << 4,
  FIRMWARE: 1 << 8,
  HEALTH: 1 << 10,
  TARGETS: 1 << 11,
  PARTITION: 1 << 12,
  ALERT_CONFIG: 1 << 13,
} as const;

/** What the process wrote: stdout, stderr (in order) and its exit code. */
export class Output {
  stdout = '';
  stderr = '';

  /** util/usage.c error(): " " + " Error: " + msg + "\n". */
  error(msg: string): void {
    this.stderr += `  Error: ${msg}\n`;
  }

  /** util/usage.c warning(). */
  warning(msg: string): void {
    this.stderr += `  Warning: ${msg}\n`;
  }

  /** util/log.c log_stderr(): "<owner>: <fn>: <msg>" (msg carries its own newline). */
  log(owner: string, fn: string, msg: string): void {
    this.stderr += `${owner}: ${fn}: ${msg}`;
  }
}

/**
 * util_display_json_array(): the array (with "no matching devices found" when empty), or with
 * -u its single element unwrapped, or nothing for an empty -u list. `jsonc`: the json-c the
 * ndctl build links (default: its distribution's).
 */
export function displayJsonArray(
  out: Output,
  arr: JArr,
  flags: number,
  ndctl: Ndctl,
  jsonc?: JsoncVersion,
): void {
  const len = arr.a.length;
  if (len > 1 || !(flags & UTIL_JSON.HUMAN)) {
    if (len === 0) out.warning('no matching devices found\n');
    out.stdout += `${toJsonPretty(arr, ndctl, jsonc)}\n`;
  } else if (len > 0) {
    out.stdout += `${toJsonPretty(arr.a[0] as JVal, ndctl, jsonc)}\n`;
  }
}
