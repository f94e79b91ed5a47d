/**
 * DOC: the operations a library {@link Machine} records — every state-changing thing done to it
 * since boot, in order, so that a snapshot is (input, profile, ops) and a copy can be rebuilt by
 * replaying them on a fresh boot.
 *
 * The shapes are the state store's journal operations (src/state/ops.ts: `sysfs-write`, `ioctl`,
 * `mem-write`, `reboot`, `command`), replayed by the journal's own code, so that `explain()` and
 * the CLI read them the same way.
 */
import { settleWork } from '../drivers/workqueue.ts';
import { Errno } from '../kernel/errno.ts';
import type { Machine as Booted } from '../machine.ts';
import type { CxlMemIoctl } from '../ndctl/lib/ioctl.ts';
import { beforeOp, type JournalOp, opKind } from '../state/ops.ts';
import { boundReads, type SysfsView } from '../sysfs/view.ts';

/**
 * One recorded operation: the state store's journal operations (src/state/ops.ts) that a library
 * machine makes. Bytes are lower-case hex, HPAs "0x…".
 */
export type MachineOp = Extract<
  JournalOp,
  { kind: 'sysfs-write' | 'ioctl' | 'mem-write' | 'reboot' | 'command' }
>;

/** enum cxl_mem_command_id values whose commands change device state (include/uapi/linux/cxl_mem.h). */
export const MUTATING_IDS = new Set([
  9 /* SET_PARTITION_INFO */, 10 /* SET_LSA */, 12 /* SET_ALERT_CONFIG */,
  14 /* SET_SHUTDOWN_STATE */, 16 /* INJECT_POISON */, 17 /* CLEAR_POISON */,
]);

/**
 * A SysfsView whose writes (refused ones with their errno) are recorded. The view's optional
 * read fast paths are passed through (libcxl's walks take them: a miss returned, not thrown).
 */
export function recordSysfs(view: SysfsView, rec: (op: MachineOp) => void): SysfsView {
  return {
    ...boundReads(view),
    write(path, value) {
      // flushing the port workqueue changes nothing worth replaying (libcxl writes it before every walk)
      if (path === 'bus/cxl/flush') return view.write(path, value);
      try {
        view.write(path, value);
      } catch (e) {
        if (e instanceof Errno) rec({ kind: 'sysfs-write', path, value, fails: e.code });
        throw e;
      }
      rec({ kind: 'sysfs-write', path, value });
    },
  };
}

/** A CxlMemIoctl whose state-changing commands are recorded. */
export function recordIoctl(ioctl: CxlMemIoctl, rec: (op: MachineOp) => void): CxlMemIoctl {
  return {
    queryCommands: (m) => ioctl.queryCommands(m),
    send(memdev, cmd) {
      const r = ioctl.send(memdev, cmd);
      if (!(r instanceof Errno) && MUTATING_IDS.has(cmd.id))
        rec({
          kind: 'ioctl',
          memdev,
          id: cmd.id,
          payload: Buffer.from(cmd.payload).toString('hex'),
        });
      return r;
    },
  };
}

/**
 * Replays `ops` on a booted machine through the journal's own replay of each kind
 * (src/state/ops.ts); returns the machine the last one leaves (a `reboot` replaces the guest).
 * @throws Errno when an operation does not give its recorded outcome
 */
export function replayOps(m0: Booted, ops: readonly MachineOp[]): Booted {
  let m = m0;
  for (const op of ops) {
    beforeOp(m, op);
    m = opKind(op).replay(m, op);
  }
  settleWork(m.kernel);
  return m;
}
