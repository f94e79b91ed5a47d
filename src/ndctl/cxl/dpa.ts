/**
 * DOC: `cxl reserve-dpa` and `cxl free-dpa` — cxl/memdev.c __reserve_dpa().
 *
 * reserve: the type (-t, default ram) sets the partition whose free capacity is the partition
 * size minus the dpa_size of every endpoint decoder already in that mode; the target is the first
 * decoder (id order) with no DPA; a mode change writes dpa_size 0 and the mode first; then
 * dpa_size ← -s or all that is free. free: scanning decoders from the highest id, the first one
 * holding DPA but no HPA (an active decoder stops the scan), dpa_size ← -s or 0. -d names the
 * decoder (an ordinal or a decoder name) and must be the one chosen, unless --force. Each memdev
 * then prints as JSON with the decoder nested under "decoder".
 */

import { cxlDecoders, decoderName, decoderSetDpaSize, decoderSetMode } from '../lib/decoder.ts';
import { memdevEndpoint, memdevName } from '../lib/memdev.ts';
import { negErrno } from '../lib/sysfs.ts';
import { type CxlDecoder, DECODER_MODE, type DecoderMode } from '../lib/types.ts';
import { strtoullEnd, U64_MAX } from '../util/cstr.ts';
import { arrAdd, objAdd } from '../util/jsonc.ts';
import { UTIL_JSON } from '../util/print.ts';
import { parseSize64 } from '../util/size.ts';
import { decoderFilter } from './filter.ts';
import { decoderToJson, memdevToJson } from './json.ts';
import type { MemdevActionFn } from './memdev.ts';

/** cxl_decoder_mode_from_ident() */
function modeFromIdent(s: string): DecoderMode {
  if (s === 'ram' || s === 'volatile') return DECODER_MODE.RAM;
  if (s === 'pmem') return DECODER_MODE.PMEM;
  return DECODER_MODE.NONE;
}

/** __reserve_dpa() for DPA_ALLOC (`alloc`) or DPA_FREE. */
function reserveDpa(alloc: boolean): MemdevActionFn {
  return (env, ml, param, m, actx) => {
    const name = memdevName(m);
    const fn = '__reserve_dpa';
    let mode: DecoderMode = DECODER_MODE.RAM;
    if (param.type !== undefined) {
      mode = modeFromIdent(param.type);
      if (mode === DECODER_MODE.NONE) {
        ml.err(fn, `${name}: unsupported type: ${param.type}\n`);
        return negErrno('EINVAL');
      }
    }
    const ep = memdevEndpoint(m);
    if (!ep) {
      ml.err(fn, `${name}: CXL operation disabled\n`);
      return negErrno('ENXIO');
    }
    const decoders = cxlDecoders(ep);
    let avail = mode === DECODER_MODE.RAM ? m.ramSize : m.pmemSize;
    for (const d of decoders) {
      if (d.dpaSize === U64_MAX || d.mode !== mode) continue;
      if (d.dpaSize > avail) {
        ml.err(fn, `${name}: capacity accounting error\n`);
        return negErrno('ENXIO');
      }
      avail -= d.dpaSize;
    }
    let size: bigint;
    if (param.size === undefined) {
      size = alloc ? avail : 0n;
      if (alloc && !avail) {
        ml.err(fn, `${name}: no available capacity\n`);
        return negErrno('ENOSPC');
      }
    } else {
      size = parseSize64(param.size);
      if (size === U64_MAX) {
        ml.err(fn, `${name}: failed to parse size option '${param.size}'\n`);
        return negErrno('EINVAL');
      }
      if (size > avail) {
        ml.err(fn, `${name}: '${param.size}' exceeds available capacity\n`);
        if (!param.force) return negErrno('ENOSPC');
      }
    }
    const order = alloc ? decoders : [...decoders].reverse();
    let auto: CxlDecoder | undefined;
    for (const d of order) {
      if (alloc) {
        if (d.dpaSize === 0n) {
          auto = d;
          break;
        }
        continue;
      }
      if (!d.dpaSize) continue;
      if (d.size) break; // an active decoder: every one before it is active too
      if (d.dpaSize < U64_MAX) {
        auto = d;
        break;
      }
    }
    let target: CxlDecoder | undefined;
    if (param.decoderFilter !== undefined) {
      const { value, end } = strtoullEnd(param.decoderFilter, 0);
      const id = BigInt.asIntN(64, value);
      const ident =
        end === param.decoderFilter.length ? `decoder${ep.id}.${id}` : param.decoderFilter;
      if (ident.length >= 256) {
        ml.err(fn, `${name}: decoder filter '${param.decoderFilter}' too long\n`);
        return negErrno('EINVAL');
      }
      target = order.find((d) => decoderFilter(d, ident));
      if (!target) {
        ml.err(fn, `${name}: no match for decoder: '${param.decoderFilter}'\n`);
        return negErrno('ENXIO');
      }
      if (target !== auto) {
        ml.err(fn, `${name}: ${decoderName(target)} is out of sequence\n`);
        if (!param.force) return negErrno('EINVAL');
      }
    }
    target ??= auto;
    if (!target) {
      ml.err(fn, `${name}: no suitable decoder found\n`);
      return negErrno('ENXIO');
    }
    const dname = decoderName(target);
    let rc: number;
    if (target.mode !== mode) {
      rc = decoderSetDpaSize(target, 0n);
      if (rc) {
        ml.err(fn, `${name}: ${dname}: failed to clear allocation to set mode\n`);
        return rc;
      }
      rc = decoderSetMode(target, mode);
      if (rc) {
        ml.err(
          fn,
          `${name}: ${dname}: failed to set ${mode === DECODER_MODE.PMEM ? 'pmem' : 'ram'} mode\n`,
        );
        return rc;
      }
    }
    rc = decoderSetDpaSize(target, size);
    if (rc) {
      ml.err(fn, `${name}: ${dname}: failed to set dpa allocation\n`);
      return rc;
    }
    const flags = actx.outFile === undefined && env.isTty ? UTIL_JSON.HUMAN : 0;
    const jdev = memdevToJson(m, flags);
    objAdd(jdev, 'decoder', decoderToJson(target, flags));
    if (actx.jdevs) arrAdd(actx.jdevs, jdev);
    return 0;
  };
}

/** action_reserve_dpa() */
export const actionReserveDpa: MemdevActionFn = reserveDpa(true);

/** action_free_dpa() */
export const actionFreeDpa: MemdevActionFn = reserveDpa(false);
