/**
 * Every `cxl list` run of the kernel captures, replayed over a view rebuilt from that snapshot's
 * sysfs.txt with the mbox shim the reference run used: stdout, stderr and exit code must equal the
 * guest's (ndctl 76.1) byte for byte. Golden data: sysfs-fixtures/<scenario>/<snapshot>/cxl-list/
 * (index.txt: file, command line, rc; <file>.json stdout; <file>.stderr when non-empty).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cxlList } from '../../src/ndctl/cxl/list.ts';
import type { SysfsView } from '../../src/sysfs/view.ts';
import { mboxShim } from '../helpers/mbox-shim.ts';
import { loadSysfsTxt } from '../helpers/sysfs-txt.ts';

const ROOT = join(import.meta.dirname, '..', '..', 'sysfs-fixtures');

interface Case {
  file: string;
  args: string[];
  rc: number;
}

/** Snapshot directories (relative to ROOT) that hold a cxl-list/index.txt. */
function snapshots(): string[] {
  const out: string[] = [];
  for (const scenario of readdirSync(ROOT).sort()) {
    const sdir = join(ROOT, scenario);
    for (const snap of readdirSync(sdir).sort()) {
      if (existsSync(join(sdir, snap, 'cxl-list', 'index.txt'))) out.push(`${scenario}/${snap}`);
    }
  }
  return out;
}

/** index.txt lines: "<file>\tcxl list <flags>\trc=<n>". */
function cases(dir: string): Case[] {
  const text = readFileSync(join(dir, 'cxl-list', 'index.txt'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [file = '', cmd = '', rc = ''] = l.split('\t');
      const args = cmd
        .replace(/^cxl list/, '')
        .trim()
        .split(/\s+/)
        .filter(Boolean);
      return { file, args, rc: Number(rc.replace('rc=', '')) };
    });
}

const snaps = snapshots();

describe('cxl list reproduces every capture (ndctl 76.1, mbox shim)', () => {
  it('finds the fixtures', () => {
    expect(snaps.length).toBeGreaterThanOrEqual(16);
  });
  for (const snap of snaps) {
    const dir = join(ROOT, snap);
    let view: SysfsView | undefined;
    const getView = (): SysfsView => {
      view ??= loadSysfsTxt(join(dir, 'sysfs.txt'));
      return view;
    };
    for (const c of cases(dir)) {
      it(`${snap}: cxl list ${c.args.join(' ')}`, () => {
        const v = getView();
        const r = cxlList(v, c.args, { ndctl: '76.1', ioctl: mboxShim(v) });
        const stdout = readFileSync(join(dir, 'cxl-list', `${c.file}.json`), 'utf8');
        const errFile = join(dir, 'cxl-list', `${c.file}.stderr`);
        const stderr = existsSync(errFile) ? readFileSync(errFile, 'utf8') : '';
        expect(r.stdout).toBe(stdout);
        expect(r.stderr).toBe(stderr);
        expect(r.code).toBe(c.rc);
      });
    }
  }
});
