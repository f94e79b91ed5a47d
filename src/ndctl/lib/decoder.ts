/**
 * DOC: libcxl decoders and their targets (cxl/lib/libcxl.c add_cxl_decoder(),
 * cxl_decoders_init(), cxl_decoder_calc_max_available_extent() and accessors).
 *
 * A port's decoders are its decoder<port id>.N entries, kept sorted by id (list_add_sorted).
 * Targets are parsed from target_list ("1,0"): each id names the port's dportN, resolved with
 * realpath(); the target list is prepended, so it runs from the highest position down. Reading a
 * root decoder walks its regions (for max_available_extent), which is when they are parsed.
 *
 * Writes: the endpoint-decoder setters (cxl/lib/libcxl.c cxl_decoder_set_dpa_size(),
 * cxl_decoder_set_mode()), as create-region, destroy-region, reserve-dpa and free-dpa use them.
 * Both refuse non-endpoint decoders and update the cached field after a successful write.
 */
import { atoi, hexAlt, strtok, strtoull, toI32, toU32, U64_MAX } from '../util/cstr.ts';
import { ndctlHas } from '../versions.ts';
import { endpointMemdev } from './memdev.ts';
import { cxlBuses, cxlPortForeachAll, endpointsOf } from './port.ts';
import { cxlRegions, regionName } from './region.ts';
import { deviceParse, negErrno, readAttrAt, realpathAt, writeAttr } from './sysfs.ts';
import {
  type CxlCtx,
  type CxlDecoder,
  type CxlMemdev,
  type CxlPort,
  type CxlRegion,
  type CxlTarget,
  DECODER_MODE,
  type DecoderMode,
  devname,
  QOS_CLASS_NONE,
} from './types.ts';

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** Decoder mode attribute as add_cxl_decoder() maps it (unknown strings are "mixed"). */
function parseMode(s: string | Error): DecoderMode {
  if (typeof s !== 'string') return DECODER_MODE.NONE;
  if (s === 'ram') return DECODER_MODE.RAM;
  if (s === 'pmem') return DECODER_MODE.PMEM;
  if (s === 'none') return DECODER_MODE.NONE;
  return DECODER_MODE.MIXED;
}

/** cxl_region_is_configured(): sized and not reset. */
function regionConfigured(r: CxlRegion): boolean {
  return r.size !== 0n && r.decodeState !== 0;
}

/** cxl_decoder_calc_max_available_extent(): largest gap between configured regions (u64). */
function calcMaxAvailableExtent(d: CxlDecoder): bigint {
  if (ndctlHas(d.ctx.ndctl, 'maxExtentNeedsStart') && d.start === U64_MAX) return U64_MAX;
  let prevEnd = u64(d.start - 1n);
  let max = 0n;
  for (const r of cxlRegions(d)) {
    if (!regionConfigured(r)) continue;
    const cur = u64(r.start - prevEnd - 1n);
    if (cur > max) max = cur;
    prevEnd = u64(r.start + r.size - 1n);
  }
  const end = u64(d.start + d.size - 1n);
  const cur = u64(end - prevEnd);
  return cur > max ? cur : max;
}

/** add_cxl_decoder() */
function addDecoder(port: CxlPort, id: number, base: string): CxlDecoder {
  const ctx = port.ctx;
  const attr = (name: string): string | Error => readAttrAt(ctx, base, name);
  const num = (name: string, dflt: bigint): bigint => {
    const s = attr(name);
    return typeof s === 'string' ? strtoull(s) : dflt;
  };
  const u32 = (name: string): number => {
    const s = attr(name);
    return typeof s === 'string' ? toU32(strtoull(s)) : 0xffffffff;
  };
  const d: CxlDecoder = {
    port,
    ctx,
    id,
    devPath: base,
    start: num('start', U64_MAX),
    size: num('size', U64_MAX),
    dpaResource: 0n,
    dpaSize: 0n,
    maxAvailableExtent: 0n,
    nrTargets: 0,
    mode: parseMode(attr('mode')),
    interleaveGranularity: u32('interleave_granularity'),
    interleaveWays: u32('interleave_ways'),
    pmemCapable: false,
    volatileCapable: false,
    memCapable: false,
    accelmemCapable: false,
    locked: false,
    qosClass: QOS_CLASS_NONE,
    targets: [],
    regions: [],
    regionsInit: false,
  };
  if (ndctlHas(ctx.ndctl, 'qosClass')) {
    const q = attr('qos_class');
    if (typeof q === 'string') d.qosClass = atoi(q);
  }
  const flag = (name: string): boolean | undefined => {
    const s = attr(name);
    return typeof s === 'string' ? strtoull(s) !== 0n : undefined;
  };
  if (port.type === 'endpoint') {
    d.dpaResource = num('dpa_resource', U64_MAX);
    d.dpaSize = num('dpa_size', U64_MAX);
  }
  if (port.type === 'endpoint' || port.type === 'switch') {
    d.pmemCapable = d.volatileCapable = d.memCapable = d.accelmemCapable = true;
    d.locked = flag('locked') ?? d.locked;
  } else {
    d.accelmemCapable = flag('cap_type2') ?? d.accelmemCapable;
    d.memCapable = flag('cap_type3') ?? d.memCapable;
    d.volatileCapable = flag('cap_ram') ?? d.volatileCapable;
    d.pmemCapable = flag('cap_pmem') ?? d.pmemCapable;
    d.locked = flag('locked') ?? d.locked;
    d.maxAvailableExtent = calcMaxAvailableExtent(d);
  }
  parseTargets(d, attr('target_list'));
  return d;
}

/** The target_list loop of add_cxl_decoder(): stops at the first dport that does not resolve. */
function parseTargets(d: CxlDecoder, list: string | Error): void {
  const port = d.port;
  const ids = strtok(typeof list === 'string' ? list : '', ',');
  let i = 0;
  for (; i < ids.length; i++) {
    const did = toI32(strtoull(ids[i] as string));
    const dport = `dport${did}`; // below port.devPath
    const devPath = realpathAt(d.ctx, port.devPath, dport);
    if (devPath === undefined) break;
    let physPath = realpathAt(d.ctx, port.devPath, `${dport}/physical_node`);
    const fwPath = realpathAt(d.ctx, port.devPath, `${dport}/firmware_node`);
    if (physPath === undefined && fwPath !== undefined) physPath = devPath;
    const t: CxlTarget = { decoder: d, devPath, physPath, fwPath, id: did, position: i };
    d.targets.unshift(t);
  }
  if (i < ids.length) {
    d.ctx.out.log(
      'libcxl',
      'add_cxl_decoder',
      `${devname(d.devPath)}: failed to parse target${i}\n`,
    );
  }
  d.nrTargets = i;
}

/** cxl_decoder_foreach(): the port's decoders, sorted by id. */
export function cxlDecoders(port: CxlPort): CxlDecoder[] {
  if (port.decoders) return port.decoders;
  const list: CxlDecoder[] = [];
  port.decoders = list;
  deviceParse(port.ctx, port.devPath, `decoder${port.id}.`, (id, base) => {
    const dup = list.find((x) => x.id === id);
    if (dup) return dup;
    const d = addDecoder(port, id, base);
    const at = list.findIndex((x) => d.id - x.id < 0);
    if (at < 0) list.push(d);
    else list.splice(at, 0, d);
    return d;
  });
  return list;
}

/** cxl_decoder_get_devname() */
export function decoderName(d: CxlDecoder): string {
  return devname(d.devPath);
}

/** cxl_decoder_get_region(): the root-decoder region named by a switch/endpoint decoder. */
export function decoderRegion(d: CxlDecoder): CxlRegion | undefined {
  let port = d.port;
  if (port.type === 'root') return undefined;
  const name = readAttrAt(d.ctx, d.devPath, 'region');
  if (typeof name !== 'string') {
    d.ctx.out.log(
      'libcxl',
      'cxl_decoder_get_region',
      `failed to read region name: ${name.message}\n`,
    );
    return undefined;
  }
  if (name === '') return undefined;
  while (port.type !== 'root' && port.parent) port = port.parent;
  for (const root of cxlDecoders(port)) {
    for (const r of cxlRegions(root)) if (regionName(r) === name) return r;
  }
  return undefined;
}

/** cxl_decoder_get_memdev(): an endpoint decoder's memdev. */
export function decoderMemdev(d: CxlDecoder): CxlMemdev | undefined {
  if (d.port.type !== 'endpoint') return undefined;
  return endpointMemdev(d.port);
}

/** cxl_target_maps_memdev(): strstr(memdev host path, target physical node or device path). */
export function targetMapsMemdev(t: CxlTarget, m: CxlMemdev): boolean {
  return m.hostPath.includes(t.physPath ?? t.devPath);
}

/** cxl_decoder_get_target_by_memdev() */
export function decoderTargetByMemdev(d: CxlDecoder, m: CxlMemdev): CxlTarget | undefined {
  return d.targets.find((t) => targetMapsMemdev(t, m));
}

/** cxl_decoder_get_by_name(): first decoder so named on a bus's ports or their endpoints. */
export function decoderByName(ctx: CxlCtx, name: string): CxlDecoder | undefined {
  const find = (port: CxlPort): CxlDecoder | undefined => {
    const d = cxlDecoders(port).find((x) => decoderName(x) === name);
    if (d) return d;
    for (const ep of endpointsOf(port)) {
      const e = cxlDecoders(ep).find((x) => decoderName(x) === name);
      if (e) return e;
    }
    return undefined;
  };
  for (const bus of cxlBuses(ctx)) {
    const d = find(bus);
    if (d) return d;
    for (const p of cxlPortForeachAll(bus)) {
      const x = find(p);
      if (x) return x;
    }
  }
  return undefined;
}

/** cxl_decoder_set_dpa_size(): "%#llx\n" to dpa_size. */
export function decoderSetDpaSize(d: CxlDecoder, size: bigint): number {
  if (d.port.type !== 'endpoint') {
    d.ctx.out.log(
      'libcxl',
      'cxl_decoder_set_dpa_size',
      `${devname(d.devPath)}: not an endpoint decoder\n`,
    );
    return negErrno('EINVAL');
  }
  const rc = writeAttr(d.ctx, `${d.devPath}/dpa_size`, `${hexAlt(size)}\n`);
  if (rc < 0) return rc;
  d.dpaSize = size;
  return 0;
}

/** cxl_decoder_set_mode(): "pmem" or "ram" (no newline) to mode. */
export function decoderSetMode(d: CxlDecoder, mode: DecoderMode): number {
  const name = devname(d.devPath);
  if (d.port.type !== 'endpoint') {
    d.ctx.out.log('libcxl', 'cxl_decoder_set_mode', `${name}: not an endpoint decoder\n`);
    return negErrno('EINVAL');
  }
  let buf: string;
  if (mode === DECODER_MODE.PMEM) buf = 'pmem';
  else if (mode === DECODER_MODE.RAM) buf = 'ram';
  else {
    d.ctx.out.log('libcxl', 'cxl_decoder_set_mode', `${name}: unsupported mode: ${mode}\n`);
    return negErrno('EINVAL');
  }
  const rc = writeAttr(d.ctx, `${d.devPath}/mode`, buf);
  if (rc < 0) return rc;
  d.mode = mode;
  return 0;
}
