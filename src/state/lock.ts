/**
 * DOC: one cxlsim at a time per state directory — a pid-checked lock without timers.
 *
 * The lock is the directory `<state>/lock` (mkdir is atomic: one creator wins) holding a file
 * `owner` with the holder's pid, its start time (field 22 of /proc/PID/stat, so a recycled
 * pid is not mistaken for the holder) and a random token. There is no refresh timer and no
 * age-based staleness, so a holder busy in a long synchronous boot or replay keeps its lock
 * however long it takes (proper-lockfile's mtime refresh cannot run then, and it declared
 * such a lock stale after 20 s and let two writers in).
 *
 * A lock whose holder is gone (killed, crashed: `kill(pid, 0)` says ESRCH, or the pid now
 * belongs to a process started at another time) is taken over at once. Take-overs are
 * serialized by a second directory, `<state>/lock.takeover`, held for a few system calls:
 * under it the owner is read again and the dead lock removed only if it is still the same
 * one. A lock directory without an owner file (its creator was killed between mkdir and the
 * write) is dead once it is older than {@link ORPHAN_MS}; so is a take-over directory.
 *
 * Before a holder writes the state it calls {@link StateLock.assertHeld}: if its lock is no
 * longer there with its token (someone removed it by hand), it aborts instead of writing
 * (a compromised lock never lets the writer through).
 *
 * Waiters poll every {@link POLL_MS} ms up to a timeout (default 30 s,
 * `CXLSIM_LOCK_TIMEOUT_MS`), then fail with one line. Local file systems only (a pid means
 * nothing on another host).
 */
import {
  lstatSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { makeDirs } from './dirs.ts';
import { StateError, sysStrerror } from './errors.ts';

/** Name of the lock directory inside the state directory. */
export const LOCK_NAME = 'lock';
/** Name of the take-over mutex directory. */
export const TAKEOVER_NAME = 'lock.takeover';
/** Name of the owner file inside the lock directory. */
export const OWNER_NAME = 'owner';
/** Polling interval of a waiter, ms. */
export const POLL_MS = 25;
/** Age after which a lock or take-over directory without an owner file is dead, ms. */
export const ORPHAN_MS = 5_000;

/** Who holds a lock. */
export interface LockOwner {
  pid: number;
  /** Process start time (clock ticks since boot, /proc/PID/stat field 22); '' if unknown. */
  start: string;
  token: string;
}

/** Start time of a process (/proc/PID/stat field 22), '' when /proc does not say. */
export function processStart(pid: number): string {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // comm (field 2) may contain spaces and parentheses: fields restart after the last ')'
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? '';
  } catch {
    return '';
  }
}

/** True when `pid` runs (and, if `start` is known, is the process started then). */
export function processAlive(pid: number, start = ''): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (start === '') return true;
  const now = processStart(pid);
  return now === '' || now === start;
}

/** Reads a lock's owner; undefined when absent or unreadable (being written, or junk). */
function readOwner(dir: string): LockOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(join(dir, OWNER_NAME), 'utf8')) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && typeof o.start === 'string' && typeof o.token === 'string')
      return o as LockOwner;
  } catch {
    /* absent or half-written */
  }
  return undefined;
}

/** Age of a path in ms; undefined when it does not exist. */
function ageMs(p: string): number | undefined {
  try {
    return Date.now() - lstatSync(p).mtimeMs;
  } catch {
    return undefined;
  }
}

/** True when the lock directory `lockDir` belongs to nobody alive. */
function isDead(lockDir: string, o: LockOwner | undefined): boolean {
  if (o) return !processAlive(o.pid, o.start);
  const age = ageMs(lockDir);
  return age !== undefined && age > ORPHAN_MS;
}

/**
 * Removes `lockDir` if its holder is gone, under the take-over mutex; returns true when the
 * caller may try mkdir again at once.
 */
function takeOverDead(stateDir: string, lockDir: string): boolean {
  const seen = readOwner(lockDir);
  if (!isDead(lockDir, seen)) return false;
  const mutex = join(stateDir, TAKEOVER_NAME);
  try {
    mkdirSync(mutex);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    const age = ageMs(mutex);
    // a take-over lasts a few system calls: an old mutex was left by a killed process
    if (age !== undefined && age > ORPHAN_MS)
      try {
        rmdirSync(mutex);
      } catch {
        /* someone else removed it */
      }
    return false;
  }
  try {
    const now = readOwner(lockDir);
    if (now?.token !== seen?.token || !isDead(lockDir, now)) return false;
    rmSync(lockDir, { recursive: true, force: true });
    return true;
  } finally {
    try {
      rmdirSync(mutex);
    } catch {
      /* ignore */
    }
  }
}

/** A held lock. */
export interface StateLock {
  /** The lock directory. */
  readonly path: string;
  /** @throws StateError when this process no longer holds the lock (nothing may be written) */
  assertHeld(): void;
  /** Releases the lock (only if it is still this process's). */
  release(): void;
}

/** One attempt; the lock or undefined when it is held by someone alive. */
function tryLock(stateDir: string): StateLock | undefined {
  const lockDir = join(stateDir, LOCK_NAME);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      mkdirSync(lockDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new StateError(`cannot lock state directory ${stateDir}: ${sysStrerror(e)}`);
      if (takeOverDead(stateDir, lockDir)) continue;
      return undefined;
    }
    const me: LockOwner = {
      pid: process.pid,
      start: processStart(process.pid),
      token: `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    };
    try {
      writeFileSync(join(lockDir, OWNER_NAME), JSON.stringify(me), { flag: 'wx' });
    } catch (e) {
      rmSync(lockDir, { recursive: true, force: true });
      throw new StateError(`cannot lock state directory ${stateDir}: ${sysStrerror(e)}`);
    }
    return {
      path: lockDir,
      assertHeld() {
        if (readOwner(lockDir)?.token !== me.token)
          throw new StateError(
            `lost the lock of state directory ${stateDir} (${lockDir} was removed or replaced); nothing written`,
          );
      },
      release() {
        if (readOwner(lockDir)?.token !== me.token) return;
        try {
          unlinkSync(join(lockDir, OWNER_NAME));
          rmdirSync(lockDir);
        } catch {
          /* a take-over after our death cannot happen while we run; ignore */
        }
      },
    };
  }
  return undefined;
}

/**
 * Takes the state directory's lock, waiting up to `timeoutMs`.
 * @throws StateError when the directory cannot be created or locked, or the wait times out
 */
export async function acquireStateLock(stateDir: string, timeoutMs = 30_000): Promise<StateLock> {
  try {
    makeDirs(stateDir);
  } catch (e) {
    throw new StateError(`cannot create state directory ${stateDir}: ${sysStrerror(e)}`);
  }
  const end = Date.now() + timeoutMs;
  for (;;) {
    const l = tryLock(stateDir);
    if (l) return l;
    if (Date.now() >= end)
      throw new StateError(
        `state directory ${stateDir} is in use by another cxlsim (lock ${join(stateDir, LOCK_NAME)})`,
      );
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * Runs `fn` holding the state directory's lock; `fn` gets the lock to check before writing.
 * @throws StateError when the lock cannot be taken within `timeoutMs`
 */
export async function withStateLock<T>(
  dir: string,
  fn: (lock: StateLock) => Promise<T>,
  timeoutMs = 30_000,
): Promise<T> {
  const lock = await acquireStateLock(dir, timeoutMs);
  try {
    return await fn(lock);
  } finally {
    lock.release();
  }
}
