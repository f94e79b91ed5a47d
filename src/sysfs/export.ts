/**
 * DOC: writes a /sys view out as a real directory tree (`cxlsim sysfs export DIR`).
 *
 * Directories become directories (0755), symlinks keep the relative target readlink
 * reports, files get their content and their sysfs mode bits. Files that cannot be read
 * (0200 files, attributes whose show() fails) are created empty with their mode, as the
 * capture tools do, so the tree has the same shape as the guest's /sys. The result is what
 * shared/tools/real-cxl-list expects as TREE_DIR (libcxl reads it like /sys).
 *
 * DIR must be absent or empty; with `force`, the top-level entries the export writes
 * (bus/, devices/, module/, or the first component of each `only` path) are removed first
 * and everything else in DIR is left alone.
 *
 * Target checks (cxlsim's, before anything is written): DIR itself must not be a symlink
 * (ENOTDIR); a missing DIR is created one level at a time below its nearest existing
 * ancestor (never a recursive mkdir: Node's loops on /proc), so /proc/nope or /sys/x fail at
 * once with the errno mkdir gives (ENOENT, EPERM, EACCES, EROFS). Inside DIR every file is
 * created with O_EXCL and every directory with a plain mkdir, so nothing is ever written
 * through a symlink out of the target. A file-system error while writing (ENOSPC, EIO,
 * EACCES …) ends the export with one Errno line naming the path.
 */
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ERRNO, Errno, type ErrnoName } from '../kernel/errno.ts';
import { childPath, normSysPath, type SysfsView } from './view.ts';

/** Options of {@link exportSysfs}. */
export interface ExportOptions {
  /** /sys paths to export (each recursively); default: the whole tree. */
  only?: string[];
  /** Replace a non-empty DIR's top-level bus/devices/module entries. */
  force?: boolean;
}

/** What was written. */
export interface ExportStats {
  dirs: number;
  files: number;
  links: number;
  /** Files created empty because reading them failed. */
  unreadable: number;
}

/** An fs error as an Errno naming the path ("cannot export /sys to D: No space left on device"). */
function fsErrno(e: unknown, what: string): Errno {
  if (e instanceof Errno) return e;
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  const name: ErrnoName = Object.hasOwn(ERRNO, code) ? (code as ErrnoName) : 'EIO';
  const text = Object.hasOwn(ERRNO, code) ? ERRNO[name][1] : code;
  return new Errno(name, `${what}: ${text}`);
}

/** Creates `dir` and its missing parents one level at a time (no recursive mkdir). */
function mkdirs(dir: string): void {
  const missing: string[] = [];
  let d = dir;
  for (;;) {
    try {
      const st = lstatSync(d);
      if (!st.isDirectory())
        throw new Errno('ENOTDIR', `cannot create ${dir}: ${d} is not a directory`);
      break;
    } catch (e) {
      if (e instanceof Errno) throw e;
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fsErrno(e, `cannot create ${dir}`);
      missing.push(d);
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      throw fsErrno(e, `cannot create ${dir}`);
    }
  }
}

/** A name that cannot escape the destination directory. */
function safeName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/');
}

/**
 * Exports `view` below `dir` (created if missing).
 * @throws EEXIST when DIR is not empty and `force` is not set
 * @throws ENOTDIR when DIR exists and is not a directory
 * @throws ENOENT when an `only` path does not exist in the view
 */
export function exportSysfs(view: SysfsView, dir: string, opts: ExportOptions = {}): ExportStats {
  const out = resolve(dir);
  const given = (opts.only && opts.only.length > 0 ? opts.only : ['']).map(normSysPath);
  // Drop roots inside other roots ('bus/cxl/devices' with 'bus/cxl').
  const roots = [...new Set(given)].filter(
    (r) => !given.some((o) => o !== r && (o === '' || r.startsWith(`${o}/`))),
  );
  for (const r of roots)
    if (r !== '' && !view.lstat(r))
      throw new Errno('ENOENT', `/sys/${r}: No such file or directory`);
  let existing: string[] = [];
  try {
    const st = lstatSync(out);
    if (!st.isDirectory()) throw new Errno('ENOTDIR', `${out} exists and is not a directory`);
    existing = readdirSync(out);
  } catch (e) {
    if (e instanceof Errno) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fsErrno(e, `cannot export to ${out}`);
    mkdirs(out);
  }
  try {
    return writeTree(view, out, roots, existing, opts);
  } catch (e) {
    throw fsErrno(e, `cannot export /sys to ${out}`);
  }
}

/** The export proper, once DIR exists. */
function writeTree(
  view: SysfsView,
  out: string,
  roots: string[],
  existing: string[],
  opts: ExportOptions,
): ExportStats {
  if (existing.length > 0) {
    if (!opts.force)
      throw new Errno(
        'EEXIST',
        `${out} is not empty; use --force to replace the exported tree in it`,
      );
    const tops = new Set(
      roots.flatMap((r) => (r === '' ? view.readdir('') : [r.split('/')[0] as string])),
    );
    for (const t of tops) if (safeName(t)) rmSync(join(out, t), { recursive: true, force: true });
  }
  const stats: ExportStats = { dirs: 0, files: 0, links: 0, unreadable: 0 };

  // Files are created with their mode (one open(O_CREAT, mode) instead of open + chmod); a
  // chmod follows only for modes the umask would trim. Directories below a root are made
  // one level at a time (their parent exists). The disk's file creation is the cost here.
  const umask = process.umask();
  const put = (p: string): void => {
    const dest = join(out, ...p.split('/'));
    const st = view.lstat(p);
    if (!st) return;
    if (st.kind === 'dir') {
      mkdirSync(dest);
      stats.dirs++;
      for (const name of view.readdir(p)) if (safeName(name)) put(childPath(p, name));
    } else if (st.kind === 'link') {
      symlinkSync(st.target, dest);
      stats.links++;
    } else {
      let data: Uint8Array | string = '';
      try {
        data = view.read(p);
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        stats.unreadable++;
      }
      writeFileSync(dest, data, { mode: st.mode, flag: 'wx' });
      if ((st.mode & umask) !== 0) chmodSync(dest, st.mode);
      stats.files++;
    }
  };

  for (const r of roots) {
    if (r === '') {
      for (const name of view.readdir('')) if (safeName(name)) put(name);
      continue;
    }
    // parents of an `only` root, one level at a time inside DIR (fresh or --force-cleared)
    let at = out;
    for (const c of r.split('/').slice(0, -1)) {
      at = join(at, c);
      try {
        mkdirSync(at);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !lstatSync(at).isDirectory()) throw e;
      }
    }
    put(r);
  }
  return stats;
}
