/**
 * DOC: `cxl read-labels`, `write-labels` and `zero-labels` — cxl/memdev.c action_read(),
 * action_write() and action_zero() over the GET_LSA / SET_LSA mailbox commands.
 *
 * The label area size is the memdev's label_storage_size unless -s gives a length; -O an offset.
 * read-labels writes the bytes to -o's file or to stdout (binary; cxlsim's stdout string carries
 * them as latin1 characters). write-labels reads -i's file, else stdin (a file when the caller
 * passes one, else a pipe whose size ftell() cannot tell). Writing and zeroing are refused while the memdev's nvdimm (pmemN) is
 * bound, since libnvdimm owns the labels then.
 */

import { memdevNvdimmBridgeActive } from '../lib/enable.ts';
import { lsaOp } from '../lib/mbox.ts';
import { memdevName } from '../lib/memdev.ts';
import { negErrno, strerrorRc } from '../lib/sysfs.ts';
import { ndctlHas } from '../versions.ts';
import type { MemdevActionFn } from './memdev.ts';

const SIZE_MAX = (1n << 64n) - 1n;

/** The transfer length: -s, else the label area size; undefined when that is unknown (79 on). */
function labelLength(len: number, lsaSize: bigint): bigint {
  return len ? BigInt(len) : lsaSize;
}

/** Largest buffer cxlsim allocates for a label transfer (calloc() of more fails with ENOMEM). */
const MAX_BUF = 1n << 30n;

/** action_read() */
export const actionRead: MemdevActionFn = (env, ml, param, m, actx) => {
  const size = labelLength(param.len, m.lsaSize);
  if (ndctlHas(env.ndctl, 'labelSizeUnknownChecks') && !param.len && size === SIZE_MAX)
    return negErrno('EINVAL');
  if (size > MAX_BUF) return negErrno('ENOMEM');
  const buf = new Uint8Array(Number(size));
  const rc = lsaOp(m, 'get', buf, param.offset);
  if (rc < 0) {
    ml.err('action_read', `${memdevName(m)}: label read failed: ${strerrorRc(rc)}\n`);
    return rc;
  }
  if (actx.outFile !== undefined) for (const b of buf) actx.outData.push(b);
  else env.out.stdout += Buffer.from(buf).toString('latin1');
  return rc;
};

/** action_write() */
export const actionWrite: MemdevActionFn = (env, ml, param, m, actx) => {
  const name = memdevName(m);
  if (memdevNvdimmBridgeActive(m)) {
    ml.err('action_write', `${name}: has active nvdimm bridge, abort label write\n`);
    return negErrno('EBUSY');
  }
  let size = BigInt(param.len);
  if (!size) {
    const labelSize = m.lsaSize;
    if (ndctlHas(env.ndctl, 'labelSizeUnknownChecks') && labelSize === SIZE_MAX)
      return negErrno('EINVAL');
    // ftell() of the -i file or a redirected stdin; -1 for a pipe
    size = actx.inputSized ? BigInt(actx.input.length) : SIZE_MAX;
    if (size > labelSize) {
      ml.err(
        'action_write',
        `File size (${size}) greater than label area size (${labelSize}), aborting\n`,
      );
      return negErrno('EINVAL');
    }
  }
  if (size > MAX_BUF) return negErrno('ENOMEM');
  if (BigInt(actx.input.length) < size) return negErrno('ENXIO'); // fread() came up short
  const buf = actx.input.slice(0, Number(size));
  const rc = lsaOp(m, 'set', buf, param.offset);
  if (rc < 0) ml.err('action_write', `${name}: label write failed: ${strerrorRc(rc)}\n`);
  return rc;
};

/** action_zero() */
export const actionZero: MemdevActionFn = (env, ml, param, m) => {
  const name = memdevName(m);
  const size = labelLength(param.len, m.lsaSize);
  if (ndctlHas(env.ndctl, 'labelSizeUnknownChecks') && !param.len && size === SIZE_MAX)
    return negErrno('EINVAL');
  if (memdevNvdimmBridgeActive(m)) {
    ml.err('action_zero', `${name}: has active nvdimm bridge, abort label write\n`);
    return negErrno('EBUSY');
  }
  if (size > MAX_BUF) return negErrno('ENOMEM');
  const rc = lsaOp(m, 'zero', new Uint8Array(Number(size)), param.offset);
  if (rc < 0) ml.err('action_zero', `${name}: label zeroing failed: ${strerrorRc(rc)}\n`);
  return rc;
};
