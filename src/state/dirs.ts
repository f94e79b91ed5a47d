/**
 * DOC: creating a directory and its missing parents without Node's recursive mkdir, which
 * loops forever where mkdir fails with ENOENT on an existing parent (/proc/nope: procfs
 * refuses the mkdir with ENOENT, Node's retry walks up and down again).
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Creates `dir` and its missing parents one level at a time, from the nearest existing
 * ancestor down (symlinks among the existing ones are followed); an existing directory is fine.
 * @throws the fs error of the first mkdir that fails (ENOENT, EPERM, EACCES, EROFS), or
 *   ENOTDIR when a path component exists and is not a directory
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; ; ) {
    let isDir: boolean;
    try {
      isDir = statSync(d).isDirectory();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing.push(d);
      const up = dirname(d);
      if (up === d) break;
      d = up;
      continue;
    }
    if (!isDir) {
      const e: NodeJS.ErrnoException = new Error(`ENOTDIR: not a directory, mkdir '${dir}'`);
      e.code = 'ENOTDIR';
      e.syscall = 'mkdir';
      e.path = dir;
      throw e;
    }
    break;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
