import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootSync } from '../../src/api/boot.ts';
import { Errno } from '../../src/kernel/errno.ts';
import { dumpSysfs, writeSysfsDumpBytes } from '../../src/sysfs/dump.ts';
import type { SysfsView } from '../../src/sysfs/view.ts';
import { generateTopology, shapeForEndpoints } from '../../src/topology/generate.ts';
import { parseSysfsTxt, sysfsTxtView } from '../helpers/sysfs-txt.ts';
import { buildMinimal } from './minimal-tree.ts';

const FIXTURES = new URL('../../sysfs-fixtures/', import.meta.url).pathname;
const EP2 = 'devices/platform/ACPI0017:00/root0/port1/endpoint2';

/** Every sysfs.txt below sysfs-fixtures/ (golden dumps copied from the kernel captures). */
function fixtureDumps(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n === 'sysfs.txt') out.push(p);
    }
  };
  walk(FIXTURES);
  return out.sort();
}

describe('dumpSysfs', () => {
  const dumps = fixtureDumps();

  it('finds golden dumps', () => {
    expect(dumps.length).toBeGreaterThanOrEqual(3);
  });

  for (const file of dumps) {
    it(`reproduces ${file.slice(FIXTURES.length)} byte for byte from its own tree`, () => {
      const text = readFileSync(file, 'utf8');
      expect(dumpSysfs(sysfsTxtView(text))).toBe(text);
    });
  }

  it('round-trips the live tree through the line format', () => {
    const t = buildMinimal();
    t.state.cdat = new Uint8Array(Array.from({ length: 70 }, (_, i) => (i * 37) & 0xff));
    const text = dumpSysfs(t.view);
    const back = sysfsTxtView(text);
    expect(dumpSysfs(back)).toBe(text);
    for (const e of parseSysfsTxt(text)) {
      if (e.kind === 'F') expect(back.read(e.path), e.path).toBe(t.view.read(e.path));
      if (e.kind === 'X') expect(back.read(e.path), e.path).toEqual(t.view.read(e.path));
      if (e.kind === 'L') expect(e.rest[0], e.path).toBe(t.view.readlink(e.path));
    }
  });

  it('writes binary files as 32-byte hex lines, like the capture (CDAT)', () => {
    const golden = parseSysfsTxt(readFileSync(join(FIXTURES, 'minimal/00-boot/sysfs.txt'), 'utf8'));
    const cdat = golden.find((e) => e.path === `${EP2}/CDAT`);
    if (!cdat) throw new Error('fixture lacks the CDAT record');
    const t = buildMinimal();
    t.state.cdat = new Uint8Array(Buffer.from(cdat.body.join(''), 'hex'));
    const ours = parseSysfsTxt(dumpSysfs(t.view, [`${EP2}/CDAT`]));
    expect(ours).toEqual([cdat]);
  });

  it('prints busybox cat errors for unreadable files and failing show()', () => {
    const t = buildMinimal();
    t.state.showErr = new Errno('ENXIO');
    const text = dumpSysfs(
      t.view,
      ['bus/cxl/flush', 'devices/platform/ACPI0017:00/root0/decoder0.0/qos_class'],
      {
        header: false,
      },
    );
    expect(text).toBe(
      "E\tbus/cxl/flush\t200\tcat: can't open '/sys/bus/cxl/flush': Permission denied\n" +
        'E\tdevices/platform/ACPI0017:00/root0/decoder0.0/qos_class\t444\tcat: read error: No such device or address\n',
    );
  });

  it('keeps content without a trailing newline and empty files exact', () => {
    const t = buildMinimal();
    t.dev.mem0.groups.push({
      attrs: [
        { name: 'raw', mode: 0o444, show: () => 'a\n\nb' },
        { name: 'empty', mode: 0o444, show: () => '' },
      ],
    });
    const base = 'devices/pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem0';
    const text = dumpSysfs(t.view, [`${base}/raw`, `${base}/empty`], { header: false });
    expect(text).toBe(`F\t${base}/empty\t444\t0\nF\t${base}/raw\t444\t4\n|a\n|\n|b\n`);
    expect(sysfsTxtView(text).read(`${base}/raw`)).toBe('a\n\nb');
  });

  it('rejects a missing root', () => {
    const t = buildMinimal();
    expect(() => dumpSysfs(t.view, ['bus/nope'])).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });
});

describe('dumpSysfs on a generated machine (listings, large directories, bytes)', () => {
  // 32 endpoints: bus/cxl/devices has more entries than the dump's large-directory threshold
  const m = bootSync({ topology: generateTopology(shapeForEndpoints(32)) });
  const live = m.raw.sysfs;
  /** The same tree through the interface's required methods only (no fast path). */
  const plain: SysfsView = {
    lstat: (p) => live.lstat(p),
    readdir: (p) => live.readdir(p),
    readlink: (p) => live.readlink(p),
    read: (p) => live.read(p),
    write: (p, v) => live.write(p, v),
    realpath: (p) => live.realpath(p),
  };
  const text = dumpSysfs(live);

  it('has a directory of 128 entries or more', () => {
    expect(live.readdir('bus/cxl/devices').length).toBeGreaterThanOrEqual(128);
  });

  it('writes the same text with and without the view’s fast paths, and from its own dump', () => {
    expect(dumpSysfs(plain)).toBe(text);
    expect(dumpSysfs(sysfsTxtView(text))).toBe(text);
  });

  it('writes the same text as bytes, in pieces of at most 64 KiB', () => {
    const pieces: Buffer[] = [];
    writeSysfsDumpBytes(live, (b) => {
      expect(b.length).toBeLessThanOrEqual(1 << 16);
      pieces.push(Buffer.from(b)); // the writer reuses its buffer
    });
    expect(pieces.length).toBeGreaterThan(1);
    expect(Buffer.concat(pieces).toString('utf8')).toBe(text);
  });
});
