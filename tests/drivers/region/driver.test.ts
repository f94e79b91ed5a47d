/**
 * cxl_region as a driver object of the driver core (kernel/dd.ts), as cxl_port and cxl_mem are:
 * registered on the cxl bus with match/probe, tried by device_add() when a region is created
 * (an uncommitted region refuses: "probe: -6"), bound by bind_store / cxl enable-region, and
 * its pmem child released as devres on unbind.
 */
import { describe, expect, it } from 'vitest';
import { cxlRegionDriver } from '../../../src/drivers/cxl/core/region/probe.ts';
import {
  B,
  bootDefault,
  logSince,
  memdevs,
  ndctlCreateRegion,
  regionDev,
  sysw,
} from './helpers.ts';

describe('the cxl_region driver', () => {
  const m = bootDefault('debian-12', true);
  const drv = 'bus/cxl/drivers/cxl_region';

  it('is registered on the cxl bus with a match and a probe', () => {
    const registered = m.kernel.buses.get('cxl')?.drivers.filter((d) => d.name === 'cxl_region');
    expect(registered).toEqual([cxlRegionDriver]);
    expect(cxlRegionDriver.match).toBeTypeOf('function');
    expect(cxlRegionDriver.probe).toBeTypeOf('function');
  });

  it('is tried by device_add() of a new region, which refuses until committed', () => {
    const root = `${B}/decoder0.0`;
    const name = String(m.sysfs.read(`${root}/create_pmem_region`)).trim();
    const mark = m.kernel.log.mark();
    expect(sysw(m, `${root}/create_pmem_region`, name)).toBe('ok');
    const log = logSince(m, mark);
    expect(log.some((l) => l.endsWith(`${name}: config state: 0`))).toBe(true);
    expect(log.some((l) => l.endsWith(`${name}: probe: -6`))).toBe(true);
    expect(regionDev(m, name).driver).toBeUndefined();
    expect(sysw(m, `${drv}/bind`, name)).toBe('ENXIO');
    expect(sysw(m, `${root}/delete_region`, name)).toBe('ok');
  });

  it('binds a committed region, and its pmem child goes and comes back with unbind / bind', () => {
    let region: string | undefined;
    const granularity = Number(m.sysfs.read(`${B}/decoder0.0/interleave_granularity`));
    for (const md of memdevs(m)) {
      const r = ndctlCreateRegion(m, 'decoder0.0', [md], { ways: 1, granularity });
      if (!r.failed) {
        region = r.region;
        break;
      }
    }
    expect(region).toBeDefined();
    const r = regionDev(m, region as string);
    expect(r.driver).toBe(cxlRegionDriver);
    const child = r.child;
    expect(child?.name).toBe(`pmem_region${r.id}`);
    expect(child?.registered).toBe(true);

    expect(sysw(m, `${drv}/unbind`, r.name)).toBe('ok');
    expect(r.driver).toBeUndefined();
    expect(r.child).toBeUndefined();
    expect(child?.registered).toBe(false);

    expect(sysw(m, `${drv}/bind`, r.name)).toBe('ok');
    expect(r.driver).toBe(cxlRegionDriver);
    expect(r.child?.registered).toBe(true);
    expect(sysw(m, `${drv}/bind`, r.name)).not.toBe('ok');
  });
});
