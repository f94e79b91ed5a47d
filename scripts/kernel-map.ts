/**
 * docs/kernel-map.md: which cxlsim symbol models which kernel (or QEMU / ndctl) function.
 *
 * The map is read from the source's own doc comments: a comment whose first words name C
 * functions (`devm_cxl_add_port(): …`, `decoder_populate_targets() + device_add: …`) documents
 * the exported symbol that follows it. `npx tsx scripts/kernel-map.ts` rewrites the document;
 * tests/architecture/kernel-map.test.ts fails when it is out of date.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const DOC = join(ROOT, 'docs/kernel-map.md');

/** One mapping: a C function name, the cxlsim file and the exported symbol documenting it. */
export interface KernelMapEntry {
  cFunction: string;
  file: string;
  symbol: string;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (n.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** A doc comment, then optional modifiers, then an exported (or class member) declaration. */
const DECL =
  /\/\*\*([\s\S]*?)\*\/\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\*?\s+|const\s+|let\s+|class\s+)?([A-Za-z_$][\w$]*)/g;
/** C function names at the start of the comment: `a()`, `a() + b()`, `a() / b`, `a(): …`. */
const LEAD = /^\s*\*?\s*((?:[a-z_][a-z0-9_]*\(\)\s*(?:[+/,]|and)?\s*)+)/;

/** Every mapping in src/, sorted by C function then file. */
export function buildKernelMap(): KernelMapEntry[] {
  const out: KernelMapEntry[] = [];
  for (const f of tsFiles(join(ROOT, 'src'))) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(DECL)) {
      const body = (m[1] ?? '').replace(/^\s*\*?\s*/, '');
      if (body.startsWith('DOC:')) continue;
      const lead = LEAD.exec(body);
      if (!lead?.[1]) continue;
      for (const fn of lead[1].matchAll(/([a-z_][a-z0-9_]*)\(\)/g))
        out.push({ cFunction: fn[1] ?? '', file: relative(ROOT, f), symbol: m[2] ?? '' });
    }
  }
  return out.sort(
    (a, b) =>
      a.cFunction.localeCompare(b.cFunction) ||
      a.file.localeCompare(b.file) ||
      a.symbol.localeCompare(b.symbol),
  );
}

/** The document's text for `entries`. */
export function renderKernelMap(entries: KernelMapEntry[]): string {
  const lines = [
    '# Kernel map',
    '',
    'Which cxlsim symbol models which C function (Linux drivers/cxl and drivers/base, QEMU hw/cxl,',
    "ndctl's libcxl). Generated from the source's doc comments by `npx tsx scripts/kernel-map.ts`;",
    'tests/architecture/kernel-map.test.ts fails when it is stale.',
    '',
    `${entries.length} mappings.`,
    '',
    '| C function | cxlsim file | symbol |',
    '| --- | --- | --- |',
    ...entries.map((e) => `| \`${e.cFunction}\` | ${e.file} | \`${e.symbol}\` |`),
    '',
  ];
  return lines.join('\n');
}

/** The committed document's path. */
export const KERNEL_MAP_DOC = DOC;

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  writeFileSync(DOC, renderKernelMap(buildKernelMap()));
  console.log(`${relative(ROOT, DOC)} written`);
}
