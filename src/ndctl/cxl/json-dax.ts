/**
 * DOC: a CXL region's `daxregion` (-X, ndctl v77+): libcxl's cxl_region_get_daxctl_region(),
 * libdaxctl's region and device parse (daxctl/lib/libdaxctl.c add_dax_region(), add_dax_dev(),
 * dax_devices_init()) and daxctl/json.c util_daxctl_region_to_json() / util_daxctl_dev_to_json().
 *
 * The dax region is `<region>/dax_region<id>` when it exists; its attributes are in the
 * `dax_region/` subdirectory (size, align, available_size); its devices are the entries named
 * `dax<id>.<n>` (libdaxctl lists them newest first: list_add() at the head). A device needs its
 * /dev node (taken as present when the device has a `dev` attribute, as devtmpfs makes it) and a
 * readable `size`. On the dax bus a device is enabled when it has a `driver` link; it is in
 * system-ram mode when that driver's module is kmem, else devdax.
 * Not emulated: the memory-block counts of a system-ram device (online_memblocks,
 * total_memblocks, movable, read from /sys/devices/system/memory) and -X's mappings.
 */

import { isEnabledPath, readAttr, realpath } from '../lib/sysfs.ts';
import { type CxlRegion, devname } from '../lib/types.ts';
import { atoi, strtol, strtoull, U64_MAX } from '../util/cstr.ts';
import { sizeObj } from '../util/json.ts';
import { arrAdd, type JObj, jArr, jInt, jObj, jStr, jU64, objAdd } from '../util/jsonc.ts';
import { UTIL_JSON } from '../util/print.ts';

/** struct daxctl_dev (the fields the json shows). */
interface DaxDev {
  path: string;
  size: bigint;
  align: bigint;
  targetNode: number;
}

/** `sscanf(name, "dax<id>.%d")`: the device number, or undefined. */
function devNumber(name: string, prefix: string): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^[+-]?\d/.test(rest) ? atoi(rest) : undefined;
}

/** add_dax_dev(): undefined without a /dev node or a readable size. */
function addDaxDev(r: CxlRegion, path: string): DaxDev | undefined {
  const ctx = r.ctx;
  if (typeof readAttr(ctx, `${path}/dev`) !== 'string') return undefined;
  const size = readAttr(ctx, `${path}/size`);
  if (typeof size !== 'string') return undefined;
  const align = readAttr(ctx, `${path}/align`);
  const node = readAttr(ctx, `${path}/target_node`);
  return {
    path,
    size: strtoull(size),
    align: typeof align === 'string' ? strtoull(align) : 0n,
    targetNode: typeof node === 'string' ? Number(strtol(node)) : -1,
  };
}

/** dax_devices_init(): the bus-model devices below the region path, newest first. */
function daxDevices(r: CxlRegion, regionPath: string): DaxDev[] {
  const prefix = `dax${r.id}.`;
  let names: string[];
  try {
    names = r.ctx.view.readdir(regionPath.slice('/sys/'.length));
  } catch {
    return [];
  }
  const out: DaxDev[] = [];
  const seen = new Set<number>();
  for (const name of names) {
    const id = devNumber(name, prefix);
    if (id === undefined) continue;
    const d = addDaxDev(r, `${regionPath}/${name}`);
    if (!d) {
      r.ctx.out.log('libdaxctl', '__sysfs_device_parse', `${prefix}${id}: add_dev() failed\n`);
      continue;
    }
    if (seen.has(id)) continue;
    seen.add(id);
    out.unshift(d);
  }
  return out;
}

/** Whether the device's `subsystem` link names /sys/bus/dax (read as a link: bus/dax need not be listed). */
function subsystemIsDaxBus(r: CxlRegion, path: string): boolean {
  try {
    const t = r.ctx.view.readlink(`${path.slice('/sys/'.length)}/subsystem`);
    return /(^|\/)bus\/dax$/.test(t);
  } catch {
    return false;
  }
}

/** util_daxctl_dev_to_json() without mappings. */
function daxDevToJson(r: CxlRegion, d: DaxDev, flags: number): JObj {
  const ctx = r.ctx;
  const o = jObj();
  objAdd(o, 'chardev', jStr(devname(d.path)));
  objAdd(o, 'size', sizeObj(d.size, flags));
  if (d.targetNode >= 0) objAdd(o, 'target_node', jInt(d.targetNode));
  const align = Number(BigInt.asIntN(32, d.align));
  if (align > 0) objAdd(o, 'align', sizeObj(d.align, flags));
  // device_model_is_dax_bus(): /sys/dev/char/M:m/subsystem resolves to /sys/bus/dax
  const daxBus = subsystemIsDaxBus(r, d.path);
  const enabled = !daxBus || isEnabledPath(ctx, `${d.path}/driver`);
  const module = daxBus && enabled ? realpath(ctx, `${d.path}/driver/module`) : undefined;
  const systemRam = module !== undefined && devname(module) === 'kmem';
  objAdd(o, 'mode', jStr(systemRam ? 'system-ram' : 'devdax'));
  if (!enabled) objAdd(o, 'state', jStr('disabled'));
  return o;
}

/**
 * cxl_region_get_daxctl_region() + util_daxctl_region_to_json(region, NULL, flags): the
 * region's dax region, or undefined when it has none.
 */
export function daxRegionToJson(r: CxlRegion, flags: number): JObj | undefined {
  const ctx = r.ctx;
  const path = `${r.devPath}/dax_region${r.id}`;
  if (realpath(ctx, path) === undefined) return undefined;
  const attr = (name: string) => readAttr(ctx, `${path}/dax_region/${name}`);
  const size = attr('size');
  const align = attr('align');
  const o = jObj();
  objAdd(o, 'id', jInt(r.id));
  const sz = typeof size === 'string' ? strtoull(size) : U64_MAX;
  if (sz < U64_MAX) objAdd(o, 'size', sizeObj(sz, flags));
  const avail = attr('available_size');
  const av = typeof avail === 'string' ? strtoull(avail) : 0n;
  if (av !== 0n) objAdd(o, 'available_size', sizeObj(av, flags));
  // region->align is an unsigned long read with strtoul(); -1 (ULONG_MAX) when unreadable
  const al = typeof align === 'string' ? strtoull(align) : U64_MAX;
  if (al < U64_MAX) objAdd(o, 'align', jU64(al));
  if (!(flags & UTIL_JSON.DAX_DEVS)) return o;
  const devs = daxDevices(r, path).filter(
    (d) => flags & UTIL_JSON.IDLE || d.size !== 0n, // UTIL_JSON_CONFIGURED is not set by cxl list
  );
  if (devs.length > 0) {
    const arr = jArr();
    for (const d of devs) arrAdd(arr, daxDevToJson(r, d, flags));
    objAdd(o, 'devices', arr);
  }
  return o;
}
