/**
 * DOC: the FUSE operations that serve a live machine's /sys (fuse-native's ops table).
 *
 * They behave as kernfs does for a reader or writer in the guest (fs/kernfs/file.c,
 * fs/kernfs/dir.c, fs/sysfs/file.c):
 * - directories 0755, symlinks 0777 whose target is what readlink(2) prints, attributes with
 *   their sysfs mode and size 4096 (a binary attribute: its length), all owned by root;
 *   tracefs and debugfs files (kernel/tracing, kernel/debug: not kernfs, their text can pass
 *   4 KiB, `trace` after a mock event trigger is ~30 KiB) report their
 *   content's length, as the kernel reads no further than the size it was given — except
 *   the consuming ones, whose content a stat must not take: trace_pipe_raw is one ring-buffer
 *   page (4096: one page per open) and trace_pipe 1 MiB (a shorter read then ends the file);
 * - readdir gives ".", ".." and then the entries in kernfs order (the view's order);
 * - open checks the mode bits even for root, as kernfs_fop_open() does: a write open of a
 *   file without write bits, or a read open of one without read bits, fails with EACCES —
 *   except under kernel/tracing: tracefs is no kernfs, root's open passes
 *   generic_permission() (CAP_DAC_OVERRIDE), so libtracefs's O_RDWR open of trace_pipe
 *   (tracefs_instance_file_open(…, -1)) succeeds;
 * - a read at offset 0 computes the attribute (show()) again; later offsets of the same open
 *   file read the same text (seq_file semantics); a failing show() is the read's errno;
 * - a write is one `store()` of the written bytes through the journal ({@link LiveMachine}); the
 *   mount takes writes of up to 128 KiB (big_writes): one store for a binary attribute (whose
 *   kernel write copies at an offset, so the chunking is not visible), E2BIG for a text
 *   attribute longer than PAGE_SIZE as kernfs_fop_write_iter() refuses it;
 *   a refused value is the write's errno, so `echo` prints `write error: Invalid argument`;
 *   an accepted write returns only after `settleMs` (the mount's entry/attribute cache time):
 *   whatever the kernel cached before the write (a memdev's `driver` link that an unbind
 *   removed) has then expired, so the writer's next command sees the new tree, as on kernfs;
 *   a write that provably changed no entry (libcxl's bus/cxl/flush, issued before each
 *   listing, when it ran no device work) returns at once ({@link LiveMachine.write});
 * - O_TRUNC is accepted and ignored; creating a file fails with EACCES.
 * Nothing here touches the mount itself (the FUSE thread would wait on this process).
 */
import { Errno, errnoNumber } from '../../kernel/errno.ts';
import type { Machine } from '../../machine.ts';
import { normSysPath, type SysEntry } from '../../sysfs/view.ts';
import type { LiveMachine } from './store.ts';

/**
 * tracefs / debugfs files: no PAGE_SIZE limit (seq_file), so their size is their text's length
 * rather than sysfs's 4096, which would cut a longer `trace` short.
 */
function unboundedText(p: string): boolean {
  return p.startsWith('kernel/tracing/') || p.startsWith('kernel/debug/');
}

/** fuse-native's stat object (the fields it reads). */
export interface FuseStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  mtime: Date;
  atime: Date;
  ctime: Date;
}

type Cb0 = (code: number) => void;
type Cb<T> = (code: number, value?: T) => void;

/** The subset of fuse-native's operations cxlsim implements. */
export interface FuseOps {
  getattr(path: string, cb: Cb<FuseStat>): void;
  fgetattr(path: string, fd: number, cb: Cb<FuseStat>): void;
  readdir(path: string, cb: (code: number, names?: string[]) => void): void;
  readlink(path: string, cb: Cb<string>): void;
  open(path: string, flags: number, cb: Cb<number>): void;
  release(path: string, fd: number, cb: Cb0): void;
  read(path: string, fd: number, buf: Buffer, len: number, pos: number, cb: Cb0): void;
  write(path: string, fd: number, buf: Buffer, len: number, pos: number, cb: Cb0): void;
  truncate(path: string, size: number, cb: Cb0): void;
  ftruncate(path: string, fd: number, size: number, cb: Cb0): void;
  create(path: string, mode: number, cb: Cb<number>): void;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const O_ACCMODE = 3;
const O_WRONLY = 1;
const O_RDWR = 2;

/** Negative errno of an Errno (EIO for anything else, reported on stderr by the caller). */
function neg(e: unknown): number {
  return e instanceof Errno ? -errnoNumber(e.code) : -5;
}

/** An open attribute: the text of the last read at offset 0; whether it is a binary attribute. */
interface OpenFile {
  path: string;
  data?: Buffer;
  binary?: boolean;
}

/**
 * Builds the ops over `live`. `onError` hears unexpected (non-Errno) failures, which the
 * caller reports as `cxlsim: …` lines; the operation then fails with EIO. `settleMs`: how
 * long an accepted write waits before it returns, ms (the mount's cache time; 0: none).
 */
export function sysfsFuseOps(
  live: LiveMachine,
  onError: (e: unknown) => void,
  settleMs = 0,
): FuseOps {
  const since = new Date();
  const files = new Map<number, OpenFile>();
  let nextFh = 1;

  const fail = (e: unknown, cb: Cb0) => {
    if (!(e instanceof Errno)) onError(e);
    cb(neg(e));
  };
  /** Runs `fn` on the up-to-date machine: at once when it is fresh, else after a reload. */
  const withMachine = (cb: Cb0, fn: (m: Machine) => void) => {
    const m = live.fresh();
    if (m) {
      try {
        fn(m);
      } catch (e) {
        fail(e, cb);
      }
      return;
    }
    live
      .current()
      .then(fn)
      .catch((e) => fail(e, cb));
  };
  const statOf = (e: SysEntry, size: () => number): FuseStat => {
    const base = { uid: 0, gid: 0, mtime: since, atime: since, ctime: since };
    if (e.kind === 'dir') return { ...base, mode: S_IFDIR | 0o755, size: 0, nlink: 2 };
    if (e.kind === 'link')
      return { ...base, mode: S_IFLNK | 0o777, size: e.target.length, nlink: 1 };
    return { ...base, mode: S_IFREG | e.mode, size: size(), nlink: 1 };
  };
  const getattr = (path: string, cb: Cb<FuseStat>) => {
    withMachine(cb, (m) => {
      const p = normSysPath(path);
      const e = p === '' ? ({ kind: 'dir' } as const) : m.sysfs.lstat(p);
      if (!e) return cb(-errnoNumber('ENOENT'));
      const tracefs = p.startsWith('kernel/tracing/');
      cb(
        0,
        statOf(e, () => {
          if (tracefs && p.endsWith('/trace_pipe_raw')) return 4096;
          if (tracefs && p.endsWith('/trace_pipe')) return 1 << 20;
          if (e.kind !== 'file' || (!e.binary && !unboundedText(p))) return 4096;
          try {
            const c = m.sysfs.read(p);
            return typeof c === 'string' ? Buffer.byteLength(c) : c.length;
          } catch {
            return 0;
          }
        }),
      );
    });
  };

  return {
    getattr,
    fgetattr: (path, _fd, cb) => getattr(path, cb),
    readdir(path, cb) {
      withMachine(cb, (m) => {
        const p = normSysPath(path);
        const e = p === '' ? { kind: 'dir' } : m.sysfs.lstat(p);
        if (!e) return cb(-errnoNumber('ENOENT'));
        if (e.kind !== 'dir') return cb(-errnoNumber('ENOTDIR'));
        cb(0, ['.', '..', ...m.sysfs.readdir(p)]);
      });
    },
    readlink(path, cb) {
      withMachine(cb, (m) => {
        const e = m.sysfs.lstat(normSysPath(path));
        if (e?.kind !== 'link') return cb(e ? -errnoNumber('EINVAL') : -errnoNumber('ENOENT'));
        cb(0, e.target);
      });
    },
    open(path, flags, cb) {
      withMachine(cb, (m) => {
        const p = normSysPath(path);
        const e = m.sysfs.lstat(p);
        if (!e) return cb(-errnoNumber('ENOENT'));
        if (e.kind === 'dir') return cb(-errnoNumber('EISDIR'));
        if (e.kind !== 'file') return cb(-40); // ELOOP: the kernel resolves links before open
        const acc = flags & O_ACCMODE;
        const wantsWrite = acc === O_WRONLY || acc === O_RDWR;
        const wantsRead = acc !== O_WRONLY;
        const tracefs = p === 'kernel/tracing' || p.startsWith('kernel/tracing/');
        if (!tracefs && ((wantsWrite && !(e.mode & 0o222)) || (wantsRead && !(e.mode & 0o444))))
          return cb(-errnoNumber('EACCES'));
        const fh = nextFh++;
        if (nextFh > 0x7fffffff) nextFh = 1;
        files.set(fh, { path: p, binary: e.binary === true });
        cb(0, fh);
      });
    },
    release(_path, fd, cb) {
      files.delete(fd);
      cb(0);
    },
    read(path, fd, buf, len, pos, cb) {
      const f = files.get(fd) ?? { path: normSysPath(path) };
      const serve = () => {
        const d = f.data as Buffer;
        const n = Math.max(0, Math.min(len, d.length - pos));
        if (n > 0) d.copy(buf, 0, pos, pos + n);
        cb(n);
      };
      if (pos > 0 && f.data) return serve();
      withMachine(cb, (m) => {
        const c = m.sysfs.read(f.path);
        f.data = typeof c === 'string' ? Buffer.from(c, 'latin1') : Buffer.from(c);
        serve();
      });
    },
    write(path, fd, buf, len, _pos, cb) {
      const f = files.get(fd);
      const p = f?.path ?? normSysPath(path);
      // kernfs_fop_write_iter(): a text attribute's atomic_write_len is PAGE_SIZE
      if (f && !f.binary && len > 4096) return cb(-errnoNumber('E2BIG'));
      const value = buf.toString('latin1', 0, len);
      live.write(p, value).then(
        (changed) => (changed && settleMs > 0 ? setTimeout(() => cb(len), settleMs) : cb(len)),
        (e) => fail(e, cb),
      );
    },
    truncate: (_p, _s, cb) => cb(0),
    ftruncate: (_p, _fd, _s, cb) => cb(0),
    create: (_p, _m, cb) => cb(-errnoNumber('EACCES')),
  };
}
