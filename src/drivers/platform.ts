/**
 * DOC: the platform bus's device attributes (drivers/base/platform.c), for the platform devices
 * cxlsim registers by name: the cxl_test mock's (tools/testing/cxl/test/cxl.c cxl_test_init():
 * `cxl_host_bridge.N`, `cxl_root_port.N`, `cxl_switch_uport.N`, `cxl_switch_dport.N`,
 * `cxl_mem.N`, `cxl_rcd.N`).
 *
 * - `modalias` (0444): modalias_show() without an ACPI or OF companion, "platform:<name>\n"
 *   where <name> is the platform device's name (pdev->name: the device name without its
 *   ".<id>" suffix);
 * - `driver_override` (0644): driver_override_show(), "(null)\n" while none is set;
 *   driver_override_store() (driver_set_override()): a value of PAGE_SIZE bytes or more is
 *   EINVAL, one trailing newline is dropped, an empty value clears it; while set, the platform
 *   bus matches only the driver of that name (platform_match(), {@link platformOverrideMatch});
 * - uevent: platform_uevent() adds MODALIAS=platform:<name> (taken from `modalias`);
 * - `power/`: dpm_sysfs_add() (a platform device is not pm_not_required).
 */
import type { Attribute, AttributeGroup, Device, Driver } from '../kernel/device.ts';
import { Errno } from '../kernel/errno.ts';
import { copiedWeakMap } from '../kernel/graph-copy.ts';
import { DPM_POWER_GROUP } from '../kernel/power.ts';

/** pdev->driver_override of each platform device that has one. */
const overrides = copiedWeakMap<Device, string>();

/** driver_set_override(). @throws EINVAL for a value of PAGE_SIZE bytes or more */
function driverOverrideStore(dev: Device, buf: string): void {
  if (buf.length >= 4096) throw new Errno('EINVAL', undefined, dev.name);
  const v = buf.endsWith('\n') ? buf.slice(0, -1) : buf;
  if (v === '') overrides.delete(dev);
  else overrides.set(dev, v);
}

/**
 * platform_match()'s first rule: a device with a driver_override matches only the driver of
 * that name (true/false); undefined when it has none (the driver's id table decides).
 */
export function platformOverrideMatch(dev: Device, drv: Driver): boolean | undefined {
  const o = overrides.get(dev);
  return o === undefined ? undefined : o === drv.name;
}

/** pdev->name of a platform device registered as "<name>.<id>" (platform_device_alloc(name, id)). */
export function platformDeviceName(dev: Device): string {
  return dev.name.replace(/\.\d+$/, '');
}

/** The platform bus's dev_groups (platform_dev_groups): modalias and driver_override. */
const PLATFORM_DEV_ATTRS: readonly Attribute<Device>[] = Object.freeze([
  { name: 'modalias', mode: 0o444, show: (d: Device) => `platform:${platformDeviceName(d)}\n` },
  {
    name: 'driver_override',
    mode: 0o644,
    show: (d: Device) => `${overrides.get(d) ?? '(null)'}\n`,
    store: driverOverrideStore,
  },
]);

/** Adds the platform bus's attributes and the `power/` group to a platform device. */
export function platformDevAttrs(dev: Device): void {
  dev.groups.push(
    { attrs: PLATFORM_DEV_ATTRS as Attribute<Device>[] } as AttributeGroup,
    DPM_POWER_GROUP,
  );
}
