/**
 * DOC: Timestamp command set (0x03xx) — CXL 3.1 §8.2.9.4 (QEMU cmd_timestamp_get/set).
 *
 * Get answers 0 until the host sets it, then the host's value plus the device time elapsed.
 */
import { deviceTimestamp } from '../memdev-state.ts';
import { EFFECT, le, MBOX_RC, type MboxCommand, type MboxContext, rc } from './types.ts';

function getTimestamp(ctx: MboxContext) {
  le(ctx.out).set64(0, deviceTimestamp(ctx.state));
  return rc(MBOX_RC.SUCCESS, 8);
}

function setTimestamp(ctx: MboxContext) {
  const s = ctx.state;
  s.timestamp = { set: true, hostSet: le(ctx.input).u64(0), lastSet: s.clock.now() };
  return rc(MBOX_RC.SUCCESS);
}

/** Timestamp commands. */
export function timestampCommands(): MboxCommand[] {
  return [
    { opcode: 0x0300, name: 'TIMESTAMP_GET', inLen: 0, effect: 0, handler: getTimestamp },
    {
      opcode: 0x0301,
      name: 'TIMESTAMP_SET',
      inLen: 8,
      effect: EFFECT.IMMEDIATE_POLICY_CHANGE,
      handler: setTimestamp,
    },
  ];
}
