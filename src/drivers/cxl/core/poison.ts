/**
 * DOC: poison lists and injection, guest side (drivers/cxl/core/mbox.c cxl_mem_get_poison(),
 * core/region.c cxl_get_poison_by_endpoint(), core/memdev.c cxl_trigger_poison_list(),
 * cxl_inject_poison(), cxl_clear_poison(), cxl_validate_poison_dpa(); drivers/cxl/mem.c
 * the debugfs files).
 *
 * Reading the list: Get Poison List over a DPA range, one cxl_poison "List" event per record
 * (region and HPA when the DPA is mapped, else "" and ULLONG_MAX), again while the device sets
 * More. trigger_poison_list reads the partitions when no decoder of the endpoint is committed,
 * else each endpoint decoder's DPA (with its region, the skip before it without) and then what
 * lies past the last committed one. Inject / clear: the DPA must lie in the device's DPA
 * resource and be 64-byte aligned (EINVAL, dev_dbg otherwise); the mailbox command's errno is
 * returned; a mapped DPA warns once "poison inject dpa:%#llx region: %s"; a cxl_poison
 * "Inject" / "Clear" event follows.
 */
import { Errno } from '../../../kernel/errno.ts';
import { copiedWeakMap } from '../../../kernel/graph-copy.ts';
import { CxlEndpointDecoder } from './decoder.ts';
import { CXL_MBOX_OP, cxlInternalSendCmd, le } from './mbox.ts';
import type { CxlMemdev } from './memdev.ts';
import { type PoisonTraceType, type RegionRef, traceCxlPoison } from './trace.ts';

const ULLONG_MAX = (1n << 64n) - 1n;
/** CXL_POISON_FLAG_MORE. */
const FLAG_MORE = 1;

/** The region an endpoint decoder maps `dpa` into (cxl_dpa_to_region()). */
export function cxlDpaToRegion(cxlmd: CxlMemdev, dpa: bigint): RegionRef | undefined {
  for (const d of cxlmd.endpoint?.children ?? []) {
    if (!(d instanceof CxlEndpointDecoder) || !d.dpaRes || !d.region) continue;
    if (dpa >= d.dpaRes.start && dpa <= d.dpaRes.end) return d.region as unknown as RegionRef;
  }
  return undefined;
}

/** The HPA of `dpa` in `cxlr` (ULLONG_MAX without a region). */
function hpaOf(cxlmd: CxlMemdev, cxlr: RegionRef | undefined, dpa: bigint): bigint {
  return cxlr ? cxlr.dpaToHpa(cxlmd, dpa) : ULLONG_MAX;
}

/**
 * cxl_mem_get_poison(): the poison list of [offset, offset + len), traced as "List" events.
 * @throws the mailbox command's errno
 */
export function cxlMemGetPoison(
  cxlmd: CxlMemdev,
  offset: bigint,
  len: bigint,
  cxlr: RegionRef | undefined,
): void {
  const cxlds = cxlmd.cxlds;
  for (let guard = 0; guard < 1024; guard++) {
    const pi = new Uint8Array(16);
    const dv = new DataView(pi.buffer);
    dv.setBigUint64(0, offset, true);
    dv.setBigUint64(8, len / 64n, true);
    const out = cxlInternalSendCmd(cxlds, CXL_MBOX_OP.GET_POISON, pi, cxlds.payloadSize);
    const flags = out[0] ?? 0;
    const ovf = le.u64(out, 2);
    const n = le.u16(out, 0xa);
    for (let i = 0; i < n; i++) {
      const address = le.u64(out, 0x20 + 16 * i);
      const length = le.u32(out, 0x28 + 16 * i);
      const dpa = address & ~0x3fn;
      traceCxlPoison(cxlmd, cxlr, hpaOf(cxlmd, cxlr, dpa), { address, length }, flags, ovf, 'List');
    }
    if (!(flags & FLAG_MORE)) return;
  }
}

/**
 * cxl_trigger_poison_list(): reads the whole device's poison list into trace events.
 * @throws EINVAL without an endpoint; the mailbox errno otherwise
 */
export function cxlTriggerPoisonList(cxlmd: CxlMemdev): void {
  const port = cxlmd.endpoint;
  if (!port) throw new Errno('EINVAL', 'no endpoint', cxlmd.name);
  const cxlds = cxlmd.cxlds;
  const decoders = port.children.filter(
    (d): d is CxlEndpointDecoder => d instanceof CxlEndpointDecoder,
  );
  if (port.commitEnd < 0) {
    for (const part of [cxlds.ram, cxlds.pmem])
      if (part.size > 0n) cxlMemGetPoison(cxlmd, part.start, part.size, undefined);
    return;
  }
  let next = 0n;
  for (const d of decoders) {
    if (!d.dpaRes) continue;
    if (d.skip > 0n) cxlMemGetPoison(cxlmd, d.dpaRes.start - d.skip, d.skip, undefined);
    const len = d.dpaRes.end - d.dpaRes.start + 1n;
    cxlMemGetPoison(cxlmd, d.dpaRes.start, len, d.region as unknown as RegionRef | undefined);
    next = d.dpaRes.end + 1n;
    if (d.id === port.commitEnd) break;
  }
  const end = cxlds.pmem.start + cxlds.pmem.size;
  if (next < end) cxlMemGetPoison(cxlmd, next, end - next, undefined);
}

/** cxl_validate_poison_dpa(). @throws EINVAL (dev_dbg says why) */
function validateDpa(cxlmd: CxlMemdev, dpa: bigint): void {
  const cxlds = cxlmd.cxlds;
  const pdev = cxlds.pdev;
  if (cxlds.totalBytes === 0n) {
    pdev.dbg('device has no dpa resource');
    throw new Errno('EINVAL', 'device has no dpa resource', cxlmd.name);
  }
  if (dpa >= cxlds.totalBytes) {
    pdev.dbg(
      `dpa:0x${dpa.toString(16)} not in resource:[mem 0x00000000-0x${(cxlds.totalBytes - 1n).toString(16).padStart(8, '0')}]`,
    );
    throw new Errno('EINVAL', 'dpa not in resource', cxlmd.name);
  }
  if (dpa % 64n) {
    pdev.dbg(`dpa:0x${dpa.toString(16)} is not 64-byte aligned`);
    throw new Errno('EINVAL', 'dpa not 64-byte aligned', cxlmd.name);
  }
}

const warned = copiedWeakMap<CxlMemdev, Set<string>>();

function injectOrClear(cxlmd: CxlMemdev, dpa: bigint, what: 'inject' | 'clear'): void {
  validateDpa(cxlmd, dpa);
  const cxlds = cxlmd.cxlds;
  const payload = new Uint8Array(what === 'inject' ? 8 : 72);
  new DataView(payload.buffer).setBigUint64(0, dpa, true);
  const op = what === 'inject' ? CXL_MBOX_OP.INJECT_POISON : CXL_MBOX_OP.CLEAR_POISON;
  cxlInternalSendCmd(cxlds, op, payload, 0);
  const cxlr = cxlDpaToRegion(cxlmd, dpa);
  if (cxlr) {
    const w = warned.get(cxlmd) ?? new Set<string>();
    warned.set(cxlmd, w);
    if (!w.has(what)) {
      w.add(what);
      cxlds.pdev.warn(`poison ${what} dpa:0x${dpa.toString(16)} region: ${cxlr.name}`);
    }
  }
  const type: PoisonTraceType = what === 'inject' ? 'Inject' : 'Clear';
  traceCxlPoison(cxlmd, cxlr, hpaOf(cxlmd, cxlr, dpa), { address: dpa, length: 1 }, 0, 0n, type);
}

/** cxl_inject_poison(). @throws EINVAL for a bad DPA, the mailbox errno (EBUSY list full) */
export function cxlInjectPoison(cxlmd: CxlMemdev, dpa: bigint): void {
  injectOrClear(cxlmd, dpa, 'inject');
}

/** cxl_clear_poison(). @throws EINVAL for a bad DPA, the mailbox errno */
export function cxlClearPoison(cxlmd: CxlMemdev, dpa: bigint): void {
  injectOrClear(cxlmd, dpa, 'clear');
}

/** simple_attr_write()'s kstrtoull(buf, 0). @throws EINVAL */
export function debugfsU64(buf: string): bigint {
  const t = buf.trim();
  let v: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(t) || /^[1-9][0-9]*$/.test(t) || t === '0') v = BigInt(t);
  else if (/^0[0-7]+$/.test(t)) v = BigInt(`0o${t.slice(1)}`);
  else throw new Errno('EINVAL');
  if (v >= 1n << 64n) throw new Errno('ERANGE');
  return v;
}
