/**
 * `cxlsim prop` and `cxlsim export --qemu` through the whole CLI (in-process, scratch state):
 * a run on the default preset passes and prints cases/s; with one invariant broken by the test
 * hook the run fails (exit 1) and writes a shrunk reproducer bundle whose QEMU line cxlsim's QEMU
 * parser (QEMU's own rules, see the qemu-probes captures) accepts, whose topology file boots,
 * and whose guest script — run by sh through cxlsim (`CXLSIM=…`) — reproduces every predicted
 * step output and leaves a machine on which `prop --check` shows the failure.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';
import { memIo } from './fake-deps.ts';

const ROOT = join(import.meta.dirname, '../..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(env: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-prop-'));
  dirs.push(cwd);
  const run = async (...argv: string[]) => {
    const io = memIo(cwd, env);
    const code = await runCli(argv, io);
    return { code, stdout: io.stdout, stderr: io.stderr };
  };
  return { cwd, run };
}

describe('cxlsim prop', () => {
  it('passes on the default preset and prints cases/s', async () => {
    const t = setup();
    const r = await t.run('prop', '--preset', 'default', '--runs', '12', '--seed', '1');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /^12 cases in [\d.]+ s \(\d+ cases\/s\), seed 1, profile latest: passed\n$/,
    );
    expect(r.code).toBe(0);
    const j = await t.run(
      'prop',
      '--gen',
      '--runs',
      '4',
      '--seed',
      '2',
      '--json',
      '--shard',
      '2/2',
    );
    expect(j.code).toBe(0);
    const o = JSON.parse(j.stdout) as { runs: number; seed: number; ok: boolean };
    expect(o).toMatchObject({ runs: 2, seed: 3, ok: true });
  });

  it('runs on a QEMU command line and on a topology file', async () => {
    const t = setup();
    const line = join(ROOT, 'sysfs-fixtures/stacks/latest/interleave/host/qemu-cmdline.sh');
    const q = await t.run('prop', '--qemu', line, '--runs', '3', '--seed', '5');
    expect(q.stdout).toMatch(/^3 cases .* passed\n$/);
    expect(q.code).toBe(0);
    expect((await t.run('export', '--qemu', '--preset', 'threeway', '-o', 'three.qemu')).code).toBe(
      0,
    );
    const f = await t.run(
      'prop',
      '--qemu',
      'three.qemu',
      '--runs',
      '3',
      '--seed',
      '5',
      '--profile',
      'debian-13',
    );
    expect(f.stdout).toMatch(/^3 cases .* profile debian-13: passed\n$/);
    expect((await t.run('gen', '--endpoints', '2', '-o', 'g.yaml')).code).toBe(0);
    const y = await t.run('prop', '--topology', 'g.yaml', '--runs', '3', '--seed', '5');
    expect(y.stdout).toMatch(/^3 cases .* passed\n$/);
    const both = await t.run('prop', '--qemu', 'three.qemu', '--preset', 'default');
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/give only one of --preset, --qemu, --topology and --gen/);
  });

  it('bad options are one line', async () => {
    const t = setup();
    const r = await t.run('prop', '--invariant', 'nope');
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown invariant 'nope'/);
  });

  it('a broken invariant gives a shrunk bundle that replays through cxlsim', async () => {
    const t = setup({ CXLSIM_TEST_BREAK_INVARIANT: 'hw-committed' });
    const r = await t.run(
      'prop',
      '--preset',
      'default',
      '--runs',
      '40',
      '--seed',
      '1',
      '--out',
      'repro',
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED\nhw-committed: cxlsim: deliberately broken invariant/);
    const dir = join(t.cwd, 'repro');
    const files = readdirSync(dir).sort();
    expect(files).toEqual([
      'README.md',
      'case.json',
      'expected',
      'guest.sh',
      'qemu.sh',
      'topology.yaml',
    ]);
    // shrunk: a single region request is enough to break the (hooked) invariant
    const expected = readdirSync(join(dir, 'expected'));
    expect(expected.length).toBeGreaterThanOrEqual(1);
    expect(expected.length).toBeLessThanOrEqual(12);
    // the QEMU line is one QEMU accepts, for the same topology
    const line = readFileSync(join(dir, 'qemu.sh'), 'utf8');
    expect(parseQemuCommandLine(line, { qemu: '11.1' }).hostBridges).toHaveLength(2);
    // replay the guest script through cxlsim
    expect((await t.run('--state', 'st', 'boot', '--topology', 'repro/topology.yaml')).code).toBe(
      0,
    );
    const cxlsim = `${process.execPath} --import tsx ${join(ROOT, 'src/cli/main.ts')} --state ${join(t.cwd, 'st')}`;
    execFileSync('sh', [join(dir, 'guest.sh')], {
      cwd: ROOT, // where `--import tsx` resolves
      env: { ...process.env, CXLSIM: cxlsim, OUT: join(t.cwd, 'out') },
      stdio: 'pipe',
    });
    for (const f of expected)
      expect(readFileSync(join(t.cwd, 'out', f), 'utf8'), f).toBe(
        readFileSync(join(dir, 'expected', f), 'utf8'),
      );
    const check = await t.run('--state', 'st', 'prop', '--check');
    expect(check.stdout).toMatch(/^hw-committed: cxlsim: deliberately broken invariant/);
    expect(check.code).toBe(1);
    const clean = setup();
    const c = await runCli(['--state', join(t.cwd, 'st'), 'prop', '--check'], memIo(clean.cwd, {}));
    expect(c).toBe(0);
  }, 120_000);
});

describe('cxlsim prop --jobs', () => {
  it('runs the shards in worker threads: the failure is the lowest failing shard, replayable alone', async () => {
    const t = setup({ CXLSIM_TEST_BREAK_INVARIANT: 'hw-committed' });
    const argv = ['prop', '--preset', 'default', '--runs', '40', '--seed', '1', '--json'];
    const r = await t.run(...argv, '--jobs', '2', '--out', 'jobs');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as { seed: number; failure: { path: string } };
    // the shard the failing job ran, alone: the same failure
    const readme = readFileSync(join(t.cwd, 'jobs', 'README.md'), 'utf8');
    const shard = /--shard (\d+\/2)/.exec(readme)?.[1];
    expect(shard).toBeDefined();
    const alone = await t.run(...argv, '--shard', shard as string, '--out', 'alone');
    expect(alone.code).toBe(1);
    const a = JSON.parse(alone.stdout) as typeof j;
    expect(a.seed).toBe(j.seed);
    expect(a.failure.path).toBe(j.failure.path);
    expect(readFileSync(join(t.cwd, 'alone', 'case.json'), 'utf8')).toBe(
      readFileSync(join(t.cwd, 'jobs', 'case.json'), 'utf8'),
    );
  }, 120_000);
});

describe('cxlsim export --qemu', () => {
  it('prints the line for a preset; refuses what QEMU cannot build', async () => {
    const t = setup();
    const r = await t.run('export', '--qemu', '--preset', 'default', '--qemu-version', '7.2');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^qemu-system-x86_64 \\\n {2}-machine q35,cxl=on/);
    expect(r.stdout).toContain('-device cxl-type3,bus=');
    expect(r.stdout).toContain(',memdev=');
    const bad = await t.run('export', '--qemu', '--preset', 'cxl_test');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/QEMU cannot express a cxl_test mock platform/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('cxlsim prop --compare-profile', () => {
  it('finds a case whose outcome differs between two stacks and bundles both predictions', async () => {
    const t = setup();
    const r = await t.run(
      'prop',
      '--preset',
      'default',
      '--profile',
      'latest',
      '--compare-profile',
      'debian-12',
      '--runs',
      '30',
      '--seed',
      '1',
      '--out',
      'cmp',
      '--invariant',
      'hpa-disjoint',
    );
    expect(r.stdout).toContain('outcomes differ between latest and debian-12');
    expect(r.code).toBe(1);
    const a = readdirSync(join(t.cwd, 'cmp', 'expected')).sort();
    const b = readdirSync(join(t.cwd, 'cmp', 'expected-debian-12')).sort();
    expect(b).toEqual(a);
    const differs = a.some(
      (f) =>
        readFileSync(join(t.cwd, 'cmp', 'expected', f), 'utf8').match(/rc=\d+\n$/)?.[0] !==
        readFileSync(join(t.cwd, 'cmp', 'expected-debian-12', f), 'utf8').match(/rc=\d+\n$/)?.[0],
    );
    expect(differs).toBe(true);
    expect(readFileSync(join(t.cwd, 'cmp', 'README.md'), 'utf8')).toContain(
      'cxlsim prop --preset default --profile latest --compare-profile debian-12 --seed 1 --runs 30',
    );
  }, 120_000);
});
