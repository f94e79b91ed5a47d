/**
 * DOC: `cxl set-partition` — cxl/memdev.c action_setpartition(), validate_partition(),
 * param_size_to_volatile_size() and partition_align().
 *
 * IDENTIFY gives the partition alignment (0: nothing can be partitioned) and the capacity that can
 * move: total − volatile-only − persistent-only. -t pmem (default) -s N leaves N bytes persistent,
 * so the volatile size is available − N; -t ram -s N asks for N volatile bytes; no -s gives the
 * type all of it. An unaligned volatile size is refused unless -a, which rounds it down (pmem) or
 * up (ram). SET_PARTITION_INFO carries the volatile size in 256 MiB units; the memdev is then
 * printed with its partition info.
 */

import { cmdNewIdentify, cmdNewSetPartition, cmdSubmit, identifyCaps } from '../lib/mbox.ts';
import { memdevName } from '../lib/memdev.ts';
import { negErrno, strerrorRc } from '../lib/sysfs.ts';
import type { CxlMemdev } from '../lib/types.ts';
import { U64_MAX } from '../util/cstr.ts';
import { arrAdd } from '../util/jsonc.ts';
import type { LogCtx } from '../util/log.ts';
import { UTIL_JSON } from '../util/print.ts';
import { parseSize64 } from '../util/size.ts';
import { memdevToJson } from './json.ts';
import type { MemdevActionFn } from './memdev.ts';
import type { MemdevParams } from './memdev-params.ts';

/** Thrown where libcxl 76.1/85 would dereference a NULL command (SET_PARTITION_INFO missing). */
export class NullCommand extends Error {}

/** printf("%lld") of an unsigned long long. */
const lld = (v: bigint): string => BigInt.asIntN(64, v).toString();

/** IS_ALIGNED / ALIGN / ALIGN_DOWN of util/size.h for a power-of-two or any u64 alignment. */
function aligned(v: bigint, a: bigint): boolean {
  return (v & (a - 1n)) === 0n;
}

/** partition_align() */
function partitionAlign(
  ml: LogCtx,
  param: MemdevParams,
  name: string,
  ram: boolean,
  vol: bigint,
  align: bigint,
  avail: bigint,
): bigint {
  if (aligned(vol, align)) return vol;
  if (!param.align) {
    ml.err('partition_align', `${name}: size ${lld(vol)} is not partition aligned ${lld(align)}\n`);
    return U64_MAX;
  }
  const mask = BigInt.asUintN(64, ~(align - 1n));
  const out = ram
    ? BigInt.asUintN(64, BigInt.asUintN(64, vol + (align - 1n)) & mask)
    : BigInt.asUintN(64, (BigInt.asUintN(64, vol + align) & mask) - align);
  if (out > avail) {
    ml.err(
      'partition_align',
      `${name}: aligned partition size ${lld(out)} exceeds available size ${lld(avail)}\n`,
    );
    return U64_MAX;
  }
  return out;
}

/** validate_partition(): the volatile size to request, or ULLONG_MAX. */
function validatePartition(
  ml: LogCtx,
  param: MemdevParams,
  m: CxlMemdev,
  ram: boolean,
  size: bigint,
): bigint {
  const name = memdevName(m);
  const cmd = cmdNewIdentify(m);
  if (!cmd) return U64_MAX;
  if (cmdSubmit(cmd) < 0 || cmd.status !== 0) return U64_MAX;
  const caps = identifyCaps(cmd.output);
  if (caps.partitionAlign === 0n) {
    ml.err('validate_partition', `${name}: no available capacity\n`);
    return U64_MAX;
  }
  const avail = BigInt.asUintN(64, caps.totalSize - caps.volatileOnly - caps.persistentOnly);
  let vol: bigint;
  if (size === U64_MAX) vol = ram ? avail : 0n;
  else if (size > avail) {
    ml.err(
      'param_size_to_volatile_size',
      `${name}: ${lld(size)} exceeds available capacity ${lld(avail)}\n`,
    );
    return U64_MAX;
  } else vol = ram ? size : avail - size;
  return partitionAlign(ml, param, name, ram, vol, caps.partitionAlign, avail);
}

/** action_setpartition() */
export const actionSetPartition: MemdevActionFn = (env, ml, param, m, actx) => {
  const name = memdevName(m);
  let ram = false;
  if (param.type !== undefined) {
    if (param.type === 'volatile' || param.type === 'ram') ram = true;
    else if (param.type !== 'pmem') {
      ml.err('action_setpartition', `invalid type '${param.type}'\n`);
      return negErrno('EINVAL');
    }
  }
  let size = U64_MAX;
  if (param.size !== undefined) {
    size = parseSize64(param.size);
    if (size === U64_MAX) {
      ml.err('action_setpartition', `${name}: failed to parse size option '${param.size}'\n`);
      return negErrno('EINVAL');
    }
  }
  size = validatePartition(ml, param, m, ram, size);
  if (size === U64_MAX) return negErrno('EINVAL');
  const cmd = cmdNewSetPartition(m, size);
  if (!cmd) throw new NullCommand('cxl_cmd_new_set_partition() returned NULL');
  let rc = cmdSubmit(cmd);
  if (rc < 0) ml.err('action_setpartition', `cmd submission failed: ${strerrorRc(rc)}\n`);
  else if (cmd.status !== 0) {
    ml.err('action_setpartition', `action_setpartition: mbox status: ${cmd.status}\n`);
    rc = negErrno('ENXIO');
  }
  if (rc) ml.err('action_setpartition', `${name} error: ${strerrorRc(rc)}\n`);
  let flags: number = UTIL_JSON.PARTITION;
  if (actx.outFile === undefined && env.isTty) flags |= UTIL_JSON.HUMAN;
  if (actx.jdevs) arrAdd(actx.jdevs, memdevToJson(m, flags));
  return rc;
};
