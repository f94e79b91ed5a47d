/**
 * Volatile (ram) regions on the debian-12 stack (Linux 6.1, ndctl 76.1), read from source (the
 * 6.1 captures have no ram step): ndctl 76.1 sizes a region from the memdevs' pmem capacity
 * (collect_minsize: cxl_memdev_get_pmem_size), so a ram-only memdev gives "unable to determine
 * region size"; with -s it refuses any type but pmem ("region type 'ram' not supported yet").
 * Both print "created 0 regions" and exit 0 (76.1 returns the region-action loop's result). 6.1
 * has no create_ram_region attribute either. On the latest stack the same command makes the ram
 * region, its dax region and dax2.0 (e2e-stack-steps.test.ts replays the capture).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { cxlCommand } from '../../src/ndctl/index.ts';
import { resolveProfile } from '../../src/profile.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';

const LINE = readFileSync(
  join(import.meta.dirname, '../../sysfs-fixtures/stacks/latest/volatile/host/qemu-cmdline.sh'),
  'utf8',
);

function boot(kernel: string, ndctl: string) {
  const profile = resolveProfile('latest', { kernel, ndctl });
  const m = bootMachine(parseQemuCommandLine(LINE, { qemu: profile.qemu }), { profile });
  const mem = JSON.parse(
    cxlCommand(m.sysfs, m.ioctl, ['list', '-M'], { ndctl: profile.ndctl }).stdout,
  ).find((x: { serial: number }) => x.serial === 4).memdev as string;
  const cxl = (...a: string[]) => cxlCommand(m.sysfs, m.ioctl, a, { ndctl: profile.ndctl });
  return { m, mem, cxl };
}

describe('ram regions on Linux 6.1 / ndctl 76.1', () => {
  it('no size from a ram-only memdev; with -s the type is refused; no create_ram_region', () => {
    const { m, mem, cxl } = boot('6.1', '76.1');
    const a = cxl('create-region', '-t', 'ram', '-m', '-d', 'decoder0.2', '-w', '1', mem);
    expect(a).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'cxl region: create_region: create_region: unable to determine region size\ncxl region: cmd_create_region: created 0 regions\n',
    });
    const b = cxl(
      'create-region',
      '-t',
      'ram',
      '-m',
      '-d',
      'decoder0.2',
      '-w',
      '1',
      '-s',
      '256M',
      mem,
    );
    expect(b.stderr).toBe(
      "cxl region: create_region: region type 'ram' not supported yet\ncxl region: cmd_create_region: created 0 regions\n",
    );
    expect(m.sysfs.lstat('bus/cxl/devices/decoder0.2/create_ram_region')).toBeUndefined();
    expect(m.sysfs.lstat('bus/dax')).toBeUndefined();
  });

  it('7.3 / ndctl 85: the ram region gets dax_region2 and dax2.0 (kmem refused: node 2 not possible)', () => {
    const { m, mem, cxl } = boot('7.3', '85');
    const mark = m.kernel.log.mark();
    const r = cxl('create-region', '-t', 'ram', '-m', '-d', 'decoder0.2', '-w', '1', mem);
    expect(r.code).toBe(0);
    expect(m.sysfs.readdir('bus/dax/devices')).toEqual(['dax2.0']);
    expect(m.sysfs.lstat('bus/dax/devices/dax2.0/driver')).toBeUndefined();
    expect(m.kernel.log.since(mark).map((l) => l.text)).toContain(
      'kmem dax2.0: probe with driver kmem failed with error -22',
    );
    expect(cxl('destroy-region', '-f', 'all').code).toBe(0);
    expect(m.sysfs.readdir('bus/dax/devices')).toEqual([]);
  });
});
