/**
 * DOC: `media_errors` (-L, ndctl 85 cxl/json_poison.c util_cxl_poison_list_to_json()).
 *
 * ndctl (≥ 81) enables the cxl:cxl_poison trace event in a tracefs instance, writes "1" to
 * memN/trigger_poison_list (for a region: to every mapped memdev's) and turns the events the
 * kernel emitted into media_errors[] (offset: DPA for a memdev, HPA − region start for a region;
 * length; source; flags "More,"/"Scanning,"/"Overflow," and overflow_t); an empty list leaves
 * the key out. The events are read back from the instance's `trace` text (the kernel's
 * TP_printk fields), where libtraceevent reads the raw fields, and then cleared. libtracefs
 * needs tracefs at /sys/kernel/tracing with `instances/`, else "tracefs_instance_create()
 * failed"; enabling needs events/cxl/cxl_poison/enable, else "Failed to enable trace: -2".
 */

import { decoderMemdev } from '../lib/decoder.ts';
import { memdevName } from '../lib/memdev.ts';
import { cxlMappings, regionName } from '../lib/region.ts';
import { exists, relSys, writeAttr } from '../lib/sysfs.ts';
import type { CxlCtx, CxlMemdev, CxlRegion } from '../lib/types.ts';
import { hexObj, sizeObj } from '../util/json.ts';
import { arrAdd, type JArr, type JObj, jArr, jObj, jStr, objAdd } from '../util/jsonc.ts';

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

/** The libtracefs instance `cxl list` creates (tracefs_instance_create("cxl list")). */
const INSTANCE = '/sys/kernel/tracing/instances/cxl list';

/**
 * A tracefs file write as libtracefs does it (tracefs_event_enable(), tracefs_instance_file_write():
 * the bytes as given, no libcxl log line). @returns false when the write failed
 */
function tracefsWrite(ctx: CxlCtx, path: string, buf: string): boolean {
  try {
    ctx.view.write(relSys(path), buf);
    return true;
  } catch {
    return false;
  }
}
/** CXL 3.1 Table 8-140 source names, as ndctl's poison_source[] (index = source). */
const SOURCES = [
  'Unknown',
  'External',
  'Internal',
  'Injected',
  'Reserved',
  'Reserved',
  'Reserved',
  'Vendor Specific',
];
/** The kernel's show_poison_source() names back to the source field. */
const SOURCE_OF: Record<string, number> = {
  Unknown: 0,
  External: 1,
  Internal: 2,
  Injected: 3,
  Vendor: 7,
};
const ULLONG_MAX = (1n << 64n) - 1n;

/** The fields of one cxl_poison line of the instance's trace (tep_get_field_raw & co.). */
interface PoisonFields {
  region: string;
  hpa: bigint;
  dpa: bigint;
  dpaLength: bigint;
  source: number;
  flags: number;
  overflowTs: bigint;
}

function parsePoisonLine(line: string): PoisonFields | undefined {
  const i = line.indexOf(': cxl_poison: ');
  if (i < 0) return undefined;
  const f = new Map<string, string>();
  for (const m of line.slice(i).matchAll(/(\w+)=(\S*)/g)) f.set(m[1] as string, m[2] as string);
  const flagNames = (f.get('flags') ?? '').split('|').filter(Boolean);
  let flags = 0;
  for (const n of flagNames)
    flags |= n === 'More' ? 1 : n === 'Overflow' ? 2 : n === 'Scanning' ? 4 : 0;
  const src = f.get('source') ?? 'Unknown';
  return {
    region: f.get('region') ?? '',
    hpa: BigInt(f.get('hpa') ?? '0'),
    dpa: BigInt(f.get('dpa') ?? '0'),
    dpaLength: BigInt(f.get('dpa_length') ?? '0'),
    source: SOURCE_OF[src] ?? 4,
    flags,
    overflowTs: BigInt(f.get('overflow_time') ?? '0'),
  };
}

/** poison_event_to_json(): one media_errors[] entry (undefined: another region's record). */
function poisonEventToJson(
  e: PoisonFields,
  target: { memdev: CxlMemdev } | { region: CxlRegion },
  flags: number,
): JObj | undefined {
  const jp = jObj();
  if ('region' in target) {
    if (e.region !== regionName(target.region)) return undefined;
    if (e.hpa !== ULLONG_MAX) objAdd(jp, 'offset', hexObj(e.hpa - target.region.start, flags));
  } else if (e.dpa !== ULLONG_MAX) objAdd(jp, 'offset', hexObj(e.dpa, flags));
  objAdd(jp, 'length', sizeObj(e.dpaLength, flags));
  objAdd(jp, 'source', jStr(SOURCES[e.source] ?? 'Reserved'));
  if (e.flags && e.flags < 0xff) {
    let s = '';
    if (e.flags & 1) s += 'More,';
    if (e.flags & 4) s += 'Scanning,';
    if (e.flags & 2) s += 'Overflow,';
    objAdd(jp, 'flags', jStr(s));
  }
  if (e.flags & 2) objAdd(jp, 'overflow_t', hexObj(e.overflowTs, flags));
  return jp;
}

/**
 * util_cxl_poison_list_to_json(): the poison records of a memdev or region. libtracefs's
 * "cxl list" instance gets cxl:cxl_poison enabled, the trigger runs, the event is disabled and
 * the instance's events become media_errors[] (none: the key is left out). Without a
 * /sys/kernel/tracing mount point libtracefs cannot create its instance.
 */
export function mediaErrorsToJson(
  target: { memdev: CxlMemdev } | { region: CxlRegion },
  flags = 0,
): JArr | undefined {
  const ctx = 'memdev' in target ? target.memdev.ctx : target.region.ctx;
  if (!exists(ctx, '/sys/kernel/tracing/instances')) {
    ctx.out.stderr += 'tracefs_instance_create() failed\n';
    return undefined;
  }
  const enable = `${INSTANCE}/events/cxl/cxl_poison/enable`;
  if (!tracefsWrite(ctx, enable, '1')) {
    ctx.out.stderr += 'Failed to enable trace: -2\n';
    return undefined;
  }
  const ok = 'memdev' in target ? triggerMemdev(target.memdev) : triggerRegion(target.region);
  tracefsWrite(ctx, enable, '0');
  // libtracefs reads the instance itself (no sysfs attribute size limit)
  let text: string | undefined;
  try {
    const v = ctx.view.read(`${INSTANCE.slice('/sys/'.length)}/trace`);
    text = typeof v === 'string' ? v : Buffer.from(v).toString('latin1');
  } catch {
    text = undefined;
  }
  // the events are consumed once parsed (libtracefs reads the instance's raw pipe)
  tracefsWrite(ctx, `${INSTANCE}/trace`, '\n');
  if (!ok || typeof text !== 'string') return undefined;
  const arr = jArr();
  for (const line of text.split('\n')) {
    const e = parsePoisonLine(line);
    if (!e) continue;
    const jp = poisonEventToJson(e, target, flags);
    if (jp) arrAdd(arr, jp);
  }
  return arr.a.length > 0 ? arr : undefined;
}
