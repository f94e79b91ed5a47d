/**
 * `cxlsim gen` end to end, in-process with the real dependencies: the file it writes boots with
 * `cxlsim boot --topology FILE` and lists the requested devices; bad options are one-line
 * EINVAL errors and write nothing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { parseTopologyFile } from '../../src/topology/schema.ts';
import { memIo } from '../cli/fake-deps.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-gen-'));
  dirs.push(cwd);
  const run = async (argv: string[]) => {
    const io = memIo(cwd);
    const code = await runCli(argv, io);
    return { code, stdout: io.stdout, stderr: io.stderr };
  };
  return { cwd, run };
}

describe('cxlsim gen', () => {
  it('writes a topology that boot --topology boots, with exactly --endpoints devices', async () => {
    const t = setup();
    const g = await t.run(['gen', '--endpoints', '300', '-o', 'big.yaml']);
    expect(g).toMatchObject({ code: 0, stderr: '' });
    expect(g.stdout).toMatch(
      /^big\.yaml: .*: 300 type-3 devices below 5 host bridges \(2 PCI segments\)/,
    );
    const b = await t.run(['boot', '--topology', 'big.yaml']);
    expect(b).toMatchObject({ code: 0, stderr: '' });
    const l = await t.run(['list', '-M']);
    expect(l.code).toBe(0);
    const mems = JSON.parse(l.stdout) as { memdev: string; serial: number }[];
    expect(mems.length).toBe(300);
    expect(new Set(mems.map((m) => m.serial)).size).toBe(300);
  });

  it('takes the shape options and the window list, and prints YAML without -o', async () => {
    const t = setup();
    const g = await t.run([
      'gen',
      '--host-bridges',
      '2',
      '--root-ports',
      '2',
      '--switch-levels',
      '1',
      '--fanout',
      '2',
      '--windows',
      'hb,x2',
      '--granularity',
      '1024',
      '--seed',
      '7',
      '--device-size',
      '512M',
    ]);
    expect(g.code).toBe(0);
    const topo = parseTopologyFile(g.stdout, 'stdout.yaml');
    expect(topo.hostBridges.length).toBe(2);
    expect(topo.windows.map((w) => w.targets)).toEqual([['cxl.0'], ['cxl.1'], ['cxl.0', 'cxl.1']]);
    expect(topo.windows[2]?.granularity).toBe(1024);
    const first = topo.hostBridges[0]?.rootPorts[0]?.child;
    expect(first?.kind).toBe('switch');
    if (first?.kind === 'switch') {
      const dev = first.downstream[0]?.child;
      expect(dev).toMatchObject({ kind: 'type3', serial: 7_000_001n, persistentSize: 512n << 20n });
    }
  });

  it('refuses bad values with one EINVAL line and writes no file', async () => {
    const t = setup();
    const cases: [string[], RegExp][] = [
      [['--fanout', 'x'], /^EINVAL: --fanout: 'x' is not a non-negative integer\n$/],
      [['--windows', 'x5'], /^EINVAL: --windows: 'x5' is not hb, all, none or xN/],
      [
        ['--host-bridges', '2', '--endpoints', '9'],
        /^EINVAL: 9 endpoints do not fit 2 host bridges/,
      ],
      [['--device-size', '1X'], /^EINVAL: --device-size: '1X' is not a size\n$/],
      [['--root-ports', '40'], /^EINVAL: root ports must be an integer from 1 to 32 \(got 40\)\n$/],
    ];
    for (const [args, re] of cases) {
      const r = await t.run(['gen', ...args, '-o', 'out.yaml']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(re);
      expect(existsSync(join(t.cwd, 'out.yaml'))).toBe(false);
    }
  });

  it('reports an unwritable output the way boot reports an unreadable input', async () => {
    const t = setup();
    const r = await t.run(['gen', '--endpoints', '2', '-o', 'missing/dir/out.yaml']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'ENOENT: cannot write missing/dir/out.yaml: No such file or directory\n',
    });
    const ok = await t.run(['gen', '--endpoints', '2', '-o', 'two.yaml']);
    expect(ok.code).toBe(0);
    expect(readFileSync(join(t.cwd, 'two.yaml'), 'utf8')).toMatch(/^name: hb1_rp2_sw0x1_ep2\n/);
  });
});
