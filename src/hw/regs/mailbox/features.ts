/**
 * DOC: Features (0x0500–0x0502, QEMU ≥ 9.1) and Perform Maintenance (0x0600, QEMU ≥ 10.1) —
 * CXL 3.1 §8.2.9.6 and §8.2.9.7. Listed in the CEL as QEMU lists them; their content (patrol
 * scrub, ECS, PPR and sparing features) is not modelled: cxlsim's device reports no supported
 * feature (Get Supported Features: 0 entries, the kernel then logs "No CXL Features
 * discovered" as the latest capture shows), answers UNSUPPORTED for Get/Set Feature of any
 * UUID and INPUT for any maintenance operation class (QEMU's answer for a class it lacks).
 */
import { EFFECT, le, MBOX_RC, type MboxCommand, type MboxContext, rc, VAR } from './types.ts';

function getSupported(ctx: MboxContext) {
  const o = le(ctx.out);
  o.set16(0, 0);
  o.set16(2, 0);
  o.set32(4, 0);
  return rc(MBOX_RC.SUCCESS, 8);
}

const unsupported = () => rc(MBOX_RC.UNSUPPORTED);

/** Features commands. */
export function featureCommands(): MboxCommand[] {
  return [
    {
      opcode: 0x0500,
      name: 'FEATURES_GET_SUPPORTED',
      inLen: 0x8,
      effect: 0,
      handler: getSupported,
    },
    { opcode: 0x0501, name: 'FEATURES_GET_FEATURE', inLen: 0x15, effect: 0, handler: unsupported },
    {
      opcode: 0x0502,
      name: 'FEATURES_SET_FEATURE',
      inLen: VAR,
      effect:
        EFFECT.IMMEDIATE_CONFIG_CHANGE |
        EFFECT.IMMEDIATE_DATA_CHANGE |
        EFFECT.IMMEDIATE_POLICY_CHANGE |
        EFFECT.IMMEDIATE_LOG_CHANGE |
        EFFECT.SECURITY_STATE_CHANGE,
      handler: unsupported,
    },
  ];
}

/** Perform Maintenance. */
export const MAINTENANCE: MboxCommand = {
  opcode: 0x0600,
  name: 'MAINTENANCE_PERFORM',
  inLen: VAR,
  effect:
    EFFECT.IMMEDIATE_CONFIG_CHANGE |
    EFFECT.IMMEDIATE_DATA_CHANGE |
    EFFECT.IMMEDIATE_LOG_CHANGE |
    EFFECT.BACKGROUND_OPERATION,
  handler: () => rc(MBOX_RC.INPUT),
};
