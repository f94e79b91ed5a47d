/**
 * DOC: the JSON shape of each libcxl object (cxl/json.c util_cxl_*_to_json()), keys in the order
 * ndctl adds them, for 76.1 and for 85 (which adds qos classes, firmware_version,
 * poison_injectable, parent_dport, decoders_committed, region type/locked and more).
 */

import { decoderMemdev, decoderName, decoderRegion } from '../lib/decoder.ts';
import { memdevHost, memdevIsEnabled, memdevName } from '../lib/memdev.ts';
import {
  busProvider,
  dportsOf,
  nrDports,
  parentDport,
  portHost,
  portIsEnabled,
  portName,
} from '../lib/port.ts';
import { cxlMappings, regionIsEnabled, regionName } from '../lib/region.ts';
import { exists, readAttr } from '../lib/sysfs.ts';
import {
  type CxlCtx,
  type CxlDecoder,
  type CxlDport,
  type CxlMemdev,
  type CxlPort,
  type CxlRegion,
  DECODE_STATE,
  DECODER_MODE,
  decoderModeName,
  devname,
  QOS_CLASS_NONE,
} from '../lib/types.ts';
import { U64_MAX } from '../util/cstr.ts';
import { hexObj, sizeObj } from '../util/json.ts';
import { arrAdd, type JObj, jArr, jBool, jInt, jObj, jStr, objAdd } from '../util/jsonc.ts';
import { UTIL_JSON } from '../util/print.ts';
import { type NdctlBehaviour, ndctlHas } from '../versions.ts';
import { dportMatchesMemdevFilter, targetMatchesMemdevFilter } from './filter.ts';
import { daxRegionToJson } from './json-dax.ts';
import { alertConfigToJson, fwToJson, healthToJson, partitionToJson } from './json-mbox.ts';
import { mediaErrorsToJson } from './json-poison.ts';

const UINT_MAX = 0xffffffff;
const INT_MAX = 0x7fffffff;

/** v85 libcxl crashes on NULL debugfs in cxl_dport_get_einj_path(); thrown to end the run. */
export class Segfault extends Error {}

/** util_cxl_memdev_to_json() */
export function memdevToJson(m: CxlMemdev, flags: number): JObj {
  const has = (b: NdctlBehaviour): boolean => ndctlHas(m.ctx.ndctl, b);
  const o = jObj();
  objAdd(o, 'memdev', jStr(memdevName(m)));
  if (m.pmemSize !== 0n) {
    objAdd(o, 'pmem_size', sizeObj(m.pmemSize, flags));
    if (has('qosClass') && m.pmemQosClass !== QOS_CLASS_NONE)
      objAdd(o, 'pmem_qos_class', jInt(m.pmemQosClass));
  }
  if (m.ramSize !== 0n) {
    objAdd(o, 'ram_size', sizeObj(m.ramSize, flags));
    if (has('qosClass') && m.ramQosClass !== QOS_CLASS_NONE)
      objAdd(o, 'ram_qos_class', jInt(m.ramQosClass));
  }
  if (flags & UTIL_JSON.HEALTH) {
    const h = healthToJson(m);
    if (h) objAdd(o, 'health', h);
  }
  if (flags & UTIL_JSON.ALERT_CONFIG) {
    const a = alertConfigToJson(m);
    if (a) objAdd(o, 'alert_config', a);
  }
  if (m.serial < U64_MAX) objAdd(o, 'serial', hexObj(m.serial, flags));
  if (m.numaNode >= 0) objAdd(o, 'numa_node', jInt(m.numaNode));
  objAdd(o, 'host', jStr(memdevHost(m)));
  if (has('memdevFirmwareVersion') && m.firmwareVersion !== undefined)
    objAdd(o, 'firmware_version', jStr(m.firmwareVersion));
  if (!memdevIsEnabled(m)) objAdd(o, 'state', jStr('disabled'));
  if (has('debugfsInjection') && m.ctx.debugfs !== undefined) {
    objAdd(
      o,
      'poison_injectable',
      jBool(exists(m.ctx, `${m.ctx.debugfs}/${memdevName(m)}/inject_poison`)),
    );
  }
  if (flags & UTIL_JSON.PARTITION) {
    const p = partitionToJson(m, flags);
    if (p) objAdd(o, 'partition_info', p);
  }
  if (has('firmware') && flags & UTIL_JSON.FIRMWARE) {
    const f = fwToJson(m, flags);
    if (f) objAdd(o, 'firmware', f);
  }
  if (has('mediaErrors') && flags & UTIL_JSON.MEDIA_ERRORS) {
    const e = mediaErrorsToJson({ memdev: m }, flags);
    if (e) objAdd(o, 'media_errors', e);
  }
  return o;
}

/** The alias of a dport or target: physical_node, overridden by firmware_node when present. */
function addAliases(o: JObj, physPath: string | undefined, fwPath: string | undefined): void {
  if (physPath !== undefined) objAdd(o, 'alias', jStr(devname(physPath)));
  if (fwPath !== undefined) objAdd(o, 'alias', jStr(devname(fwPath)));
}

/** cxl_dport_get_einj_path() (85): <debugfs>/<dport>/einj_inject exists. @throws Segfault */
function dportInjectable(ctx: CxlCtx, d: CxlDport): boolean {
  if (ctx.debugfs === undefined) throw new Segfault('strlen(NULL) in cxl_dport_get_einj_path');
  return exists(ctx, `${ctx.debugfs}/${devname(d.devPath)}/einj_inject`);
}

/** util_cxl_dports_append_json(): nr_dports and dports[] with -T (dports filtered by memdev). */
export function dportsAppendJson(
  o: JObj,
  port: CxlPort,
  ident: string | undefined,
  serial: string | undefined,
  flags: number,
): void {
  const n = nrDports(port);
  if (!n || !(flags & UTIL_JSON.TARGETS)) return;
  objAdd(o, 'nr_dports', jInt(n));
  const arr = jArr();
  for (const d of dportsOf(port)) {
    if (!dportMatchesMemdevFilter(d, ident, serial)) continue;
    const jd = jObj();
    objAdd(jd, 'dport', jStr(devname(d.devPath)));
    addAliases(jd, d.physPath, d.fwPath);
    objAdd(jd, 'id', hexObj(BigInt(d.id), flags));
    if (ndctlHas(port.ctx.ndctl, 'debugfsInjection'))
      objAdd(jd, 'protocol_injectable', jBool(dportInjectable(port.ctx, d)));
    arrAdd(arr, jd);
  }
  objAdd(o, 'dports', arr);
}

/** The protocol error names libcxl knows, by their einj_types number (85). */
const PROTOCOL_ERRORS = new Map<number, string>([
  [0x1000, 'cache-correctable'],
  [0x2000, 'cache-uncorrectable'],
  [0x4000, 'cache-fatal'],
  [0x8000, 'mem-correctable'],
  [0x10000, 'mem-uncorrectable'],
  [0x20000, 'mem-fatal'],
]);

/** cxl_add_protocol_errors() (85): names from <debugfs>/cxl/einj_types, in file order. */
function protocolErrors(ctx: CxlCtx): string[] {
  const path = `${ctx.debugfs}/einj_types`;
  if (!exists(ctx, path)) return [];
  const buf = readAttr(ctx, path);
  if (typeof buf !== 'string') {
    ctx.out.log('libcxl', 'cxl_add_protocol_errors', `failed to read ${path}: ${buf.message}\n`);
    return [];
  }
  const out: string[] = [];
  for (const line of buf.split('\n')) {
    const num = line.trim().split(/\s+/)[0];
    if (!num) continue;
    const name = PROTOCOL_ERRORS.get(Number.parseInt(num, 16));
    if (name) out.push(name);
  }
  return out;
}

/** util_cxl_bus_to_json() */
export function busToJson(bus: CxlPort, _flags: number): JObj {
  const o = jObj();
  objAdd(o, 'bus', jStr(portName(bus)));
  objAdd(o, 'provider', jStr(busProvider(bus)));
  if (ndctlHas(bus.ctx.ndctl, 'debugfsInjection') && bus.ctx.debugfs !== undefined) {
    const arr = jArr();
    for (const e of protocolErrors(bus.ctx)) arrAdd(arr, jStr(e));
    objAdd(o, 'injectable_protocol_errors', arr);
  }
  return o;
}

/** util_cxl_decoder_to_json() */
export function decoderToJson(d: CxlDecoder, flags: number): JObj {
  const port = d.port;
  const o = jObj();
  objAdd(o, 'decoder', jStr(decoderName(d)));
  if (d.size !== 0n && d.start < U64_MAX) objAdd(o, 'resource', hexObj(d.start, flags));
  if (d.size !== 0n && d.size < U64_MAX) objAdd(o, 'size', sizeObj(d.size, flags));
  if (d.interleaveWays < UINT_MAX) {
    objAdd(o, 'interleave_ways', jInt(d.interleaveWays));
    if (d.interleaveWays > 1 && d.interleaveGranularity < UINT_MAX) {
      objAdd(o, 'interleave_granularity', jInt(d.interleaveGranularity));
    }
  }
  const region = decoderRegion(d);
  if (region) objAdd(o, 'region', jStr(regionName(region)));
  if (d.size === 0n) objAdd(o, 'state', jStr('disabled'));
  if (port.type === 'endpoint') {
    if (d.dpaSize !== 0n && d.dpaResource < U64_MAX)
      objAdd(o, 'dpa_resource', hexObj(d.dpaResource, flags));
    if (d.dpaSize !== 0n && d.dpaSize < U64_MAX) objAdd(o, 'dpa_size', sizeObj(d.dpaSize, flags));
    if (d.mode > DECODER_MODE.NONE) objAdd(o, 'mode', jStr(decoderModeName(d.mode)));
  }
  if (port.type === 'root' && d.memCapable) {
    if (d.maxAvailableExtent < U64_MAX)
      objAdd(o, 'max_available_extent', sizeObj(d.maxAvailableExtent, flags));
    if (d.pmemCapable) objAdd(o, 'pmem_capable', jBool(true));
    if (d.volatileCapable) objAdd(o, 'volatile_capable', jBool(true));
  }
  if (port.type === 'root' && d.accelmemCapable) objAdd(o, 'accelmem_capable', jBool(true));
  if (ndctlHas(d.ctx.ndctl, 'qosClass') && port.type === 'root' && d.qosClass !== QOS_CLASS_NONE) {
    objAdd(o, 'qos_class', jInt(d.qosClass));
  }
  return o;
}

/** util_cxl_targets_append_json(): nr_targets for non-endpoint decoders, targets[] with -T. */
export function targetsAppendJson(
  o: JObj,
  d: CxlDecoder,
  ident: string | undefined,
  serial: string | undefined,
  flags: number,
): void {
  if (d.port.type === 'endpoint') return;
  objAdd(o, 'nr_targets', jInt(d.nrTargets));
  if (!(flags & UTIL_JSON.TARGETS) || !d.nrTargets) return;
  const arr = jArr();
  for (const t of d.targets) {
    if (!targetMatchesMemdevFilter(t, ident, serial)) continue;
    const jt = jObj();
    objAdd(jt, 'target', jStr(devname(t.devPath)));
    addAliases(jt, t.physPath, t.fwPath);
    objAdd(jt, 'position', jInt(t.position));
    objAdd(jt, 'id', hexObj(BigInt(t.id), flags));
    arrAdd(arr, jt);
  }
  objAdd(o, 'targets', arr);
}

/** util_cxl_mappings_append_json(): mappings[] with -T, highest position first. */
function mappingsAppendJson(o: JObj, r: CxlRegion, flags: number): void {
  const n = r.interleaveWays;
  if (!n || n === UINT_MAX || !(flags & UTIL_JSON.TARGETS)) return;
  const arr = jArr();
  for (const mp of cxlMappings(r)) {
    const jm = jObj();
    if (mp.position < UINT_MAX) objAdd(jm, 'position', jInt(mp.position));
    const m = decoderMemdev(mp.decoder);
    if (m) objAdd(jm, 'memdev', jStr(memdevName(m)));
    objAdd(jm, 'decoder', jStr(decoderName(mp.decoder)));
    arrAdd(arr, jm);
  }
  objAdd(o, 'mappings', arr);
}

/** cxl_region_qos_class_mismatch() (85) */
function qosClassMismatch(r: CxlRegion): boolean {
  for (const mp of cxlMappings(r)) {
    const m = decoderMemdev(mp.decoder);
    if (!m) continue;
    if (r.mode === DECODER_MODE.RAM && r.decoder.qosClass !== m.ramQosClass) return true;
    if (r.mode === DECODER_MODE.PMEM && r.decoder.qosClass !== m.pmemQosClass) return true;
  }
  return false;
}

/** util_cxl_region_to_json() */
export function regionToJson(r: CxlRegion, flags: number): JObj {
  const has = (b: NdctlBehaviour): boolean => ndctlHas(r.ctx.ndctl, b);
  const o = jObj();
  objAdd(o, 'region', jStr(regionName(r)));
  if (r.start < U64_MAX) objAdd(o, 'resource', hexObj(r.start, flags));
  if (r.size < U64_MAX) objAdd(o, 'size', sizeObj(r.size, flags));
  if (has('regionExtendedLinearCache') && r.cacheSize > 0n)
    objAdd(o, 'extended_linear_cache_size', sizeObj(r.cacheSize, flags));
  if (has('regionType') && r.mode !== DECODER_MODE.NONE)
    objAdd(o, 'type', jStr(decoderModeName(r.mode)));
  if (r.interleaveWays < INT_MAX) objAdd(o, 'interleave_ways', jInt(r.interleaveWays));
  if (r.interleaveGranularity < INT_MAX)
    objAdd(o, 'interleave_granularity', jInt(r.interleaveGranularity));
  objAdd(o, 'decode_state', jStr(r.decodeState === DECODE_STATE.COMMIT ? 'commit' : 'reset'));
  if (!regionIsEnabled(r)) objAdd(o, 'state', jStr('disabled'));
  if (has('regionLocked') && r.locked !== 'unknown')
    objAdd(o, 'locked', jBool(r.locked === 'locked'));
  if (has('mediaErrors') && flags & UTIL_JSON.MEDIA_ERRORS) {
    const e = mediaErrorsToJson({ region: r }, flags);
    if (e) objAdd(o, 'media_errors', e);
  }
  mappingsAppendJson(o, r, flags);
  if (has('daxOption') && flags & UTIL_JSON.DAX) {
    const dax = daxRegionToJson(r, flags);
    if (dax) objAdd(o, 'daxregion', dax);
  }
  if (has('qosClass') && qosClassMismatch(r)) objAdd(o, 'qos_class_mismatch', jBool(true));
  return o;
}

/** __util_cxl_port_to_json(): ports and endpoints share one shape, keyed by `nameKey`. */
export function portToJson(port: CxlPort, nameKey: 'port' | 'endpoint', _flags: number): JObj {
  const has = (b: NdctlBehaviour): boolean => ndctlHas(port.ctx.ndctl, b);
  const o = jObj();
  objAdd(o, nameKey, jStr(portName(port)));
  objAdd(o, 'host', jStr(portHost(port)));
  if (has('portParentDport')) {
    const pd = parentDport(port);
    if (pd) objAdd(o, 'parent_dport', jStr(devname(pd.devPath)));
  }
  objAdd(o, 'depth', jInt(port.depth));
  if (!portIsEnabled(port)) objAdd(o, 'state', jStr('disabled'));
  if (has('decodersCommitted')) objAdd(o, 'decoders_committed', jInt(port.decodersCommitted));
  return o;
}
