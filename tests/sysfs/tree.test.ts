import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/kernel/errno.ts';
import { dumpSysfs } from '../../src/sysfs/dump.ts';
import { kernfsOrder } from '../../src/sysfs/kernfs-hash.ts';
import type { DebugfsEntry } from '../../src/sysfs/tree-node.ts';
import { parseSysfsTxt, type SysfsTxtEntry } from '../helpers/sysfs-txt.ts';
import { buildMinimal, ro } from './minimal-tree.ts';

const FIXTURE = new URL('../../sysfs-fixtures/minimal/00-boot/sysfs.txt', import.meta.url);
const capture = parseSysfsTxt(readFileSync(FIXTURE, 'utf8'));
const ROOT0 = 'devices/platform/ACPI0017:00/root0';
const MEM0 = 'devices/pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem0';

/** Records of a dump text, keyed by path, as "KIND\tpath\trest…\n|body…". */
function recordMap(
  entries: SysfsTxtEntry[],
  keep: (e: SysfsTxtEntry) => boolean,
): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of entries)
    if (keep(e))
      m.set(
        e.path,
        [[e.kind, e.path, ...e.rest].join('\t'), ...e.body.map((b) => `|${b}`)].join('\n'),
      );
  return m;
}

/** Driver-core records: directories, links, uevent and dev files. */
const driverCore = (e: SysfsTxtEntry) =>
  e.kind === 'D' || e.kind === 'L' || /\/(uevent|dev)$/.test(e.path);

const under =
  (...prefixes: string[]) =>
  (e: SysfsTxtEntry) =>
    prefixes.some((p) => e.path === p || e.path.startsWith(`${p}/`)) && !e.path.includes('/ndbus0');

describe('live sysfs tree vs the minimal capture', () => {
  it('renders /sys/bus/cxl exactly as the kernel did (links, drivers, bus files, modes)', () => {
    const { view } = buildMinimal();
    const ours = parseSysfsTxt(dumpSysfs(view, ['bus/cxl']));
    const keep = under('bus/cxl');
    expect(recordMap(ours, () => true)).toEqual(recordMap(capture, keep));
  });

  it('renders device directories, links, uevent and dev files as the capture shows', () => {
    const { view } = buildMinimal();
    const roots = [ROOT0, MEM0];
    const ours = parseSysfsTxt(dumpSysfs(view, roots));
    const keep = (e: SysfsTxtEntry) => under(...roots)(e) && driverCore(e);
    expect(recordMap(ours, driverCore)).toEqual(recordMap(capture, keep));
  });

  it('renders the firmware nodes and ancestors as the capture shows (default selection)', () => {
    const { view } = buildMinimal();
    const ours = recordMap(parseSysfsTxt(dumpSysfs(view)), driverCore);
    const want = recordMap(
      capture,
      (e) =>
        driverCore(e) &&
        under(
          'devices/LNXSYSTM:00',
          'bus/acpi',
          'devices/pci0000:0c/firmware_node',
          'devices/platform/ACPI0017:00',
        )(e) &&
        !e.path.startsWith(`${ROOT0}/`),
    );
    expect(want.size).toBeGreaterThan(15);
    for (const [p, rec] of want) expect(ours.get(p), p).toBe(rec);
  });

  it('lists directories in kernfs hash order', () => {
    const { view } = buildMinimal();
    for (const dir of ['bus/cxl/devices', 'bus/cxl/drivers', ROOT0, `${ROOT0}/port1`, MEM0]) {
      const names = view.readdir(dir);
      expect(names).toEqual(kernfsOrder(names));
    }
    const capNames = capture
      .filter((e) => e.path.startsWith('bus/cxl/devices/'))
      .map((e) => e.path.slice('bus/cxl/devices/'.length));
    expect(view.readdir('bus/cxl/devices')).toEqual(kernfsOrder(capNames));
  });

  it('reports modes and link targets through lstat/readlink', () => {
    const { view } = buildMinimal();
    expect(view.lstat(`${ROOT0}/decoder0.0/start`)).toEqual({
      kind: 'file',
      mode: 0o400,
      binary: false,
    });
    expect(view.lstat(`${ROOT0}/port1/endpoint2/CDAT`)).toEqual({
      kind: 'file',
      mode: 0o400,
      binary: true,
    });
    expect(view.lstat('bus/cxl/drivers/cxl_mem/bind')).toEqual({
      kind: 'file',
      mode: 0o200,
      binary: false,
    });
    expect(view.readlink(`${ROOT0}/uport`)).toBe('../../ACPI0017:00');
    expect(view.realpath('bus/cxl/devices/mem0')).toBe(MEM0);
    expect(view.read('bus/cxl/devices/mem0/pmem/size')).toBe('0x10000000\n');
    expect(view.lstat('bus/cxl/devices/nope')).toBeUndefined();
    expect(view.lstat(`${MEM0}/serial/x`)).toBeUndefined();
    expect(() => view.readlink(`${MEM0}/serial`)).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(() => view.readdir(`${MEM0}/serial`)).toThrow(
      expect.objectContaining({ code: 'ENOTDIR' }),
    );
    expect(() => view.read(MEM0)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    expect(() => view.read('bus/cxl/devices/mem9/serial')).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });
});

describe('reads and writes', () => {
  it('refuses to read 0200 files with EACCES and to write read-only files with EACCES', () => {
    const { view } = buildMinimal();
    for (const p of [
      'bus/cxl/drivers/cxl_mem/bind',
      'bus/cxl/flush',
      'bus/cxl/uevent',
      `${ROOT0}/decoder0.0/delete_region`,
    ])
      expect(() => view.read(p), p).toThrow(expect.objectContaining({ code: 'EACCES' }));
    expect(() => view.write(`${ROOT0}/decoder0.0/size`, '0x0\n')).toThrow(
      expect.objectContaining({ code: 'EACCES' }),
    );
    expect(() => view.write(`${ROOT0}/port1/endpoint2/CDAT`, 'x\n')).toThrow(
      expect.objectContaining({ code: 'EACCES' }),
    );
  });

  it('surfaces a show() error and passes a store() Errno through unchanged', () => {
    const t = buildMinimal();
    t.state.showErr = new Errno('ENXIO');
    expect(() => t.view.read(`${ROOT0}/decoder0.0/qos_class`)).toThrow(t.state.showErr);
    let caught: unknown;
    try {
      t.view.write('bus/cxl/devices/decoder0.0/create_pmem_region', 'region0\n');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(Errno);
    expect((caught as Errno).describe()).toBe(
      'ENXIO: region creation is not modelled here (decoder0.0)',
    );
  });

  it('passes what echo writes to store() and refuses writes longer than a page', () => {
    const t = buildMinimal();
    t.view.write('bus/cxl/devices/decoder0.0/interleave_ways', '4\n');
    expect(t.view.read(`${ROOT0}/decoder0.0/interleave_ways`)).toBe('4\n');
    expect(() =>
      t.view.write(`${ROOT0}/decoder0.0/interleave_ways`, `${'1'.repeat(4097)}`),
    ).toThrow(expect.objectContaining({ code: 'E2BIG' }));
  });

  it('leaves the tree byte-identical after any rejected write', () => {
    const t = buildMinimal();
    const path = 'bus/cxl/devices/decoder0.0/interleave_ways';
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer({ min: -20, max: 20 }).map(String)), (v) => {
        const before = dumpSysfs(t.view, ['']);
        try {
          t.view.write(path, `${v}\n`);
        } catch (e) {
          expect(e).toBeInstanceOf(Errno);
          expect(dumpSysfs(t.view, [''])).toBe(before);
          return;
        }
        expect(t.view.read(path)).toBe(`${Number.parseInt(v, 10)}\n`);
      }),
      { numRuns: 60 },
    );
  });

  it('logs and rejects an unknown uevent action, accepts a known one', () => {
    const t = buildMinimal();
    t.view.write(`${MEM0}/uevent`, 'change\n');
    expect(() => t.view.write(`${MEM0}/uevent`, 'bogus\n')).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(t.kernel.log.lines.map((l) => l.text)).toEqual([
      `synth uevent: /${MEM0}: unknown uevent action string`,
      'cxl_mem mem0: uevent: failed to send synthetic uevent: -22',
    ]);
  });
});

describe('driver core files', () => {
  it('binds and unbinds through the hooks, with bus.c errors', () => {
    const calls: string[] = [];
    const t = buildMinimal({
      bind: (drv, dev) => {
        calls.push(`bind ${drv.name} ${dev.name}`);
        dev.driver = drv;
      },
      unbind: (drv, dev) => {
        calls.push(`unbind ${drv.name} ${dev.name}`);
        dev.driver = undefined;
      },
    });
    const drv = 'bus/cxl/drivers/cxl_port';
    expect(() => t.view.write(`${drv}/bind`, 'port9\n')).toThrow(
      expect.objectContaining({ code: 'ENODEV' }),
    );
    expect(() => t.view.write(`${drv}/bind`, 'port1\n')).toThrow(
      expect.objectContaining({ code: 'EBUSY' }),
    );
    expect(() => t.view.write(`${drv}/unbind`, 'mem0\n')).toThrow(
      expect.objectContaining({ code: 'ENODEV' }),
    );
    t.view.write(`${drv}/unbind`, 'port1\n');
    expect(t.view.lstat(`${drv}/port1`)).toBeUndefined();
    expect(t.view.lstat(`${ROOT0}/port1/driver`)).toBeUndefined();
    expect(t.view.read(`${ROOT0}/port1/uevent`)).toBe('DEVTYPE=cxl_port\nMODALIAS=cxl:t3\n');
    t.view.write(`${drv}/bind`, 'port1');
    expect(t.view.readlink(`${drv}/port1`)).toBe(`../../../../${ROOT0}/port1`);
    expect(calls).toEqual(['unbind cxl_port port1', 'bind cxl_port port1']);
  });

  it('handles drivers_autoprobe, drivers_probe and flush', () => {
    const probed: string[] = [];
    let flushed = 0;
    const t = buildMinimal({ probe: (d) => void probed.push(d.name), flush: () => void flushed++ });
    t.view.write('bus/cxl/drivers_autoprobe', '0\n');
    expect(t.view.read('bus/cxl/drivers_autoprobe')).toBe('0\n');
    t.view.write('bus/cxl/drivers_probe', 'decoder0.0\n');
    expect(probed).toEqual(['decoder0.0']);
    expect(() => t.view.write('bus/cxl/drivers_probe', 'nope\n')).toThrow(
      expect.objectContaining({ code: 'ENODEV' }),
    );
    t.view.write('bus/cxl/flush', '1\n');
    expect(() => t.view.write('bus/cxl/flush', '2\n')).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(flushed).toBe(1);
    expect(t.view.lstat('bus/pci/flush')).toBeUndefined();
  });
});

describe('debugfs', () => {
  it("has cxl_core's debugfs directory once the cxl bus exists", () => {
    const { view } = buildMinimal();
    expect(view.lstat('/sys/kernel/debug/cxl')).toEqual({ kind: 'dir' });
    expect(view.readdir('kernel/debug/cxl')).toEqual([]);
  });

  it('renders what the debugfs hook provides', () => {
    let injected = '';
    const poison: DebugfsEntry = {
      kind: 'file',
      mode: 0o200,
      store: (b) => {
        injected = b;
      },
    };
    const mem0: DebugfsEntry = { kind: 'dir', entries: () => new Map([['inject_poison', poison]]) };
    const cxl: DebugfsEntry = { kind: 'dir', entries: () => new Map([['mem0', mem0]]) };
    const { view } = buildMinimal({ debugfs: () => new Map([['cxl', cxl]]) });
    expect(view.readdir('kernel/debug/cxl/mem0')).toEqual(['inject_poison']);
    view.write('/sys/kernel/debug/cxl/mem0/inject_poison', '0x1000\n');
    expect(injected).toBe('0x1000\n');
  });
});

describe('liveness', () => {
  it('follows device_add/device_del and isVisible at read time', () => {
    const t = buildMinimal();
    expect(t.view.readdir('bus/cxl/devices')).not.toContain('decoder0.1');
    const d = t.kernel.device('decoder0.1', t.dev.root0, 'cxl', 'cxl_decoder_root');
    let visible = false;
    d.groups.push({
      attrs: [ro('size', () => '0x0'), { ...ro('qos_class', () => '7'), isVisible: () => visible }],
    });
    d.add();
    expect(t.view.readlink('bus/cxl/devices/decoder0.1')).toBe(`../../../${ROOT0}/decoder0.1`);
    expect(t.view.readdir(`${ROOT0}/decoder0.1`)).not.toContain('qos_class');
    visible = true;
    expect(t.view.readdir(`${ROOT0}/decoder0.1`)).toContain('qos_class');
    expect(t.view.read(`${ROOT0}/decoder0.1/qos_class`)).toBe('7\n');
    d.del();
    expect(t.view.lstat('bus/cxl/devices/decoder0.1')).toBeUndefined();
    expect(t.view.readdir(ROOT0)).not.toContain('decoder0.1');
  });

  it('scales to thousands of devices', () => {
    const t = buildMinimal();
    for (let i = 1; i <= 3000; i++)
      t.kernel.device(`decoder0.${i}`, t.dev.root0, 'cxl', 'cxl_decoder_root').add();
    expect(t.view.readdir('bus/cxl/devices')).toHaveLength(3009);
    const text = dumpSysfs(t.view);
    expect(
      text
        .split('\n')
        .filter((l) => l.startsWith('D\tdevices/platform/ACPI0017:00/root0/decoder0.')),
    ).toHaveLength(3001);
  });
});
