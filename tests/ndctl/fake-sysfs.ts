/**
 * A scripted /sys for the ndctl command tests: a capture's read-only tree (sysfs.txt) with a
 * writable overlay, which records every write (path as the tool wrote it, canonical path, bytes)
 * and hands it to scripted handlers — the kernel's part, played by the test. A handler may change
 * the overlay (add a region directory, drop a driver link), throw an Errno (the store's error) or
 * switch the base to the capture of the state after the command.
 */
import { Errno } from '../../src/kernel/errno.ts';
import { normSysPath, resolveLink, type SysEntry, type SysfsView } from '../../src/sysfs/view.ts';

type Over =
  | { kind: 'file'; data: string }
  | { kind: 'dir' }
  | { kind: 'link'; target: string }
  | { kind: 'gone' };

/** One write the tool made. */
export interface WriteRec {
  /** path as written (relative to /sys) */
  path: string;
  /** canonical path (symlinks resolved) */
  real: string;
  /** the bytes, NUL included */
  value: string;
  /** last two components of the canonical path, e.g. "region1/commit", "cxl_region/bind" */
  short: string;
  /** the errno name the handler threw, if any */
  error?: string;
}

/** A write handler: `real` is the canonical path; `cstr` the value up to its NUL. */
export type WriteHandler = (fake: FakeSysfs, real: string, cstr: string) => void;

const parentOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const nameOf = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** The fake. */
export class FakeSysfs implements SysfsView {
  base: SysfsView;
  readonly over = new Map<string, Over>();
  readonly writes: WriteRec[] = [];
  private readonly handlers: Array<{ re: RegExp; fn: WriteHandler }> = [];

  constructor(base: SysfsView) {
    this.base = base;
  }

  /** Handles writes whose canonical path matches `re` (first match wins; later ones first). */
  on(re: RegExp, fn: WriteHandler): this {
    this.handlers.unshift({ re, fn });
    return this;
  }

  /** Replaces the base tree and drops the overlay (the state after the command, from a capture). */
  switchBase(base: SysfsView): void {
    this.base = base;
    this.over.clear();
  }

  setFile(real: string, data: string): void {
    this.mkdirs(parentOf(real));
    this.over.set(real, { kind: 'file', data });
  }

  setLink(real: string, target: string): void {
    this.mkdirs(parentOf(real));
    this.over.set(real, { kind: 'link', target });
  }

  mkdirs(real: string): void {
    if (real === '' || this.kindAt(real) === 'dir') return;
    this.mkdirs(parentOf(real));
    this.over.set(real, { kind: 'dir' });
  }

  /** Removes a path and everything below it. */
  remove(real: string): void {
    for (const k of [...this.over.keys()]) if (k.startsWith(`${real}/`)) this.over.delete(k);
    this.over.set(real, { kind: 'gone' });
  }

  private gone(p: string): boolean {
    for (let q = p; q !== ''; q = parentOf(q)) if (this.over.get(q)?.kind === 'gone') return true;
    return false;
  }

  /** Entry kind at a canonical path (no link followed). */
  private kindAt(p: string): 'dir' | 'file' | 'link' | undefined {
    if (p === '') return 'dir';
    const o = this.over.get(p);
    if (o && o.kind !== 'gone') return o.kind;
    if (this.gone(p)) return undefined;
    const e = this.base.lstat(p);
    return e?.kind;
  }

  private linkTarget(p: string): string {
    const o = this.over.get(p);
    if (o?.kind === 'link') return o.target;
    return this.base.readlink(p);
  }

  /** Canonical path; the last link followed when `followLast`. @throws ENOENT */
  resolve(path: string, followLast: boolean): string {
    let parts = normSysPath(path)
      .split('/')
      .filter((s) => s !== '');
    let done: string[] = [];
    let hops = 0;
    while (parts.length > 0) {
      const name = parts.shift() as string;
      const cur = [...done, name].join('/');
      const k = this.kindAt(cur);
      if (!k) throw new Errno('ENOENT', `no such path: ${path}`);
      if (k === 'link' && (parts.length > 0 || followLast)) {
        if (++hops > 40) throw new Errno('ENOENT');
        parts = [
          ...resolveLink(cur, this.linkTarget(cur))
            .split('/')
            .filter((s) => s !== ''),
          ...parts,
        ];
        done = [];
        continue;
      }
      if (parts.length > 0 && k !== 'dir') throw new Errno('ENOTDIR');
      done.push(name);
    }
    return done.join('/');
  }

  lstat(path: string): SysEntry | undefined {
    let p: string;
    try {
      p = this.resolve(path, false);
    } catch {
      return undefined;
    }
    const o = this.over.get(p);
    if (o?.kind === 'dir') return { kind: 'dir' };
    if (o?.kind === 'link') return { kind: 'link', target: o.target };
    if (o?.kind === 'file') return { kind: 'file', mode: 0o644, binary: false };
    return this.base.lstat(p);
  }

  readdir(path: string): string[] {
    const p = this.resolve(path, true);
    if (this.kindAt(p) !== 'dir') throw new Errno('ENOTDIR');
    const names: string[] = [];
    let baseNames: string[] = [];
    try {
      baseNames = this.base.readdir(p);
    } catch {
      // a directory only the overlay has
    }
    for (const n of baseNames) if (this.kindAt(p === '' ? n : `${p}/${n}`)) names.push(n);
    for (const k of this.over.keys()) {
      if (parentOf(k) !== p || names.includes(nameOf(k))) continue;
      if (this.kindAt(k)) names.push(nameOf(k));
    }
    return names;
  }

  readlink(path: string): string {
    const p = this.resolve(path, false);
    if (this.kindAt(p) !== 'link') throw new Errno('EINVAL');
    return this.linkTarget(p);
  }

  read(path: string): string | Uint8Array {
    const p = this.resolve(path, true);
    const o = this.over.get(p);
    if (o?.kind === 'file') return o.data;
    if (o?.kind === 'dir') throw new Errno('EISDIR');
    return this.base.read(p);
  }

  write(path: string, value: string): void {
    const given = normSysPath(path);
    let real: string;
    try {
      real = this.resolve(parentOf(given), true);
      real = real === '' ? nameOf(given) : `${real}/${nameOf(given)}`;
    } catch (e) {
      this.writes.push({ path: given, real: given, value, short: short(given), error: 'ENOENT' });
      throw e;
    }
    const rec: WriteRec = { path: given, real, value, short: short(real) };
    this.writes.push(rec);
    const nul = value.indexOf('\0');
    const cstr = nul >= 0 ? value.slice(0, nul) : value;
    try {
      const h = this.handlers.find((x) => x.re.test(real));
      if (h) h.fn(this, real, cstr);
      else if (this.kindAt(real) === 'file') this.setFile(real, cstr);
      else throw new Errno('ENOENT');
    } catch (e) {
      if (e instanceof Errno) rec.error = e.code;
      throw e;
    }
  }

  realpath(path: string): string {
    return this.resolve(path, true);
  }

  /** The recorded writes but libcxl's bus/cxl/flush, as "short=value" lines (NUL \0, newline \n). */
  trace(): string[] {
    return this.writes
      .filter((w) => w.real !== 'bus/cxl/flush')
      .map((w) => {
        const v = w.value.replace(/\n/g, '\\n').replace(/\0/g, '\\0');
        return `${w.short}=${v}${w.error ? ` !${w.error}` : ''}`;
      });
  }
}

function short(p: string): string {
  return p.split('/').slice(-2).join('/');
}
