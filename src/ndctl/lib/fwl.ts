/**
 * DOC: libcxl's firmware loader calls (cxl/lib/libcxl.c, ndctl ≥ 78): add_cxl_memdev_fwl()
 * paths `<memdev>/firmware/<memN>/{loading,data,remaining_size,cancel,status}`,
 * cxl_fwl_get_status(), cxl_memdev_fw_update_in_progress(), cxl_memdev_fw_update_get_remaining(),
 * cxl_memdev_update_fw() and cxl_memdev_cancel_fw_update().
 *
 * An update opens the image ("failed to open: %s: (%s)"), writes 1 to `loading` ("%s: failed to
 * trigger fw loading to %d (%s)" on error), fwrite()s the image to `data` (opened "w": "failed to
 * open: …"; a short write is -ENXIO) and writes 0 to `loading`. A status that cannot be read
 * logs "%s: failed to get fw loader status (%s)" and counts as in progress (an unknown status);
 * an unreadable remaining_size logs "%s: failed to get fw loader remaining size (%s)" and is 0.
 * A cancel with nothing in progress and nothing remaining is -ENXIO; else `1` goes to `cancel`.
 */
import { ERRNO, type ErrnoName, isErrno } from '../../kernel/errno.ts';
import { strtoull } from '../util/cstr.ts';
import { memdevName } from './memdev.ts';
import { negErrno, readAttr, relSys, strerrorRc, writeAttr } from './sysfs.ts';
import type { CxlMemdev } from './types.ts';

/** enum cxl_fwl_status by the names cxl_fwl_status_from_ident() knows. */
const FWL_STATUS = ['idle', 'receiving', 'preparing', 'transferring', 'programming'] as const;

/** The firmware loader directory of a memdev. */
function fwlDir(m: CxlMemdev): string {
  const name = memdevName(m);
  return `${m.devPath}/firmware/${name}`;
}

/** cxl_fwl_get_status(): the status name, or 'unknown'. */
export function fwlGetStatus(m: CxlMemdev): string {
  const v = readAttr(m.ctx, `${fwlDir(m)}/status`);
  if (typeof v !== 'string') {
    m.ctx.out.log(
      'libcxl',
      'cxl_fwl_get_status',
      `${memdevName(m)}: failed to get fw loader status (${v.message})\n`,
    );
    return 'unknown';
  }
  return (FWL_STATUS as readonly string[]).includes(v) ? v : 'unknown';
}

/** cxl_memdev_fw_update_in_progress(): any status but idle. */
export function fwUpdateInProgress(m: CxlMemdev): boolean {
  return fwlGetStatus(m) !== 'idle';
}

/** cxl_memdev_fw_update_get_remaining(): bytes (0 when unreadable). */
export function fwUpdateGetRemaining(m: CxlMemdev): bigint {
  const v = readAttr(m.ctx, `${fwlDir(m)}/remaining_size`);
  if (typeof v !== 'string') {
    m.ctx.out.log(
      'libcxl',
      'cxl_memdev_fw_update_get_remaining',
      `${memdevName(m)}: failed to get fw loader remaining size (${v.message})\n`,
    );
    return 0n;
  }
  return strtoull(v);
}

/** cxl_memdev_fwl_set_loading(). @returns 0 or -errno */
function setLoading(m: CxlMemdev, value: 0 | 1): number {
  const rc = writeAttr(m.ctx, `${fwlDir(m)}/loading`, `${value}\n`);
  if (rc < 0)
    m.ctx.out.log(
      'libcxl',
      'cxl_memdev_fwl_set_loading',
      `${memdevName(m)}: failed to trigger fw loading to ${value} (${strerrorRc(rc)})\n`,
    );
  return rc;
}

/** -errno of a failed open(): an Errno's, a Node.js error's `code`, else -EIO. */
function openErrno(e: unknown): number {
  if (isErrno(e)) return e.errno;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && code in ERRNO ? negErrno(code as ErrnoName) : negErrno('EIO');
}

/**
 * cxl_memdev_update_fw(): starts an upload of the file at `path`.
 * @returns 0 or -errno
 */
export function memdevUpdateFw(
  m: CxlMemdev,
  files: { read(path: string): Uint8Array },
  path: string,
): number {
  let image: Uint8Array;
  try {
    image = files.read(path);
  } catch (e) {
    const rc = openErrno(e);
    m.ctx.out.log(
      'libcxl',
      'cxl_memdev_update_fw',
      `failed to open: ${path}: (${strerrorRc(rc)})\n`,
    );
    return rc;
  }
  let rc = setLoading(m, 1);
  if (rc) return rc;
  const data = `${fwlDir(m)}/data`;
  if (!m.ctx.view.lstat(relSys(data))) {
    rc = negErrno('ENOENT');
    m.ctx.out.log(
      'libcxl',
      'cxl_memdev_fwl_copy_data',
      `failed to open: ${data}: (${strerrorRc(rc)})\n`,
    );
    return rc;
  }
  try {
    // fwrite() of the whole image: the kernel sees successive writes appending to it
    m.ctx.view.write(relSys(data), Buffer.from(image).toString('latin1'));
  } catch {
    return negErrno('ENXIO');
  }
  return setLoading(m, 0);
}

/** cxl_memdev_cancel_fw_update(). @returns 0 or -errno (-ENXIO when nothing runs) */
export function memdevCancelFwUpdate(m: CxlMemdev): number {
  if (!fwUpdateInProgress(m) && fwUpdateGetRemaining(m) === 0n) return negErrno('ENXIO');
  return writeAttr(m.ctx, `${fwlDir(m)}/cancel`, '1\n');
}
