/**
 * tests/helpers/sysfs-txt.ts: a capture's sysfs.txt as a SysfsView — records, symlinks, contents,
 * errors and kernfs readdir order, checked against the capture text itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isErrno } from '../../src/kernel/errno.ts';
import { kernfsOrder } from '../../src/sysfs/kernfs-hash.ts';
import { resolveLink } from '../../src/sysfs/view.ts';
import { parseSysfsTxt, sysfsTxtView } from '../helpers/sysfs-txt.ts';
import { FIXTURES } from './golden.ts';

const TEXT = readFileSync(join(FIXTURES, 'minimal', '01-create-region', 'sysfs.txt'), 'utf8');
const ENTS = parseSysfsTxt(TEXT);
const VIEW = sysfsTxtView(ENTS);
const MEM0 = 'devices/pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem0';

/** What went wrong reading a path: the errno name, or 'ok'. */
function readErr(path: string): string {
  try {
    VIEW.read(path);
    return 'ok';
  } catch (e) {
    return isErrno(e) ? e.code : 'not an Errno';
  }
}

describe('sysfs.txt parser', () => {
  it('returns one record per header line, with the lines after it as body', () => {
    const headers = TEXT.split('\n').filter((l) => /^[DLFXESO]\t/.test(l));
    expect(ENTS.length).toBe(headers.length);
    const serial = ENTS.find((e) => e.path === `${MEM0}/serial`);
    expect(serial).toEqual({
      kind: 'F',
      path: `${MEM0}/serial`,
      rest: ['444', '4'],
      body: ['0x1'],
    });
  });

  it('rejects a body line without a header', () => {
    expect(() => parseSysfsTxt('|orphan\n')).toThrow(/without a header/);
  });
});

describe('sysfs.txt view', () => {
  it('reads F records as text cut to their size', () => {
    expect(VIEW.read(`/sys/${MEM0}/serial`)).toBe('0x1\n');
    expect(VIEW.read('bus/cxl/devices/mem0/serial')).toBe('0x1\n');
    for (const e of ENTS.filter((x) => x.kind === 'F')) {
      const v = VIEW.read(e.path);
      expect(Buffer.byteLength(v as string)).toBe(Number(e.rest[1]));
    }
  });

  it('reads X records as bytes of their recorded size', () => {
    for (const e of ENTS.filter((x) => x.kind === 'X')) {
      const v = VIEW.read(e.path);
      expect(v).toBeInstanceOf(Uint8Array);
      expect((v as Uint8Array).length).toBe(Number(e.rest[1]));
      expect(Buffer.from(v as Uint8Array).toString('hex')).toBe(e.body.join('').toLowerCase());
    }
  });

  it('fails E records with the errno of their message, reads S records as empty', () => {
    expect(readErr('bus/cxl/drivers/cxl_mem/bind')).toBe('EACCES');
    const s = ENTS.find((x) => x.kind === 'S');
    if (s) expect(VIEW.read(s.path)).toBe('');
    const nx = parseSysfsTxt(
      'E\tdevices/x/size\t444\tcat: read error: No such device or address\n',
    );
    expect(() => sysfsTxtView(nx).read('devices/x/size')).toThrow(/No such device or address/);
  });

  it('keeps symlinks as recorded and resolves them like the kernel tree', () => {
    expect(VIEW.lstat('bus/cxl/devices/root0')).toEqual({
      kind: 'link',
      target: '../../../devices/platform/ACPI0017:00/root0',
    });
    expect(VIEW.readlink('bus/cxl/devices/root0')).toBe(
      '../../../devices/platform/ACPI0017:00/root0',
    );
    expect(VIEW.realpath('bus/cxl/devices/root0/port1/uport')).toBe(
      'devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0016:00',
    );
    expect(VIEW.realpath('bus/cxl/devices/mem0')).toBe(MEM0);
    // dangling links (bus/pci is not in the dump) still lstat as links
    expect(VIEW.lstat(`${MEM0}/../driver`)?.kind).toBe('link');
    expect(() => VIEW.realpath(`${MEM0}/../driver`)).toThrow();
    expect(VIEW.lstat('bus/cxl/devices/nonexistent')).toBeUndefined();
  });

  it('resolves every link whose target is in the dump to that target', () => {
    const paths = new Set(ENTS.map((e) => e.path));
    for (const e of ENTS.filter((x) => x.kind === 'L')) {
      const target = resolveLink(e.path, e.rest[0] ?? '');
      if (!paths.has(target)) continue;
      expect(VIEW.realpath(e.path)).toBe(VIEW.realpath(target));
      expect(VIEW.lstat(VIEW.realpath(e.path))?.kind).not.toBe('link');
    }
  });

  it('lists every directory with exactly its children, in kernfs order', () => {
    const children = new Map<string, Set<string>>();
    for (const e of ENTS) {
      const i = e.path.lastIndexOf('/');
      const dir = i < 0 ? '' : e.path.slice(0, i);
      const set = children.get(dir) ?? new Set<string>();
      set.add(e.path.slice(i + 1));
      children.set(dir, set);
    }
    for (const e of ENTS.filter((x) => x.kind === 'D')) {
      const names = VIEW.readdir(e.path);
      expect(names).toEqual(kernfsOrder(children.get(e.path) ?? []));
    }
  });

  it('is read-only (EROFS) and reports directories and missing files', () => {
    expect(() => VIEW.write(`${MEM0}/serial`, '1\n')).toThrow(/Read-only file system/);
    expect(readErr(MEM0)).toBe('EISDIR');
    expect(readErr(`${MEM0}/nope`)).toBe('ENOENT');
    expect(() => VIEW.readdir(`${MEM0}/serial`)).toThrow();
  });
});
