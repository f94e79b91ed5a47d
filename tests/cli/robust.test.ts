/**
 * The executable under abuse (issue 15): full disks, dead lock holders, signals, closed pipes,
 * inputs that are not files, export targets it cannot write. Runs the real process
 * (node + the tsx loader, one process so that signals reach it).
 */
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const LOADER = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
const MAIN = join(ROOT, 'src/cli/main.ts');
const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-robust-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  rmSync(cwd, { recursive: true, force: true });
});
const ARGV = ['--import', LOADER, MAIN];
const ENV = { ...process.env, CXLSIM_STATE: '', CXLSIM_DEBUG: '' };

function cxlsim(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [...ARGV, ...args], {
    cwd,
    encoding: 'utf8',
    env: ENV,
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bad targets and inputs fail at once with one line', () => {
  it('sysfs export /proc/nope, into a symlink, into a non-empty directory', () => {
    expect(cxlsim('--state', 'e', 'boot').code).toBe(0);
    const r = cxlsim('--state', 'e', 'sysfs', 'export', '/proc/nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^E[A-Z]+: cannot create \/proc\/nope: [A-Za-z ]+\n$/);
    writeFileSync(join(cwd, 'victim'), 'x');
    symlinkSync(join(cwd, 'victim'), join(cwd, 'link'));
    const l = cxlsim('--state', 'e', 'sysfs', 'export', 'link');
    expect(l.stderr).toBe(`ENOTDIR: ${cwd}/link exists and is not a directory\n`);
    mkdirSync(join(cwd, 'full'));
    writeFileSync(join(cwd, 'full/keep'), 'x');
    const f = cxlsim('--state', 'e', 'sysfs', 'export', 'full');
    expect(f.stderr).toBe(
      `EEXIST: ${cwd}/full is not empty; use --force to replace the exported tree in it\n`,
    );
    expect(readFileSync(join(cwd, 'victim'), 'utf8')).toBe('x');
  });

  it('refuses /dev/zero, a FIFO, a 150 MB file and an empty file as --qemu', () => {
    spawnSync('mkfifo', [join(cwd, 'fifo')]);
    writeFileSync(join(cwd, 'big.sh'), '');
    truncateSync(join(cwd, 'big.sh'), 150_000_000);
    writeFileSync(join(cwd, 'empty.sh'), '# nothing\n\n');
    const cases: [string, string][] = [
      ['/dev/zero', 'cxlsim: cannot read /dev/zero: not a regular file\n'],
      ['fifo', 'cxlsim: cannot read fifo: not a regular file\n'],
      [
        'big.sh',
        "cxlsim: cannot read big.sh: larger than cxlsim's limit of 16 MiB (150000000 bytes)\n",
      ],
      ['empty.sh', 'cxlsim: empty.sh: no QEMU command line in it (empty, or only comments)\n'],
    ];
    for (const [f, err] of cases) {
      const r = cxlsim('--state', 'q', 'boot', '--qemu', f);
      expect([r.code, r.stdout, r.stderr]).toEqual([1, '', err]);
    }
    expect(existsSync(join(cwd, 'q/state.json'))).toBe(false);
  });

  it('ends quietly with 141 when stdout is closed (sysfs dump | head -1)', () => {
    const cmd = `${[process.execPath, ...ARGV].join(' ')} --state e sysfs dump | head -1 >/dev/null; echo "\${PIPESTATUS[0]}"`;
    const r = spawnSync('bash', ['-c', cmd], { cwd, encoding: 'utf8', env: ENV });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('141\n');
  });
});

/** A 16 KiB tmpfs (root only), or undefined. */
function smallTmpfs(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const m = join(cwd, 'tmpfs');
  mkdirSync(m);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', m]).status !== 0)
    return undefined;
  mounts.push(m);
  return m;
}

describe('nothing is lost', () => {
  it('a state write that does not fit exits non-zero and keeps the previous state byte-identical', () => {
    const m = smallTmpfs();
    // without a mountable tmpfs the injected short writes of tests/state/atomic.test.ts stand
    if (m === undefined) return;
    const st = join(m, 'vm');
    expect(cxlsim('--state', st, 'boot').code).toBe(0);
    const before = readFileSync(join(st, 'state.json'));
    const r = cxlsim('--state', st, 'sysfs', 'write', '/sys/bus/cxl/flush', 'x'.repeat(20_000));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `write error: Argument list too long\ncxlsim: cannot write state file ${st}/state.json: No space left on device; the previous state is kept\n`,
    );
    expect(readFileSync(join(st, 'state.json')).equals(before)).toBe(true);
    expect(cxlsim('--state', st, 'list', '-B').code).toBe(0);
  });

  it('SIGTERM and SIGINT during a 4096-endpoint boot end it within 1 s, state as before, lock free at once', async () => {
    expect(cxlsim('gen', '--endpoints', '4096', '-o', 'k.yaml').code).toBe(0);
    expect(cxlsim('--state', 's', 'boot').code).toBe(0);
    const before = readFileSync(join(cwd, 's/state.json'));
    for (const [sig, status] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      const p = spawn(process.execPath, [...ARGV, '--state', 's', 'boot', '--topology', 'k.yaml'], {
        cwd,
        env: ENV,
      });
      // wait until it holds the lock (the boot is under way)
      const t0 = Date.now();
      while (!existsSync(join(cwd, 's/lock/owner')) && Date.now() - t0 < 30_000)
        await new Promise((r) => setTimeout(r, 20));
      expect(existsSync(join(cwd, 's/lock/owner'))).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
      const sent = Date.now();
      p.kill(sig);
      const [code, signal] = await new Promise<[number | null, string | null]>((r) =>
        p.on('exit', (c, s) => r([c, s])),
      );
      expect(Date.now() - sent).toBeLessThan(1000);
      // killed by the signal: a shell reports 128 + its number
      expect(signal === sig || code === status).toBe(true);
      expect(readFileSync(join(cwd, 's/state.json')).equals(before)).toBe(true);
      // the dead holder's lock is taken over at once (a 0 ms wait would fail on a live one)
      const r = spawnSync(process.execPath, [...ARGV, '--state', 's', 'list', '-B'], {
        cwd,
        encoding: 'utf8',
        env: { ...ENV, CXLSIM_LOCK_TIMEOUT_MS: '1' },
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });
});
