/**
 * DOC: the library's booted machine — a guest you drive the way a user on the guest would
 * (/sys reads and writes, ndctl's `cxl` commands, CPU loads and stores) plus host-side views
 * (dmesg, HPA/DPA translation, explain) and cheap copies (`snapshot()`, `clone()`).
 *
 * Every state-changing operation is recorded (ops.ts), in order; a snapshot is the input, the
 * profile and those operations, and a machine rebuilt from it is the same machine. Errors are
 * {@link Errno} values (name, negative number, device, the kernel's message).
 */
import { createHash } from 'node:crypto';
import type { BootedMachine } from '../boot.ts';
import { workPending } from '../drivers/workqueue.ts';
import { type Explanation, explain as explainJournal } from '../explain/index.ts';
import { type TranslateReport, translateDpa, translateHpa } from '../explain/translate.ts';
import { Errno } from '../kernel/errno.ts';
import { copyGraph } from '../kernel/graph-copy.ts';
import { KernelLog } from '../kernel/log.ts';
import { cxlList } from '../ndctl/cxl/list.ts';
import { cxlCommand } from '../ndctl/index.ts';
import type { Profile } from '../profile.ts';
import { commandNote } from '../state/ops.ts';
import { normSysPath, type SysEntry } from '../sysfs/view.ts';
import type { Topology } from '../topology/model.ts';
import { type MachineOp, recordIoctl, recordSysfs, replayOps } from './ops.ts';

/** The input a machine was booted from, as a snapshot keeps it. */
export type StoredBootInput =
  | { kind: 'preset'; name: string }
  | { kind: 'qemu'; text: string; path?: string }
  | { kind: 'topology'; topology: Topology };

/** A machine's state as data: rebuild it with `restore()` (structured-clone safe). */
export interface MachineSnapshot {
  format: 'cxlsim-machine';
  version: 1;
  input: StoredBootInput;
  profile: Profile;
  dyndbg: boolean;
  ops: MachineOp[];
}

/** What an ndctl `cxl` command printed and returned. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Boots a topology (the machine's own booter, shared by copies). */
export type Booter = (t: Topology, profile: Profile, dyndbg: boolean) => BootedMachine;

/**
 * cxlsim: the UUIDs ndctl generates (uuid_generate(), random on a real system) are drawn from the
 * machine's history instead — a version-4 UUID from a hash of the number of operations recorded
 * before the command and the UUID's rank in it — so that a copy, a restored snapshot and the
 * original give the same region UUIDs for the same commands.
 */
function historyUuid(opsBefore: number, n: number): string {
  const h = createHash('sha256').update(`cxlsim-uuid:${opsBefore}:${n}`).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x40;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** `x` with every object reachable from it frozen. */
function deepFreeze<T>(x: T): T {
  if (x === null || typeof x !== 'object' || Object.isFrozen(x) || ArrayBuffer.isView(x)) return x;
  Object.freeze(x);
  for (const v of Object.values(x)) deepFreeze(v);
  return x;
}

/**
 * Whether {@link copyGraph} copies `m` exactly. Not yet for type-2 functions (their vfio host
 * device, config hooks and DVSEC actions are per-instance closures: tests/api/clone-sharing.test.ts
 * lists them) nor while a type-3 device runs a background mailbox command (its completion is a
 * closure), nor while kernel work is queued (a firmware upload: a running generator): such
 * machines are copied by a fresh boot and a replay of the recorded operations.
 */
function structurallyCopyable(m: BootedMachine): boolean {
  // queued kernel work (a firmware upload) is a running generator: not copyable
  if (workPending(m.kernel)) return false;
  for (const fn of m.platform.functions().values()) {
    const d = fn.device;
    if (d.kind === 'type2') return false;
    if (d.kind === 'type3' && d.state.ras.bg.runtime > 0) return false;
  }
  return m.platform.vfio().length === 0;
}

/** Smallest interleave granule: accesses are checked per 256-byte piece. */
const GRANULE = 256n;

/** The guest's /sys, paths as `/sys/bus/cxl/…`, `bus/cxl/…` or `/bus/cxl/…`. */
export interface MachineSysfs {
  /** File contents (text attributes as the kernel prints them; binary ones as bytes). @throws Errno */
  read(path: string): string;
  /** Raw bytes or text of an attribute. @throws Errno */
  readRaw(path: string): string | Uint8Array;
  /** `echo VALUE > PATH` (a newline is not added). @throws Errno the kernel's, machine unchanged where the kernel leaves it */
  write(path: string, value: string): void;
  /** Directory entries (sorted as `ls`), or the name of a file. @throws Errno ENOENT */
  ls(path?: string): string[];
  /** What is at `path` (undefined when nothing). */
  stat(path: string): SysEntry | undefined;
  /** Canonical path (symlinks resolved), relative to /sys. */
  realpath(path: string): string;
}

/** A booted machine of the library API (see the DOC block). */
export class Machine {
  /** The emulated hardware and guest kernel — internals, for invariants and tests. */
  raw: BootedMachine;
  readonly #ops: MachineOp[];
  readonly #boot: Booter;
  readonly #dyndbg: boolean;
  /** The /sys view (writes are recorded). */
  readonly sysfs: MachineSysfs;
  /** CPU loads and stores by HPA through the platform's memory routing. */
  readonly mem: {
    /** `len` bytes at `hpa`. @throws Errno EFAULT when a byte is not decoded, EINVAL for a bad length */
    read(hpa: bigint, len: number): Uint8Array;
    /** Stores `data` at `hpa` (recorded). @throws Errno EFAULT when a byte is not decoded (nothing is written) */
    write(hpa: bigint, data: Uint8Array): void;
  };

  /** What the machine was booted from. */
  readonly input: StoredBootInput;
  /** The stack (kernel, QEMU, ndctl versions). */
  readonly profile: Profile;
  /** The parsed topology. */
  readonly topology: Topology;

  constructor(
    input: StoredBootInput,
    profile: Profile,
    topology: Topology,
    boot: Booter,
    opts: {
      dyndbg?: boolean;
      ops?: readonly MachineOp[];
      booted?: BootedMachine;
      /** `booted` is a copy of a machine that ran `ops` already (nothing is replayed). */
      copied?: boolean;
    } = {},
  ) {
    // what it was booted from is immutable, so that copies share it
    this.input = deepFreeze(input);
    this.profile = deepFreeze(profile);
    this.topology = deepFreeze(topology);
    this.#boot = boot;
    this.#dyndbg = opts.dyndbg ?? false;
    this.#ops = [];
    this.raw = opts.booted ?? boot(structuredClone(topology), profile, this.#dyndbg);
    if (opts.ops?.length) {
      if (!opts.copied) this.raw = replayOps(this.raw, opts.ops) as BootedMachine;
      this.#ops.push(...opts.ops.map((o) => ({ ...o })));
    }
    const self = this;
    // the recording view over the current guest's /sys (made again after a reboot)
    let recorded: { of: BootedMachine; view: ReturnType<typeof recordSysfs> } | undefined;
    const view = () => {
      if (recorded?.of !== self.raw)
        recorded = { of: self.raw, view: recordSysfs(self.raw.sysfs, (op) => self.#ops.push(op)) };
      return recorded.view;
    };
    this.sysfs = {
      read(path) {
        const v = self.raw.sysfs.read(normSysPath(path));
        return typeof v === 'string' ? v : Buffer.from(v).toString('latin1');
      },
      readRaw: (path) => self.raw.sysfs.read(normSysPath(path)),
      write: (path, value) => view().write(normSysPath(path), value),
      ls(path = '/sys') {
        const p = normSysPath(path);
        const st = self.raw.sysfs.lstat(p);
        if (!st) throw new Errno('ENOENT', `/sys/${p}: No such file or directory`);
        return st.kind === 'file' ? [p.slice(p.lastIndexOf('/') + 1)] : self.raw.sysfs.readdir(p);
      },
      stat: (path) => self.raw.sysfs.lstat(normSysPath(path)),
      realpath: (path) => self.raw.sysfs.realpath(normSysPath(path)),
    };
    this.mem = {
      read(hpa, len) {
        self.#checkDecoded(hpa, len);
        const r = self.raw.platform.bus.mem.read(hpa, len);
        if (!r.ok) throw new Errno('EFAULT', `HPA 0x${hpa.toString(16)}: read not decoded`);
        return r.data;
      },
      write(hpa, data) {
        self.#checkDecoded(hpa, data.length);
        if (!self.raw.platform.bus.mem.write(hpa, data))
          throw new Errno('EFAULT', `HPA 0x${hpa.toString(16)}: write not decoded`);
        self.#ops.push({
          kind: 'mem-write',
          hpa: `0x${hpa.toString(16)}`,
          data: Buffer.from(data).toString('hex'),
        });
      },
    };
  }

  /** Operations recorded since boot (a copy). */
  ops(): MachineOp[] {
    return this.#ops.map((o) => ({ ...o }));
  }

  /**
   * `cxl list FLAGS…` parsed: the JSON ndctl prints (an array or an object; `[]` when it prints
   * nothing). @throws Errno EINVAL with ndctl's stderr when it exits non-zero
   */
  list(flags: string[] = []): unknown {
    const r = cxlList(this.raw.sysfs, flags, { ioctl: this.raw.ioctl, ndctl: this.profile.ndctl });
    if (r.code !== 0) throw new Errno('EINVAL', r.stderr.trim() || `cxl list exited ${r.code}`);
    return r.stdout.trim() ? JSON.parse(r.stdout) : [];
  }

  /**
   * ndctl's `cxl ARGV…` (argv without "cxl", e.g. `['create-region', '-d', 'decoder0.0', …]`):
   * its exit code, stdout and stderr. The sysfs writes and ioctls it makes are recorded.
   */
  ndctl(argv: readonly string[]): CommandResult {
    const start = this.#ops.length;
    const rec = (op: MachineOp) => void this.#ops.push(op);
    let n = 0;
    const r = cxlCommand(recordSysfs(this.raw.sysfs, rec), recordIoctl(this.raw.ioctl, rec), argv, {
      ndctl: this.profile.ndctl,
      isTty: false,
      uuid: () => historyUuid(start, n++),
    });
    // create-region attempts are noted, as the CLI journal does, for explain()
    if (argv[0] === 'create-region')
      this.#ops.splice(start, 0, commandNote(argv, r.code, this.#ops.length - start));
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }

  /** Where an HPA goes (hardware decode vs the driver's regions), or a memdev's DPA. */
  translate(q: bigint | { memdev: string; dpa: bigint }): TranslateReport {
    return typeof q === 'bigint'
      ? translateHpa(this.raw, q)
      : translateDpa(this.raw, q.memdev, q.dpa);
  }

  /** The kernel log as `dmesg` prints it (raw: `<level>[time] text`). */
  dmesg(opts: { raw?: boolean } = {}): string[] {
    return this.raw.kernel.log.lines.map((l) => KernelLog.format(l, opts.raw ?? false));
  }

  /** A fresh guest on the same hardware (hardware state, e.g. committed decoders, survives). */
  reboot(opts: { dyndbg?: boolean } = {}): void {
    const dyndbg = opts.dyndbg ?? this.raw.kernel.log.dyndbg;
    this.raw = this.raw.reboot({ dyndbg });
    this.#ops.push({ kind: 'reboot', dyndbg });
  }

  /** The machine as data (input, profile, operations). */
  snapshot(): MachineSnapshot {
    return {
      format: 'cxlsim-machine',
      version: 1,
      input: structuredClone(this.input),
      profile: { ...this.profile },
      dyndbg: this.#dyndbg,
      ops: this.ops(),
    };
  }

  /**
   * An independent copy: the same machine, whose later changes do not touch this one (and
   * the other way round) — a structural copy of the booted machine's object graph
   * (src/kernel/graph-copy.ts), with the same recorded operations (a fresh boot and a replay of
   * them for the machines {@link structurallyCopyable} excludes).
   */
  clone(): Machine {
    if (!structurallyCopyable(this.raw))
      return new Machine(this.input, this.profile, this.topology, this.#boot, {
        dyndbg: this.#dyndbg,
        ops: this.#ops,
      });
    return new Machine(this.input, this.profile, this.topology, this.#boot, {
      dyndbg: this.#dyndbg,
      ops: this.#ops,
      booted: copyGraph(this.raw),
      copied: true,
    });
  }

  /**
   * `cxlsim explain`: why the last failed attempt failed (no target), or what `create-region
   * ARGS…` / a device name rests on — check by check, with fixes verified on copies.
   */
  explain(target: string[] = []): Promise<Explanation> {
    const ops = this.ops();
    return explainJournal(
      {
        machine: this.raw,
        ops,
        at: async (n) => this.#rebuild(ops.slice(0, n), true).raw,
        boot: async (t) => this.#boot(t, this.profile, true),
      },
      target,
    );
  }

  /** This machine's input and profile with `ops` replayed. */
  #rebuild(ops: readonly MachineOp[], dyndbg: boolean): Machine {
    return new Machine(this.input, this.profile, this.topology, this.#boot, { dyndbg, ops });
  }

  /** EFAULT unless every 256-byte piece of [hpa, hpa+len) is decoded. */
  #checkDecoded(hpa: bigint, len: number): void {
    if (!Number.isInteger(len) || len <= 0) throw new Errno('EINVAL', `cxlsim: bad length ${len}`);
    if (hpa < 0n || hpa + BigInt(len) > 1n << 64n)
      throw new Errno('EINVAL', 'cxlsim: access wraps past the end of the address space');
    for (let a = hpa; a < hpa + BigInt(len); a = (a / GRANULE + 1n) * GRANULE) {
      const r = this.raw.platform.routeHpa(a);
      if (!r.ok)
        throw new Errno(
          'EFAULT',
          `HPA 0x${a.toString(16)} is not decoded: ${r.stop?.reason ?? 'unknown'}`,
          r.stop?.at ?? 'platform',
        );
    }
  }
}
