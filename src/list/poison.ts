/**
 * DOC: `media_errors` (-L, ndctl 85 cxl/json_poison.c util_cxl_poison_list_to_json()).
 *
 * ndctl enables the cxl:cxl_poison trace event in a tracefs instance, writes "1" to
 * memN/trigger_poison_list (for a region: to every mapped memdev's) and turns the events the kernel
 * emitted into media_errors[]; an empty list leaves the key out. When the view has a
 * /sys/kernel/tracing mount point this emulation takes tracefs and the cxl_poison event as
 * available (a kernel ≥ 6.5, the `latest` profile) and performs the triggers with libcxl's
 * messages; it sees no trace events, so media_errors is never printed. Without one, it prints what
 * ndctl prints when libtracefs cannot create its instance.
 */
import type { JArr } from './jsonc.ts';
import { decoderMemdev } from './libcxl/decoder.ts';
import { memdevName } from './libcxl/memdev.ts';
import { cxlMappings } from './libcxl/region.ts';
import { exists, writeAttr } from './libcxl/sysfs.ts';
import type { CxlMemdev, CxlRegion } from './libcxl/types.ts';

/** cxl_memdev_trigger_poison_list(): false when unsupported or the write fails. */
function triggerMemdev(m: CxlMemdev): boolean {
  const name = memdevName(m);
  const path = `${m.devPath}/trigger_poison_list`;
  if (!exists(m.ctx, path)) {
    m.ctx.out.log(
      'libcxl',
      'cxl_memdev_trigger_poison_list',
      `${name}: trigger_poison_list unsupported by device\n`,
    );
    return false;
  }
  if (writeAttr(m.ctx, path, '1\n')) {
    m.ctx.out.log(
      'libcxl',
      'cxl_memdev_trigger_poison_list',
      `${name}: Failed trigger_poison_list\n`,
    );
    return false;
  }
  return true;
}

/** cxl_region_trigger_poison_list(): every mapped memdev, stopping at the first failure. */
function triggerRegion(r: CxlRegion): boolean {
  for (const mp of cxlMappings(r)) {
    const m = decoderMemdev(mp.decoder);
    if (m && !triggerMemdev(m)) return false;
  }
  return true;
}

/**
 * util_cxl_poison_list_to_json(): the poison records of a memdev or region (none seen here).
 * Without a /sys/kernel/tracing mount point libtracefs cannot create its instance.
 */
export function mediaErrorsToJson(
  target: { memdev: CxlMemdev } | { region: CxlRegion },
): JArr | undefined {
  const ctx = 'memdev' in target ? target.memdev.ctx : target.region.ctx;
  if (!exists(ctx, '/sys/kernel/tracing')) {
    ctx.out.stderr += 'tracefs_instance_create() failed\n';
    return undefined;
  }
  if ('memdev' in target) triggerMemdev(target.memdev);
  else triggerRegion(target.region);
  return undefined;
}
