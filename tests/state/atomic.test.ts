import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type AtomicFs, writeFileAtomicSync } from '../../src/state/atomic.ts';

const dir = mkdtempSync(join(tmpdir(), 'cxlsim-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const real: AtomicFs = {
  openSync: fs.openSync,
  writeSync: (fd, b, o, l) => fs.writeSync(fd, b, o, l),
  fsyncSync: fs.fsyncSync,
  closeSync: fs.closeSync,
  renameSync: fs.renameSync,
  unlinkSync: fs.unlinkSync,
};

const enospc = () =>
  Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('writeFileAtomicSync', () => {
  it('continues short writes until every byte is written', () => {
    const f = join(dir, 'short.json');
    let calls = 0;
    const fsx: AtomicFs = {
      ...real,
      writeSync: (fd, b, o, l) => {
        calls++;
        return fs.writeSync(fd, b, o, Math.min(l, 7));
      },
    };
    const data = 'x'.repeat(100);
    writeFileAtomicSync(f, data, fsx);
    expect(readFileSync(f, 'utf8')).toBe(data);
    expect(calls).toBe(15);
  });

  for (const [name, fail] of [
    ['a short write then ENOSPC', (n: number) => (n === 0 ? 'short' : 'enospc')],
    ['a write of 0 bytes', () => 'zero'],
    ['EIO on fsync', () => 'fsync'],
  ] as const) {
    it(`leaves the previous file byte-identical and throws on ${name}`, () => {
      const f = join(dir, `fail-${name.length}.json`);
      writeFileSync(f, 'previous state\n');
      let n = 0;
      const fsx: AtomicFs = {
        ...real,
        writeSync: (fd, b, o, l) => {
          const what = fail(n++);
          if (what === 'enospc') throw enospc();
          if (what === 'zero') return 0;
          return fs.writeSync(fd, b, o, Math.min(l, 4096));
        },
        fsyncSync: (fd) => {
          if (fail(0) === 'fsync')
            throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
          fs.fsyncSync(fd);
        },
      };
      expect(() => writeFileAtomicSync(f, 'y'.repeat(12_000), fsx)).toThrow(/ENOSPC|EIO|wrote/);
      expect(readFileSync(f, 'utf8')).toBe('previous state\n');
      expect(readdirSync(dir).filter((x) => x.includes('.tmp-'))).toEqual([]);
    });
  }
});

/** A 16 KiB tmpfs (root only). */
function mountSmallTmpfs(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const m = mkdtempSync(join(tmpdir(), 'cxlsim-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', m]);
  if (r.status !== 0) {
    rmSync(m, { recursive: true, force: true });
    return undefined;
  }
  return m;
}

describe('writeFileAtomicSync on a full file system', () => {
  const m = mountSmallTmpfs();
  afterAll(() => {
    if (m) {
      spawnSync('umount', [m]);
      rmSync(m, { recursive: true, force: true });
    }
  });
  it.runIf(m !== undefined)('fails with ENOSPC and keeps the previous file (16 KiB tmpfs)', () => {
    const f = join(m as string, 'state.json');
    writeFileAtomicSync(f, 'a'.repeat(6000));
    expect(() => writeFileAtomicSync(f, 'b'.repeat(12_000))).toThrow(/ENOSPC/);
    expect(readFileSync(f, 'utf8')).toBe('a'.repeat(6000));
    expect(readdirSync(m as string)).toEqual(['state.json']);
  });
});
