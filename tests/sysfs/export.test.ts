import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exportSysfs } from '../../src/sysfs/export.ts';
import { parseSysfsTxt, sysfsTxtView } from '../helpers/sysfs-txt.ts';
import { buildMinimal } from './minimal-tree.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'cxlsim-export-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const MEM0 = 'devices/pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem0';

describe('exportSysfs', () => {
  it('writes files with their modes, relative symlinks and directories', () => {
    const t = buildMinimal();
    t.state.cdat = new Uint8Array([0xa0, 0, 0, 0, 1, 2]);
    const out = join(tmp(), 'sys');
    const stats = exportSysfs(t.view, out);
    expect(stats.links).toBeGreaterThan(20);
    const mode = (p: string) => lstatSync(join(out, p)).mode & 0o777;
    expect(mode('bus/cxl/drivers/cxl_mem/bind')).toBe(0o200);
    expect(mode('devices/platform/ACPI0017:00/root0/decoder0.0/start')).toBe(0o400);
    expect(mode(`${MEM0}/uevent`)).toBe(0o644);
    expect(mode('bus/cxl/devices')).toBe(0o755);
    expect(readlinkSync(join(out, 'bus/cxl/devices/mem0'))).toBe(`../../../${MEM0}`);
    expect(readlinkSync(join(out, 'devices/platform/ACPI0017:00/root0/uport'))).toBe(
      '../../ACPI0017:00',
    );
    // relative links resolve inside the exported tree
    expect(readFileSync(join(out, 'bus/cxl/devices/mem0/pmem/size'), 'utf8')).toBe('0x10000000\n');
    expect(readFileSync(join(out, 'bus/cxl/devices/endpoint2/CDAT'))).toEqual(
      Buffer.from(t.state.cdat),
    );
    // unreadable files exist, empty
    expect(lstatSync(join(out, 'bus/cxl/flush')).size).toBe(0);
    expect(stats.unreadable).toBeGreaterThan(10);
  });

  it('exports a capture tree with the same entries it was built from', () => {
    const text = readFileSync(
      new URL('../../sysfs-fixtures/minimal/00-boot/sysfs.txt', import.meta.url),
      'utf8',
    );
    const out = tmp();
    exportSysfs(sysfsTxtView(text), out);
    for (const e of parseSysfsTxt(text)) {
      const st = lstatSync(join(out, e.path));
      if (e.kind === 'D') expect(st.isDirectory(), e.path).toBe(true);
      else if (e.kind === 'L') expect(readlinkSync(join(out, e.path)), e.path).toBe(e.rest[0]);
      else expect(st.mode & 0o777, e.path).toBe(Number.parseInt(e.rest[0] ?? '', 8));
    }
  });

  it('refuses a non-empty directory unless forced, then replaces only its own entries', () => {
    const t = buildMinimal();
    const out = tmp();
    writeFileSync(join(out, 'keep.txt'), 'x');
    expect(() => exportSysfs(t.view, out)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(readdirSync(out)).toEqual(['keep.txt']);
    exportSysfs(t.view, out, { force: true });
    t.dev.dec20.del();
    exportSysfs(t.view, out, { force: true });
    expect(existsSync(join(out, 'keep.txt'))).toBe(true);
    expect(existsSync(join(out, 'bus/cxl/devices/decoder1.0'))).toBe(true);
    expect(() => lstatSync(join(out, 'bus/cxl/devices/decoder2.0'))).toThrow();
  });

  it('exports only the requested subtrees', () => {
    const t = buildMinimal();
    const out = tmp();
    exportSysfs(t.view, out, { only: ['/sys/bus/cxl/devices', 'bus/cxl'] });
    expect(readdirSync(out)).toEqual(['bus']);
    expect(readdirSync(join(out, 'bus'))).toEqual(['cxl']);
    expect(() => exportSysfs(t.view, tmp(), { only: ['bus/none'] })).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });
});
