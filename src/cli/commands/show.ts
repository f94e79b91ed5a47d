/**
 * DOC: `cxlsim show [--format tree|dot|svg] [-o FILE]` — the booted topology drawn (src/show):
 * `tree` in the terminal (colour only when stdout is a TTY, via chalk), `dot` as Graphviz
 * source, `svg` by piping that source through Graphviz `dot -Tsvg` (apt: graphviz; a missing
 * `dot` is one clear error line).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Chalk } from 'chalk';
import { Errno } from '../../kernel/errno.ts';
import { buildShowGraph } from '../../show/graph.ts';
import { type Painter, renderDot, renderTree } from '../../show/render.ts';
import { type CliContext, withMachine } from '../session.ts';

/** Options of `cxlsim show`. */
export interface ShowArgs {
  format?: string;
  output?: string;
}

/** DOT → SVG through Graphviz. @throws Errno ENOENT when `dot` is not installed */
export function dotToSvg(dot: string): string {
  const r = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error)
    throw new Errno(
      'ENOENT',
      'cxlsim: --format svg needs Graphviz `dot` (apt-get install graphviz); --format dot prints its input',
    );
  if (r.status !== 0) throw new Errno('EINVAL', `cxlsim: dot failed: ${r.stderr.trim()}`);
  return r.stdout;
}

function painter(tty: boolean): Painter {
  if (!tty) return (_k, s) => s;
  const c = new Chalk({ level: 1 });
  const by: Record<string, (s: string) => string> = {
    root: c.bold,
    'host-bridge': c.cyan,
    port: c.blue,
    dport: c.dim,
    endpoint: c.green,
    memdev: c.green,
    window: c.yellow,
    region: c.magenta,
  };
  return (k, s) => (by[k] ?? ((x: string) => x))(s);
}

/** Runs `cxlsim show`. */
export async function showCommand(ctx: CliContext, a: ShowArgs): Promise<number> {
  const format = a.format ?? 'tree';
  if (!['tree', 'dot', 'svg'].includes(format))
    throw new Errno('EINVAL', `unknown --format '${format}' (tree, dot, svg)`);
  return withMachine(ctx, ({ machine }) => {
    const g = buildShowGraph(machine.sysfs);
    const tty =
      a.output === undefined && ctx.io.isTty === true && ctx.io.env.NO_COLOR === undefined;
    const text =
      format === 'tree'
        ? renderTree(g, painter(tty))
        : format === 'dot'
          ? renderDot(g)
          : dotToSvg(renderDot(g));
    if (a.output !== undefined) writeFileSync(resolve(ctx.io.cwd, a.output), text);
    else ctx.io.out(text);
    return 0;
  });
}
