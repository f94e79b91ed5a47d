/**
 * DOC: util/sysfs.c as libcxl uses it, over a SysfsView.
 *
 * __sysfs_read_attr() (one read of at most SYSFS_ATTR_SIZE bytes, one trailing newline dropped),
 * __sysfs_device_parse() (readdir, sscanf("<name>%d") on every entry, add_dev() per match),
 * realpath(3), lstat(2)-based is_enabled() and access(F_OK).
 *
 * Writes: __sysfs_write_attr() opens the attribute O_WRONLY and writes strlen(buf) + 1 bytes —
 * the C string *with* its terminating NUL — so "region0" reaches the kernel as "region0\0" and
 * "4096\n" as "4096\n\0" (a store sees the same bytes as from `echo`, up to the NUL; uuid_store's
 * length check counts the NUL in place of echo's newline). Failures are returned as negative errno
 * values; 85 logs EACCES/EPERM at LOG_ERR with a hint. __util_bind() offers the device name to
 * every driver of the bus in readdir order until a bind succeeds; __util_unbind() writes it to the
 * device's driver/unbind.
 */
import { ERRNO, Errno, type ErrnoName, isErrno } from '../../kernel/errno.ts';
import { scanPrefixInt } from '../util/cstr.ts';
import { ndctlHas } from '../versions.ts';
import type { CxlCtx } from './types.ts';

/** Only 7-bit characters (UTF-8 and latin1 agree byte for byte). */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** One errno value per code for failed reads (callers look at its code and strerror text only). */
const ERRNOS = new Map<ErrnoName, Errno>();
function errnoOf(code: ErrnoName): Errno {
  let e = ERRNOS.get(code);
  if (!e) {
    e = new Errno(code);
    ERRNOS.set(code, e);
  }
  return e;
}

/** SYSFS_ATTR_SIZE (util/sysfs.h) */
const SYSFS_ATTR_SIZE = 1024;

/**
 * __sysfs_read_attr(): the attribute text without its trailing newline.
 * @returns the Errno of a failed open/read (85 logs EACCES/EPERM opens at LOG_ERR)
 */
export function readAttr(ctx: CxlCtx, path: string): string | Errno {
  let data: string | Uint8Array;
  try {
    const view = ctx.view;
    if (view.readIfExists) {
      const r = view.readIfExists(relSys(path));
      if (r === 'ENOENT' || r === 'ENOTDIR') return errnoOf(r);
      data = r;
    } else data = view.read(relSys(path));
  } catch (e) {
    return readFailed(ctx, path, e);
  }
  return attrText(ctx, data);
}

/**
 * readAttr(ctx, `${dir}/${name}`) for an attribute `name` of the device directory `dir`
 * (libcxl's dev_path), through the view's per-directory fast path when it has one.
 */
export function readAttrAt(ctx: CxlCtx, dir: string, name: string): string | Errno {
  const view = ctx.view;
  if (!view.readAtIfExists) return readAttr(ctx, `${dir}/${name}`);
  let data: string | Uint8Array;
  try {
    const r = view.readAtIfExists(dir, name);
    if (r === 'ENOENT' || r === 'ENOTDIR') return errnoOf(r);
    data = r;
  } catch (e) {
    return readFailed(ctx, `${dir}/${name}`, e);
  }
  return attrText(ctx, data);
}

/** A failed open/read: 85 logs EACCES/EPERM at LOG_ERR; the errno is returned. */
function readFailed(ctx: CxlCtx, path: string, e: unknown): Errno {
  const err = isErrno(e) ? e : new Errno('EIO');
  if (ndctlHas(ctx.ndctl, 'sysfsAccessHint') && (err.code === 'EACCES' || err.code === 'EPERM')) {
    ctx.out.log(
      'libcxl',
      '__sysfs_read_attr',
      `failed to open ${path}: ${err.message} hint: try running as root or using sudo\n`,
    );
  }
  return errnoOf(err.code);
}

/** The text __sysfs_read_attr() hands back for what read() returned. */
function attrText(ctx: CxlCtx, data: string | Uint8Array): string | Errno {
  // ASCII text (nearly every attribute) is its own latin1 decoding: no byte round trip
  const ascii = typeof data === 'string' && isAscii(data);
  const bytes = ascii
    ? undefined
    : typeof data === 'string'
      ? Buffer.from(data, 'utf8')
      : Buffer.from(data);
  if ((bytes ? bytes.length : data.length) >= SYSFS_ATTR_SIZE) {
    // 76.1 returns a stale -errno; 85 returns 0 with an empty buffer
    return ndctlHas(ctx.ndctl, 'sysfsLongAttrEmpty') ? '' : new Errno('EIO');
  }
  let s = bytes ? bytes.toString('latin1') : (data as string);
  const nul = s.indexOf('\0');
  if (nul >= 0) s = s.slice(0, nul);
  if (s.endsWith('\n')) s = s.slice(0, -1);
  return s;
}

/** realpath(3) with the result in libcxl's absolute form; undefined when it fails. */
export function realpath(ctx: CxlCtx, path: string): string | undefined {
  try {
    const view = ctx.view;
    const r = view.realpathIfExists
      ? view.realpathIfExists(relSys(path))
      : view.realpath(relSys(path));
    if (r === undefined) return undefined;
    return r === '' ? '/sys' : `/sys/${r}`;
  } catch {
    return undefined;
  }
}

/** realpath(ctx, `${dir}/${name}`) through the view's per-directory fast path when it has one. */
export function realpathAt(ctx: CxlCtx, dir: string, name: string): string | undefined {
  const view = ctx.view;
  if (!view.realpathAtIfExists) return realpath(ctx, `${dir}/${name}`);
  try {
    const r = view.realpathAtIfExists(dir, name);
    if (r === undefined) return undefined;
    return r === '' ? '/sys' : `/sys/${r}`;
  } catch {
    return undefined;
  }
}

/** is_enabled(): lstat() succeeds and the entry is a symlink. */
export function isEnabledPath(ctx: CxlCtx, drvpath: string): boolean {
  return ctx.view.lstat(relSys(drvpath))?.kind === 'link';
}

/**
 * is_enabled() of `${devPath}/driver` (libcxl's cxl_*_is_enabled()): lstat() of the device
 * directory's `driver` entry, through the view's per-directory fast path when it has one.
 */
export function isDriverBound(ctx: CxlCtx, devPath: string): boolean {
  const view = ctx.view;
  if (!view.lstatAt) return isEnabledPath(ctx, `${devPath}/driver`);
  return view.lstatAt(devPath, 'driver')?.kind === 'link';
}

/** access(path, F_OK) / stat(): the path resolves to an existing entry. */
export function exists(ctx: CxlCtx, path: string): boolean {
  return realpath(ctx, path) !== undefined;
}

/**
 * __sysfs_device_parse(): every entry of `base` named `<devName><int>` is handed to `add`; a
 * failed add logs "<devName><id>: add_dev() failed".
 */
export function deviceParse(
  ctx: CxlCtx,
  base: string,
  devName: string,
  add: (id: number, devPath: string) => unknown,
): void {
  writeAttr(ctx, '/sys/bus/cxl/flush', '1\n'); // cxl_wait_probe(): a failure is ignored
  let names: string[];
  try {
    names = ctx.view.readdir(relSys(base));
  } catch {
    return; // "no \"%s\" devices found" is a debug message
  }
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const id = scanPrefixInt(name, devName);
    if (id === undefined) continue;
    const dev = add(id, `${base}/${name}`);
    if (dev === undefined)
      ctx.out.log('libcxl', '__sysfs_device_parse', `${devName}${id}: add_dev() failed\n`);
  }
}

/** The NUL that write_attr() sends after the string (len = strlen(buf) + 1). */
export const CSTRING_NUL = '\0';

/** /sys-relative path for the view from libcxl's absolute one. */
export function relSys(path: string): string {
  return path.startsWith('/sys/') ? path.slice(5) : path === '/sys' ? '' : path;
}

/** strerror(abs(rc)) with glibc's text for numbers outside the table. */
export function strerrorRc(rc: number): string {
  const n = Math.abs(rc);
  for (const [, v] of Object.entries(ERRNO)) if (v[0] === n) return v[1];
  return `Unknown error ${n}`;
}

/** -errno for an errno name (the C convention of libcxl's return codes). */
export function negErrno(name: ErrnoName): number {
  return -ERRNO[name][0];
}

/** The negative errno of a thrown Errno (EIO for anything else). */
function rcOf(e: unknown): number {
  return isErrno(e) ? e.errno : negErrno('EIO');
}

/**
 * write_attr(): writes `buf` plus its NUL. @returns 0, or the negative errno of the failed
 * open/write (logged at LOG_ERR by 85 for EACCES/EPERM unless `quiet`)
 */
export function writeAttr(ctx: CxlCtx, path: string, buf: string, quiet = false): number {
  try {
    ctx.view.write(relSys(path), buf + CSTRING_NUL);
    return 0;
  } catch (e) {
    const rc = rcOf(e);
    if (ndctlHas(ctx.ndctl, 'sysfsAccessHint')) {
      // kernfs refuses a file without write permission at open() (EACCES); a store's own
      // EPERM comes back from write()
      if (rc === negErrno('EACCES')) {
        ctx.out.log(
          'libcxl',
          'write_attr',
          `failed to open ${path}: ${strerrorRc(rc)} hint: try running as root or using sudo\n`,
        );
      } else if (rc === negErrno('EPERM') && !quiet) {
        ctx.out.log(
          'libcxl',
          'write_attr',
          `failed to write ${buf} to ${path}: ${strerrorRc(rc)} hint: try running as root or using sudo\n`,
        );
      }
    }
    return rc;
  }
}

/**
 * __util_bind(): tries `<bus>/drivers/<drv>/bind` for every driver (readdir order, dot entries
 * skipped) until one write succeeds. @returns 0, or -ENXIO when no driver took the device
 */
export function utilBind(ctx: CxlCtx, devname: string, bus = 'cxl'): number {
  const dir = `/sys/bus/${bus}/drivers`;
  let drivers: string[];
  try {
    drivers = ctx.view.readdir(relSys(dir));
  } catch {
    ctx.out.log('libcxl', '__util_bind', `${devname}: opendir("${dir}") failed\n`);
    return negErrno('ENXIO');
  }
  let rc = 0;
  for (const drv of drivers) {
    if (drv.startsWith('.')) continue;
    rc = writeAttr(ctx, `${dir}/${drv}/bind`, devname, true);
    if (rc === 0) break;
  }
  return rc ? negErrno('ENXIO') : 0;
}

/** __util_unbind(): writes the device's name to `<devpath>/driver/unbind`. */
export function utilUnbind(ctx: CxlCtx, devpath: string): number {
  const devname = devpath.slice(devpath.lastIndexOf('/') + 1);
  return writeAttr(ctx, `${devpath}/driver/unbind`, devname);
}
