/**
 * DOC: `cxl set-alert-config` (ndctl ≥ 81, cxl/memdev.c action_set_alert_config()): per alert
 * (life used, over / under temperature, corrected volatile / persistent memory errors) an
 * `--<x>-alert on|off` action with, for "on", its `--<x>-threshold` — checked as
 * alert_param_set_threshold() does ("Action not specified", "Threshold not specified", "Disable
 * not require threshold", "Invalid action: %s", "Invalid threshold: %s", and
 * validate_alert_threshold()'s ranges); then one Set Alert Configuration command (12 bytes:
 * valid and enable alert actions, life used u8, reserved, four le16 thresholds) through the
 * memdev ioctl, and the memdev's alert_config as JSON.
 */

import { cmdNewGeneric } from '../lib/cmd.ts';
import { CXL_MEM_COMMAND_ID } from '../lib/ioctl.ts';
import { cmdSubmit } from '../lib/mbox.ts';
import { memdevName } from '../lib/memdev.ts';
import { negErrno, strerrorRc } from '../lib/sysfs.ts';
import { arrAdd } from '../util/jsonc.ts';
import { UTIL_JSON } from '../util/print.ts';
import { memdevToJson } from './json.ts';
import type { MemdevActionFn } from './memdev.ts';

/** enum cxl_setalert_event, with the option key stems and the payload offset of each threshold. */
const ALERTS = [
  { key: 'lifeUsed', off: 2, size: 1 },
  { key: 'overTemperature', off: 4, size: 2 },
  { key: 'underTemperature', off: 6, size: 2 },
  { key: 'volatileMemErr', off: 8, size: 2 },
  { key: 'pmemErr', off: 10, size: 2 },
] as const;

/** strtol(s, &end, 10) with end required at the end of the string; undefined when not. */
function strtolWhole(s: string): number | undefined {
  const m = /^\s*([+-]?\d*)/.exec(s);
  const digits = m?.[1] ?? '';
  const consumed = /\d/.test(digits) ? (m?.[0].length ?? 0) : 0;
  if (consumed !== s.length) return undefined;
  return consumed === 0 ? 0 : Number.parseInt(digits, 10);
}

/** validate_alert_threshold(): the message, or undefined when in range. */
function invalidThreshold(i: number, v: number): string | undefined {
  if (i === 0) return v < 0 || v > 100 ? `Invalid life used threshold: ${v}\n` : undefined;
  if (i === 1 || i === 2)
    return v < -32768 || v > 32767 ? `Invalid device temperature threshold: ${v}\n` : undefined;
  return v < 0 || v > 65535 ? `Invalid corrected mem error threshold: ${v}\n` : undefined;
}

/** action_set_alert_config(). */
export const actionSetAlertConfig: MemdevActionFn = (env, ml, param, m, actx) => {
  const fn = 'action_set_alert_config';
  let valid = 0;
  let enable = 0;
  const values: (number | undefined)[] = [];
  for (const [i, a] of ALERTS.entries()) {
    const action = param[`${a.key}Alert`] as string | undefined;
    const threshold = param[`${a.key}Threshold`] as string | undefined;
    if (action === undefined) {
      if (threshold !== undefined) {
        ml.err(fn, 'Action not specified\n');
        return negErrno('EINVAL');
      }
    } else if (action === 'on') {
      if (threshold === undefined) {
        ml.err(fn, 'Threshold not specified\n');
        return negErrno('EINVAL');
      }
      const v = strtolWhole(threshold);
      if (v === undefined) {
        ml.err(fn, `Invalid threshold: ${threshold}\n`);
        return negErrno('EINVAL');
      }
      const bad = invalidThreshold(i, v);
      if (bad) {
        ml.err('validate_alert_threshold', bad);
        return negErrno('EINVAL');
      }
      values[i] = v;
      valid |= 1 << i;
      enable |= 1 << i;
    } else if (action === 'off') {
      if (threshold !== undefined) {
        ml.err(fn, 'Disable not require threshold\n');
        return negErrno('EINVAL');
      }
      valid |= 1 << i;
      enable &= ~(1 << i);
    } else {
      ml.err(fn, `Invalid action: ${action}\n`);
      return negErrno('EINVAL');
    }
  }
  if (valid === 0) {
    ml.err(fn, 'No action specified\n');
    return negErrno('EINVAL');
  }
  let rc = 0;
  const cmd = cmdNewGeneric(m, CXL_MEM_COMMAND_ID.SET_ALERT_CONFIG);
  if (!cmd) rc = negErrno('ENXIO');
  else {
    const payload = new Uint8Array(12);
    const dv = new DataView(payload.buffer);
    for (const [i, a] of ALERTS.entries()) {
      const v = values[i];
      if (v === undefined) continue;
      if (a.size === 1) dv.setUint8(a.off, v & 0xff);
      else dv.setUint16(a.off, v & 0xffff, true);
    }
    dv.setUint8(0, valid);
    dv.setUint8(1, enable);
    rc = cmdSubmit(cmd, payload, 0);
    if (rc < 0) ml.err(fn, `cmd submission failed: ${strerrorRc(rc)}\n`);
    else if (cmd.status !== 0) {
      ml.err(fn, `${fn}: mbox status: ${cmd.status}\n`);
      rc = negErrno('ENXIO');
    }
  }
  if (rc) ml.err(fn, `${memdevName(m)} error: ${strerrorRc(rc)}\n`);
  let flags: number = UTIL_JSON.ALERT_CONFIG;
  if (actx.outFile === undefined && env.isTty) flags |= UTIL_JSON.HUMAN;
  if (actx.jdevs) arrAdd(actx.jdevs, memdevToJson(m, flags));
  return rc;
};
