/**
 * DOC: the firmware upload class device (drivers/base/firmware_loader/sysfs_upload.c,
 * firmware_upload_register(), and the firmware class attributes of sysfs.c).
 *
 * firmware_upload_register(module, parent, name, ops, dd_handle) adds a device of class
 * `firmware` named `name` below `parent`; sysfs puts it in the class glue directory, hence
 * `<parent>/firmware/<name>/`. Its files, as a Linux 7.3 guest shows them for memN:
 * - `loading` (0644): 1 while a load is open (fw_state_is_loading()), else 0;
 * - `data` (binary, 0644, size 0): the image being written; reads back empty when idle;
 * - `status` (0444): fw_upload_progress name — idle, receiving, preparing, transferring, programming;
 * - `error` (0444): "<progress>:<error>" after a failed upload, empty otherwise;
 * - `cancel` (0200): write-only;
 * - `remaining_size` (0444): bytes left to transfer, "%u";
 * - `uevent`: FIRMWARE=<name>, TIMEOUT=<loading timeout, 60 s>, ASYNC=0 (fw_uevent()).
 * The upload state machine past `loading` is the driver's (struct fw_upload_ops); a driver
 * sets {@link FwUploadDevice.ops} to take part. Without ops a closed load leaves the device idle.
 */

import type { AttributeGroup } from '../../kernel/device.ts';
import { type Attribute, Device } from '../../kernel/device.ts';
import { Errno } from '../../kernel/errno.ts';
import { identity, shareWithCopies, thunk } from '../../kernel/graph-copy.ts';
import { DPM_POWER_GROUP } from '../../kernel/power.ts';

/** enum fw_upload_prog, by the names status_show() prints. */
export type FwUploadProgress = 'idle' | 'receiving' | 'preparing' | 'transferring' | 'programming';

/** struct fw_upload_ops as the simulated drivers implement it (all optional). */
export interface FwUploadOps {
  /** Called when user space closes a load (`echo 0 > loading`) with the written image. */
  start?(fw: FwUploadDevice, image: Uint8Array): void;
  /** fw_upload_ops.cancel(): a cancel request while an upload runs. */
  cancel?(fw: FwUploadDevice): void;
}

/** __firmware_loading_timeout() default: 60 seconds (TIMEOUT= in the uevent). */
const LOADING_TIMEOUT_S = 60;

/** A firmware upload device (struct fw_sysfs + struct fw_upload_priv). */
export class FwUploadDevice extends Device {
  /** fw_state_is_loading(): a load is open (`loading` reads 1). */
  loading = false;
  /** The image written to `data` during the open load. */
  image: Uint8Array = new Uint8Array(0);
  /** fw_upload_priv.progress */
  progress: FwUploadProgress = 'idle';
  /** fw_upload_priv.err_progress and err_code name (error_show()); undefined when none. */
  error: { progress: FwUploadProgress; code: string } | undefined;
  /** fw_upload_priv.remaining_size, bytes. */
  remainingSize = 0;
  /** The driver's upload operations. */
  ops: FwUploadOps = {};
}

/** kstrtobool(): 1/y/Y/t/T/on → true, 0/n/N/f/F/off → false. @throws EINVAL otherwise */
function kstrtobool(buf: string): boolean {
  const s = buf.replace(/\n$/, '');
  if (/^(1|[yYtT]|on)/i.test(s) && !/^of/i.test(s)) return true;
  if (/^(0|[nNfF]|off)/i.test(s)) return false;
  throw new Errno('EINVAL');
}

/** firmware_loading_store(): 1 opens a load, 0 closes it, -1 aborts; others log and abort. */
function loadingStore(fw: FwUploadDevice, buf: string): void {
  const n = Number.parseInt(buf, 10);
  const loading = Number.isNaN(n) ? 0 : n;
  if (loading === 1) {
    fw.loading = true;
    fw.image = new Uint8Array(0);
    return;
  }
  if (loading === 0) {
    if (!fw.loading) return;
    fw.loading = false;
    fw.ops.start?.(fw, fw.image);
    return;
  }
  if (loading !== -1) fw.err('EINVAL', `firmware_loading_store: unexpected value (${loading})`);
  fw.loading = false;
  fw.image = new Uint8Array(0);
}

/** cancel_store(): EINVAL unless true; ENODEV while idle; else the driver's cancel(). */
function cancelStore(fw: FwUploadDevice, buf: string): void {
  if (!kstrtobool(buf)) throw new Errno('EINVAL');
  if (fw.progress === 'idle') throw new Errno('ENODEV');
  fw.ops.cancel?.(fw);
}

const ATTRS: Attribute<FwUploadDevice>[] = shareWithCopies([
  {
    name: 'loading',
    mode: 0o644,
    show: (fw) => `${fw.loading ? 1 : 0}\n`,
    store: loadingStore,
  },
  { name: 'data', mode: 0o644, read: (fw) => (fw.loading ? fw.image : new Uint8Array(0)) },
  { name: 'status', mode: 0o444, show: (fw) => `${fw.progress}\n` },
  {
    name: 'error',
    mode: 0o444,
    show: (fw) => (fw.error ? `${fw.error.progress}:${fw.error.code}\n` : ''),
  },
  { name: 'cancel', mode: 0o200, store: cancelStore },
  { name: 'remaining_size', mode: 0o444, show: (fw) => `${fw.remainingSize}\n` },
]);

/** The uevent variables of a firmware upload device called `name`. */
function fwUploadVars(name: string): [string, string][] {
  return [
    ['FIRMWARE', name],
    ['TIMEOUT', String(LOADING_TIMEOUT_S)],
    ['ASYNC', '0'],
  ];
}

/**
 * firmware_upload_register(): adds the `firmware` class device `name` below `parent`
 * (sysfs path `<parent>/firmware/<name>`), with a `device` link to the parent.
 */
export function firmwareUploadRegister(parent: Device, name: string): FwUploadDevice {
  const fw = new FwUploadDevice(parent.ctx, name, parent);
  fw.cls = 'firmware';
  // a class device keeps its power/ group (no device_set_pm_not_required())
  fw.setGroups([{ attrs: ATTRS }, DPM_POWER_GROUP as AttributeGroup<FwUploadDevice>]);
  fw.links.set('device', thunk(identity, parent));
  fw.ueventVars = thunk(fwUploadVars, name);
  return fw.add();
}
