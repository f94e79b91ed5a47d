/**
 * The harness of the tests that run a REAL ndctl release (≥ 78: Debian 13's 81, e.g. from
 * scripts/ndctl81-root with NDCTL_BIN_DIR=DIR/bin) on cxlsim's live /sys: why it cannot run
 * here, and a booted state directory with `cxlsim serve` mounted, set up and torn down around
 * a describe block.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { loadFuse } from '../../src/cli/live/serving.ts';

const repo = join(import.meta.dirname, '..', '..');
const main = join(repo, 'src', 'cli', 'main.ts');
const bindir = process.env.NDCTL_BIN_DIR;
/** PATH with $NDCTL_BIN_DIR first, so its `cxl` is the one run. */
export const REAL_PATH = bindir ? `${bindir}:${process.env.PATH}` : (process.env.PATH ?? '');

/**
 * Why the real tool cannot run here, or undefined: root, a `cxl` on `path` of release ≥
 * `minRelease` (`what` names the feature for the message), a C compiler for the shim,
 * `unshare -m`, FUSE.
 */
export async function missingRealTool(
  minRelease: number,
  what: string,
  path: string = REAL_PATH,
): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'root';
  const v = spawnSync('cxl', ['version'], {
    env: { ...process.env, PATH: path },
    encoding: 'utf8',
  });
  if (v.status !== 0) return "the real 'cxl' tool (apt-get install ndctl, or NDCTL_BIN_DIR)";
  if (Number.parseFloat(v.stdout) < minRelease)
    return `a cxl with ${what} (ndctl ≥ ${minRelease}, have ${v.stdout.trim()}; set NDCTL_BIN_DIR)`;
  if (spawnSync('cc', ['--version']).status !== 0) return 'a C compiler (cc)';
  if (spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status !== 0)
    return "'unshare -m'";
  return missingFuse();
}

/** Why `cxlsim serve` cannot mount here (root, FUSE), or undefined. */
export async function missingFuse(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'root';
  try {
    await loadFuse();
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

/**
 * Starts `cxlsim serve --mount MOUNT` (from source) on the state directory `state` and waits
 * until it has mounted (its serve.json is written; a stale one is removed first).
 * @param env the server's environment (PATH, …); CXLSIM_STATE is set to `state`
 */
export async function startServe(
  state: string,
  mount: string,
  env: NodeJS.ProcessEnv = process.env,
  stdio: 'ignore' | 'pipe' = 'ignore',
): Promise<ChildProcess> {
  rmSync(join(state, 'serve.json'), { force: true });
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'serve', '--mount', mount], {
    cwd: repo,
    env: { ...env, CXLSIM_STATE: state },
    stdio: ['ignore', 'ignore', stdio],
  });
  for (let i = 0; i < 300 && !existsSync(join(state, 'serve.json')); i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(existsSync(join(state, 'serve.json'))).toBe(true);
  return child;
}

/** A live machine for one describe block: its directory and a `cxlsim` runner on its state. */
export interface LiveServe {
  /** The scratch directory (state in `st/`, the mount in `sys/`); set in beforeAll. */
  dir(): string;
  /** Runs the cxlsim CLI (from source) on the state, with the PATH given to liveServe(). */
  cxlsim(...argv: string[]): { code: number | null; stdout: string; stderr: string };
}

/**
 * Registers beforeAll/afterAll in the calling describe block: boots `preset` with `profile`
 * in a fresh directory and starts `cxlsim serve` on it (commands run with `path`); afterwards
 * SIGTERM, which must unmount, and removal (CXLSIM_KEEP keeps the directory).
 */
export function liveServe(
  prefix: string,
  preset: string,
  profile: string,
  path: string = REAL_PATH,
): LiveServe {
  let dir = '';
  let serve: ChildProcess | undefined;
  const env = () => ({ ...process.env, PATH: path, CXLSIM_STATE: join(dir, 'st') });
  const cxlsim = (...argv: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...argv], {
      cwd: repo,
      env: env(),
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    expect(cxlsim('boot', '--preset', preset, '--profile', profile).code).toBe(0);
    serve = await startServe(join(dir, 'st'), join(dir, 'sys'), env());
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
  return { dir: () => dir, cxlsim };
}
