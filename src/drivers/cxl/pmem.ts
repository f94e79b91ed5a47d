/**
 * DOC: the nvdimm side of CXL (drivers/cxl/core/pmem.c, drivers/cxl/pmem.c): one
 * `nvdimm-bridgeN` per CXL root with a PMEM-capable window, and one `pmemN` (cxl_nvdimm) per
 * memdev with persistent capacity, named after the memdev id. The libnvdimm objects behind
 * them (ndbus, nmem) are outside the CXL model.
 */

import { driverProbe } from '../../kernel/dd.ts';
import type { Device } from '../../kernel/device.ts';
import { Device as Dev } from '../../kernel/device.ts';
import { isErrno } from '../../kernel/errno.ts';
import { copiedWeakMap } from '../../kernel/graph-copy.ts';
import { Ida } from '../../kernel/ida.ts';
import { env } from '../env.ts';
import { CXL_MBOX_OP, cxlInternalSendCmd } from './core/mbox.ts';
import type { CxlMemdev } from './core/memdev.ts';
import type { CxlPort } from './core/port.ts';
import { cxlBaseAttrs, sharedGroups } from './core/sysfs-common.ts';
import { cxlNvdimmBridgeDriver, cxlNvdimmDriver } from './drivers.ts';
import { cxlKver } from './kver.ts';

/** The attributes of nvdimm-bridgeN and pmemN (cxl_nvdimm_bridge_attribute_groups, cxl_nvdimm_attribute_groups). */
const BASE_GROUPS = sharedGroups(() => [{ attrs: cxlBaseAttrs() }]);

/** Bridges by root port. */
const bridges = copiedWeakMap<CxlPort, Device>();
const bridgeIda = copiedWeakMap<object, Ida>();

/** devm_cxl_add_nvdimm_bridge(): `nvdimm-bridgeN` below the root, probed by cxl_nvdimm_bridge. */
export function devmCxlAddNvdimmBridge(host: Device, root: CxlPort): Device {
  let ida = bridgeIda.get(root.ctx);
  if (!ida) {
    ida = new Ida();
    bridgeIda.set(root.ctx, ida);
  }
  const id = ida.alloc();
  const nvb = new Dev(root.ctx, `nvdimm-bridge${id}`, root, 'cxl', 'cxl_nvdimm_bridge');
  nvb.setGroups(BASE_GROUPS());
  nvb.add();
  bridges.set(root, nvb);
  host.dbg(`${root.name}: add: ${nvb.name}`);
  return nvb;
}

/** Probes bridges and nvdimms once everything is registered (the modules load last). */
export function cxlPmemAttachAll(devices: Device[]): void {
  for (const d of devices)
    if (d.devtype === 'cxl_nvdimm_bridge' && !d.driver)
      driverProbe(d, cxlNvdimmBridgeDriver, () => {});
  for (const d of devices)
    if (d.devtype === 'cxl_nvdimm' && !d.driver)
      driverProbe(d, cxlNvdimmDriver, () => cxlNvdimmProbe(d));
  for (const d of devices) if (d.devtype === 'cxl_nvdimm_bridge' && d.driver) d.dbg('rescan: 0');
}

/**
 * cxl_nvdimm_probe(), the part cxlsim models: from {@link CXL_KVER.gpfDirtyShutdown} (6.15) it
 * marks the device's shutdown state dirty (cxl_dirty_shutdown_state(): Set Shutdown State
 * 0x4204, payload 1) and warns "GPF: could not set dirty shutdown state" when the command fails
 * — always on QEMU, which does not implement it. The nvdimm registration with libnvdimm is not
 * modelled (the ndbus/nmem objects are outside the CXL model).
 */
function cxlNvdimmProbe(nvd: Device): void {
  const cxlmd = nvd.parent as CxlMemdev | undefined;
  if (!cxlmd?.cxlds || !cxlKver(nvd, 'gpfDirtyShutdown')) return;
  try {
    cxlInternalSendCmd(cxlmd.cxlds, CXL_MBOX_OP.SET_SHUTDOWN_STATE, Uint8Array.of(1), 0);
  } catch (e) {
    if (!isErrno(e)) throw e;
    nvd.warn('GPF: could not set dirty shutdown state');
  }
}

/** The nvdimm bridge of the root above a PCI device (cxl_find_nvdimm_bridge). */
function findBridge(cxlmd: CxlMemdev): Device | undefined {
  for (const d of env(cxlmd).kernel.buses.get('cxl')?.devices ?? []) {
    if (d.devtype === 'cxl_nvdimm_bridge') return d;
  }
  return undefined;
}

/**
 * devm_cxl_add_nvdimm(): `pmemN` below memN. Before {@link CXL_KVER.nvdimmInMemProbe} the host
 * is the PCI device and the line "%s: register %s" is logged on it; since then the host is the
 * memdev itself ("register %s").
 */
export function devmCxlAddNvdimm(host: Device, cxlmd: CxlMemdev): Device | undefined {
  const nvb = findBridge(cxlmd);
  const onMemdev = host === cxlmd;
  // v6.2+ cxl_find_nvdimm_bridge() fails the add (-ENODEV, the caller reports it); 6.1 does not
  // look for the bridge here (the nvdimm driver waits for it): cxlsim registers none either way
  if (!nvb) return undefined;
  const nvd = new Dev(cxlmd.ctx, `pmem${cxlmd.id}`, cxlmd, 'cxl', 'cxl_nvdimm');
  nvd.setGroups(BASE_GROUPS());
  nvd.add();
  host.dbg(onMemdev ? `register ${nvd.name}` : `${cxlmd.name}: register ${nvd.name}`);
  return nvd;
}
