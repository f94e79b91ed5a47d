/**
 * The kernel's side of region programming, scripted for {@link FakeSysfs}: just enough of
 * drivers/cxl/core/region.c's sysfs behaviour (Linux 6.1) for the tool to walk through
 * create-region and destroy-region — create_pmem_region makes regionN, interleave_ways makes the
 * targetN files visible, size gives the region the window's base as its resource, bind and unbind
 * go through driver-model.ts, delete_region removes the region. `fail` injects a store error; `after` replaces the tree with
 * the capture taken after the command once the region is bound.
 */
import { Errno, type ErrnoName } from '../../src/kernel/errno.ts';
import type { SysfsView } from '../../src/sysfs/view.ts';
import { driverCore, rel } from './driver-model.ts';
import type { FakeSysfs } from './fake-sysfs.ts';

const parentOf = (p: string): string => p.slice(0, p.lastIndexOf('/'));

/** Options of {@link regionKernel}. */
export interface RegionKernelOptions {
  /** the capture of the state after the command: becomes the tree once a region is bound */
  after?: SysfsView;
  /** store errors to inject: first matching canonical path throws */
  fail?: Array<{ re: RegExp; errno: ErrnoName }>;
}

/** Installs the region handlers on the fake. */
export function regionKernel(fake: FakeSysfs, opts: RegionKernelOptions = {}): void {
  driverCore(fake, (f, drv) => {
    if (drv === 'cxl_region' && opts.after) f.switchBase(opts.after);
  });
  fake.on(/\/decoder\d+\.\d+\/create_pmem_region$/, (f, real, cstr) => {
    const next = String(f.read(real)).trim();
    if (cstr !== next) throw new Errno('EINVAL');
    const dir = `${parentOf(real)}/${cstr}`;
    f.setFile(`${dir}/uuid`, '00000000-0000-0000-0000-000000000000\n');
    f.setFile(`${dir}/size`, '0x0\n');
    f.setFile(`${dir}/resource`, '0xffffffffffffffff\n');
    f.setFile(`${dir}/interleave_ways`, '0\n');
    f.setFile(`${dir}/interleave_granularity`, '0\n');
    f.setFile(`${dir}/commit`, '0\n');
    f.setFile(`${dir}/modalias`, 'cxl:t6\n');
    f.setLink(`bus/cxl/devices/${cstr}`, rel('bus/cxl/devices', dir));
    f.setFile(real, `region${Number(cstr.slice(6)) + 1}\n`);
  });
  fake.on(/\/region\d+\/interleave_ways$/, (f, real, cstr) => {
    f.setFile(real, cstr);
    for (let i = 0; i < Number.parseInt(cstr, 10); i++)
      f.setFile(`${parentOf(real)}/target${i}`, '\n');
  });
  fake.on(/\/region\d+\/size$/, (f, real, cstr) => {
    f.setFile(real, cstr);
    const start = String(f.read(`${parentOf(parentOf(real))}/start`));
    f.setFile(`${parentOf(real)}/resource`, start);
  });
  fake.on(/\/decoder\d+\.\d+\/delete_region$/, (f, real, cstr) => {
    const dir = `${parentOf(real)}/${cstr}`;
    if (!f.lstat(dir)) throw new Errno('ENODEV');
    f.remove(dir);
    f.remove(`bus/cxl/devices/${cstr}`);
  });
  for (const { re, errno } of [...(opts.fail ?? [])].reverse()) {
    fake.on(re, () => {
      throw new Errno(errno);
    });
  }
}
