/**
 * DOC: Capacity Configuration and Label Storage command set (0x41xx) — CXL 3.1 §8.2.9.9.2.
 *
 * Get Partition Info (0x4100): active volatile / persistent in 256 MiB units, next values 0.
 * Get LSA (0x4102): offset u32, length u32 → data; INPUT when offset + length passes the LSA
 * (QEMU), or when length passes the payload (cxlsim; QEMU would overrun). Set LSA (0x4103):
 * offset u32, reserved u32, data; INPUT when offset + data passes the LSA. Set Partition Info
 * (0x4101) is not in QEMU's command set (UNSUPPORTED there); cxlsim's optional handler accepts
 * nothing, since partition alignment is 0 (not partitionable).
 */
import { SZ_256M } from '../bits.ts';
import { qemuMboxHas } from './qemu-since.ts';
import { EFFECT, le, MBOX_RC, type MboxCommand, type MboxContext, rc, VAR } from './types.ts';

/** Set LSA header: offset u32 + reserved u32. */
const SET_LSA_HDR = 8;

function getPartitionInfo(ctx: MboxContext) {
  const s = ctx.state;
  if (s.volatileSize % SZ_256M !== 0n || s.persistentSize % SZ_256M !== 0n)
    return rc(MBOX_RC.INTERNAL);
  const p = le(ctx.out);
  ctx.out.fill(0, 0, 0x20);
  p.set64(0, s.volatileSize / SZ_256M);
  p.set64(8, s.persistentSize / SZ_256M);
  return rc(MBOX_RC.SUCCESS, 0x20);
}

function setPartitionInfo(ctx: MboxContext) {
  if (ctx.input.length < 9) return rc(MBOX_RC.PAYLOADLEN);
  return rc(MBOX_RC.UNSUPPORTED);
}

function getLsa(ctx: MboxContext) {
  const p = le(ctx.input);
  const offset = p.u32(0);
  const length = p.u32(4);
  if (offset + length > ctx.state.lsaSize || length > ctx.payloadSize) return rc(MBOX_RC.INPUT);
  ctx.out.set(ctx.state.lsa.subarray(offset, offset + length));
  return rc(MBOX_RC.SUCCESS, length);
}

function setLsa(ctx: MboxContext) {
  const n = ctx.input.length;
  if (!qemuMboxHas(ctx.state.qemu, 'setLsaEmptyChecked') && n === 0) return rc(MBOX_RC.SUCCESS);
  if (n < SET_LSA_HDR) return rc(MBOX_RC.PAYLOADLEN);
  const offset = le(ctx.input).u32(0);
  if (offset + n > ctx.state.lsaSize + SET_LSA_HDR) return rc(MBOX_RC.INPUT);
  ctx.state.lsa.set(ctx.input.subarray(SET_LSA_HDR), offset);
  return rc(MBOX_RC.SUCCESS);
}

/** CCLS commands QEMU implements. */
export function cclsCommands(): MboxCommand[] {
  return [
    {
      opcode: 0x4100,
      name: 'CCLS_GET_PARTITION_INFO',
      inLen: 0,
      effect: 0,
      handler: getPartitionInfo,
    },
    { opcode: 0x4102, name: 'CCLS_GET_LSA', inLen: 8, effect: 0, handler: getLsa },
    {
      opcode: 0x4103,
      name: 'CCLS_SET_LSA',
      inLen: VAR,
      effect: EFFECT.IMMEDIATE_CONFIG_CHANGE | EFFECT.IMMEDIATE_DATA_CHANGE,
      handler: setLsa,
    },
  ];
}

/** Set Partition Info — cxlsim only (not in QEMU); enable with MemDevState.extraOpcodes. */
export const SET_PARTITION_INFO: MboxCommand = {
  opcode: 0x4101,
  name: 'CCLS_SET_PARTITION_INFO',
  inLen: VAR,
  effect: EFFECT.CONFIG_CHANGE_COLD_RESET | EFFECT.IMMEDIATE_CONFIG_CHANGE,
  handler: setPartitionInfo,
};
