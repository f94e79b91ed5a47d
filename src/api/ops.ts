/**
 * DOC: the operations a library {@link Machine} records — every state-changing thing done to it
 * since boot, in order, so that a snapshot is (input, profile, ops) and a copy can be rebuilt by
 * replaying them on a fresh boot.
 *
 * The shapes are the CLI journal's (`sysfs-write`, `ioctl`, `mem-write`, `reboot`, `command`),
 * so that `explain()` reads them the same way; they are declared here because the library does
 * not import the CLI.
 */
import { Errno, type ErrnoName } from '../kernel/errno.ts';
import type { CxlMemIoctl } from '../list/ioctl.ts';
import type { Machine as Booted } from '../machine.ts';
import type { SysfsView } from '../sysfs/view.ts';

/** One recorded operation (see the DOC block). Bytes are lower-case hex, HPAs "0x…". */
export type MachineOp =
  | { kind: 'sysfs-write'; path: string; value: string; fails?: string }
  | { kind: 'ioctl'; memdev: string; id: number; payload: string }
  | { kind: 'mem-write'; hpa: string; data: string }
  | { kind: 'reboot'; dyndbg: boolean }
  | { kind: 'command'; argv: string[]; code: number; ops: number };

/** enum cxl_mem_command_id values whose commands change device state (include/uapi/linux/cxl_mem.h). */
const MUTATING_IDS = new Set([9, 10, 12, 14, 16, 17]);

/** A SysfsView whose writes (refused ones with their errno) are recorded. */
export function recordSysfs(view: SysfsView, rec: (op: MachineOp) => void): SysfsView {
  return {
    lstat: (p) => view.lstat(p),
    readdir: (p) => view.readdir(p),
    readlink: (p) => view.readlink(p),
    read: (p) => view.read(p),
    realpath: (p) => view.realpath(p),
    write(path, value) {
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
 * Replays `ops` on a booted machine; returns the machine the last one leaves (a `reboot`
 * replaces the guest). @throws Errno when an operation does not give its recorded outcome.
 */
export function replayOps(m0: Booted, ops: readonly MachineOp[]): Booted {
  let m = m0;
  for (const op of ops) {
    switch (op.kind) {
      case 'command':
        continue;
      case 'reboot':
        if (!m.reboot) throw new Errno('EOPNOTSUPP', 'cxlsim: this machine cannot be rebooted');
        m = m.reboot({ dyndbg: op.dyndbg });
        continue;
      case 'mem-write':
        m.platform?.bus.mem.write(BigInt(op.hpa), Uint8Array.from(Buffer.from(op.data, 'hex')));
        continue;
      case 'ioctl': {
        const payload = Uint8Array.from(Buffer.from(op.payload, 'hex'));
        const r = m.ioctl.send(op.memdev, { id: op.id, payload, sizeOut: 0 });
        if (r instanceof Errno) throw r;
        continue;
      }
      case 'sysfs-write':
        try {
          m.sysfs.write(op.path, op.value);
        } catch (e) {
          if (e instanceof Errno && op.fails === (e.code as ErrnoName)) continue;
          throw e;
        }
        if (op.fails !== undefined)
          throw new Errno(
            'EINVAL',
            `cxlsim: replayed write to ${op.path} succeeded, recorded as ${op.fails}`,
          );
    }
  }
  return m;
}
