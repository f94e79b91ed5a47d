/**
 * DOC: `cxl update-firmware` (cxl/memdev.c action_update_fw(), cmd_update_fw(); ndctl ≥ 78).
 *
 * Per memdev: `--cancel` asks the kernel to cancel (cxl_memdev_cancel_fw_update(): -ENXIO when
 * nothing runs) and prints nothing; else `-F FILE` starts an upload ("%s error: %s" when that
 * fails), `--wait` sleeps a second at a time while the loader's status is not idle or bytes
 * remain, and the memdev's JSON with its firmware object (UTIL_JSON_FIRMWARE, human numbers on a
 * tty) joins the printed array. The summary is "firmware update cancelled|completed|started on
 * %d mem device(s)".
 */

import {
  fwUpdateGetRemaining,
  fwUpdateInProgress,
  memdevCancelFwUpdate,
  memdevUpdateFw,
} from '../lib/fwl.ts';
import { memdevName } from '../lib/memdev.ts';
import { strerrorRc } from '../lib/sysfs.ts';
import { arrAdd } from '../util/jsonc.ts';
import { UTIL_JSON } from '../util/print.ts';
import { memdevToJson } from './json.ts';
import type { MemdevActionFn } from './memdev.ts';

/**
 * Seconds `--wait` polls before cxlsim gives up on an upload that never ends (a real guest
 * would wait forever): a day of virtual time.
 */
const WAIT_LIMIT_S = 24 * 3600;

/** action_update_fw(). */
export const actionUpdateFw: MemdevActionFn = (env, ml, param, m, actx) => {
  if (param.cancel) return memdevCancelFwUpdate(m);
  let rc = 0;
  if (typeof param.fwFile === 'string') {
    rc = memdevUpdateFw(m, env.files, param.fwFile);
    if (rc) ml.err('action_update_fw', `${memdevName(m)} error: ${strerrorRc(rc)}\n`);
  }
  if (param.wait) {
    let waited = 0;
    while (fwUpdateInProgress(m) || fwUpdateGetRemaining(m) > 0n) {
      if (!env.sleep || waited >= WAIT_LIMIT_S) {
        env.out.stderr += `cxlsim: ${memdevName(m)}: firmware update still running, not waiting longer\n`;
        break;
      }
      env.sleep(1000);
      waited++;
    }
  }
  let flags: number = UTIL_JSON.FIRMWARE;
  if (actx.outFile === undefined && env.isTty) flags |= UTIL_JSON.HUMAN;
  if (actx.jdevs) arrAdd(actx.jdevs, memdevToJson(m, flags));
  return rc;
};
