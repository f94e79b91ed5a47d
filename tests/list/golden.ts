/**
 * Loader for tests/list/golden/ndctl-<version>.jsonl: outputs of the REAL `cxl list` (Debian 12's
 * ndctl 76.1, and ndctl v85 built from its git tag) over capture trees, some with edits applied,
 * recorded by tests/list/golden/gen-golden.py the way shared/tools/real-cxl-list --mbox-shim runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SysfsView } from '../../src/sysfs/view.ts';
import { parseSysfsTxt, type SysfsTxtEntry, sysfsTxtView } from '../helpers/sysfs-txt.ts';

/** One edit of a tree's records (gen-golden.py mutate()). */
export type Edit =
  | { op: 'drop'; path: string }
  | { op: 'set'; path: string; content: string }
  | { op: 'link'; path: string; target: string }
  | { op: 'file'; path: string; content: string; mode: string };

export interface GoldenCase {
  tree: string;
  mutate: string | null;
  /** which mailbox answered: the captures' mbox shim, or tests/list/rich-ioctl.ts */
  ioctl: 'shim' | 'rich';
  args: string[];
  stdout: string;
  stderr: string;
  code: number;
}

interface RawCase {
  tree: string;
  mutate: string | null;
  ioctl: 'shim' | 'rich';
  args: string[];
  stdout: number;
  stderr: number;
  code: number;
}

export const FIXTURES = join(import.meta.dirname, '..', '..', 'sysfs-fixtures');

/** Loads golden/ndctl-<version>.jsonl (header, ["T", text] lines, ["C", case] lines). */
export function loadGolden(version: '76.1' | '85'): {
  cases: GoldenCase[];
  mutations: Record<string, Edit[]>;
} {
  const lines = readFileSync(join(import.meta.dirname, 'golden', `ndctl-${version}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  const header = JSON.parse(lines[0] ?? '{}') as { mutations: Record<string, Edit[]> };
  const texts: string[] = [];
  const raw: RawCase[] = [];
  for (const l of lines.slice(1)) {
    const [tag, v] = JSON.parse(l) as ['T', string] | ['C', RawCase];
    if (tag === 'T') texts.push(v as string);
    else raw.push(v as RawCase);
  }
  const cases = raw.map((c) => ({
    ...c,
    stdout: texts[c.stdout] ?? '',
    stderr: texts[c.stderr] ?? '',
  }));
  return { cases, mutations: header.mutations };
}

/** A record's body for a content string ('\n'.join(body) + '\n'). */
function body(content: string): string[] {
  return content ? content.slice(0, -1).split('\n') : [];
}

/** Applies gen-golden.py's edits to parsed records. */
export function applyEdits(entries: SysfsTxtEntry[], edits: Edit[]): SysfsTxtEntry[] {
  let out = entries;
  for (const e of edits) {
    const size = (c: string): string => String(Buffer.byteLength(c));
    if (e.op === 'drop') out = out.filter((r) => r.path !== e.path);
    else if (e.op === 'set') {
      out = out.map((r) =>
        r.path === e.path
          ? {
              kind: r.kind,
              path: r.path,
              rest: [r.rest[0] ?? '444', size(e.content)],
              body: body(e.content),
            }
          : r,
      );
    } else if (e.op === 'link')
      out = [...out, { kind: 'L', path: e.path, rest: [e.target], body: [] }];
    else
      out = [
        ...out,
        { kind: 'F', path: e.path, rest: [e.mode, size(e.content)], body: body(e.content) },
      ];
  }
  return out;
}

const parsed = new Map<string, SysfsTxtEntry[]>();
const views = new Map<string, SysfsView>();

/** The view of a fixture tree with a named mutation applied (cached). */
export function goldenView(
  tree: string,
  mutate: string | null,
  mutations: Record<string, Edit[]>,
): SysfsView {
  const key = `${tree}|${mutate ?? ''}`;
  let v = views.get(key);
  if (!v) {
    let ents = parsed.get(tree);
    if (!ents) {
      ents = parseSysfsTxt(readFileSync(join(FIXTURES, tree, 'sysfs.txt'), 'utf8'));
      parsed.set(tree, ents);
    }
    v = sysfsTxtView(mutate ? applyEdits(ents, mutations[mutate] ?? []) : ents);
    views.set(key, v);
  }
  return v;
}
