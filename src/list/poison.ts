/**
 * DOC: `media_errors` (-L, ndctl 85 cxl/json_poison.c util_cxl_poison_list_to_json()).
 *
 * ndctl collects the poison list through a tracefs instance ("cxl list") and the cxl_poison trace
 * event after writing trigger_poison_list. A SysfsView cannot create tracefs instances, so this
 * emulation takes the path the real tool takes when tracefs_instance_create() fails: the message on
 * stderr, and no media_errors key.
 */
import type { JArr } from './jsonc.ts';
import type { CxlCtx } from './libcxl/types.ts';

/** util_cxl_poison_list_to_json(): always the tracefs_instance_create() failure here. */
export function mediaErrorsToJson(ctx: CxlCtx): JArr | undefined {
  ctx.out.stderr += 'tracefs_instance_create() failed\n';
  return undefined;
}
