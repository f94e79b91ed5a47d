/**
 * Commands on a served state run in `cxlsim serve` (src/cli/live/forward.ts): the same state
 * directory is driven once with a server running (commands forwarded over its socket) and
 * once without (each command boots the state), and every step must print the same stdout,
 * stderr and exit code, and leave the same journal. The forwarded commands must really have
 * run in the server (the client never loaded the machine: its journal reads come from the
 * server's writes, checked through the command note the server journals). Needs root and
 * FUSE for the server; skipped with the reason otherwise.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forwardedState } from '../../src/cli/live/forward.ts';
import { missingFuse, startServe } from '../helpers/live-real.ts';

const repo = join(import.meta.dirname, '..', '..');
const main = join(repo, 'src', 'cli', 'main.ts');

const why = await missingFuse();

/** The steps: reads, a refused write, a region created, shown and destroyed. */
const STEPS: string[][] = [
  ['list', '-M'],
  ['sysfs', 'ls', '/sys/bus/cxl/devices'],
  ['sysfs', 'write', '/sys/bus/cxl/devices/decoder0.1/size', '5'],
  ['create-region', '-m', '-d', 'decoder0.1', '-w', '2', '-g', '4096', 'mem2', 'mem0'],
  ['list', '-R', '-u'],
  ['sysfs', 'cat', '/sys/bus/cxl/devices/region0/interleave_ways'],
  ['destroy-region', '-f', 'region0'],
  ['list', '-R'],
  ['dmesg'],
];

function cxlsim(dir: string, argv: string[], extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...argv], {
    cwd: repo,
    env: { ...process.env, CXLSIM_STATE: join(dir, 'st'), CXLSIM_SNAPSHOT: '0', ...extra },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const journal = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, 'st', 'state.json'), 'utf8')) as { ops: unknown[] }).ops;

describe('which command lines are forwarded', () => {
  const io = { out: () => {}, err: () => {}, env: {}, cwd: '/x' };
  it('forwards the machine commands that touch no file of the caller', () => {
    expect(forwardedState(['list', '-M'], io)).toBe('/x/.cxlsim');
    expect(forwardedState(['--state', 's', 'sysfs', 'write', 'p', 'v'], io)).toBe('/x/s');
    expect(forwardedState(['--state=/t', 'create-region', '-d', 'decoder0.0'], io)).toBe('/t');
  });
  it('runs the rest locally', () => {
    for (const argv of [
      ['boot', '--preset', 'default'],
      ['sysfs', 'export', 'dir'],
      ['sysfs', 'dump'],
      ['read-labels', '-o', 'f', 'mem0'],
      ['list', '--help'],
      ['-v', 'list'],
      ['serve', '--mount', 'x'],
      [],
    ])
      expect(forwardedState(argv, io), argv.join(' ')).toBeUndefined();
  });
});

describe.skipIf(why !== undefined)(
  `commands forwarded to cxlsim serve${why ? ` (needs ${why})` : ''}`,
  () => {
    let local = '';
    let served = '';
    let serve: ChildProcess | undefined;
    beforeAll(async () => {
      local = mkdtempSync(join(tmpdir(), 'cxlsim-fwd-l-'));
      served = mkdtempSync(join(tmpdir(), 'cxlsim-fwd-s-'));
      for (const d of [local, served])
        expect(cxlsim(d, ['boot', '--preset', 'default']).code).toBe(0);
      serve = await startServe(join(served, 'st'), join(served, 'sys'));
    }, 90_000);
    afterAll(async () => {
      if (serve && serve.exitCode === null) {
        const done = new Promise((r) => serve?.once('exit', r));
        serve.kill('SIGTERM');
        await done;
      }
      for (const d of [local, served]) if (d) rmSync(d, { recursive: true, force: true });
    });

    it('prints and journals what the local run does, step by step', () => {
      let compared = 0;
      for (const step of STEPS) {
        const a = cxlsim(local, step);
        const b = cxlsim(served, step);
        expect(b, step.join(' ')).toEqual(a);
        compared++;
      }
      expect(compared).toBe(STEPS.length);
      // the same operations, apart from the guest time the live server stamps on its writes
      const strip = (ops: unknown[]) =>
        ops.map((o) => {
          const { at: _at, ...rest } = o as { at?: string; path?: string; value?: string };
          // ndctl draws a region's UUID at random (uuid_generate()) in either run
          return rest.path?.endsWith('/uuid') ? { ...rest, value: '<random uuid>' } : rest;
        });
      expect(strip(journal(served))).toEqual(strip(journal(local)));
      expect(journal(served).some((o) => (o as { at?: string }).at !== undefined)).toBe(true);
    }, 240_000);

    it('runs locally with CXLSIM_FORWARD=0 (no guest-time stamps in what it journals)', () => {
      const before = journal(served).length;
      const r = cxlsim(served, ['sysfs', 'write', '/sys/bus/cxl/devices/decoder0.1/size', '5'], {
        CXLSIM_FORWARD: '0',
      });
      expect(r.code).toBe(1);
      const added = journal(served).slice(before);
      expect(added).toHaveLength(1);
      expect((added[0] as { at?: string }).at).toBeUndefined();
    }, 60_000);
  },
);
