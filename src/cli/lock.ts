/**
 * DOC: one cxlsim at a time per state directory.
 *
 * Every command that reads or changes the persisted machine runs under an exclusive lock
 * (proper-lockfile: an atomic mkdir of `<dir>/lock`, refreshed while held, considered stale
 * after 20 s without refresh, so a killed process does not block the directory forever).
 * The state directory is created first: proper-lockfile locks an existing path.
 * A second invocation waits for the lock (default 30 s, `CXLSIM_LOCK_TIMEOUT_MS`), then
 * gives up with a clear error.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors.ts';

/** Name of the lock directory inside the state directory. */
export const LOCK_NAME = 'lock';
const POLL_MS = 50;
const STALE_MS = 20_000;

/**
 * Runs `fn` holding the state directory's lock.
 * @throws CliError when the lock cannot be taken within `timeoutMs`
 */
export async function withStateLock<T>(
  dir: string,
  fn: () => Promise<T>,
  timeoutMs = 30_000,
): Promise<T> {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot create state directory ${dir}: ${(e as Error).message}`);
  }
  const lockfile = (await import('proper-lockfile')).default;
  const lockfilePath = join(dir, LOCK_NAME);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, {
      lockfilePath,
      realpath: false,
      stale: STALE_MS,
      retries: {
        retries: Math.max(0, Math.ceil(timeoutMs / POLL_MS)),
        factor: 1,
        minTimeout: POLL_MS,
        maxTimeout: POLL_MS,
      },
      onCompromised: () => {},
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOCKED')
      throw new CliError(
        `state directory ${dir} is in use by another cxlsim (lock ${lockfilePath})`,
      );
    throw new CliError(`cannot lock state directory ${dir}: ${(e as Error).message}`);
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}
