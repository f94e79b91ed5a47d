/**
 * The driver core's bind/unbind files (drivers/base/bus.c bind_store(), unbind_store()) scripted
 * for {@link FakeSysfs}: a driver takes the devices it matches (cxl_mem: memN, cxl_port: portN and
 * endpointN, cxl_region: regionN), others refuse with ENODEV; a bound device refuses with EBUSY;
 * unbind drops the driver link (ENODEV when the device is not bound to that driver).
 */
import { Errno } from '../../src/kernel/errno.ts';
import type { FakeSysfs } from './fake-sysfs.ts';

const MATCH: Record<string, RegExp> = {
  cxl_mem: /^mem\d+$/,
  cxl_port: /^(port|endpoint)\d+$/,
  cxl_region: /^region\d+$/,
};

const parentOf = (p: string): string => p.slice(0, p.lastIndexOf('/'));
const nameOf = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
/** A relative symlink target from directory `fromDir` to the /sys path `to`. */
export const rel = (fromDir: string, to: string): string =>
  `${'../'.repeat(fromDir.split('/').length)}${to}`;

/** Installs bind/unbind handlers for every bus's drivers; `onBind` runs after a successful bind. */
export function driverCore(
  fake: FakeSysfs,
  onBind?: (f: FakeSysfs, drv: string, dev: string) => void,
): void {
  fake.on(/^bus\/cxl\/flush$/, () => {});
  fake.on(/^bus\/[^/]+\/drivers\/[^/]+\/bind$/, (f, real, cstr) => {
    const drv = nameOf(parentOf(real));
    const bus = real.split('/')[1] as string;
    const re = MATCH[drv];
    if (!re?.test(cstr)) throw new Errno('ENODEV');
    let dev: string;
    try {
      dev = f.realpath(`bus/${bus}/devices/${cstr}`);
    } catch {
      throw new Errno('ENODEV');
    }
    if (f.lstat(`${dev}/driver`)?.kind === 'link') throw new Errno('EBUSY');
    f.setLink(`${dev}/driver`, rel(dev, parentOf(real)));
    onBind?.(f, drv, dev);
  });
  fake.on(/^bus\/[^/]+\/drivers\/[^/]+\/unbind$/, (f, real, cstr) => {
    const bus = real.split('/')[1] as string;
    let dev: string;
    try {
      dev = f.realpath(`bus/${bus}/devices/${cstr}`);
    } catch {
      throw new Errno('ENODEV');
    }
    const link = f.lstat(`${dev}/driver`);
    if (link?.kind !== 'link' || f.realpath(`${dev}/driver`) !== parentOf(real))
      throw new Errno('ENODEV');
    f.remove(`${dev}/driver`);
  });
}
