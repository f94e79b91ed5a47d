/**
 * DOC: a read/write view of a /sys tree.
 *
 * Paths are relative to /sys, without a leading slash ('bus/cxl/devices/mem0'); a leading
 * '/sys/' or '/' is accepted and stripped by {@link normSysPath}. The same interface is served
 * by the live virtual sysfs (src/sysfs/tree.ts, built from the kernel's device objects) and, in
 * tests, by a tree rebuilt from a kernel capture's sysfs.txt — so code that reads sysfs, such
 * as the libcxl emulation behind `cxlsim list`, runs unchanged over both.
 */
import { Errno } from '../kernel/errno.ts';

/** What `lstat()` reports for an entry. `mode` is the permission bits (0o444…). */
export type SysEntry =
  | { kind: 'dir' }
  | { kind: 'link'; target: string }
  | { kind: 'file'; mode: number; binary: boolean };

/**
 * An entry of a {@link SysListing}: its lstat() and, for a file, a reader (read() of the
 * entry from the directory the listing resolved).
 */
export type ListedEntry = [SysEntry, (() => string | Uint8Array)?];

/** A directory's listing (see {@link SysfsView.listing}). */
export interface SysListing {
  /** The entries' names in readdir's order. */
  names: string[];
  /** An entry by name; undefined when it is gone (or was never there). */
  entry(name: string): ListedEntry | undefined;
  /**
   * Optional: the listing of the entry `name` when it is a directory (not through a symlink),
   * from this listing's resolution, without resolving its path; undefined otherwise.
   */
  sub?(name: string): SysListing | undefined;
}

/** A /sys tree. Errors are Errno values (ENOENT, EACCES, ENOTDIR, EISDIR, or the attribute's). */
export interface SysfsView {
  /** Entry at a path without following a final symlink; undefined if absent. */
  lstat(path: string): SysEntry | undefined;
  /** Names in a directory (symlinks followed on the way), in kernfs readdir order. */
  readdir(path: string): string[];
  /** Symlink target exactly as readlink(2) prints it (relative, '../../..'). */
  readlink(path: string): string;
  /** File content (text files as strings, binary files as bytes). @throws EACCES for 0200 files */
  read(path: string): string | Uint8Array;
  /** `echo VALUE > PATH` (caller passes VALUE with its newline). @throws the store's Errno */
  write(path: string, value: string): void;
  /** Canonical path with every symlink resolved (relative to /sys). @throws ENOENT */
  realpath(path: string): string;
  /**
   * Optional fast path: read(), except that a path that does not resolve gives its errno name
   * ('ENOENT', 'ENOTDIR') instead of throwing (views that have it make misses cheap).
   */
  readIfExists?(path: string): string | Uint8Array | 'ENOENT' | 'ENOTDIR';
  /**
   * Optional fast path: readIfExists(`${dir}/${name}`) — the directory is resolved once per
   * distinct `dir` string (libcxl reads many attributes of one device directory).
   */
  readAtIfExists?(dir: string, name: string): string | Uint8Array | 'ENOENT' | 'ENOTDIR';
  /** Optional fast path: realpathIfExists(`${dir}/${name}`), `dir` resolved as above. */
  realpathAtIfExists?(dir: string, name: string): string | undefined;
  /** Optional fast path: realpath(), or undefined where it would throw ENOENT/ENOTDIR. */
  realpathIfExists?(path: string): string | undefined;
  /**
   * Optional fast path: lstat(`${dir}/${name}`) for a plain `name`, `dir` resolved once per
   * distinct string as for {@link readAtIfExists} (a walk of a large tree lstats every entry
   * of each directory it lists).
   */
  lstatAt?(dir: string, name: string): SysEntry | undefined;
  /**
   * Optional fast path: `dir` resolved once (symlinks followed) and listed, in readdir's order,
   * with each entry's lstat() and, for a file, a reader, looked up from that resolution when
   * asked for and not remembered (a walk of a large tree, sysfs dump: 580 k entries at 4,096
   * endpoints, most in directories no cache holds, the largest with 30 k entries).
   * @throws ENOENT/ENOTDIR as readdir()
   */
  listing?(dir: string): SysListing;
}

/**
 * The read side of `view` as a plain object of its methods, each bound to it once — the
 * optional fast paths only when `view` has them — for a wrapper that adds its own `write`
 * (`cxlsim list`'s journaling view, the library's recording view). Not a Proxy and no arrow
 * per method: libcxl's walk calls the view ~27 times per memdev, and a proxy trap, or an arrow
 * calling `.call()`, per call is what cold code pays most for (cxlsim's speed note).
 */
export function boundReads(view: SysfsView): Omit<SysfsView, 'write'> {
  const { readIfExists, readAtIfExists, realpathAtIfExists, realpathIfExists, lstatAt, listing } =
    view;
  return {
    ...(readIfExists ? { readIfExists: readIfExists.bind(view) } : {}),
    ...(readAtIfExists ? { readAtIfExists: readAtIfExists.bind(view) } : {}),
    ...(realpathAtIfExists ? { realpathAtIfExists: realpathAtIfExists.bind(view) } : {}),
    ...(realpathIfExists ? { realpathIfExists: realpathIfExists.bind(view) } : {}),
    ...(lstatAt ? { lstatAt: lstatAt.bind(view) } : {}),
    ...(listing ? { listing: listing.bind(view) } : {}),
    lstat: view.lstat.bind(view),
    readdir: view.readdir.bind(view),
    readlink: view.readlink.bind(view),
    read: view.read.bind(view),
    realpath: view.realpath.bind(view),
  };
}

/**
 * True when `p` is certainly what {@link normSysPath} returns (the common case, answered
 * without allocating): relative, no empty part, no part starting with '.', no trailing '/',
 * and first and last characters printable ASCII (so trim() would change nothing). Anything
 * else takes the full path.
 */
function isNormal(p: string): boolean {
  const n = p.length;
  if (n === 0) return false;
  const first = p.charCodeAt(0);
  const last = p.charCodeAt(n - 1);
  return (
    first > 32 &&
    first < 127 &&
    last > 32 &&
    last < 127 &&
    first !== 0x2f && // '/'
    first !== 0x2e && // '.'
    last !== 0x2f &&
    !p.includes('//') &&
    !p.includes('/.')
  );
}

/** The path of entry `name` of the directory `dir` (both relative to /sys; '' is /sys itself). */
export function childPath(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

/** Strips '/sys/' or '/' and trailing slashes; rejects '..' escapes above /sys. */
export function normSysPath(p: string): string {
  if (isNormal(p)) return p;
  // libcxl's absolute form of a normal path: the part after '/sys/' (no split and join)
  if (p.startsWith('/sys/')) {
    const rest = p.slice(5);
    if (isNormal(rest)) return rest;
  }
  let s = p.trim();
  if (s.startsWith('/sys/')) s = s.slice(5);
  else if (s === '/sys') s = '';
  else if (s.startsWith('/')) s = s.slice(1);
  const out: string[] = [];
  for (const part of s.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw new Errno('ENOENT', `no such path: ${p}`);
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

/** Joins a directory path and a relative link target, resolving '..' (POSIX semantics). */
export function resolveLink(linkPath: string, target: string): string {
  const dir = linkPath.split('/').slice(0, -1).join('/');
  return normSysPath(target.startsWith('/') ? target : `${dir}/${target}`);
}
