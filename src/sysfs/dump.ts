/**
 * DOC: a /sys tree in the kernel captures' sysfs.txt line format.
 *
 * One record per path, sorted by path (byte order), TAB separated, paths relative to /sys
 * (shared/kernel-captures/README.md "sysfs.txt format"):
 *
 *     D  path                 directory
 *     L  path  target         symlink, target as readlink prints it
 *     F  path  mode  size     text file; '|'-prefixed lines follow: content = '\n'.join(lines)
 *                             + '\n', cut to size bytes (an empty file has no line)
 *     X  path  mode  size     file with non-printable bytes: '|'-prefixed hex, 32 bytes a line
 *     E  path  mode  message  open or read failed, as busybox cat reports it:
 *                             "cat: can't open '/sys/PATH': Permission denied" (no read bit),
 *                             "cat: read error: No such device or address" (show() failed)
 *     S  path  mode  reason   not read on purpose (PCI BAR resourceN files)
 *
 * What is dumped by default follows the capture tool: /sys/bus/cxl recursively (symlinks
 * not followed); the resolved directory of every /sys/bus/cxl/devices/* entry recursively
 * (top-most ones only: nested devices are inside them); one level of every ancestor of
 * those directories; one level of the ACPI0016/ACPI0017 firmware nodes with their
 * bus/acpi/devices links, and their ancestors as bare directories.
 */
import { Errno, strerror } from '../kernel/errno.ts';
import { normSysPath, type SysfsView } from './view.ts';

/** First line of a capture's sysfs.txt (kept so that dumps diff cleanly against captures). */
export const DUMP_HEADER = '# gt-sysfs-dump v1 (see guest/gtlib.sh for the line format)';

/** Files the capture tool lists without reading them (mmap-only PCI BAR files). */
const SKIP = /^resource\d+(_wc)?$/;
const SKIP_REASON = 'PCI BAR resource file, not read';
/** Bytes per hex line of an X record. */
const HEX_LINE = 32;

/** True when every byte is printable ASCII, TAB or newline. */
function printable(b: Uint8Array): boolean {
  for (const c of b) if (!(c === 0x0a || c === 0x09 || (c >= 0x20 && c < 0x7f))) return false;
  return true;
}

function modeStr(mode: number): string {
  return mode.toString(8).padStart(3, '0');
}

/** Collects records by path; each record text ends with "\n". */
class Dumper {
  readonly records = new Map<string, string>();
  private readonly recursed = new Set<string>();
  private readonly listed = new Set<string>();
  private readonly view: SysfsView;

  constructor(view: SysfsView) {
    this.view = view;
  }

  /** One record for `path` (a directory is recorded, not descended). */
  entry(path: string): void {
    if (path === '' || this.records.has(path)) return;
    const st = this.view.lstat(path);
    if (!st) return;
    if (st.kind === 'dir') this.records.set(path, `D\t${path}\n`);
    else if (st.kind === 'link') this.records.set(path, `L\t${path}\t${st.target}\n`);
    else this.records.set(path, this.file(path, st.mode));
  }

  private file(path: string, mode: number): string {
    const m = modeStr(mode);
    const name = path.slice(path.lastIndexOf('/') + 1);
    if (SKIP.test(name)) return `S\t${path}\t${m}\t${SKIP_REASON}\n`;
    let content: string | Uint8Array;
    try {
      content = this.view.read(path);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      const msg =
        e.code === 'EACCES' || (mode & 0o444) === 0
          ? `cat: can't open '/sys/${path}': ${strerror('EACCES')}`
          : `cat: read error: ${strerror(e.code)}`;
      return `E\t${path}\t${m}\t${msg}\n`;
    }
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    if (!printable(bytes)) {
      let s = `X\t${path}\t${m}\t${bytes.length}\n`;
      for (let i = 0; i < bytes.length; i += HEX_LINE)
        s += `|${bytes.subarray(i, i + HEX_LINE).toString('hex')}\n`;
      return s;
    }
    const text = bytes.toString('latin1');
    const lines = text === '' ? [] : text.split('\n');
    if (text.endsWith('\n')) lines.pop();
    return `F\t${path}\t${m}\t${bytes.length}\n${lines.map((l) => `|${l}\n`).join('')}`;
  }

  /** A directory and everything below it (symlinks recorded, not followed). */
  recurse(path: string): void {
    if (this.recursed.has(path)) return;
    this.recursed.add(path);
    this.entry(path);
    for (const name of this.view.readdir(path)) {
      const child = path ? `${path}/${name}` : name;
      if (this.view.lstat(child)?.kind === 'dir') this.recurse(child);
      else this.entry(child);
    }
  }

  /** A directory and its direct entries. */
  oneLevel(path: string): void {
    if (this.listed.has(path)) return;
    this.listed.add(path);
    this.entry(path);
    for (const name of this.view.readdir(path)) this.entry(path ? `${path}/${name}` : name);
  }

  /** Proper ancestors of a path, outermost first, excluding /sys itself. */
  static ancestors(path: string): string[] {
    const parts = path.split('/');
    const out: string[] = [];
    for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
    return out;
  }

  isDir(path: string): boolean {
    return this.view.lstat(path)?.kind === 'dir';
  }

  /** The capture tool's selection (see the DOC block). */
  defaultSelection(): void {
    const v = this.view;
    if (this.isDir('bus/cxl')) this.recurse('bus/cxl');
    const devs = this.isDir('bus/cxl/devices')
      ? v.readdir('bus/cxl/devices').map((n) => v.realpath(`bus/cxl/devices/${n}`))
      : [];
    const sorted = [...new Set(devs)].sort((a, b) => a.length - b.length);
    // top-most directories only: a path is nested when one of its ancestors is already kept
    // (a set of ancestors, not a scan of the kept list: 4096 endpoints keep thousands)
    const top: string[] = [];
    const kept = new Set<string>();
    for (const p of sorted) {
      if (Dumper.ancestors(p).some((a) => kept.has(a))) continue;
      kept.add(p);
      top.push(p);
    }
    for (const t of top) {
      this.recurse(t);
      for (const a of Dumper.ancestors(t)) this.oneLevel(a);
    }
    if (!this.isDir('bus/acpi/devices')) return;
    const fw = v.readdir('bus/acpi/devices').filter((n) => /^ACPI001[67]:/.test(n));
    if (fw.length === 0) return;
    this.entry('bus/acpi/devices');
    for (const n of fw) {
      const link = `bus/acpi/devices/${n}`;
      this.entry(link);
      const dir = v.realpath(link);
      this.oneLevel(dir);
      for (const a of Dumper.ancestors(dir)) this.entry(a);
    }
  }

  /** The records sorted by path, to `out` in pieces of about {@link CHUNK}. */
  write(header: boolean, out: (chunk: string) => void): void {
    const keys = [...this.records.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let s = header ? `${DUMP_HEADER}\n` : '';
    for (const k of keys) {
      s += this.records.get(k);
      if (s.length >= CHUNK) {
        out(s);
        s = '';
      }
    }
    if (s !== '') out(s);
  }
}

/**
 * Dumps `view` in the sysfs.txt format. Without `roots`, the capture tool's selection;
 * with `roots`, each root path recursively (symlinks not followed).
 * @throws ENOENT when a given root does not exist
 */
export function dumpSysfs(
  view: SysfsView,
  roots?: string[],
  opts: { header?: boolean } = {},
): string {
  let s = '';
  writeSysfsDump(
    view,
    (chunk) => {
      s += chunk;
    },
    roots,
    opts,
  );
  return s;
}

/** Bytes (UTF-16 units) of dump text handed to `out` at a time by {@link writeSysfsDump}. */
const CHUNK = 1 << 20;

/**
 * {@link dumpSysfs}, handing the text to `out` in pieces of about 1 MiB in order, so that a
 * large machine's dump (hundreds of MB at 4096 endpoints) is never one string.
 * @throws ENOENT when a given root does not exist (before anything is written)
 */
export function writeSysfsDump(
  view: SysfsView,
  out: (chunk: string) => void,
  roots?: string[],
  opts: { header?: boolean } = {},
): void {
  const d = new Dumper(view);
  if (roots && roots.length > 0) {
    for (const r of roots) {
      const p = normSysPath(r);
      const st = view.lstat(p);
      if (!st) throw new Errno('ENOENT', `/sys/${p}: No such file or directory`);
      if (st.kind === 'dir') d.recurse(p);
      else d.entry(p);
    }
  } else d.defaultSelection();
  d.write(opts.header ?? true, out);
}
