/**
 * docs/architecture.md matches the tree: every folder of src/ has a row in its table, and every
 * src/ folder the document names exists.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, SRC } from './graph.ts';

function folders(dir: string): string[] {
  const out = [`${relative(ROOT, dir)}/`];
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...folders(p));
  }
  return out;
}

describe('docs/architecture.md', () => {
  const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const rows = [...doc.matchAll(/^\| `(src\/[^`]*)` \|/gm)].map((m) => m[1] ?? '');
  const named = [...doc.matchAll(/`(src\/[a-z0-9/_-]*\/)`/g)].map((m) => m[1] ?? '');

  it('has a row for every folder of src/', () => {
    const tree = folders(SRC);
    expect(tree.length).toBeGreaterThan(20);
    expect(tree.filter((f) => !rows.includes(f))).toEqual([]);
  });

  it('names only folders that exist', () => {
    expect(named.length).toBeGreaterThanOrEqual(rows.length);
    expect(named.filter((f) => !existsSync(join(ROOT, f)))).toEqual([]);
  });
});
