/**
 * DOC: driver binding (drivers/base/dd.c really_probe / call_driver_probe, and the cxl bus's
 * cxl_bus_probe which logs "probe: %d").
 *
 * `driverProbe` binds `drv` to `dev` for the duration of `probe`; on failure the device is
 * left unbound and the driver core's message is logged: ENXIO/ENODEV only as a drivers/base
 * pr_debug (not shown: dynamic debug covers drivers/cxl), anything else as a warning
 * ("%s: probe of %s failed with error %d").
 */
import type { Device, Driver } from '../kernel/device.ts';
import { isErrno } from '../kernel/errno.ts';
import { KERN } from '../kernel/log.ts';

/** Runs a probe with `dev.driver = drv`; returns 0 or the negative errno. */
export function driverProbe(dev: Device, drv: Driver, probe: () => void): number {
  dev.driver = drv;
  let rc = 0;
  try {
    probe();
  } catch (e) {
    if (!isErrno(e)) throw e;
    rc = e.errno;
  }
  if (drv.bus === 'cxl') dev.dbg(`probe: ${rc}`);
  if (rc !== 0) {
    dev.driver = undefined;
    // dd.c: ENXIO/ENODEV are a pr_debug of drivers/base (not part of drivers/cxl dynamic
    // debug, so never shown); anything else is a warning.
    if (rc !== -6 && rc !== -19)
      dev.ctx.log.printk(KERN.WARNING, `${drv.name}: probe of ${dev.name} failed with error ${rc}`);
  }
  return rc;
}

/** device_release_driver(): unbinds (the caller undoes the driver's devm actions). */
export function driverRelease(dev: Device): void {
  dev.driver = undefined;
}
