/**
 * DOC: journaling views of the machine for commands that change it.
 *
 * ndctl-style commands act on the guest only through /sys writes and memdev ioctls, as the
 * real tool does. Wrapping both records every write (refused ones with their errno) and every
 * state-changing ioctl (SET_LSA, SET_PARTITION_INFO, …) in the order they happened, so that
 * replaying the journal on a fresh boot rebuilds the same machine.
 */
import { Errno } from '../kernel/errno.ts';
import type { CxlMemIoctl } from '../list/ioctl.ts';
import type { SysfsView } from '../sysfs/view.ts';
import type { JournalOp } from './state.ts';

/** enum cxl_mem_command_id values whose commands change device state. */
export const MUTATING_IDS = new Set([
  9 /* SET_PARTITION_INFO */, 10 /* SET_LSA */, 12 /* SET_ALERT_CONFIG */,
  14 /* SET_SHUTDOWN_STATE */, 16 /* INJECT_POISON */, 17 /* CLEAR_POISON */,
]);

/** A SysfsView whose writes are journaled. */
export function recordingSysfs(view: SysfsView, journal: (op: JournalOp) => void): SysfsView {
  return {
    lstat: (p) => view.lstat(p),
    readdir: (p) => view.readdir(p),
    readlink: (p) => view.readlink(p),
    read: (p) => view.read(p),
    realpath: (p) => view.realpath(p),
    write(path, value) {
      // flushing the port workqueue changes nothing worth replaying (libcxl writes it before every walk)
      if (path === 'bus/cxl/flush') return view.write(path, value);
      try {
        view.write(path, value);
      } catch (e) {
        if (e instanceof Errno) journal({ kind: 'sysfs-write', path, value, fails: e.code });
        throw e;
      }
      journal({ kind: 'sysfs-write', path, value });
    },
  };
}

/** A CxlMemIoctl whose state-changing commands are journaled. */
export function recordingIoctl(ioctl: CxlMemIoctl, journal: (op: JournalOp) => void): CxlMemIoctl {
  return {
    queryCommands: (m) => ioctl.queryCommands(m),
    send(memdev, cmd) {
      const r = ioctl.send(memdev, cmd);
      if (!(r instanceof Errno) && MUTATING_IDS.has(cmd.id)) {
        journal({
          kind: 'ioctl',
          memdev,
          id: cmd.id,
          payload: Buffer.from(cmd.payload).toString('hex'),
        });
      }
      return r;
    },
  };
}
