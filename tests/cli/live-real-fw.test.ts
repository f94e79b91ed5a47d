/**
 * The REAL ndctl `cxl update-firmware` (ndctl ≥ 78: Debian 13's 81, e.g. from
 * scripts/ndctl81-root with NDCTL_BIN_DIR=DIR/bin) on cxlsim's live /sys: `cxlsim serve` and
 * `cxlsim run -- cxl update-firmware …` on the default preset with the debian-13 profile. The
 * tool writes the image through the FUSE `data` file in 4 KiB writes, the kernel's upload runs
 * over QEMU 10.0's Transfer FW (2 s per part, on the host-time virtual clock) and `--wait` polls
 * the loader until idle: slot 2 ends staged. Needs root, FUSE, a C compiler and a `cxl` of
 * release ≥ 78 ($NDCTL_BIN_DIR/cxl, else the one on PATH); without them it is skipped and says
 * which is missing.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFuse } from '../../src/cli/live/serving.ts';
import type { MachineState } from '../../src/cli/state.ts';

const repo = join(import.meta.dirname, '..', '..');
const main = join(repo, 'src', 'cli', 'main.ts');
const bindir = process.env.NDCTL_BIN_DIR;
const PATH = bindir ? `${bindir}:${process.env.PATH}` : (process.env.PATH ?? '');

/** Why the real tool cannot run here, or undefined. */
async function missing(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'root';
  const v = spawnSync('cxl', ['version'], { env: { ...process.env, PATH }, encoding: 'utf8' });
  if (v.status !== 0) return "the real 'cxl' tool";
  if (Number.parseFloat(v.stdout) < 78)
    return `a cxl with update-firmware (ndctl ≥ 78, have ${v.stdout.trim()}; set NDCTL_BIN_DIR)`;
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
  `the real cxl update-firmware through cxlsim run${reason ? ` (skipped: needs ${reason})` : ''}`,
  () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'cxlsim-real-fw-'));
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

    it('starts an upload, waits for it, and the device stages slot 2', () => {
      const file = join(dir, 'fw.bin');
      writeFileSync(file, Buffer.alloc(3000, 0x3c));
      const start = cxlsim('run', '--', 'cxl', 'update-firmware', '-F', file, 'mem0');
      expect(start.stderr).toBe(
        'cxl memdev: cmd_update_fw: firmware update started on 1 mem device\n',
      );
      expect(start.code).toBe(0);
      const [started] = JSON.parse(start.stdout);
      expect(started.firmware).toMatchObject({ fw_update_in_progress: true, remaining_size: 3000 });
      // the image reached the kernel through the FUSE data file, and is journaled
      const ops = (JSON.parse(readFileSync(join(dir, 'st', 'state.json'), 'utf8')) as MachineState)
        .ops;
      const data = ops.filter((o) => o.kind === 'sysfs-write' && o.path.endsWith('/mem0/data'));
      expect(data.length).toBeGreaterThan(0);
      const wait = cxlsim('run', '--', 'cxl', 'update-firmware', '--wait', 'mem0');
      expect(wait.stderr).toBe(
        'cxl memdev: cmd_update_fw: firmware update completed on 1 mem device\n',
      );
      const [done] = JSON.parse(wait.stdout);
      expect(done.firmware).toMatchObject({
        num_slots: 2,
        active_slot: 1,
        staged_slot: 2,
        slot_2_version: 'BWFW VERSION 1',
        fw_update_in_progress: false,
      });
      expect(done.firmware.remaining_size).toBeUndefined();
    }, 120_000);
  },
);
