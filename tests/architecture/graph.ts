/**
 * The import graph of src/: every relative import (static, `import type`, re-exports and
 * dynamic `import('…')`) of every source file, read with es-module-lexer, resolved to a file.
 * Used by the architecture tests to find layer violations and cycles.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { init, parse } from 'es-module-lexer';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SRC = join(ROOT, 'src');

/** Every .ts file under `dir`, as paths relative to the repository root ("src/hw/x.ts"). */
export function sourceFiles(dir = SRC): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts')) out.push(relative(ROOT, p));
  }
  return out;
}

/** file → the files it imports (repository-relative paths); bare package imports are left out. */
export async function importGraph(files = sourceFiles()): Promise<Map<string, string[]>> {
  await init;
  const g = new Map<string, string[]>();
  for (const f of files) {
    const [imports] = parse(readFileSync(join(ROOT, f), 'utf8'), f);
    const deps = new Set<string>();
    for (const i of imports) {
      const spec = i.n;
      if (!spec?.startsWith('.')) continue;
      deps.add(relative(ROOT, resolve(ROOT, dirname(f), spec)));
    }
    g.set(f, [...deps].sort());
  }
  return g;
}

/** Strongly connected components with more than one file (Tarjan), each sorted. */
export function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}
