/**
 * DOC: the write half of util/sysfs.c as libcxl uses it, over a SysfsView.
 *
 * __sysfs_write_attr() opens the attribute O_WRONLY and writes strlen(buf) + 1 bytes — the C
 * string *with* its terminating NUL — so "region0" reaches the kernel as "region0\0" and
 * "4096\n" as "4096\n\0" (a store sees the same bytes as from `echo`, up to the NUL; uuid_store's
 * length check counts the NUL in place of echo's newline). Failures are returned as negative errno
 * values; 85 logs EACCES/EPERM at LOG_ERR with a hint. __util_bind() offers the device name to
 * every driver of the bus in readdir order until a bind succeeds; __util_unbind() writes it to the
 * device's driver/unbind.
 */
import { ERRNO, type ErrnoName, isErrno } from '../../kernel/errno.ts';
import type { CxlCtx } from './types.ts';

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
    if (ctx.ndctl === '85') {
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
