/**
 * DOC: the memdev's `security/` group (drivers/cxl/core/memdev.c cxl_memdev_security_attribute_group,
 * v6.5) and the cxl_mem driver's `trigger_poison_list` (drivers/cxl/mem.c cxl_mem_attrs, v6.4).
 *
 * The group is hidden on a memdev without a cxl_memdev_state (a type-2 accelerator's), as the
 * type-2 series' `if (!mds) return 0` in cxl_memdev_security_visible() does.
 * * `security/state` (0444): "sanitize" while a background Sanitize runs, else from the Get
 *   Security State bits; with no user passphrase set — the only state cxlsim models — "disabled".
 * * `security/sanitize`, `security/erase` (0200): visible only when the CEL enables Sanitize
 *   (0x4400) / Secure Erase (0x4401) (cxl_memdev_security_visible()). cxlsim's devices do not
 *   list either, so the files stay hidden; their stores (cxl_mem_sanitize()) are not modelled.
 * * `trigger_poison_list` (0200): visible while cxl_mem is bound and Get Poison List (0x4300) is
 *   enabled (cxl_mem_visible()). A write of a true value on a memdev with an endpoint reads the
 *   poison list; the kernel reports the records as cxl_poison trace events, which cxlsim does
 *   not model, so nothing else is visible.
 */

import type { Attribute, AttributeGroup } from '../../../kernel/device.ts';
import { Errno } from '../../../kernel/errno.ts';
import { kstrtobool } from '../../../sysfs/format.ts';
import { env } from '../../env.ts';
import type { CxlMemdev } from './memdev.ts';

/** CXL_MBOX_OP_SANITIZE, CXL_MBOX_OP_SECURE_ERASE, CXL_MBOX_OP_GET_POISON. */
const OP_SANITIZE = 0x4400;
const OP_SECURE_ERASE = 0x4401;
const OP_GET_POISON = 0x4300;

const since = (m: CxlMemdev, v: string): boolean => env(m).since(v);

/** A 0200 store the kernel has but cxlsim does not carry out. @throws EOPNOTSUPP */
const notModelled =
  (name: string) =>
  (m: CxlMemdev): never => {
    throw new Errno('EOPNOTSUPP', `${name} is not modelled`, m.name);
  };

/** `security/` (v6.5). */
export function memdevSecurityGroup(): AttributeGroup<CxlMemdev> {
  const wo = (name: string, op: number): Attribute<CxlMemdev> => ({
    name,
    mode: 0o200,
    store: notModelled(`security/${name}`),
    isVisible: (m) => m.cxlds.enabledCmds.has(op),
  });
  return {
    name: 'security',
    isVisible: (m) => since(m, '6.5') && !m.cxlds.isType2,
    attrs: [
      { name: 'state', mode: 0o444, show: () => 'disabled\n' },
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
  if (!on || !m.endpoint) throw new Errno('EINVAL', 'trigger_poison_list: no endpoint', m.name);
}

/** `trigger_poison_list` (the cxl_mem driver's attribute, v6.4). */
export function triggerPoisonListAttr(): Attribute<CxlMemdev> {
  return {
    name: 'trigger_poison_list',
    mode: 0o200,
    store: triggerPoisonList,
    isVisible: (m) =>
      since(m, '6.4') && m.driver?.name === 'cxl_mem' && m.cxlds.enabledCmds.has(OP_GET_POISON),
  };
}
