import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const MAIN = join(ROOT, 'src/cli/main.ts');
const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-spawn-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** Runs the real executable (through tsx) in a scratch directory. */
function cxlsim(...args: string[]) {
  const r = spawnSync(TSX, [MAIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CXLSIM_STATE: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The modules a real boot needs (written in parallel by colleagues). */
const booting = [
  'src/boot.ts',
  'src/hw/platform.ts',
  'src/topology/presets/index.ts',
  'src/ndctl/cxl/list.ts',
].every((f) => existsSync(join(ROOT, f)));

describe('the cxlsim executable', () => {
  it('prints its version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(cxlsim('--version')).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('reports a corrupt state file in one line, without a stack trace, and leaves it alone', () => {
    mkdirSync(join(cwd, 'bad'), { recursive: true });
    writeFileSync(join(cwd, 'bad/state.json'), '{"format":');
    const r = cxlsim('--state', 'bad', 'sysfs', 'ls');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^cxlsim: state file \S+\/bad\/state\.json is corrupt \([^\n]+\); remove it or use --state\n$/,
    );
    expect(readFileSync(join(cwd, 'bad/state.json'), 'utf8')).toBe('{"format":');
  });

  it.skipIf(!booting)('boots the default preset, lists it and keeps state across runs', () => {
    const boot = cxlsim('--state', 'vm', 'boot', '--preset', 'default');
    expect(boot.stderr).toBe('');
    expect(boot.code).toBe(0);
    expect(boot.stdout).toMatch(/^booted preset 'default'/);
    const list = cxlsim('--state', 'vm', 'list', '-B');
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as unknown[]).length).toBeGreaterThan(0);
    expect(cxlsim('--state', 'vm', 'sysfs', 'write', '/sys/bus/cxl/flush', '2')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'write error: Invalid argument\n',
    });
    expect(cxlsim('--state', 'vm', 'sysfs', 'write', '/sys/bus/cxl/flush', '1').code).toBe(0);
    const st = JSON.parse(readFileSync(join(cwd, 'vm/state.json'), 'utf8')) as { ops: unknown[] };
    expect(st.ops).toEqual([
      { kind: 'sysfs-write', path: 'bus/cxl/flush', value: '2\n', fails: 'EINVAL' },
      { kind: 'sysfs-write', path: 'bus/cxl/flush', value: '1\n' },
    ]);
  });
});
