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
import { join, resolve } from 'node:path';
import { Errno } from '../kernel/errno.ts';
import { normSysPath, type SysfsView } from './view.ts';

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
    mkdirSync(out, { recursive: true });
  }
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
  const put = (p: string, top: boolean): void => {
    const dest = join(out, ...p.split('/'));
    const st = view.lstat(p);
    if (!st) return;
    if (st.kind === 'dir') {
      mkdirSync(dest, top ? { recursive: true } : undefined);
      stats.dirs++;
      for (const name of view.readdir(p)) if (safeName(name)) put(p ? `${p}/${name}` : name, false);
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
      writeFileSync(dest, data, { mode: st.mode });
      if ((st.mode & umask) !== 0) chmodSync(dest, st.mode);
      stats.files++;
    }
  };

  for (const r of roots) {
    if (r === '') {
      for (const name of view.readdir('')) if (safeName(name)) put(name, true);
      continue;
    }
    const parent = r.split('/').slice(0, -1);
    if (parent.length) mkdirSync(join(out, ...parent), { recursive: true });
    put(r, true);
  }
  return stats;
}
