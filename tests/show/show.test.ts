/**
 * `cxlsim show`: the default preset drawn as SVG (Graphviz dot) is well-formed XML and holds a
 * node for every device of the guest's CXL bus (ports, dports, endpoints, memdevs, root
 * decoders, regions) — Graphviz `dot` is required (.ci/run installs graphviz); the tree has no colour when not on a TTY; DOT names every node.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliRunner } from '../cli/fake-deps.ts';
import { allElements, parseXml, textOf } from '../helpers/xml.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function session() {
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-show-'));
  dirs.push(cwd);
  const run = cliRunner(cwd);
  expect((await run('boot', '--preset', 'default')).code).toBe(0);
  const r = await run(
    'create-region',
    '-m',
    '-d',
    'decoder0.1',
    '-w',
    '2',
    '-g',
    '4096',
    'mem4',
    'mem0',
  );
  expect(r.stderr).toMatch(/created 1 region/);
  return { run, cwd };
}

/** The CXL devices the guest has (what the picture must show). */
async function devices(run: Awaited<ReturnType<typeof session>>['run']): Promise<string[]> {
  const ls = (await run('sysfs', 'ls', '/sys/bus/cxl/devices')).stdout.split('\n');
  return ls.filter((n) => /^(root|port|endpoint|mem|region)\d+$|^decoder0\.\d+$/.test(n)).sort();
}

describe('cxlsim show', () => {
  it('--format svg on the default preset: valid SVG with every device', async () => {
    const { run, cwd } = await session();
    const r = await run('show', '--format', 'svg', '-o', 'topo.svg');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const svg = parseXml(readFileSync(join(cwd, 'topo.svg'), 'utf8'));
    expect(svg.name).toBe('svg');
    const titles = allElements(svg)
      .filter((e) => e.name === 'g' && e.attrs.class === 'node')
      .map((g) =>
        textOf(g.children.find((c) => typeof c !== 'string' && c.name === 'title') as never),
      );
    const want = await devices(run);
    expect(want.length).toBe(18); // root0, 3 ports (2 host bridges, 1 switch), 5 endpoints, 5 memdevs, 3 windows, 1 region
    for (const d of want) expect(titles).toContain(d);
    // the host bridges (root0's dports) are drawn too
    expect(titles.filter((t) => /^root0\/dport\d+$/.test(t))).toHaveLength(2);
    // the region's positions name its memdevs
    const edgeTitles = allElements(svg)
      .filter((e) => e.name === 'g' && e.attrs.class === 'edge')
      .map((g) =>
        textOf(g.children.find((c) => typeof c !== 'string' && c.name === 'title') as never),
      );
    expect(edgeTitles.filter((t) => /^region\d+->mem\d+$/.test(t))).toHaveLength(2);
  });

  it('the tree (no colour off a TTY) and DOT name every device', async () => {
    const { run } = await session();
    const tree = (await run('show')).stdout;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: checking for ANSI escapes
    expect(tree).not.toMatch(/\u001b\[/);
    const dot = (await run('show', '--format', 'dot')).stdout;
    for (const d of await devices(run)) {
      expect(dot).toContain(`"${d}"`);
      if (!/^root/.test(d)) expect(tree).toContain(d);
    }
    expect(tree).toMatch(/position 0: decoder\d+\.0 → mem4/);
    expect((await run('show', '--format', 'png')).stderr).toContain("unknown --format 'png'");
  });
});
