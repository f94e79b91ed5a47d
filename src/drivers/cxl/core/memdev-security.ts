/**
 * DOC: the memdev's `security/` group (drivers/cxl/core/memdev.c cxl_memdev_security_attribute_group,
 * v6.5) and the cxl_mem driver's `trigger_poison_list` (drivers/cxl/mem.c cxl_mem_attrs, v6.4).
 *
 * The group is hidden on a memdev without a cxl_memdev_state (a type-2 accelerator's), as the
 * type-2 series' `if (!mds) return 0` in cxl_memdev_security_visible() does.
 * * `security/state` (0444): "sanitize" while a Sanitize runs (the driver's `sanitize_active`,
 *   6.7+), else from the Get Security State bits; with no user passphrase set — the only state
 *   cxlsim models — "disabled".
 * * `security/sanitize`, `security/erase` (0200): visible only when the CEL enables Sanitize
 *   (0x4400) / Secure Erase (0x4401) (cxl_memdev_security_visible()): QEMU ≥ 8.2 lists
 *   Sanitize, no QEMU lists Secure Erase. A true value runs cxl_mem_sanitize()
 *   (drivers/cxl/core/security.ts): EBUSY while a decoder is committed.
 * * `trigger_poison_list` (0200): visible while cxl_mem is bound and Get Poison List (0x4300) is
 *   enabled (cxl_mem_visible()). A write of a true value reads the poison list
 *   (cxl_trigger_poison_list(), core/poison.ts): one cxl_poison trace event per record.
 */

import type { Attribute, AttributeGroup } from '../../../kernel/device.ts';
import { Errno } from '../../../kernel/errno.ts';
import { kstrtobool } from '../../../sysfs/format.ts';
import { runPendingWork } from '../../workqueue.ts';
import type { CxlMemdev } from './memdev.ts';
import { cxlSanitizeRunning } from './pci-sanitize.ts';
import { cxlTriggerPoisonList } from './poison.ts';
import { rasKver } from './ras-kver.ts';
import { cxlMemSanitize } from './security.ts';

/** CXL_MBOX_OP_SANITIZE, CXL_MBOX_OP_SECURE_ERASE, CXL_MBOX_OP_GET_POISON. */
const OP_SANITIZE = 0x4400;
const OP_SECURE_ERASE = 0x4401;
const OP_GET_POISON = 0x4300;

/**
 * security_sanitize_store() / security_erase_store(): a true kstrtobool() value runs
 * cxl_mem_sanitize(). @throws EINVAL for another value; cxl_mem_sanitize()'s errno (EBUSY
 * while a decoder is committed)
 */
function securityStore(m: CxlMemdev, buf: string, op: number): void {
  let on: boolean;
  try {
    on = kstrtobool(buf);
  } catch {
    throw new Errno('EINVAL', 'not a boolean', m.name);
  }
  if (!on) throw new Errno('EINVAL', 'not a true value', m.name);
  cxlMemSanitize(m, op);
}

/**
 * security_state_show(): "sanitize" while a sanitize runs (pci-sanitize.ts
 * cxlSanitizeRunning()), else "disabled" (no passphrase is ever set here). The guest's deferred
 * work due by now (the sanitize poll, the device's completion interrupt) runs first, as a real
 * guest's would have meanwhile.
 */
function securityStateShow(m: CxlMemdev): string {
  runPendingWork(m.ctx);
  return cxlSanitizeRunning(m.cxlds) ? 'sanitize\n' : 'disabled\n';
}

/** `security/` (v6.5). */
export function memdevSecurityGroup(): AttributeGroup<CxlMemdev> {
  const wo = (name: string, op: number): Attribute<CxlMemdev> => ({
    name,
    mode: 0o200,
    store: (m, buf) => securityStore(m, buf, op),
    isVisible: (m) => m.cxlds.enabledCmds.has(op),
  });
  return {
    name: 'security',
    isVisible: (m) => rasKver(m, 'sanitize') && !m.cxlds.isType2,
    attrs: [
      { name: 'state', mode: 0o444, show: securityStateShow },
      wo('sanitize', OP_SANITIZE),
      wo('erase', OP_SECURE_ERASE),
    ],
  };
}

/**
 * trigger_poison_list_store() / cxl_trigger_poison_list().
 * @throws EINVAL when the value is not a true kstrtobool() value, or the memdev has no endpoint
 */
function triggerPoisonList(m: CxlMemdev, buf: string): void {
  let on: boolean;
  try {
    on = kstrtobool(buf);
  } catch {
    throw new Errno('EINVAL', 'trigger_poison_list: not a boolean', m.name);
  }
  if (!on) throw new Errno('EINVAL', 'trigger_poison_list: not a true value', m.name);
  cxlTriggerPoisonList(m);
}

/** `trigger_poison_list` (the cxl_mem driver's attribute, v6.4). */
export function triggerPoisonListAttr(): Attribute<CxlMemdev> {
  return {
    name: 'trigger_poison_list',
    mode: 0o200,
    store: triggerPoisonList,
    isVisible: (m) =>
      rasKver(m, 'poisonList') &&
      m.driver?.name === 'cxl_mem' &&
      m.cxlds.enabledCmds.has(OP_GET_POISON),
  };
}
