/**
 * /sys/dev (src/sysfs/tree-dev.ts): `char/MAJ:MIN` links every registered device with a devt to
 * its directory, named by its `dev` attribute, as device_create_sys_dev_entry() does; libdaxctl
 * resolves a dax device's subsystem through it. Checked on the latest stack's volatile
 * capture topology: the memdevs at boot, then the dax device of a RAM region.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { boot } from '../../src/index.ts';

const QEMU = new URL(
  '../../sysfs-fixtures/stacks/latest/volatile/host/qemu-cmdline.sh',
  import.meta.url,
);

describe('/sys/dev', () => {
  it('links every device with a devt by MAJ:MIN, and follows new ones', async () => {
    const m = await boot({ qemu: readFileSync(QEMU, 'utf8') }, { profile: 'latest' });
    expect([...m.sysfs.ls('/sys/dev')].sort()).toEqual(['block', 'char']);
    expect(m.sysfs.ls('/sys/dev/block')).toEqual([]);
    const mems = m.sysfs.ls('/sys/bus/cxl/devices').filter((n) => /^mem\d+$/.test(n));
    expect(mems.length).toBeGreaterThan(1);
    const check = (devdir: string) => {
      const devt = m.sysfs.read(`${devdir}/dev`).trim();
      expect(m.sysfs.realpath(`/sys/dev/char/${devt}`)).toBe(m.sysfs.realpath(devdir));
      return devt;
    };
    const memDevts = mems.map((n) => check(`/sys/bus/cxl/devices/${n}`));
    expect(new Set(memDevts).size).toBe(mems.length);
    // a RAM region's dax device appears with its region (the capture's step 01: the memdev of
    // serial 0x4 in window decoder0.2)
    const s4 = mems.find((n) => m.sysfs.read(`/sys/bus/cxl/devices/${n}/serial`).trim() === '0x4');
    expect(s4).toBeDefined();
    const r = m.ndctl([
      'create-region',
      '-t',
      'ram',
      '-m',
      '-d',
      'decoder0.2',
      '-w',
      '1',
      s4 ?? '',
    ]);
    expect(r.code).toBe(0);
    const daxes = m.sysfs.ls('/sys/bus/dax/devices');
    expect(daxes.length).toBe(1);
    const devt = check(`/sys/bus/dax/devices/${daxes[0]}`);
    expect(m.sysfs.ls('/sys/dev/char')).toContain(devt);
    expect(m.sysfs.realpath(`/sys/dev/char/${devt}/subsystem`)).toBe('bus/dax');
    expect(m.sysfs.ls('/sys/dev/char').length).toBe(memDevts.length + daxes.length);
    expect(() => m.sysfs.read('/sys/dev/char/999:999/dev')).toThrow();
    // the index is kept per device generation: a removed dax device leaves it
    const region = JSON.parse(r.stdout).region as string;
    expect(m.ndctl(['destroy-region', '-f', region]).code).toBe(0);
    expect(m.sysfs.ls('/sys/dev/char')).not.toContain(devt);
    expect(m.sysfs.ls('/sys/dev/char').length).toBe(memDevts.length);
  });
});
