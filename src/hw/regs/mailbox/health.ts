/**
 * DOC: Health Info and Alerts command set (0x42xx) — CXL 3.1 §8.2.9.9.3.
 *
 * Get/Set Alert Configuration (0x4201/0x4202) as QEMU ≥ 10.1 (cmd_get_alert_config(),
 * cmd_set_alert_config()): 16-byte configuration; Set takes 12 bytes (valid alert actions,
 * enable alert actions, life used warning, reserved, over/under-temperature warnings,
 * corrected volatile/persistent error warnings) and rejects a warning threshold not below
 * (above, for under-temperature) its critical one with INPUT. Get Health Info (0x4200) is not
 * implemented by QEMU; cxlsim's handler (enabled through MemDevState.extraOpcodes, e.g. for
 * cxl_test-like devices) answers the 0x12-byte payload of MemDevState.health.
 */
import { ownAlertConfig } from '../memdev-state.ts';
import { EFFECT, le, MBOX_RC, type MboxCommand, type MboxContext, rc } from './types.ts';

/** Alert bits of Valid/Enable Alert Actions (Table 8-136). */
export const ALERT = {
  LIFE_USED_WARN: 1 << 0,
  OVER_TEMP_WARN: 1 << 1,
  UNDER_TEMP_WARN: 1 << 2,
  COR_VMEM_ERR_WARN: 1 << 3,
  COR_PMEM_ERR_WARN: 1 << 4,
} as const;
/** Get Health Info output size. */
export const HEALTH_INFO_SIZE = 0x12;

function getHealthInfo(ctx: MboxContext) {
  const h = ctx.state.health;
  const p = le(ctx.out);
  p.set8(0, h.healthStatus);
  p.set8(1, h.mediaStatus);
  p.set8(2, h.additionalStatus);
  p.set8(3, h.lifeUsed);
  p.set16(4, h.temperature);
  p.set32(6, h.dirtyShutdowns);
  p.set32(0xa, h.correctedVolatileErrors);
  p.set32(0xe, h.correctedPersistentErrors);
  return rc(MBOX_RC.SUCCESS, HEALTH_INFO_SIZE);
}

function getAlertConfig(ctx: MboxContext) {
  const a = ctx.state.alert;
  const p = le(ctx.out);
  p.set8(0, a.validAlerts);
  p.set8(1, a.enableAlerts);
  p.set8(2, a.lifeUsedCritical);
  p.set8(3, a.lifeUsedWarning);
  p.set16(4, a.overTempCritical);
  p.set16(6, a.underTempCritical);
  p.set16(8, a.overTempWarning);
  p.set16(0xa, a.underTempWarning);
  p.set16(0xc, a.correctedVolatileWarning);
  p.set16(0xe, a.correctedPersistentWarning);
  return rc(MBOX_RC.SUCCESS, 0x10);
}

function setAlertConfig(ctx: MboxContext) {
  const a = ownAlertConfig(ctx.state);
  const p = le(ctx.input);
  const valid = p.u8(0);
  if (valid & ALERT.LIFE_USED_WARN) {
    if (p.u8(2) >= a.lifeUsedCritical) return rc(MBOX_RC.INPUT);
    a.lifeUsedWarning = p.u8(2);
    a.enableAlerts |= ALERT.LIFE_USED_WARN;
  }
  if (valid & ALERT.OVER_TEMP_WARN) {
    if (p.u16(4) >= a.overTempCritical) return rc(MBOX_RC.INPUT);
    a.overTempWarning = p.u16(4);
    a.enableAlerts |= ALERT.OVER_TEMP_WARN;
  }
  if (valid & ALERT.UNDER_TEMP_WARN) {
    if (p.u16(6) <= a.underTempCritical) return rc(MBOX_RC.INPUT);
    a.underTempWarning = p.u16(6);
    a.enableAlerts |= ALERT.UNDER_TEMP_WARN;
  }
  if (valid & ALERT.COR_VMEM_ERR_WARN) {
    a.correctedVolatileWarning = p.u16(8);
    a.enableAlerts |= ALERT.COR_VMEM_ERR_WARN;
  }
  if (valid & ALERT.COR_PMEM_ERR_WARN) {
    a.correctedPersistentWarning = p.u16(0xa);
    a.enableAlerts |= ALERT.COR_PMEM_ERR_WARN;
  }
  return rc(MBOX_RC.SUCCESS);
}

/** Alert configuration commands (QEMU ≥ 9.2). */
export function alertCommands(): MboxCommand[] {
  return [
    {
      opcode: 0x4201,
      name: 'HEALTH_INFO_ALERTS_GET_ALERT_CONFIG',
      inLen: 0,
      effect: 0,
      handler: getAlertConfig,
    },
    {
      opcode: 0x4202,
      name: 'HEALTH_INFO_ALERTS_SET_ALERT_CONFIG',
      inLen: 12,
      effect: EFFECT.IMMEDIATE_POLICY_CHANGE,
      handler: setAlertConfig,
    },
  ];
}

/** Get Health Info — cxlsim only (not in QEMU); enable with MemDevState.extraOpcodes. */
export const GET_HEALTH_INFO: MboxCommand = {
  opcode: 0x4200,
  name: 'HEALTH_INFO_ALERTS_GET_HEALTH_INFO',
  inLen: 0,
  effect: 0,
  handler: getHealthInfo,
};
