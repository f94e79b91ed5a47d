/**
 * DOC: the libcxl mailbox commands the state-changing commands send (cxl/lib/libcxl.c
 * cxl_cmd_submit(), cxl_cmd_new_identify(), cxl_cmd_new_set_partition(), the label commands and
 * lsa_op()), over the memdev ioctls.
 *
 * Label transfers are split into chunks of payload_max − 8 bytes (sizeof(struct cxl_cmd_set_lsa)),
 * each a GET_LSA (in: le32 offset, le32 length; out: the data) or SET_LSA (in: le32 offset,
 * le32 reserved, data) command — CXL 3.1 §8.2.9.9.2.3 and §8.2.9.9.2.4. A command the memdev
 * does not support makes the label helpers return -ENOMEM, as libcxl's NULL command does.
 */
import { isErrno } from '../../kernel/errno.ts';
import { ndctlHas } from '../versions.ts';
import { type CxlCmd, cmdNewGeneric } from './cmd.ts';
import { CXL_CAPACITY_MULTIPLIER, CXL_MEM_COMMAND_ID, IDENTIFY, leField } from './ioctl.ts';
import { memdevName } from './memdev.ts';
import { negErrno, strerrorRc } from './sysfs.ts';
import type { CxlMemdev } from './types.ts';

/** sizeof(struct cxl_cmd_set_lsa): offset and reserved, before the data. */
const SET_LSA_HDR = 8;

/**
 * cxl_cmd_submit(): sends the command with `payload` as input and room for `sizeOut` bytes.
 * @returns 0 or the ioctl's negative errno; the mailbox return code lands in cmd.status
 */
export function cmdSubmit(cmd: CxlCmd, payload = cmd.input, sizeOut = cmd.sizeOut): number {
  const ctx = cmd.memdev.ctx;
  if (!ctx.ioctl) return negErrno('ENOTTY');
  const r = ctx.ioctl.send(memdevName(cmd.memdev), { id: cmd.id, payload, sizeOut });
  if (isErrno(r)) return r.errno;
  cmd.status = r.retval;
  cmd.output = new Uint8Array(sizeOut);
  cmd.output.set(r.out.subarray(0, sizeOut));
  return 0;
}

/** What IDENTIFY reports about capacity (bytes). */
export interface IdentifyCaps {
  totalSize: bigint;
  volatileOnly: bigint;
  persistentOnly: bigint;
  partitionAlign: bigint;
}

/** The capacity fields of an IDENTIFY output, in bytes (cxl_capacity_to_bytes()). */
export function identifyCaps(out: Uint8Array): IdentifyCaps {
  const cap = (off: number): bigint =>
    BigInt.asUintN(64, leField(out, off, 8) * CXL_CAPACITY_MULTIPLIER);
  return {
    totalSize: cap(IDENTIFY.TOTAL_CAPACITY),
    volatileOnly: cap(IDENTIFY.VOLATILE_CAPACITY),
    persistentOnly: cap(IDENTIFY.PERSISTENT_CAPACITY),
    partitionAlign: cap(IDENTIFY.PARTITION_ALIGN),
  };
}

/** cxl_cmd_new_identify() */
export function cmdNewIdentify(m: CxlMemdev): CxlCmd | undefined {
  return cmdNewGeneric(m, CXL_MEM_COMMAND_ID.IDENTIFY);
}

/**
 * cxl_cmd_new_set_partition(): le64 volatile capacity in 256 MiB units, flags 0 (neither ndctl
 * release sets CXL_CMD_SET_PARTITION_FLAG_IMMEDIATE). Undefined when the memdev lacks the
 * command, where libcxl itself dereferences NULL.
 */
export function cmdNewSetPartition(m: CxlMemdev, volatileSize: bigint): CxlCmd | undefined {
  const cmd = cmdNewGeneric(m, CXL_MEM_COMMAND_ID.SET_PARTITION_INFO);
  if (!cmd) return undefined;
  const units = volatileSize / CXL_CAPACITY_MULTIPLIER;
  const dv = new DataView(cmd.input.buffer, cmd.input.byteOffset, cmd.input.byteLength);
  if (cmd.input.byteLength >= 8) dv.setBigUint64(0, BigInt.asUintN(64, units), true);
  return cmd;
}

type LsaOp = 'get' | 'set' | 'zero';

/** __lsa_op(): one GET_LSA / SET_LSA command of at most payload_max − 8 bytes. */
function lsaChunk(m: CxlMemdev, op: LsaOp, buf: Uint8Array, offset: number): number {
  const ctx = m.ctx;
  const name = memdevName(m);
  const length = buf.length;
  const id = op === 'get' ? CXL_MEM_COMMAND_ID.GET_LSA : CXL_MEM_COMMAND_ID.SET_LSA;
  const cmd = cmdNewGeneric(m, id);
  if (!cmd) return negErrno('ENOMEM');
  let payload: Uint8Array;
  let sizeOut = cmd.sizeOut;
  if (op === 'get') {
    if (length > m.payloadMax) {
      ctx.out.log(
        'libcxl',
        '__lsa_op',
        `${name}: cmd setup failed: ${strerrorRc(negErrno('EINVAL'))}\n`,
      );
      return negErrno('EINVAL');
    }
    payload = new Uint8Array(8);
    const dv = new DataView(payload.buffer);
    dv.setUint32(0, offset >>> 0, true);
    dv.setUint32(4, length >>> 0, true);
    sizeOut = length;
  } else {
    if (SET_LSA_HDR + length > m.payloadMax) {
      const why = strerrorRc(negErrno('EINVAL'));
      ctx.out.log('libcxl', 'cxl_cmd_new_write_label', `${name}: cmd setup failed: ${why}\n`);
      return negErrno('ENOMEM');
    }
    payload = new Uint8Array(SET_LSA_HDR + length);
    new DataView(payload.buffer).setUint32(0, offset >>> 0, true);
    if (op === 'set') payload.set(buf, SET_LSA_HDR);
  }
  const rc = cmdSubmit(cmd, payload, sizeOut);
  if (rc < 0) {
    ctx.out.log('libcxl', '__lsa_op', `${name}: cmd submission failed: ${strerrorRc(rc)}\n`);
    return rc;
  }
  if (cmd.status !== 0) {
    ctx.out.log('libcxl', '__lsa_op', `${name}: firmware status: ${cmd.status}\n`);
    return negErrno('ENXIO');
  }
  if (op === 'get') {
    if (cmd.status < 0) return cmd.status;
    buf.set(cmd.output.subarray(0, length));
  }
  return 0;
}

/**
 * lsa_op(): reads into / writes from `buf` (zeroes for 'zero') `buf.length` bytes of the label
 * area at `offset`, chunk by chunk. @returns 0 or a negative errno
 */
export function lsaOp(m: CxlMemdev, op: LsaOp, buf: Uint8Array, offset: number): number {
  const ctx = m.ctx;
  if (buf.length === 0) return 0;
  if (ndctlHas(ctx.ndctl, 'labelSizeUnknownChecks') && m.payloadMax < 0) return negErrno('EINVAL');
  const iterMax = m.payloadMax - SET_LSA_HDR;
  let rc = 0;
  let cur = 0;
  while (cur < buf.length) {
    // (size_t)label_iter_max: a negative maximum is huge; zero would loop forever in C
    const len = iterMax < 0 ? buf.length - cur : Math.min(iterMax, buf.length - cur);
    if (len === 0) {
      rc = negErrno('EINVAL');
      break;
    }
    rc = lsaChunk(m, op, buf.subarray(cur, cur + len), offset + cur);
    if (rc) break;
    cur += len;
  }
  if (rc && op === 'set')
    ctx.out.log('libcxl', 'lsa_op', `${memdevName(m)}: labels may be in an inconsistent state\n`);
  return rc;
}
