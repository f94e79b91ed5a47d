/**
 * DOC: the serve record (`serve.json` in the state directory): where a running `cxlsim serve`
 * of that state can be reached. Kept apart from serving.ts, which loads FUSE, so that every
 * cxlsim start can afford to look for a server (forward.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `serve.json`: where a serving cxlsim can be reached. */
export interface ServeInfo {
  pid: number;
  /** The FUSE mount of /sys (absolute). */
  mount: string;
  /** The unix socket of the memdev ioctls and stand-ins. */
  socket: string;
  /**
   * The state directory served (absolute): a record copied along with its directory (cp -r
   * of a served state) names the original, so nothing is forwarded from the copy.
   */
  state?: string;
}

/** Name of the serve record in the state directory. */
export const SERVE_FILE = 'serve.json';

/** True when `dir` is a mount point (per /proc/self/mountinfo). */
export function isMountPoint(dir: string): boolean {
  try {
    const info = readFileSync('/proc/self/mountinfo', 'utf8');
    const esc = dir.replace(
      /[ \t\n\\]/g,
      (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`,
    );
    return info.split('\n').some((l) => l.split(' ')[4] === esc);
  } catch {
    return false;
  }
}

/** The serve record of a state directory whose server is alive, else undefined. */
export function findServing(stateDir: string): ServeInfo | undefined {
  let info: ServeInfo;
  try {
    info = JSON.parse(readFileSync(join(stateDir, SERVE_FILE), 'utf8')) as ServeInfo;
  } catch {
    return undefined;
  }
  try {
    process.kill(info.pid, 0);
  } catch {
    return undefined;
  }
  return isMountPoint(info.mount) ? info : undefined;
}
