/**
 * `cxlsim serve` and signals, on a real FUSE mount: a second SIGTERM that arrives while the
 * first one's close is under way leaves no mount and no serve.json behind, and the server
 * ends by exiting, not by the signal; a server killed with SIGKILL leaves a dead mount
 * ("Transport endpoint is not connected") that the next `serve` on the same directory
 * recovers. (A stale mount after two SIGTERMs was seen once at the last stop and not
 * reproduced since; serve now detaches the mount lazily on a second signal it gets to handle.)
 * Needs root and FUSE; skipped with the reason otherwise.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingFuse, startServe } from '../helpers/live-real.ts';

const repo = join(import.meta.dirname, '..', '..');
const main = join(repo, 'src', 'cli', 'main.ts');

const why = await missingFuse();

let dir = '';
const env = () => ({ ...process.env, CXLSIM_STATE: join(dir, 'st') });
const mounted = () => readFileSync('/proc/self/mountinfo', 'utf8').includes(join(dir, 'sys'));

/** `cxlsim serve` on the state, mounted, with its stderr collected. */
async function serveHere(): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = await startServe(join(dir, 'st'), join(dir, 'sys'), process.env, 'pipe');
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  expect(mounted()).toBe(true);
  return { child, stderr: () => err };
}

const exited = (c: ChildProcess) =>
  new Promise<[number | null, NodeJS.Signals | null]>((r) => {
    if (c.exitCode !== null || c.signalCode !== null) r([c.exitCode, c.signalCode]);
    else c.once('exit', (code, sig) => r([code, sig]));
  });

describe.skipIf(why !== undefined)(
  `cxlsim serve and signals${why ? ` (needs ${why})` : ''}`,
  () => {
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'cxlsim-sig-'));
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', main, 'boot', '--preset', 'minimal'],
        {
          cwd: repo,
          env: env(),
          encoding: 'utf8',
        },
      );
      expect(r.status).toBe(0);
    }, 60_000);
    afterAll(() => {
      if (dir && mounted()) spawnSync('umount', ['-l', join(dir, 'sys')]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('two SIGTERMs in a row unmount and end the server', async () => {
      const { child } = await serveHere();
      const done = exited(child);
      child.kill('SIGTERM');
      child.kill('SIGTERM');
      const [code, sig] = await done;
      // either the first signal's clean close won the race (0) or the second one's lazy unmount
      // ended it (128 + SIGTERM); never killed by the signal itself
      expect(sig).toBeNull();
      expect([0, 143]).toContain(code);
      expect(mounted()).toBe(false);
      expect(existsSync(join(dir, 'st', 'serve.json'))).toBe(false);
    }, 60_000);

    it('a dead mount left by SIGKILL is recovered by the next serve', async () => {
      const first = await serveHere();
      const done = exited(first.child);
      first.child.kill('SIGKILL');
      await done;
      expect(mounted()).toBe(true); // the kernel keeps the dead FUSE mount
      const second = await serveHere();
      const end = exited(second.child);
      second.child.kill('SIGTERM');
      expect((await end)[0]).toBe(0);
      expect(mounted()).toBe(false);
      expect(second.stderr()).toContain('unmounted');
    }, 60_000);
  },
);
