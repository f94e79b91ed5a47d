/**
 * DOC: the driver core's binding (drivers/base/dd.c, bus.c), with the cxl bus's cxl_bus_probe
 * which logs "probe: %d".
 *
 * - {@link driverProbe}: really_probe(): binds `drv` to `dev` for the duration of the probe; on
 *   failure the device's devres actions are released, it is left unbound and the driver core's
 *   message is logged: ENXIO/ENODEV only as a drivers/base pr_debug (not shown: dynamic debug
 *   covers drivers/cxl), anything else as call_driver_probe() logs it: dev_err "probe with
 *   driver %s failed with error %d" from v6.10, before that pr_warn "%s: probe of %s failed with
 *   error %d".
 * - {@link deviceAttach}: device_add() → bus_probe_device() → __device_attach(): the first
 *   registered driver of the device's bus whose `match` accepts it probes it.
 * - {@link driverAttach}: driver_register() → driver_attach(): the new driver probes every
 *   unbound device of its bus that it matches, in the bus's registration order.
 * - {@link deviceReleaseDriver}: device_release_driver(): `remove`, then devres_release_all().
 */
import type { Device, Driver } from './device.ts';
import { isErrno } from './errno.ts';
import { KERN } from './log.ts';

/** really_probe(): runs `probe` (default: the driver's own) with `dev.driver = drv`; 0 or -errno. */
export function driverProbe(dev: Device, drv: Driver, probe?: () => void): number {
  dev.driver = drv;
  let rc = 0;
  try {
    if (probe) probe();
    else drv.probe?.(dev);
  } catch (e) {
    if (!isErrno(e)) throw e;
    rc = e.errno;
  }
  if (drv.bus === 'cxl') dev.dbg(`probe: ${rc}`);
  if (rc !== 0) {
    dev.devresRelease();
    dev.driver = undefined;
    dev.driverData = undefined;
    // dd.c: ENXIO/ENODEV are a pr_debug of drivers/base (not part of drivers/cxl dynamic
    // debug, so never shown); anything else is a warning.
    if (rc !== -6 && rc !== -19) {
      const log = dev.ctx.log;
      // dev_err() runs while dev->driver is still set: the prefix is the driver's name
      if (dev.ctx.probeFailDevErr)
        log.printk(
          KERN.ERR,
          `${drv.name} ${dev.name}: probe with driver ${drv.name} failed with error ${rc}`,
        );
      else log.printk(KERN.WARNING, `${drv.name}: probe of ${dev.name} failed with error ${rc}`);
    }
  }
  return rc;
}

/** True when `drv` takes part in automatic binding and its bus match accepts `dev`. */
function autoMatch(drv: Driver, dev: Device): boolean {
  return drv.probe !== undefined && drv.match?.(dev) === true;
}

/** __device_attach(): binds the first matching driver among `drivers`; returns 0 or -errno. */
export function deviceAttach(dev: Device, drivers: readonly Driver[]): number {
  if (dev.driver) return 0;
  for (const drv of drivers) if (autoMatch(drv, dev)) return driverProbe(dev, drv);
  return 0;
}

/** driver_attach(): probes every unbound registered device of `devices` that `drv` matches. */
export function driverAttach(drv: Driver, devices: readonly Device[]): void {
  for (const dev of [...devices])
    if (dev.registered && !dev.driver && autoMatch(drv, dev)) driverProbe(dev, drv);
}

/**
 * device_release_driver(): the driver's remove(), then the device's devres, then unbound and
 * its driver data cleared (device_unbind_cleanup(): dev_set_drvdata(dev, NULL)).
 */
export function deviceReleaseDriver(dev: Device): void {
  const drv = dev.driver;
  if (drv) drv.remove?.(dev);
  dev.devresRelease();
  dev.driver = undefined;
  dev.driverData = undefined;
}
