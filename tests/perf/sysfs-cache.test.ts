/**
 * The live /sys tree's caches (directory resolution per kernel generation, driver → bound
 * devices per binding change, shared attribute tables and their name index) never show stale
 * state: after any sequence of unbinds, binds and region writes, a view that has been read all
 * along dumps exactly like a view created afresh over the same kernel. The non-throwing fast
 * paths libcxl uses agree with read()/realpath().
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { cxlBusHooks } from '../../src/drivers/cxl/core/bind.ts';
import { Errno } from '../../src/kernel/errno.ts';
import { resolveProfile } from '../../src/profile.ts';
import { dumpSysfs } from '../../src/sysfs/dump.ts';
import { createSysfs } from '../../src/sysfs/tree.ts';
import type { SysfsView } from '../../src/sysfs/view.ts';
import { generateTopology } from '../../src/topology/generate.ts';
import { getPreset } from '../../src/topology/presets/index.ts';

const ROOTS = ['bus', 'devices/platform'];
const dump = (v: SysfsView) => dumpSysfs(v, ROOTS, { header: false });

/** One state change through the view, as a user's `echo` would do it (errors are fine). */
type Op = { kind: 'unbind' | 'bind'; pick: number } | { kind: 'region'; pick: number };

function apply(v: SysfsView, op: Op): void {
  const devices = v.readdir('bus/cxl/devices');
  const name = devices[op.pick % devices.length] as string;
  try {
    if (op.kind === 'region') {
      const dec = devices.filter((d) => /^decoder0\.\d+$/.test(d));
      const d = dec[op.pick % Math.max(1, dec.length)];
      if (!d) return;
      const region = (v.read(`bus/cxl/devices/${d}/create_pmem_region`) as string).trim();
      v.write(`bus/cxl/devices/${d}/create_pmem_region`, `${region}\n`);
      return;
    }
    const driver = v.lstat(`bus/cxl/devices/${name}/driver`);
    if (op.kind === 'unbind' && driver?.kind === 'link') {
      const drv = driver.target.split('/').pop() as string;
      v.write(`bus/cxl/drivers/${drv}/unbind`, `${name}\n`);
    } else if (op.kind === 'bind' && !driver) {
      const drv = /^mem\d+$/.test(name)
        ? 'cxl_mem'
        : /^(port|endpoint)\d+$/.test(name)
          ? 'cxl_port'
          : '';
      if (drv) v.write(`bus/cxl/drivers/${drv}/bind`, `${name}\n`);
    }
  } catch (e) {
    if (!(e instanceof Errno)) throw e;
  }
}

const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('unbind' as const, 'bind' as const, 'region' as const),
  pick: fc.nat(1000),
});

describe('live sysfs caches', () => {
  it('a view read all along equals a fresh one after unbind/bind/region writes', () => {
    const profile = resolveProfile('latest');
    fc.assert(
      fc.property(
        fc.constantFrom('default', 'gen'),
        fc.array(op, { minLength: 1, maxLength: 5 }),
        (topo, ops) => {
          const t =
            topo === 'gen'
              ? generateTopology({ hostBridges: 2, rootPorts: 2, switchLevels: 1, fanout: 2 })
              : getPreset('default', profile.qemu);
          const m = bootMachine(t, { profile });
          dump(m.sysfs); // warm every cache
          // paths of every device as it stands now, to probe after devices came and went
          const seen = m.sysfs.readdir('bus/cxl/devices').flatMap((n) => {
            const real = m.sysfs.realpath(`bus/cxl/devices/${n}`);
            return [`bus/cxl/devices/${n}/uevent`, `${real}/uevent`, `${real}/driver`];
          });
          for (const o of ops) {
            apply(m.sysfs, o);
            const fresh = createSysfs(m.kernel, cxlBusHooks());
            expect(dump(m.sysfs)).toBe(dump(fresh));
            for (const p of seen) expect([p, m.sysfs.lstat(p)]).toEqual([p, fresh.lstat(p)]);
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  it('the non-throwing and per-directory paths agree with read / realpath, misses included', () => {
    const profile = resolveProfile('latest');
    const m = bootMachine(getPreset('default', profile.qemu), { profile });
    const v = m.sysfs;
    const names = v.readdir('bus/cxl/devices');
    const paths = fc.tuple(
      fc.constantFrom(...names, 'nosuch', 'mem0/nosuch'),
      fc.constantFrom(
        '',
        '/size',
        '/pmem/size',
        '/ram/qos_class',
        '/uport',
        '/driver',
        '/dport0/physical_node',
        '/x/y',
      ),
      fc.constantFrom('', '/sys/', '/'),
    );
    fc.assert(
      fc.property(paths, ([name, tail, prefix]) => {
        const p = `${prefix}bus/cxl/devices/${name}${tail}`;
        let expected: unknown;
        try {
          expected = v.read(p);
        } catch (e) {
          expected = (e as Errno).code;
        }
        let got: unknown;
        try {
          got = v.readIfExists?.(p);
        } catch (e) {
          got = (e as Errno).code;
        }
        expect(got).toEqual(expected);
        if (tail) {
          // the per-directory fast path: the same answer for the same joined path
          let at: unknown;
          try {
            at = v.readAtIfExists?.(`${prefix}bus/cxl/devices/${name}`, tail.slice(1));
          } catch (e) {
            at = (e as Errno).code;
          }
          expect(at).toEqual(expected);
          let realAt: string | undefined;
          try {
            realAt = v.realpath(p);
          } catch {
            realAt = undefined;
          }
          expect(v.realpathAtIfExists?.(`${prefix}bus/cxl/devices/${name}`, tail.slice(1))).toBe(
            realAt,
          );
        }
        let real: string | undefined;
        try {
          real = v.realpath(p);
        } catch {
          real = undefined;
        }
        expect(v.realpathIfExists?.(p)).toBe(real);
      }),
      { numRuns: 300 },
    );
  });

  it('lstatAt() of a device directory entry reports what lstat() of its path does', () => {
    // DeviceDirNode.lstatEntry() answers without making the entry's node: every entry of every
    // device directory behind bus/cxl/devices (and its parent's), plus misses and the driver
    // link of an unbound device
    const profile = resolveProfile('latest');
    const m = bootMachine(getPreset('default', profile.qemu), { profile });
    const v = m.sysfs;
    const first = (v.readdir('bus/cxl/drivers/cxl_mem').find((n) => n.startsWith('mem')) ??
      '') as string;
    v.write('bus/cxl/drivers/cxl_mem/unbind', `${first}\n`);
    const dirs = new Set<string>();
    for (const n of v.readdir('bus/cxl/devices')) {
      const real = v.realpath(`bus/cxl/devices/${n}`);
      dirs.add(`/sys/bus/cxl/devices/${n}`);
      dirs.add(real);
      dirs.add(real.slice(0, real.lastIndexOf('/')));
    }
    let cases = 0;
    let links = 0;
    for (const dir of dirs) {
      for (const name of [...v.readdir(dir), 'driver', 'nosuch', 'dev', 'subsystem']) {
        const want = v.lstat(`${dir}/${name}`);
        const got = v.lstatAt?.(dir, name);
        cases++;
        expect([dir, name, got?.kind]).toEqual([dir, name, want?.kind]);
        if (want?.kind === 'link' && got?.kind === 'link') {
          links++;
          expect(got.target).toBe(want.target);
        }
        if (want?.kind === 'file') expect(got).toEqual(want);
      }
    }
    expect(v.lstatAt?.(`/sys/bus/cxl/devices/${first}`, 'driver')).toBeUndefined();
    // the default preset on the latest stack: 106 directories, 1,752 entries, 339 links
    expect(dirs.size).toBeGreaterThan(100);
    expect(cases).toBeGreaterThan(15 * dirs.size);
    expect(links).toBeGreaterThan(3 * dirs.size);
  });

  it('a failed probe, an unbind and a rebind show in the driver directories at once', () => {
    const profile = resolveProfile('latest');
    const m = bootMachine(getPreset('default', profile.qemu), { profile });
    const v = m.sysfs;
    const bound = () => v.readdir('bus/cxl/drivers/cxl_mem').filter((n) => n.startsWith('mem'));
    const before = bound();
    expect(before.length).toBeGreaterThan(0);
    v.write('bus/cxl/drivers/cxl_mem/unbind', `${before[0]}\n`);
    expect(bound()).toEqual(before.slice(1));
    expect(v.lstat(`bus/cxl/devices/${before[0]}/driver`)).toBeUndefined();
    v.write('bus/cxl/drivers/cxl_mem/bind', `${before[0]}\n`);
    expect(new Set(bound())).toEqual(new Set(before));
  });
});
