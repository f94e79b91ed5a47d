/**
 * The layering rules of docs/architecture.md, checked on the real import graph of src/:
 * no import cycle crosses a folder, drivers never import hw, hw never imports the guest's
 * drivers, nothing outside cli/ imports cli/, the ndctl emulation never imports drivers or hw.
 *
 * Debts that exist today are listed below, exactly: the test fails when a new violation
 * appears and also when a listed one is gone (so the list shrinks with the fix).
 */
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, importGraph, sourceFiles } from './graph.ts';

/** A rule: importer prefix → forbidden imported prefix. */
const RULES: [string, string, string][] = [
  ['src/drivers/', 'src/hw/', 'drivers reach hardware only through bus/'],
  ['src/hw/', 'src/drivers/', 'the emulated platform knows nothing of the guest drivers'],
  ['src/ndctl/', 'src/drivers/', 'libcxl reads and writes /sys, not the drivers'],
  ['src/ndctl/', 'src/hw/', 'ndctl reaches hardware only through the kernel'],
  ['src/drivers/', 'src/host/', "the guest's drivers never see the host kernel"],
  ['src/host/', 'src/drivers/', "the host kernel's vfio-cxl is not the guest's"],
  ['src/sysfs/', 'src/drivers/', 'sysfs/ is kernfs machinery: objects own their attributes'],
];
const notCli = (f: string) => !f.startsWith('src/cli/');

/** Layer violations that exist today (importer → imported). Shrinks, never grows. */
const KNOWN_VIOLATIONS: string[] = [];

/** Cycles between folders that exist today, as the sorted folder sets they span. */
const KNOWN_CROSS_FOLDER_CYCLES: string[] = [];

describe('the import graph of src/', async () => {
  const files = sourceFiles();
  const g = await importGraph(files);

  it('reads every source file and its imports', () => {
    expect(files.length).toBeGreaterThan(200);
    expect(g.size).toBe(files.length);
    const edges = [...g.values()].reduce((n, d) => n + d.length, 0);
    expect(edges).toBeGreaterThan(files.length);
    // every relative import resolves to a file of the tree
    const missing = [...g].flatMap(([f, ds]) =>
      ds.filter((d) => !g.has(d)).map((d) => `${f} → ${d}`),
    );
    expect(missing).toEqual([]);
  });

  it('breaks no layering rule beyond the listed debts', () => {
    const found: string[] = [];
    for (const [f, ds] of g)
      for (const d of ds) {
        const rule = RULES.some(([from, to]) => f.startsWith(from) && d.startsWith(to));
        if (rule || (notCli(f) && d.startsWith('src/cli/'))) found.push(`${f} → ${d}`);
      }
    expect(found.sort()).toEqual([...KNOWN_VIOLATIONS].sort());
  });

  it('has no import cycle across folders beyond the listed debts', () => {
    const spans = cycles(g)
      .map((scc) => [...new Set(scc.map((f) => dirname(f)))].sort())
      .filter((dirs) => dirs.length > 1)
      .map((dirs) => dirs.join(' + '));
    expect(spans.sort()).toEqual([...KNOWN_CROSS_FOLDER_CYCLES].sort());
  });

  it('finds a cycle and a violation when there is one (the checker sees)', async () => {
    const { cycles: c } = await import('./graph.ts');
    const fake = new Map([
      ['src/a/x.ts', ['src/b/y.ts']],
      ['src/b/y.ts', ['src/a/x.ts']],
      ['src/c/z.ts', []],
    ]);
    expect(c(fake)).toEqual([['src/a/x.ts', 'src/b/y.ts']]);
  });
});
