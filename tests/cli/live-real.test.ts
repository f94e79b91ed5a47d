/**
 * The REAL ndctl `cxl` tool on cxlsim: `cxlsim serve --mount DIR` in the background and
 * `cxlsim run -- cxl …` against it (default preset, debian-12 profile = the Debian 12 ndctl
 * 76.1 these hosts install). Needs root, the `cxl` tool, fuse-native with libfuse2, /dev/fuse
 * and a C compiler; without them every test here is skipped and says which is missing (CI
 * installs ndctl and libfuse2, so there they run).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFuse } from '../../src/cli/live/serving.ts';
import type { MachineState } from '../../src/cli/state.ts';

const repo = join(import.meta.dirname, '..', '..');
const main = join(repo, 'src', 'cli', 'main.ts');

/** Why the real tool cannot run here, or undefined. */
async function missing(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'root';
  if (spawnSync('cxl', ['version']).status !== 0)
    return "the real 'cxl' tool (apt-get install ndctl)";
  if (spawnSync('cc', ['--version']).status !== 0) return 'a C compiler (cc)';
  if (spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status !== 0)
    return "'unshare -m'";
  try {
    await loadFuse();
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

const reason = await missing();
let dir = '';
let serve: ChildProcess | undefined;
const env = () => ({ ...process.env, CXLSIM_STATE: join(dir, 'st') });

/** The cxlsim CLI from source, synchronously. */
function cxlsim(...argv: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...argv], {
    cwd: repo,
    env: env(),
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const journal = () =>
  (JSON.parse(readFileSync(join(dir, 'st', 'state.json'), 'utf8')) as MachineState).ops;

describe.skipIf(reason !== undefined)(
  `the real cxl tool through cxlsim run${reason ? ` (skipped: needs ${reason})` : ''}`,
  () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'cxlsim-real-'));
      expect(cxlsim('boot', '--preset', 'default', '--profile', 'debian-12').code).toBe(0);
      serve = spawn(
        process.execPath,
        ['--import', 'tsx', main, 'serve', '--mount', join(dir, 'sys')],
        { cwd: repo, env: env(), stdio: 'ignore' },
      );
      for (let i = 0; i < 300 && !existsSync(join(dir, 'st', 'serve.json')); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(join(dir, 'st', 'serve.json'))).toBe(true);
    }, 60_000);
    afterAll(async () => {
      if (serve && serve.exitCode === null) {
        const done = new Promise((r) => serve?.once('exit', r));
        serve.kill('SIGTERM');
        await done;
      }
      const mounted = readFileSync('/proc/self/mountinfo', 'utf8').includes(join(dir, 'sys'));
      if (!process.env.CXLSIM_KEEP) rmSync(dir, { recursive: true, force: true });
      expect(mounted).toBe(false); // SIGTERM unmounted it
    });

    let region = '';
    it('creates a region with the real create-region; cxlsim list -R shows it', () => {
      const r = cxlsim(
        'run',
        '--',
        'cxl',
        'create-region',
        '-m',
        '-d',
        'decoder0.1',
        '-w',
        '2',
        '-g',
        '4096',
        'mem2',
        'mem0',
      );
      expect(r.stderr).toContain('cxl region: cmd_create_region: created 1 region');
      expect(r.code).toBe(0);
      const made = JSON.parse(r.stdout) as { region: string; decode_state: string };
      expect(made.decode_state).toBe('commit');
      region = made.region;
      const list = cxlsim('list', '-R');
      expect(list.code).toBe(0);
      const regions = JSON.parse(list.stdout) as { region: string; size: number }[];
      expect(regions.map((x) => x.region)).toEqual([region]);
      expect(regions[0]?.size).toBe(2 * 256 * 2 ** 20);
    }, 120_000);

    it("shows the guest's error when the kernel refuses a write", () => {
      // decoder0.0 is below the first region's HPA on the same host bridge: 6.1 refuses
      // the target (HPA order violation, EBUSY) and the real tool reports it
      const r = cxlsim(
        'run',
        '--',
        'cxl',
        'create-region',
        '-m',
        '-d',
        'decoder0.0',
        '-w',
        '2',
        '-g',
        '256',
        'mem4',
        'mem3',
      );
      expect(r.stderr).toContain('failed to set target0 to mem4');
      expect(r.stderr).toContain('cxl region: cmd_create_region: created 0 regions');
      // journaled with its errno (libcxl's util_bind also tries every cxl driver's bind file
      // for the new region: the others refuse it with ENODEV, as on the guest)
      const refused = journal().filter(
        (op) => op.kind === 'sysfs-write' && op.fails && !op.path.endsWith('/bind'),
      );
      expect(refused).toMatchObject([
        { path: expect.stringMatching(/\/target0$/), fails: 'EBUSY' },
      ]);
      const echo = cxlsim(
        'run',
        '--',
        'bash',
        '-c',
        'echo region9 > /sys/bus/cxl/devices/decoder0.1/create_pmem_region',
      );
      expect(echo.code).not.toBe(0);
      expect(echo.stderr).toMatch(/write error: Device or resource busy/);
    }, 120_000);

    it('destroys it with the real destroy-region', () => {
      const r = cxlsim('run', '--', 'cxl', 'destroy-region', '-f', region);
      expect(r.stderr).toContain('destroyed 1 region');
      expect(r.code).toBe(0);
      const list = cxlsim('list', '-R');
      expect(JSON.parse(list.stdout)).toEqual([]);
    }, 120_000);
  },
);
