/**
 * DOC: the journal's operation kinds — one table entry per kind, with how it is checked when
 * the state file is read, how it is replayed on a booted machine, and how it reads in
 * messages. A new kind (e.g. a QMP injection) is one more entry in {@link JOURNAL_OPS} and
 * one more member of {@link JournalOp}; nothing else changes.
 */

import { guestNow, msleep, settleWork } from '../drivers/workqueue.ts';
import { cxlQmp } from '../hw/qmp/cxl.ts';
import { parseQmpJson, QmpError } from '../hw/qmp/visit.ts';
import { Errno } from '../kernel/errno.ts';
import type { Machine } from '../machine.ts';

/**
 * One journaled operation. A sysfs write that the kernel refused is journaled too (with the
 * errno it got), so that a replay reproduces its kernel log lines; a replay that does not give
 * the same outcome means the state no longer describes this cxlsim. `at` (sysfs writes and
 * ioctls of a live `cxlsim serve`, whose guest keeps running between them) is the guest clock
 * in ns, decimal, when the op was made: the replay lets the guest run until then instead of
 * letting its work end first (replay.ts), so that an op that met work in progress (a second
 * sanitize) meets it again.
 */
export type JournalOp =
  | { kind: 'sysfs-write'; path: string; value: string; fails?: string; at?: string }
  | { kind: 'ioctl'; memdev: string; id: number; payload: string; at?: string }
  /** A CPU store through the platform's memory bus (`cxlsim mem write`): HPA "0x…", bytes as hex. */
  | { kind: 'mem-write'; hpa: string; data: string }
  /** `cxlsim reboot`: a fresh guest on the same hardware; dyndbg for the new kernel. */
  | { kind: 'reboot'; dyndbg: boolean }
  /**
   * A note, not replayed: the command line of an ndctl `create-region`, its exit code and how
   * many of the following operations it made (so `cxlsim explain` can replay the attempt).
   */
  | { kind: 'command'; argv: string[]; code: number; ops: number }
  /** `cxlsim device-add SPEC`: a QEMU device_add that succeeded (vfio-pci hotplug). */
  | { kind: 'device-add'; spec: string }
  /**
   * `cxlsim qmp COMMAND JSON`: a QMP command that succeeded (poison / event / error injection);
   * `args` is the JSON text as given, so that 64-bit integers keep their value.
   */
  | { kind: 'qmp'; command: string; args: string };

/**
 * The `command` note placed before the `ops` operations a command made: its command line and
 * exit code (`cxlsim explain` replays the attempt from it).
 */
export function commandNote(
  argv: readonly string[],
  code: number,
  ops: number,
): Extract<JournalOp, { kind: 'command' }> {
  return { kind: 'command', argv: [...argv], code, ops };
}

/** The reason an op's `at` is malformed (not a decimal ns count), or undefined. */
function checkAt(op: Record<string, unknown>): string | undefined {
  return op.at === undefined || (isStr(op.at) && /^[0-9]{1,20}$/.test(op.at))
    ? undefined
    : 'at is not a guest time in ns';
}

/**
 * Before op `op` of a replay: a live op (`at`) lets the guest run until its time; any other
 * op was made by a process that let the guest's work end first (a one-shot command settles
 * before it exits), so that work ends here too.
 */
export function beforeOp(m: Machine, op: JournalOp): void {
  const at = 'at' in op && op.at !== undefined ? BigInt(op.at) : undefined;
  if (at === undefined) {
    settleWork(m.kernel);
    return;
  }
  const now = guestNow(m.kernel);
  if (now !== undefined && at > now) msleep(m.kernel, Number((at - now + 999_999n) / 1_000_000n));
}

/** How one kind of operation is checked, replayed and described. */
export interface OpKind<O> {
  /** The reason a parsed op of this kind is malformed, or undefined. */
  check(op: Record<string, unknown>): string | undefined;
  /**
   * Applies the op to `m`; returns the machine it leaves (a reboot replaces the guest).
   * @throws Errno when the op does not give its journaled outcome
   */
  replay(m: Machine, op: O): Machine;
  /** How the op reads in messages. */
  describe(op: O): string;
}

const isStr = (x: unknown): x is string => typeof x === 'string';
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
const HEX_BYTES = /^(?:[0-9a-f]{2})*$/;
/** A 64-bit HPA as the journal writes it. */
const HPA = /^0x[0-9a-f]{1,16}$/;
/** Largest mem-write the CLI journals (mem write takes at most 1 MiB), in hex digits. */
const MAX_MEM_WRITE_HEX = 2 * 1024 * 1024;

type Of<K extends JournalOp['kind']> = Extract<JournalOp, { kind: K }>;

/** The operation kinds (see the DOC block). */
export const JOURNAL_OPS: { [K in JournalOp['kind']]: OpKind<Of<K>> } = {
  'sysfs-write': {
    check: (op) => {
      if (!isStr(op.path) || !isStr(op.value)) return 'path or value missing';
      if (op.fails !== undefined && !(isStr(op.fails) && /^E[A-Z0-9_]+$/.test(op.fails)))
        return 'fails is not an errno name';
      return checkAt(op);
    },
    replay(m, op) {
      try {
        m.sysfs.write(op.path, op.value);
      } catch (e) {
        if (e instanceof Errno && op.fails === e.code) return m;
        throw e;
      }
      if (op.fails !== undefined)
        throw new Errno('EINVAL', `succeeded, but was journaled as failing with ${op.fails}`);
      return m;
    },
    describe: (op) =>
      `sysfs write '${op.value.replace(/\0/g, '').replace(/\n$/, '')}' > /sys/${op.path}`,
  },
  ioctl: {
    check: (op) =>
      isStr(op.memdev) &&
      isInt(op.id) &&
      op.id >= 0 &&
      isStr(op.payload) &&
      HEX_BYTES.test(op.payload)
        ? checkAt(op)
        : 'ioctl memdev, id or payload missing',
    replay(m, op) {
      const r = m.ioctl.send(op.memdev, {
        id: op.id,
        payload: Uint8Array.from(Buffer.from(op.payload, 'hex')),
        sizeOut: 0,
      });
      if (r instanceof Errno) throw r;
      return m;
    },
    describe: (op) => `ioctl ${op.id} on /dev/cxl/${op.memdev}`,
  },
  'mem-write': {
    check: (op) => {
      if (!isStr(op.hpa) || !HPA.test(op.hpa)) return 'mem-write hpa is not a 64-bit address';
      if (
        !isStr(op.data) ||
        op.data.length === 0 ||
        op.data.length > MAX_MEM_WRITE_HEX ||
        !HEX_BYTES.test(op.data)
      )
        return 'mem-write data missing';
      return undefined;
    },
    replay(m, op) {
      if (!m.platform) throw new Errno('EOPNOTSUPP', 'this machine has no memory bus');
      if (!m.platform.bus.mem.write(BigInt(op.hpa), Uint8Array.from(Buffer.from(op.data, 'hex'))))
        throw new Errno('EFAULT', `HPA ${op.hpa}: write not decoded`);
      return m;
    },
    describe: (op) => `mem write ${op.data.length / 2} bytes at ${op.hpa}`,
  },
  reboot: {
    check: (op) => (typeof op.dyndbg === 'boolean' ? undefined : 'reboot dyndbg missing'),
    replay(m, op) {
      if (!m.reboot) throw new Errno('EOPNOTSUPP', 'this machine cannot be rebooted');
      return m.reboot({ dyndbg: op.dyndbg });
    },
    describe: () => 'reboot',
  },
  command: {
    check: (op) =>
      Array.isArray(op.argv) &&
      op.argv.every(isStr) &&
      isInt(op.code) &&
      isInt(op.ops) &&
      op.ops >= 0
        ? undefined
        : 'command argv, code or ops missing',
    replay: (m) => m,
    describe: (op) => `note of cxl ${op.argv.join(' ')}`,
  },
  'device-add': {
    check: (op) => (isStr(op.spec) ? undefined : 'device-add spec missing'),
    replay(m, op) {
      if (!m.deviceAdd) throw new Errno('EOPNOTSUPP', 'this machine has no hotplug');
      m.deviceAdd(op.spec);
      return m;
    },
    describe: (op) => `device_add ${op.spec}`,
  },
  qmp: {
    check: (op) =>
      isStr(op.command) && isStr(op.args) ? undefined : 'qmp command or args missing',
    replay(m, op) {
      if (!m.platform) throw new Errno('EOPNOTSUPP', 'this machine has no emulated QEMU');
      try {
        cxlQmp(
          m.platform.functions().values(),
          op.command,
          parseQmpJson(op.args),
          m.platform.profile.qemu,
        );
      } catch (e) {
        if (e instanceof QmpError) throw new Errno('EINVAL', e.desc);
        if (e instanceof SyntaxError) throw new Errno('EINVAL', 'arguments are not JSON');
        throw e;
      }
      return m;
    },
    describe: (op) => `qmp ${op.command} ${op.args}`,
  },
};

/** The table entry of an op (typed loosely: the kind was checked when the file was read). */
export function opKind(op: JournalOp): OpKind<JournalOp> {
  return JOURNAL_OPS[op.kind] as OpKind<JournalOp>;
}

/** The reason a parsed journal entry is malformed, or undefined. */
export function checkOp(op: unknown): string | undefined {
  if (typeof op !== 'object' || op === null || Array.isArray(op)) return 'is not an object';
  const o = op as Record<string, unknown>;
  if (!isStr(o.kind) || !Object.hasOwn(JOURNAL_OPS, o.kind))
    return `unknown operation ${JSON.stringify(o.kind)?.slice(0, 40)}`;
  return JOURNAL_OPS[o.kind as JournalOp['kind']].check(o);
}

/** How an operation reads in messages ("sysfs write '4' > /sys/bus/cxl/…"). */
export function describeOp(op: JournalOp): string {
  return opKind(op).describe(op);
}
