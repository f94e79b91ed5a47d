/**
 * The REAL ndctl `cxl wait-sanitize` (ndctl ≥ 79: Debian 13's 81, e.g. from scripts/ndctl81-root
 * with NDCTL_BIN_DIR=DIR/bin) on cxlsim's live /sys: `cxlsim serve` and `cxlsim run` on the
 * default preset with the debian-13 profile. A sanitize written through FUSE returns at once,
 * security/state reads "sanitize", a second sanitize gets EBUSY (the write fails), `cxl
 * wait-sanitize -t 1000` times out, and `cxl wait-sanitize` returns once QEMU 10.0's sanitize
 * (4 s for the 256 MiB device) ended — libcxl's poll(2) woken by `cxlsim run`'s shim standing
 * in for sysfs_notify. The journal (with each live op's guest time) replays for a one-shot
 * cxlsim, whose dmesg has the refused sanitize's "Failed to get security state : -16". Needs
 * root, FUSE, a C compiler and a `cxl` of release ≥ 79; without them it is skipped and says
 * which is missing.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFuse } from '../../src/cli/live/serving.ts';

const repo = join(import.meta.dirname, '..', '..');
const main = join(repo, 'src', 'cli', 'main.ts');
const bindir = process.env.NDCTL_BIN_DIR;
const PATH = bindir ? `${bindir}:${process.env.PATH}` : (process.env.PATH ?? '');

/** Why the real tool cannot run here, or undefined. */
async function missing(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'root';
  const v = spawnSync('cxl', ['version'], { env: { ...process.env, PATH }, encoding: 'utf8' });
  if (v.status !== 0) return "the real 'cxl' tool";
  if (Number.parseFloat(v.stdout) < 79)
    return `a cxl with wait-sanitize (ndctl ≥ 79, have ${v.stdout.trim()}; set NDCTL_BIN_DIR)`;
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
const env = () => ({ ...process.env, PATH, CXLSIM_STATE: join(dir, 'st') });

function cxlsim(...argv: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...argv], {
    cwd: repo,
    env: env(),
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(reason !== undefined)(
  `the real cxl wait-sanitize through cxlsim run${reason ? ` (skipped: needs ${reason})` : ''}`,
  () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'cxlsim-real-san-'));
      expect(cxlsim('boot', '--preset', 'default', '--profile', 'debian-13').code).toBe(0);
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
      if (!process.env.CXLSIM_KEEP) rmSync(dir, { recursive: true, force: true });
    });

    it('sanitize returns at once, a second one is EBUSY, wait-sanitize waits for QEMU', () => {
      const s = '/sys/bus/cxl/devices/mem0/security';
      const script = [
        `cat ${s}/state`,
        `echo 1 > ${s}/sanitize`,
        `cat ${s}/state`,
        `echo 1 > ${s}/sanitize || echo refused`,
        'cxl wait-sanitize mem0 -t 1000; echo "short $?"',
        'start=$(date +%s%N)',
        'cxl wait-sanitize mem0; echo "wait $?"',
        'echo "ms $(( ($(date +%s%N) - start) / 1000000 ))"',
        `cat ${s}/state`,
      ].join('\n');
      const r = cxlsim('run', '--', 'bash', '-c', script);
      const lines = r.stdout.trim().split('\n');
      expect(lines.slice(0, 4)).toEqual(['disabled', 'sanitize', 'refused', 'short 1']);
      expect(lines[4]).toBe('wait 0');
      // the rest of QEMU's 4 s sanitize (the 1 s timeout already waited part of it)
      const ms = Number(lines[5]?.replace('ms ', ''));
      expect(ms).toBeGreaterThan(1000);
      expect(ms).toBeLessThan(5000);
      expect(lines[6]).toBe('disabled');
      expect(r.stderr).toContain('write error: Device or resource busy');
      expect(r.stderr).toContain(
        'cxl memdev: cmd_wait_sanitize: wait sanitize failed on 0 mem device\n',
      );
      expect(r.stderr).toContain(
        'cxl memdev: cmd_wait_sanitize: wait sanitize completed on 1 mem device\n',
      );
      // a one-shot cxlsim replays the live journal: the refused sanitize met the running one
      const d = cxlsim('dmesg');
      expect(d.code).toBe(0);
      expect(d.stdout).toContain('Failed to get security state : -16');
    }, 120_000);
  },
);
