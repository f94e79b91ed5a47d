/**
 * DOC: `media_errors` (-L, ndctl cxl/json.c util_cxl_poison_list_to_json(), since v80).
 *
 * ndctl creates a tracefs instance ("cxl list"), enables the cxl:cxl_poison event in it
 * (util/event_trace.c trace_event_enable()), writes "1" to memN/trigger_poison_list (for a
 * region: to every mapped memdev's), disables the event and turns the events the kernel emitted
 * into media_errors[]; no event leaves the key out. libtracefs needs tracefs mounted at
 * /sys/kernel/tracing with its `instances/` directory, else ndctl prints
 * "tracefs_instance_create() failed"; enabling needs events/cxl/cxl_poison/enable, else
 * "Failed to enable trace: %d" with -errno — libtracefs returns -1 without setting errno when no
 * event matched, so the value is whatever the last failed call left: taken here as ENOENT (-2),
 * which libcxl's probes of missing attributes leave behind. The emulation sees no trace records,
 * so media_errors is never printed.
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

/** Where the guest mounts tracefs (libtracefs finds it there). */
const TRACEFS = '/sys/kernel/tracing';

/**
 * util_cxl_poison_list_to_json(): the poison records of a memdev or region (none seen here).
 * Without tracefs's instances/ directory libtracefs cannot create its instance; without the
 * cxl_poison event the enable fails.
 */
export function mediaErrorsToJson(
  target: { memdev: CxlMemdev } | { region: CxlRegion },
): JArr | undefined {
  const ctx = 'memdev' in target ? target.memdev.ctx : target.region.ctx;
  if (!exists(ctx, `${TRACEFS}/instances`)) {
    ctx.out.stderr += 'tracefs_instance_create() failed\n';
    return undefined;
  }
  if (!exists(ctx, `${TRACEFS}/events/cxl/cxl_poison/enable`)) {
    ctx.out.stderr += 'Failed to enable trace: -2\n';
    return undefined;
  }
  if ('memdev' in target) triggerMemdev(target.memdev);
  else triggerRegion(target.region);
  return undefined;
}
