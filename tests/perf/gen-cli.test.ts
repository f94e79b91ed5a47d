/**
 * `cxlsim gen` end to end, in-process with the real dependencies: the file it writes boots with
 * `cxlsim boot --topology FILE` and lists the requested devices; bad options are one-line
 * EINVAL errors and write nothing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import type { Errno } from '../../src/kernel/errno.ts';
import {
  checkGenNeeds,
  checkGenOptions,
  endpointCount,
  generateTopology,
} from '../../src/topology/generate.ts';
import { parseTopologyFile } from '../../src/topology/schema.ts';
import { topologyToYaml } from '../../src/topology/serialize.ts';
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

  it('checks the needs of the shape before building anything, and never writes what boot refuses', async () => {
    const t = setup();
    const cases: [string[], RegExp][] = [
      [
        ['--switch-levels', '8', '--fanout', '32'],
        /^EINVAL: 1099511627776 type-3 devices: cxlsim gen writes at most 16384/,
      ],
      [['--endpoints', '65536'], /^EINVAL: 65536 type-3 devices: cxlsim gen writes at most 16384/],
      [
        ['--host-bridges', '300'],
        /^EINVAL: the shape needs 318 CFMWS windows; a topology has at most 256/,
      ],
      [
        ['--root-ports', '32', '--switch-levels', '2', '--fanout', '8'],
        /^EINVAL: a host bridge with 2048 devices needs 2625 PCI bus numbers; a segment has 255\n$/,
      ],
    ];
    for (const [args, re] of cases) {
      const t0 = process.hrtime.bigint();
      const r = await t.run(['gen', ...args, '-o', 'out.yaml']);
      expect(r.stderr).toMatch(re);
      expect(r.code).toBe(1);
      expect(existsSync(join(t.cwd, 'out.yaml'))).toBe(false);
      // refused before the tree is built (a built 2^40-device tree would never return)
      expect(process.hrtime.bigint() - t0).toBeLessThan(2_000_000_000n);
    }
  });

  it('accepts exactly the shapes whose file boot parses (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          hostBridges: fc.integer({ min: 1, max: 300 }),
          rootPorts: fc.integer({ min: 1, max: 32 }),
          switchLevels: fc.integer({ min: 0, max: 3 }),
          fanout: fc.integer({ min: 1, max: 32 }),
          endpoints: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
        }),
        (o) => {
          const opts = o.endpoints === undefined ? { ...o, endpoints: undefined } : o;
          if (opts.endpoints === undefined) delete (opts as { endpoints?: number }).endpoints;
          try {
            checkGenOptions(opts);
            checkGenNeeds(opts);
          } catch (e) {
            expect((e as Errno).code).toBe('EINVAL');
            return;
          }
          fc.pre(endpointCount(opts) <= 400);
          const topo = parseTopologyFile(topologyToYaml(generateTopology(opts)));
          expect(topo.hostBridges.length).toBe(Math.min(o.hostBridges, endpointCount(opts)));
        },
      ),
      { numRuns: 40 },
    );
  });
});
