/**
 * DOC: the firmware upload class device (drivers/base/firmware_loader/sysfs_upload.c,
 * firmware_upload_register(), fw_upload_start(), fw_upload_main(), and the firmware class
 * attributes of sysfs.c: firmware_loading_store(), firmware_data_write()).
 *
 * firmware_upload_register(module, parent, name, ops, dd_handle) adds a device of class
 * `firmware` named `name` below `parent`; sysfs puts it in the class glue directory, hence
 * `<parent>/firmware/<name>/`. Its files, as a Linux 7.3 guest shows them for memN:
 * - `loading` (0644): 1 while a load is open or its upload runs (fw_state_is_loading()), else 0;
 *   `1` opens a load (the image restarts empty), `0` closes it and starts the upload
 *   (fw_upload_start(): EBUSY while one runs; an empty image just resets), `-1` aborts, any
 *   other value logs "firmware_loading_store: unexpected value (%d)" and aborts;
 * - `data` (binary, 0644, size 0): the image being written (writes append, as successive
 *   write(2)s at increasing offsets do); ENODEV outside an open load;
 * - `status` (0444): idle, receiving, preparing, transferring, programming;
 * - `error` (0444): "<progress>:<error>" of the last failed upload (error strings none,
 *   hw-error, timeout, user-abort, device-busy, invalid-file-size, read-write-error,
 *   flash-wearout), empty after a good one; EBUSY while an upload runs;
 * - `cancel` (0200): a true kstrtobool() value asks the driver to cancel (ops.cancel(), called
 *   even when idle, which then fails with ENODEV); another value EINVAL;
 * - `remaining_size` (0444): bytes not yet written to the device, "%u" — left as it was when
 *   an upload fails, so a cancelled upload keeps a non-zero value;
 * - `uevent`: FIRMWARE=<name>, TIMEOUT=<loading timeout, 60 s>, ASYNC=0 (firmware_uevent()),
 *   only in a kernel built with CONFIG_FW_LOADER_USER_HELPER; without it the class has no
 *   dev_uevent and the file reads empty.
 * fw_upload_main() runs on system_long_wq: progress preparing → ops.prepare(), transferring →
 * ops.write() until nothing remains ("write-op wrote zero data" and read-write-error when a
 * write makes no progress), programming → ops.poll_complete(), then ops.cleanup() and idle.
 * Here it is a work item on the virtual clock (drivers/workqueue.ts): the driver's ops are
 * generators that yield their sleeps, and the class attributes run due work before answering.
 */

import type { AttributeGroup } from '../../kernel/device.ts';
import { type Attribute, Device } from '../../kernel/device.ts';
import { Errno } from '../../kernel/errno.ts';
import { shareWithCopies } from '../../kernel/graph-copy.ts';
import { DPM_POWER_GROUP } from '../../kernel/power.ts';
import { env } from '../env.ts';
import { queueWork, runPendingWork } from '../workqueue.ts';

/** enum fw_upload_prog, by the names status_show() prints. */
export type FwUploadProgress = 'idle' | 'receiving' | 'preparing' | 'transferring' | 'programming';

/** enum fw_upload_err, by the names error_show() prints (fw_upload_err_str[]). */
export type FwUploadErr =
  | 'none'
  | 'hw-error'
  | 'timeout'
  | 'user-abort'
  | 'device-busy'
  | 'invalid-file-size'
  | 'read-write-error'
  | 'flash-wearout';

/** A driver op that may sleep: yields the ms it sleeps (drivers/workqueue.ts), returns its result. */
export type FwOpSteps<T> = Generator<number, T, void>;

/** struct fw_upload_ops (every op but cleanup is required, as firmware_upload_register() checks). */
export interface FwUploadOps {
  /** prepare(fwl, data, size): checks the image and readies the device. */
  prepare(fw: FwUploadDevice, data: Uint8Array, size: number): FwOpSteps<FwUploadErr>;
  /** write(fwl, data, offset, size, &written): sends part of the image from `offset` (bytes). */
  write(
    fw: FwUploadDevice,
    data: Uint8Array,
    offset: number,
    size: number,
  ): FwOpSteps<{ err: FwUploadErr; written: number }>;
  /** poll_complete(fwl): waits for the device to finish programming. */
  pollComplete(fw: FwUploadDevice): FwOpSteps<FwUploadErr>;
  /** cancel(fwl): a cancel request (may come at any time; must not sleep). */
  cancel(fw: FwUploadDevice): void;
  /** cleanup(fwl): after write/poll_complete, whatever their outcome. */
  cleanup?(fw: FwUploadDevice): void;
}

/** __firmware_loading_timeout() default: 60 seconds (TIMEOUT= in the uevent). */
const LOADING_TIMEOUT_S = 60;

/**
 * The paged buffer of a device without a load open (fw_free_paged_buf() leaves none): one
 * frozen empty array shared by every device and machine copy — {@link FwUploadDevice.appendImage}
 * replaces it before its first byte.
 */
const NO_PAGES: Uint8Array = Object.freeze(new Uint8Array(0));

/** A firmware upload device (struct fw_sysfs + struct fw_upload_priv). */
export class FwUploadDevice extends Device {
  /** fw_state_is_loading(): a load is open or its upload runs (`loading` reads 1). */
  loading = false;
  /** The paged buffer written through `data` (first {@link imageSize} bytes are the image). */
  private buf: Uint8Array = NO_PAGES;
  /** Bytes written to `data` during the open load. */
  imageSize = 0;
  /** fw_upload_priv.progress */
  progress: FwUploadProgress = 'idle';
  /** fw_upload_priv.err_progress and err_code (error_show()); undefined when err_code is 0. */
  error: { progress: FwUploadProgress; code: FwUploadErr } | undefined;
  /** fw_upload_priv.remaining_size, bytes. */
  remainingSize = 0;
  /** The driver's upload operations (struct fw_upload_ops). */
  ops: FwUploadOps | undefined;

  /** The image written so far (a view, not a copy). */
  get image(): Uint8Array {
    return this.buf.subarray(0, this.imageSize);
  }

  /** Appends bytes to the image (fw_realloc_pages() + the copy of firmware_data_write()). */
  appendImage(bytes: Uint8Array): void {
    const need = this.imageSize + bytes.length;
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.max(need, this.buf.length * 2, 4096));
      grown.set(this.image);
      this.buf = grown;
    }
    this.buf.set(bytes, this.imageSize);
    this.imageSize = need;
  }

  /** fw_free_paged_buf() + fw_state_init(): no load open, no image. */
  resetLoad(): void {
    this.loading = false;
    this.buf = NO_PAGES;
    this.imageSize = 0;
  }
}

/** kstrtobool(): 1/y/Y/t/T/on → true, 0/n/N/f/F/off → false. @throws EINVAL otherwise */
function kstrtobool(buf: string): boolean {
  const s = buf.replace(/\n$/, '');
  if (/^(1|[yYtT]|on)/i.test(s) && !/^of/i.test(s)) return true;
  if (/^(0|[nNfF]|off)/i.test(s)) return false;
  throw new Errno('EINVAL');
}

/**
 * fw_upload_main(): the upload worker (see the DOC above); the image is copied at start, as
 * the kernel keeps the paged buffer until the worker ends.
 */
function* fwUploadMain(fw: FwUploadDevice, ops: FwUploadOps, data: Uint8Array) {
  const fail = (code: FwUploadErr) => {
    fw.error = { progress: fw.progress, code };
  };
  fw.progress = 'preparing';
  const prep = yield* ops.prepare(fw, data, fw.remainingSize);
  if (prep !== 'none') fail(prep);
  else {
    fw.progress = 'transferring';
    let offset = 0;
    let failed = false;
    while (fw.remainingSize) {
      const r = yield* ops.write(fw, data, offset, fw.remainingSize);
      if (r.err !== 'none' || !r.written) {
        let code = r.err;
        if (code === 'none') {
          fw.warn('write-op wrote zero data');
          code = 'read-write-error';
        }
        fail(code);
        failed = true;
        break;
      }
      fw.remainingSize -= r.written;
      offset += r.written;
    }
    if (!failed) {
      fw.progress = 'programming';
      const done = yield* ops.pollComplete(fw);
      if (done !== 'none') fail(done);
    }
    ops.cleanup?.(fw);
  }
  fw.resetLoad();
  fw.progress = 'idle';
}

/**
 * fw_upload_start(): an empty image just resets the load; otherwise progress receiving, the
 * error cleared, remaining_size the image size, and fw_upload_main() queued.
 * @throws EBUSY while an upload runs
 */
function fwUploadStart(fw: FwUploadDevice): void {
  if (!fw.ops) {
    fw.resetLoad();
    return;
  }
  if (fw.imageSize === 0) {
    fw.resetLoad();
    return;
  }
  if (fw.progress !== 'idle') throw new Errno('EBUSY', 'an upload is running', fw.name);
  fw.progress = 'receiving';
  fw.error = undefined;
  fw.remainingSize = fw.imageSize;
  queueWork(fw.ctx, fwUploadMain(fw, fw.ops, fw.image.slice()));
}

/** firmware_loading_store(): 1 opens a load, 0 closes it (starts the upload), -1 aborts. */
function loadingStore(fw: FwUploadDevice, buf: string): void {
  runPendingWork(fw.ctx);
  const n = Number.parseInt(buf, 10);
  const loading = Number.isNaN(n) ? 0 : n;
  if (loading === 1) {
    if (fw.progress !== 'idle') return; // the upload owns the buffer (fw_sysfs_done() is false)
    fw.resetLoad();
    fw.loading = true;
    return;
  }
  if (loading === 0 && fw.loading && fw.progress === 'idle') {
    fwUploadStart(fw);
    return;
  }
  if (loading === 0 && fw.progress !== 'idle') throw new Errno('EBUSY', 'upload running', fw.name);
  if (loading !== -1) fw.err('EINVAL', `firmware_loading_store: unexpected value (${loading})`);
  fw.resetLoad();
}

/** firmware_data_write(): appends to the open load's image. @throws ENODEV outside a load */
function dataStore(fw: FwUploadDevice, buf: string): void {
  if (!fw.loading || fw.progress !== 'idle') throw new Errno('ENODEV', 'no load open', fw.name);
  fw.appendImage(Buffer.from(buf, 'latin1'));
}

/** cancel_store(): EINVAL unless true; the driver's cancel(); ENODEV while idle. */
function cancelStore(fw: FwUploadDevice, buf: string): void {
  runPendingWork(fw.ctx);
  let on: boolean;
  try {
    on = kstrtobool(buf);
  } catch {
    on = false;
  }
  if (!on) throw new Errno('EINVAL', 'not a true value', fw.name);
  const idle = fw.progress === 'idle';
  fw.ops?.cancel(fw);
  if (idle) throw new Errno('ENODEV', 'no upload running', fw.name);
}

/** An attribute whose show() first runs the work due (the upload worker ran meanwhile). */
const live = (show: (fw: FwUploadDevice) => string) => (fw: FwUploadDevice) => {
  runPendingWork(fw.ctx);
  return show(fw);
};

const ATTRS: Attribute<FwUploadDevice>[] = shareWithCopies([
  {
    name: 'loading',
    mode: 0o644,
    show: live((fw) => `${fw.loading ? 1 : 0}\n`),
    store: loadingStore,
  },
  {
    name: 'data',
    mode: 0o644,
    read: (fw) => (fw.loading && fw.progress === 'idle' ? fw.image.slice() : new Uint8Array(0)),
    store: dataStore,
  },
  { name: 'status', mode: 0o444, show: live((fw) => `${fw.progress}\n`) },
  {
    name: 'error',
    mode: 0o444,
    show: live((fw) => {
      if (fw.progress !== 'idle') throw new Errno('EBUSY', 'upload running', fw.name);
      return fw.error ? `${fw.error.progress}:${fw.error.code}\n` : '';
    }),
  },
  { name: 'cancel', mode: 0o200, store: cancelStore },
  { name: 'remaining_size', mode: 0o444, show: live((fw) => `${fw.remainingSize}\n`) },
]);

/** The group of {@link ATTRS}: a module-level constant shared by every upload device and copy. */
const UPLOAD_GROUP: AttributeGroup<FwUploadDevice> = Object.freeze({ attrs: ATTRS });

/**
 * The uevent variables of the firmware upload device `this` (firmware_uevent(): only when the
 * kernel has CONFIG_FW_LOADER_USER_HELPER).
 */
function fwUploadVars(this: Device): [string, string][] {
  if (!env(this).kconfig.has('FW_LOADER_USER_HELPER')) return [];
  return [
    ['FIRMWARE', this.name],
    ['TIMEOUT', String(LOADING_TIMEOUT_S)],
    ['ASYNC', '0'],
  ];
}

/** The groups of a firmware upload device (frozen: shared by every one and by machine copies). */
const FW_UPLOAD_GROUPS = Object.freeze([
  UPLOAD_GROUP,
  DPM_POWER_GROUP as AttributeGroup<FwUploadDevice>,
]) as AttributeGroup<FwUploadDevice>[];

/**
 * firmware_upload_register(): adds the `firmware` class device `name` below `parent`
 * (sysfs path `<parent>/firmware/<name>`), with a `device` link to the parent, driven by `ops`.
 */
export function firmwareUploadRegister(
  parent: Device,
  name: string,
  ops?: FwUploadOps,
): FwUploadDevice {
  const fw = new FwUploadDevice(parent.ctx, name, parent);
  fw.ops = ops;
  fw.cls = 'firmware';
  // a class device keeps its power/ group (no device_set_pm_not_required())
  fw.setGroups(FW_UPLOAD_GROUPS);
  fw.links.set('device', parent);
  fw.ueventVars = fwUploadVars;
  return fw.add();
}
