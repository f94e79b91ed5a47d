/**
 * DOC: the topology graph (graph.ts) as text: a tree for the terminal (box-drawing branches;
 * the caller decides colour — on a TTY only — and passes a painter), and Graphviz DOT (the
 * decode hierarchy as a top-down tree, windows and regions as boxes with dashed edges to their
 * host-bridge targets and to each position's memdev). SVG is DOT run through Graphviz `dot`
 * by the CLI (graphviz from the distribution: a maintained renderer, no JS reimplementation).
 */
import type { ShowGraph, ShowNode } from './graph.ts';

/** Colours the tree by node kind (identity when not on a TTY). */
export type Painter = (kind: ShowNode['kind'], s: string) => string;

const plain: Painter = (_k, s) => s;

/** The tree view (ends with a newline). */
export function renderTree(g: ShowGraph, paint: Painter = plain): string {
  const out: string[] = [];
  const walk = (id: string, prefix: string, last: boolean, top: boolean) => {
    const n = g.nodes.get(id);
    if (!n) return;
    const branch = top ? '' : last ? '└─ ' : '├─ ';
    out.push(`${prefix}${branch}${paint(n.kind, n.label)}`);
    const next = top ? '' : `${prefix}${last ? '   ' : '│  '}`;
    n.children.forEach((c, i) => {
      walk(c, next, i === n.children.length - 1, false);
    });
  };
  for (const r of g.roots.filter((x) => g.nodes.get(x)?.kind === 'root')) walk(r, '', true, true);
  const extra = (kind: ShowNode['kind'], title: string) => {
    const ids = g.roots.filter((x) => g.nodes.get(x)?.kind === kind);
    if (ids.length === 0) return;
    out.push('', title);
    for (const id of ids) {
      const n = g.nodes.get(id) as ShowNode;
      out.push(`  ${paint(n.kind, n.label)}`);
      for (const e of g.edges.filter((x) => x.from === id)) {
        const to = g.nodes.get(e.to);
        out.push(`    ${e.label} → ${to ? to.label.split(' ').slice(0, 2).join(' ') : e.to}`);
      }
    }
  };
  extra('window', 'windows (root decoders):');
  extra('region', 'regions:');
  return `${out.join('\n')}\n`;
}

const SHAPE: Record<ShowNode['kind'], string> = {
  root: 'shape=box,style="rounded,bold"',
  'host-bridge': 'shape=box,style=rounded',
  port: 'shape=box',
  dport: 'shape=box,style=dashed',
  endpoint: 'shape=box,style=rounded',
  memdev: 'shape=box3d',
  window: 'shape=note',
  region: 'shape=folder',
};

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Graphviz DOT source (ends with a newline). */
export function renderDot(g: ShowGraph): string {
  const out = ['digraph cxl {', '  rankdir=TB;', '  node [fontname="monospace",fontsize=10];'];
  for (const n of g.nodes.values())
    out.push(`  ${q(n.id)} [label=${q(n.label)},${SHAPE[n.kind]}];`);
  for (const n of g.nodes.values())
    for (const c of n.children) out.push(`  ${q(n.id)} -> ${q(c)};`);
  for (const e of g.edges)
    out.push(`  ${q(e.from)} -> ${q(e.to)} [style=dashed,label=${q(e.label)},constraint=false];`);
  out.push('}');
  return `${out.join('\n')}\n`;
}
