/**
 * DOC: a device's `power/` directory (drivers/base/power/sysfs.c dpm_sysfs_add()), for devices
 * that do not call device_set_pm_not_required() — the CXL core sets it on its ports, decoders,
 * memdevs and regions, which therefore have none; class devices such as a firmware-upload
 * device keep it.
 *
 * cxlsim's guest never enables runtime PM on such a device, so the values are the ones the
 * kernel shows then: pm_runtime disabled, status "unsupported", no autosuspend (reading
 * `autosuspend_delay_ms` fails with EIO), async suspend off.
 */
import type { AttributeGroup, Device } from './device.ts';
import { Errno } from './errno.ts';

const text = (name: string, value: string, mode = 0o444) => ({
  name,
  mode,
  show: () => `${value}\n`,
});

/**
 * The `power` group: pm_runtime_attr_group + pm_async (async, control, runtime_active_time,
 * runtime_status, runtime_suspended_time, runtime_enabled, runtime_active_kids, runtime_usage,
 * autosuspend_delay_ms).
 */
export const DPM_POWER_GROUP: AttributeGroup<Device> = Object.freeze({
  name: 'power',
  attrs: Object.freeze([
    text('async', 'disabled', 0o644),
    {
      name: 'autosuspend_delay_ms',
      mode: 0o644,
      // autosuspend_delay_ms_show(): -EIO unless the device uses autosuspend
      show: (d: Device): string => {
        throw new Errno('EIO', undefined, d.name);
      },
    },
    text('control', 'auto', 0o644),
    text('runtime_active_kids', '0'),
    text('runtime_active_time', '0'),
    text('runtime_enabled', 'disabled'),
    text('runtime_status', 'unsupported'),
    text('runtime_suspended_time', '0'),
    text('runtime_usage', '0'),
  ]),
}) as AttributeGroup<Device>;
