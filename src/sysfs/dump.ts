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
import {
  childPath,
  type ListedEntry,
  normSysPath,
  resolveLink,
  type SysEntry,
  type SysfsView,
  type SysListing,
} from './view.ts';

/** First line of a capture's sysfs.txt (kept so that dumps diff cleanly against captures). */
export const DUMP_HEADER = '# gt-sysfs-dump v1 (see guest/gtlib.sh for the line format)';

/** Files the capture tool lists without reading them (mmap-only PCI BAR files). */
const SKIP = /^resource\d+(_wc)?$/;
const SKIP_REASON = 'PCI BAR resource file, not read';
/** The directory whose entries' targets the default selection dumps. */
const BUS_DEVICES = 'bus/cxl/devices';
/**
 * Entries from which a directory's listing is not held while it is written (see
 * {@link Dumper.emit}). A large directory's entries (bus/cxl/devices: 30 k links at 4096
 * endpoints, each lstat() with its link target) lived through V8's young-generation collections
 * while it was written and were promoted to the old space, which only a full collection empties;
 * looking each one up again when its record is written costs one lookup per entry of the few
 * directories this large (5 at 4096 endpoints), and the ~65 k smaller ones keep the single pass.
 */
const LARGE_DIR = 128;
/** Bytes per hex line of an X record. */
const HEX_LINE = 32;

/** True when every byte is printable ASCII, TAB or newline. */
function printable(b: Uint8Array): boolean {
  for (const c of b) if (!(c === 0x0a || c === 0x09 || (c >= 0x20 && c < 0x7f))) return false;
  return true;
}

/** True when every UTF-16 unit of `s` is printable ASCII, TAB or newline (then its UTF-8 is itself). */
function printableText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(c === 0x0a || c === 0x09 || (c >= 0x20 && c < 0x7f))) return false;
  }
  return true;
}

/**
 * The '|'-prefixed lines of a file's text: `text.split('\n')` without the empty piece after a
 * final newline, each as "|LINE\n" ('' for an empty file).
 */
function contentLines(text: string): string {
  if (text === '') return '';
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return `|${body.replaceAll('\n', '\n|')}\n`;
}

function modeStr(mode: number): string {
  return mode.toString(8).padStart(3, '0');
}

/** A selected path's place in {@link Dumper}'s tree: one per path component reached. */
class Sel {
  /** What `lstat()` said of the path, once it is selected (undefined: only an ancestor). */
  st: SysEntry | undefined = undefined;
  /** Components below it that were reached, by name. */
  kids: Map<string, Sel> | undefined = undefined;
  /** Bit 1: recursed into; bit 2: listed one level. */
  done = 0;
}

/** Whether something below the node `n` may be selected (kids, a recursion or a listing). */
function below(n: Sel | undefined): boolean {
  return n !== undefined && (n.kids !== undefined || n.done !== 0);
}

/** A node with nothing selected below it (a directory reached only through a recursion). */
const EMPTY = new Sel();

/**
 * Selects paths into a tree of their components with what `lstat()` said of them (a
 * recursion only marks its directory), then writes the records in path order, listing the
 * recursed directories and reading each file as its record is written: a 4096-endpoint
 * machine's dump is 580 k records and 150 MB of text, never all in memory at once, and no
 * full path is kept (each is built when its record is).
 *
 * Path order from the tree: below a directory `d`, every path is `d/NAME` or `d/NAME/…`, and
 * all of `d/NAME/…` sort together right where the key `NAME/` sorts among the other names;
 * so sorting each directory's keys `NAME` (the entry) and `NAME/` (what is below it) and
 * descending in that order gives the byte (UTF-16 unit) order of the full paths.
 */
class Dumper {
  private readonly root = new Sel();
  private readonly view: SysfsView;

  constructor(view: SysfsView) {
    this.view = view;
  }

  /** The tree node of a normalized path, made on the way. */
  private sel(path: string): Sel {
    let n = this.root;
    if (path === '') return n;
    for (const name of path.split('/')) n = Dumper.kid(n, name);
    return n;
  }

  private static kid(n: Sel, name: string): Sel {
    n.kids ??= new Map();
    let k = n.kids.get(name);
    if (!k) {
      k = new Sel();
      n.kids.set(name, k);
    }
    return k;
  }

  /** Selects `path` (a directory is recorded, not descended). */
  entry(path: string): void {
    if (path !== '') this.select(this.sel(path), path);
  }

  /** Records `n` (the node of `path`) with `st`, or with lstat() when not given. */
  private select(n: Sel, path: string, st?: SysEntry): void {
    if (n.st || path === '') return;
    n.st = st ?? this.view.lstat(path);
  }

  /** The view's lstat of `dir/name`, through its per-directory fast path when it has one. */
  private lstatIn(dir: string, name: string): SysEntry | undefined {
    const v = this.view;
    return v.lstatAt ? v.lstatAt(dir, name) : v.lstat(childPath(dir, name));
  }

  /**
   * A directory and everything below it (symlinks recorded, not followed). Only marked here:
   * what is below it is listed when its records are written ({@link emit}), so that the
   * selection of a large tree costs no memory per entry.
   */
  recurse(path: string): void {
    const n = this.sel(path);
    n.done |= 1;
    this.select(n, path);
  }

  /**
   * A directory and its direct entries. Only marked here, like {@link recurse}: the entries
   * are listed when the directory's records are written (a 4096-endpoint machine's memdevs
   * have thousands of such ancestors, ~40 entries each, that would otherwise be held from the
   * selection to the writing).
   */
  oneLevel(path: string): void {
    const n = this.sel(path);
    if (n.done & 2) return;
    n.done |= 2;
    this.select(n, path);
  }

  /** Proper ancestors of a path, outermost first, excluding /sys itself. */
  static ancestors(path: string): string[] {
    const parts = path.split('/');
    const out: string[] = [];
    for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
    return out;
  }

  /**
   * Where each entry of `dir` leads: a symlink's target resolved from its readlink() text (a
   * sysfs symlink points at a kobject's directory, and kernfs_get_target_path()
   * (fs/kernfs/symlink.c) writes that directory's own path relative to the link: it never
   * passes through another symlink, so the text is the realpath), anything else its own path.
   * Each entry's lstat() is dropped as soon as its path is known: bus/cxl/devices has 30 k
   * entries at 4096 endpoints, and a listing of them all with their lstat() lived long enough
   * to be promoted to V8's old space (~50 MB of a 4096-endpoint dump's peak).
   */
  private resolvedEntries(dir: string): string[] {
    const out: string[] = [];
    for (const name of this.view.readdir(dir)) {
      // one entry at a time, so that what its lstat() builds dies young
      const st = this.lstatIn(dir, name);
      const at = `${dir}/${name}`;
      if (st?.kind === 'link') out.push(resolveLink(at, st.target));
      else if (st) out.push(at);
    }
    return out;
  }

  isDir(path: string): boolean {
    return this.view.lstat(path)?.kind === 'dir';
  }

  /** The capture tool's selection (see the DOC block). */
  defaultSelection(): void {
    const v = this.view;
    if (this.isDir('bus/cxl')) this.recurse('bus/cxl');
    const devs = this.isDir(BUS_DEVICES) ? this.resolvedEntries(BUS_DEVICES) : [];
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

  /** The records in path order (byte order), to `sink`. */
  write(header: boolean, sink: Sink): void {
    if (header) sink.put(`${DUMP_HEADER}\n`);
    this.emit(this.root, '', sink, false);
    sink.end();
  }

  /**
   * `dir`'s entries: the view's listing (one resolution of `dir`) when it has one, else
   * readdir() with an lstat() per entry.
   */
  private listing(dir: string): SysListing {
    const v = this.view;
    if (v.listing) return v.listing(dir);
    return {
      names: v.readdir(dir),
      entry: (name) => {
        const st = this.lstatIn(dir, name);
        return st && [st];
      },
    };
  }

  /**
   * The records below `n` (the node of directory `dir`), in path order. Below a recursed
   * directory (`rec`, or its node marked) every entry is listed and lstat()ed here, and so is
   * a directory listed one level, joined with what other selections put in the tree. `from`,
   * when given, is `dir`'s listing from its parent's ({@link SysListing.sub}: no resolution
   * of `dir`'s path). The entries of a directory of {@link LARGE_DIR} or more are not held
   * from the sort to their records: each is looked up again when its record is written.
   */
  private emit(n: Sel, dir: string, w: Sink, inRec: boolean, from?: SysListing): void {
    const rec = inRec || (n.done & 1) !== 0;
    const listed = rec || (n.done & 2) !== 0;
    const kids = n.kids;
    if (!listed && !kids) return; // a file, or a directory recorded but not descended
    const l = listed ? (from ?? this.listing(dir)) : undefined;
    /** A large listing's names (see LARGE_DIR), and those of its directories. */
    const names = l && l.names.length >= LARGE_DIR ? new Set(l.names) : undefined;
    const dirs = names && new Set<string>();
    /** Entries to record with their lstat() and reader, by name (all but a large listing's). */
    const held = new Map<string, ListedEntry>();
    const keys: string[] = [];
    if (l)
      for (const name of l.names) {
        const e = l.entry(name);
        if (!e) continue;
        const k = kids?.get(name);
        const st = k?.st ?? e[0];
        if (!dirs) held.set(name, k?.st ? [st, e[1]] : e);
        else if (st.kind === 'dir') dirs.add(name);
        keys.push(name);
        if ((rec && st.kind === 'dir') || below(k)) keys.push(`${name}/`);
      }
    if (kids)
      for (const [name, k] of kids) {
        if (held.has(name) || names?.has(name)) continue;
        if (k.st) {
          held.set(name, [k.st]);
          keys.push(name);
        }
        if ((rec && k.st?.kind === 'dir') || below(k)) keys.push(`${name}/`);
      }
    // default sort order is UTF-16 code unit order, as `<` compares (byte order for ASCII)
    keys.sort();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (key.endsWith('/')) {
        const name = key.slice(0, -1);
        const childRec = rec && (dirs?.has(name) || held.get(name)?.[0].kind === 'dir');
        // a directory of this listing is listed from it (not through its path)
        const sub = l && (childRec || names?.has(name) || held.has(name)) ? l.sub : undefined;
        const k = kids?.get(name) ?? EMPTY;
        const child = childPath(dir, name);
        this.emit(k, child, w, childRec, (childRec || k.done & 3) && sub ? sub(name) : undefined);
        continue;
      }
      let e = held.get(key);
      if (!e && names?.has(key)) {
        const got = l?.entry(key);
        const kst = kids?.get(key)?.st;
        e = got && (kst ? [kst, got[1]] : got);
      }
      if (!e) continue; // vanished between the listing and its record
      w.put(this.record(dir, key, e[0], e[1]));
    }
  }

  /**
   * The record of `dir/name` (text ending with "\n"); `reader`, when given, reads the file
   * (the view's listing resolved its directory already).
   */
  private record(
    dir: string,
    name: string,
    st: SysEntry,
    reader?: () => string | Uint8Array,
  ): string {
    const path = childPath(dir, name);
    if (st.kind === 'dir') return `D\t${path}\n`;
    if (st.kind === 'link') return `L\t${path}\t${st.target}\n`;
    const m = modeStr(st.mode);
    if (SKIP.test(name)) return `S\t${path}\t${m}\t${SKIP_REASON}\n`;
    let content: string | Uint8Array;
    try {
      content = reader ? reader() : this.read(dir, name, path);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      const msg =
        e.code === 'EACCES' || (st.mode & 0o444) === 0
          ? `cat: can't open '/sys/${path}': ${strerror('EACCES')}`
          : `cat: read error: ${strerror(e.code)}`;
      return `E\t${path}\t${m}\t${msg}\n`;
    }
    // printable ASCII text (nearly every attribute) is its own latin1 bytes: no round trip
    let text: string;
    if (typeof content === 'string' && printableText(content)) text = content;
    else {
      // a view of the attribute's bytes, not a copy (9,200 configuration spaces of 4 KiB at
      // 4096 endpoints), in hex at once and cut into lines
      const bytes =
        typeof content === 'string'
          ? Buffer.from(content, 'utf8')
          : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
      if (!printable(bytes)) {
        const hex = bytes.toString('hex');
        let s = `X\t${path}\t${m}\t${bytes.length}\n`;
        for (let i = 0; i < hex.length; i += 2 * HEX_LINE)
          s += `|${hex.slice(i, i + 2 * HEX_LINE)}\n`;
        return s;
      }
      text = bytes.toString('latin1');
    }
    return `F\t${path}\t${m}\t${text.length}\n${contentLines(text)}`;
  }

  /**
   * The view's read of `path` = `dir/name`, through its per-directory fast path when it has one
   * (`dir` is one string per directory, so the view resolves it once); its miss codes (and a
   * file whose text is one, to be exact) take read() itself.
   */
  private read(dir: string, name: string, path: string): string | Uint8Array {
    const v = this.view;
    if (!v.readAtIfExists || dir === '') return v.read(path);
    const r = v.readAtIfExists(dir, name);
    return r === 'ENOENT' || r === 'ENOTDIR' ? v.read(path) : r;
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

/**
 * Bytes (UTF-16 units) of dump text handed to `out` at a time by {@link writeSysfsDump}, and
 * the size of {@link writeSysfsDumpBytes}'s buffer. Small on purpose: the piece being built is
 * alive at every scavenge, and what survives two is promoted to the old space, where it stays
 * until a full collection. Measured in-process on a booted 1,024-endpoint machine: the heap
 * grew by 58.6 MB during a dump with 1 MiB pieces and by 48–49 MB with 64 KiB pieces; 64 KiB
 * pieces cost ~2,300 writes for a 150 MB dump.
 */
const CHUNK = 1 << 16;

/** Where {@link Dumper.write} puts the records, in order. */
interface Sink {
  put(s: string): void;
  /** Hands out what is left. */
  end(): void;
}

/** Text in pieces of about {@link CHUNK} UTF-16 units. */
function stringSink(out: (chunk: string) => void): Sink {
  let s = '';
  return {
    put(x) {
      s += x;
      if (s.length >= CHUNK) {
        out(s);
        s = '';
      }
    },
    end() {
      if (s !== '') out(s);
      s = '';
    },
  };
}

/**
 * UTF-8 bytes in one buffer of {@link CHUNK} bytes, reused: each record is copied into it as
 * it is made, so no record string outlives its own (a 4096-endpoint dump is 650 k records; as
 * pieces of text their strings lived until the piece was handed out). A record longer than the
 * buffer is handed out on its own.
 */
function byteSink(out: (bytes: Uint8Array) => void): Sink {
  const buf = Buffer.allocUnsafe(CHUNK);
  let n = 0;
  const flush = () => {
    if (n > 0) out(buf.subarray(0, n));
    n = 0;
  };
  return {
    put(x) {
      const len = Buffer.byteLength(x);
      if (n + len > CHUNK) flush();
      if (len > CHUNK) out(Buffer.from(x));
      else n += buf.write(x, n);
    },
    end: flush,
  };
}

/**
 * {@link writeSysfsDump} as UTF-8 bytes: `out` gets the same text in pieces of at most
 * {@link CHUNK} bytes (more only for a single longer record). A piece is valid only during the
 * call (the buffer is reused): `out` writes or copies it.
 * @throws ENOENT when a given root does not exist (before anything is written)
 */
export function writeSysfsDumpBytes(
  view: SysfsView,
  out: (bytes: Uint8Array) => void,
  roots?: string[],
  opts: { header?: boolean } = {},
): void {
  dumpTo(view, byteSink(out), roots, opts);
}

/**
 * {@link dumpSysfs}, handing the text to `out` in pieces of about 64 KiB in order, so that a
 * large machine's dump (hundreds of MB at 4096 endpoints) is never one string.
 * @throws ENOENT when a given root does not exist (before anything is written)
 */
export function writeSysfsDump(
  view: SysfsView,
  out: (chunk: string) => void,
  roots?: string[],
  opts: { header?: boolean } = {},
): void {
  dumpTo(view, stringSink(out), roots, opts);
}

/** The dump of `view` (see {@link dumpSysfs}) to `sink`. */
function dumpTo(
  view: SysfsView,
  sink: Sink,
  roots: string[] | undefined,
  opts: { header?: boolean },
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
  d.write(opts.header ?? true, sink);
}
