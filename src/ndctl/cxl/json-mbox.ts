/**
 * DOC: the memdev objects ndctl fills from mailbox commands (cxl/json.c
 * util_cxl_memdev_health_to_json(), _alert_config_to_json(), _partition_to_json() and, in 85,
 * _fw_to_json()).
 *
 * Each returns undefined (key left out, silently) when the command cannot be built, the ioctl
 * fails or the mailbox returns an error. Field reads follow libcxl's accessors, quirks included:
 * life_used 0xff and temperature 0xffff are -EOPNOTSUPP there, which json-c prints as -95.
 */

import { cmdNewGeneric, cmdSubmitOk } from '../lib/cmd.ts';
import {
  ALERT_CONFIG,
  CXL_CAPACITY_MULTIPLIER,
  cString,
  FW_INFO,
  HEALTH_INFO,
  CXL_MEM_COMMAND_ID as ID,
  IDENTIFY,
  leField,
  PARTITION_INFO,
} from '../lib/ioctl.ts';
import { memdevName } from '../lib/memdev.ts';
import { readAttr } from '../lib/sysfs.ts';
import type { CxlMemdev } from '../lib/types.ts';
import { strtoull, U64_MAX } from '../util/cstr.ts';
import { sizeObj } from '../util/json.ts';
import { type JObj, jBool, jInt, jObj, jStr, jU64, objAdd } from '../util/jsonc.ts';

/** Runs a command; its output payload, or undefined on any failure. */
function run(m: CxlMemdev, id: number): Uint8Array | undefined {
  const cmd = cmdNewGeneric(m, id);
  if (!cmd || !cmdSubmitOk(cmd)) return undefined;
  return cmd.output;
}

const capacity = (buf: Uint8Array, off: number): bigint =>
  BigInt.asUintN(64, leField(buf, off, 8) * CXL_CAPACITY_MULTIPLIER);

/** util_cxl_memdev_health_to_json() */
export function healthToJson(m: CxlMemdev): JObj | undefined {
  const p = run(m, ID.GET_HEALTH_INFO);
  if (!p) return undefined;
  const o = jObj();
  const hs = p[HEALTH_INFO.HEALTH_STATUS] ?? 0;
  const ms = p[HEALTH_INFO.MEDIA_STATUS] ?? 0;
  const ext = p[HEALTH_INFO.EXT_STATUS] ?? 0;
  objAdd(o, 'maintenance_needed', jBool(hs & 1));
  objAdd(o, 'performance_degraded', jBool(hs & 2));
  objAdd(o, 'hw_replacement_needed', jBool(hs & 4));
  const media = [
    'media_normal',
    'media_not_ready',
    'media_persistence_lost',
    'media_data_lost',
    'media_powerloss_persistence_loss',
    'media_shutdown_persistence_loss',
    'media_persistence_loss_imminent',
    'media_powerloss_data_loss',
    'media_shutdown_data_loss',
    'media_data_loss_imminent',
  ];
  media.forEach((key, i) => {
    objAdd(o, key, jBool(ms === i));
  });
  const level3 = (v: number): string =>
    v === 0 ? 'normal' : v === 1 ? 'warning' : v === 2 ? 'critical' : 'unknown';
  objAdd(o, 'ext_life_used', jStr(level3(ext & 3)));
  objAdd(o, 'ext_temperature', jStr(level3((ext >> 2) & 3)));
  objAdd(o, 'ext_corrected_volatile', jStr((ext >> 4) & 1 ? 'warning' : 'normal'));
  objAdd(o, 'ext_corrected_persistent', jStr((ext >> 5) & 1 ? 'warning' : 'normal'));
  const eopnotsupp = 0xffffffa1; // (u32)-EOPNOTSUPP
  const life = p[HEALTH_INFO.LIFE_USED] ?? 0;
  const lifeField = life === 0xff ? eopnotsupp : life;
  if (lifeField !== 0xff) objAdd(o, 'life_used_percent', jInt(lifeField));
  const temp = Number(leField(p, HEALTH_INFO.TEMPERATURE, 2));
  const tempField = temp === 0xffff ? eopnotsupp : temp;
  if (tempField !== 0xffff) objAdd(o, 'temperature', jInt(tempField));
  objAdd(o, 'dirty_shutdowns', jU64(leField(p, HEALTH_INFO.DIRTY_SHUTDOWNS, 4)));
  objAdd(o, 'volatile_errors', jU64(leField(p, HEALTH_INFO.VOLATILE_ERRORS, 4)));
  objAdd(o, 'pmem_errors', jU64(leField(p, HEALTH_INFO.PMEM_ERRORS, 4)));
  return o;
}

/** util_cxl_memdev_alert_config_to_json() */
export function alertConfigToJson(m: CxlMemdev): JObj | undefined {
  const p = run(m, ID.GET_ALERT_CONFIG);
  if (!p) return undefined;
  const o = jObj();
  const names = [
    'life_used',
    'dev_over_temperature',
    'dev_under_temperature',
    'corrected_volatile_mem_err',
    'corrected_pmem_err',
  ];
  const valid = p[ALERT_CONFIG.VALID_ALERTS] ?? 0;
  const prog = p[ALERT_CONFIG.PROGRAMMABLE_ALERTS] ?? 0;
  for (const [i, n] of names.entries())
    objAdd(o, `${n}_prog_warn_threshold_valid`, jBool(valid & (1 << i)));
  for (const [i, n] of names.entries())
    objAdd(o, `${n}_prog_warn_threshold_writable`, jBool(prog & (1 << i)));
  const u16 = (off: number): number => Number(leField(p, off, 2));
  objAdd(o, 'life_used_crit_alert_threshold', jInt(p[ALERT_CONFIG.LIFE_USED_CRIT] ?? 0));
  objAdd(o, 'life_used_prog_warn_threshold', jInt(p[ALERT_CONFIG.LIFE_USED_PROG_WARN] ?? 0));
  objAdd(o, 'dev_over_temperature_crit_alert_threshold', jInt(u16(ALERT_CONFIG.OVER_TEMP_CRIT)));
  objAdd(o, 'dev_under_temperature_crit_alert_threshold', jInt(u16(ALERT_CONFIG.UNDER_TEMP_CRIT)));
  objAdd(
    o,
    'dev_over_temperature_prog_warn_threshold',
    jInt(u16(ALERT_CONFIG.OVER_TEMP_PROG_WARN)),
  );
  objAdd(
    o,
    'dev_under_temperature_prog_warn_threshold',
    jInt(u16(ALERT_CONFIG.UNDER_TEMP_PROG_WARN)),
  );
  objAdd(
    o,
    'corrected_volatile_mem_err_prog_warn_threshold',
    jInt(u16(ALERT_CONFIG.CORR_VOLATILE_PROG_WARN)),
  );
  objAdd(o, 'corrected_pmem_err_prog_warn_threshold', jInt(u16(ALERT_CONFIG.CORR_PMEM_PROG_WARN)));
  return o;
}

/**
 * util_cxl_memdev_partition_to_json(): IDENTIFY's capacities, then — only when the partition
 * alignment is not 0 — GET_PARTITION_INFO's active/next sizes.
 */
export function partitionToJson(m: CxlMemdev, flags: number): JObj | undefined {
  const p = run(m, ID.IDENTIFY);
  if (!p) return undefined;
  const o = jObj();
  const fields: Array<[string, number]> = [
    ['total_size', IDENTIFY.TOTAL_CAPACITY],
    ['volatile_only_size', IDENTIFY.VOLATILE_CAPACITY],
    ['persistent_only_size', IDENTIFY.PERSISTENT_CAPACITY],
  ];
  for (const [key, off] of fields) {
    const cap = capacity(p, off);
    if (cap !== U64_MAX) objAdd(o, key, sizeObj(cap, flags));
  }
  const align = capacity(p, IDENTIFY.PARTITION_ALIGN);
  objAdd(o, 'partition_alignment_size', sizeObj(align, flags));
  if (align === 0n) return o;
  const q = run(m, ID.GET_PARTITION_INFO);
  if (!q) return o;
  const more: Array<[string, number]> = [
    ['active_volatile_size', PARTITION_INFO.ACTIVE_VOLATILE],
    ['active_persistent_size', PARTITION_INFO.ACTIVE_PERSISTENT],
    ['next_volatile_size', PARTITION_INFO.NEXT_VOLATILE],
    ['next_persistent_size', PARTITION_INFO.NEXT_PERSISTENT],
  ];
  for (const [key, off] of more) {
    const cap = capacity(q, off);
    if (cap !== U64_MAX) objAdd(o, key, sizeObj(cap, flags));
  }
  return o;
}

/** util_cxl_memdev_fw_to_json() (85): GET_FW_INFO plus the firmware loader's sysfs status. */
export function fwToJson(m: CxlMemdev, flags: number): JObj | undefined {
  const p = run(m, ID.GET_FW_INFO);
  if (!p) return undefined;
  const o = jObj();
  const numSlots = p[FW_INFO.NUM_SLOTS] ?? 0;
  const slotInfo = p[FW_INFO.SLOT_INFO] ?? 0;
  objAdd(o, 'num_slots', jInt(numSlots));
  objAdd(o, 'active_slot', jInt(slotInfo & 7));
  const staged = (slotInfo >> 3) & 7;
  if (staged > 0 && staged <= numSlots) objAdd(o, 'staged_slot', jInt(staged));
  objAdd(o, 'online_activate_capable', jBool((p[FW_INFO.ACTIVATION_CAP] ?? 0) & 1));
  for (let i = 1; i <= 4; i++) {
    const off = FW_INFO.SLOT_REVISION + (i - 1) * 16;
    if ((p[off] ?? 0) === 0) continue;
    objAdd(o, `slot_${i}_version`, jStr(cString(p, off, 16)));
  }
  const name = memdevName(m);
  const fwdir = `${m.devPath}/firmware/${name}`;
  const status = readAttr(m.ctx, `${fwdir}/status`);
  let inProgress = true;
  if (typeof status !== 'string') {
    m.ctx.out.log(
      'libcxl',
      'cxl_fwl_get_status',
      `${name}: failed to get fw loader status (${status.message})\n`,
    );
  } else inProgress = status !== 'idle';
  objAdd(o, 'fw_update_in_progress', jBool(inProgress));
  if (inProgress) {
    const rem = readAttr(m.ctx, `${fwdir}/remaining_size`);
    let remaining = 0n;
    if (typeof rem !== 'string') {
      m.ctx.out.log(
        'libcxl',
        'cxl_memdev_fw_update_get_remaining',
        `${name}: failed to get fw loader remaining size (${rem.message})\n`,
      );
    } else remaining = strtoull(rem);
    objAdd(o, 'remaining_size', sizeObj(remaining, flags));
  }
  return o;
}
