import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  acquireStateLock,
  LOCK_NAME,
  OWNER_NAME,
  processAlive,
  processStart,
} from '../../src/state/lock.ts';

const root = mkdtempSync(join(tmpdir(), 'cxlsim-lock-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
/** A state directory whose lock is held by `pid` (as a holder writes it), aged `ageS` seconds. */
function heldBy(pid: number, ageS = 0, start = processStart(pid)): string {
  const d = join(root, `s${n++}`);
  const l = join(d, LOCK_NAME);
  mkdirSync(l, { recursive: true });
  writeFileSync(join(l, OWNER_NAME), JSON.stringify({ pid, start, token: `t${pid}` }));
  const t = Date.now() / 1000 - ageS;
  utimesSync(l, t, t);
  return d;
}

/** A pid that is not running (a child that already exited). */
async function deadPid(): Promise<number> {
  const c = spawn('true');
  await new Promise((r) => c.on('exit', r));
  return c.pid as number;
}

describe('the state lock', () => {
  it('takes over a lock whose holder is gone at once, not after a stale time', async () => {
    const pid = await deadPid();
    expect(processAlive(pid)).toBe(false);
    const d = heldBy(pid);
    const t0 = Date.now();
    const l = await acquireStateLock(d, 0);
    expect(Date.now() - t0).toBeLessThan(1000);
    l.assertHeld();
    l.release();
    expect(existsSync(join(d, LOCK_NAME))).toBe(false);
  });

  it('never takes over the lock of a live holder, however old the lock is', async () => {
    const c = spawn('sleep', ['30']);
    children.push(c);
    const pid = c.pid as number;
    const d = heldBy(pid, 3600);
    await expect(acquireStateLock(d, 120)).rejects.toThrow(
      `state directory ${d} is in use by another cxlsim (lock ${join(d, LOCK_NAME)})`,
    );
    c.kill('SIGKILL');
    await new Promise((r) => c.on('exit', r));
    const l = await acquireStateLock(d, 0);
    l.release();
  });

  it('treats a recycled pid (another start time) as gone', async () => {
    const d = heldBy(process.pid, 0, '1');
    const l = await acquireStateLock(d, 0);
    l.release();
  });

  it('waits for a lock directory being created (no owner yet) and takes it once orphaned', async () => {
    const d = join(root, 'orphan');
    mkdirSync(join(d, LOCK_NAME), { recursive: true });
    await expect(acquireStateLock(d, 60)).rejects.toThrow(/in use by another cxlsim/);
    const t = Date.now() / 1000 - 60;
    utimesSync(join(d, LOCK_NAME), t, t);
    (await acquireStateLock(d, 0)).release();
  });

  it('a holder whose lock was removed or replaced refuses to write', async () => {
    const d = join(root, 'lost');
    const l = await acquireStateLock(d, 0);
    rmSync(join(d, LOCK_NAME), { recursive: true });
    expect(() => l.assertHeld()).toThrow(/lost the lock of state directory .*; nothing written/);
    const other = await acquireStateLock(d, 0);
    expect(() => l.assertHeld()).toThrow(/lost the lock/);
    l.release(); // not ours: left alone
    other.assertHeld();
    other.release();
  });

  it('refuses a state directory it cannot create at once (no recursive-mkdir loop on /proc)', async () => {
    await expect(acquireStateLock('/proc/nope/deeper', 0)).rejects.toThrow(
      'cannot create state directory /proc/nope/deeper: No such file or directory',
    );
    const deep = join(root, 'a/b/c');
    (await acquireStateLock(deep, 0)).release();
    expect(existsSync(deep)).toBe(true);
  });

  it('serializes many in-process contenders', async () => {
    const d = join(root, 'many');
    let inside = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const l = await acquireStateLock(d, 10_000);
        inside++;
        max = Math.max(max, inside);
        await new Promise((r) => setTimeout(r, 5));
        inside--;
        l.release();
      }),
    );
    expect(max).toBe(1);
  });
});
