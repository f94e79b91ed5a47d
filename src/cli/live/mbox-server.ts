/**
 * DOC: the unix socket of a serving cxlsim: memdev ioctls and the guest's modprobe/dmesg.
 *
 * native/cxlsim-shim.c (LD_PRELOADed into the real tools by `cxlsim run`) forwards
 * CXL_MEM_QUERY_COMMANDS and CXL_MEM_SEND_COMMAND on /dev/cxl/memN here; native/cxlsim-ctl.c
 * forwards `modprobe`, `dmesg`, `journalctl` and `udevadm` (settle: nothing to wait for);
 * another cxlsim on the same state directory forwards its command line (live/forward.ts),
 * which runs here on the live machine. One request per connection: a u32 length and the body
 * (layouts in the C files and forward.ts). Memdev ioctls run on the live machine through the
 * kernel's checks (drivers/cxl/core/send-cmd.ts); state-changing ones are journaled.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { release } from 'node:os';
import { cxlSendCmd, queryCommandSlots } from '../../drivers/cxl/core/send-cmd.ts';
import { Errno, errnoNumber } from '../../kernel/errno.ts';
import { KernelLog } from '../../kernel/log.ts';
import { kstrtoint } from '../../kernel/params.ts';
import { cxlTestParams } from '../../topology/presets/cxl-test-kver.ts';
import { MUTATING_IDS } from '../recording.ts';
import { forwardedState } from './forward.ts';
import type { LiveMachine } from './store.ts';

const QUERY = 1;
const SEND = 2;
const CTL = 3;
/** The pid of the process about to write a /sys file (the shim's write()). */
const PID = 4;
/** A cxlsim command forwarded by another cxlsim process (forward.ts): JSON {argv, cwd, env, isTty}. */
export const CLI_REQUEST = 5;
/** The largest request accepted (a SET_LSA payload is at most the mailbox size, 1 MiB). */
const MAX_REQUEST = 2 << 20;

/** What a stand-in command prints and returns. */
export interface CtlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** modules `modprobe` loads without complaint (the cxl drivers are already bound). */
const CXL_MODULES = new Set([
  'cxl_acpi',
  'cxl_core',
  'cxl_pci',
  'cxl_mem',
  'cxl_port',
  'cxl_pmem',
  'cxl_region',
]);

/** The live machine's side of the stand-in commands. */
export class GuestCommands {
  /** Index of the first log line `dmesg` still shows (dmesg -C moves it). */
  private cleared = 0;
  private readonly live: LiveMachine;
  constructor(live: LiveMachine) {
    this.live = live;
  }

  /**
   * `modprobe [-r] [-q] MODULE [PARAM=VALUE…]`: `cxl_test` boots the cxl_test preset (with
   * `interleave_arithmetic=1`: cxl_test_xor) on the machine's profile; removing it, and loading
   * a cxl module, does nothing; anything else is kmod's "not found".
   */
  async modprobe(args: string[]): Promise<CtlResult> {
    const remove = args.includes('-r') || args.includes('--remove');
    const words = args.filter((a) => !a.startsWith('-'));
    const [mod, ...params] = words;
    if (!mod) return { code: 1, stdout: '', stderr: 'modprobe: FATAL: Module  not found.\n' };
    const name = mod.replace(/-/g, '_');
    if (name === 'cxl_test') {
      if (!remove) {
        const xor = await this.cxlTestXor(params);
        if (xor === undefined)
          return {
            code: 1,
            stdout: '',
            stderr: `modprobe: ERROR: could not insert '${name}': Invalid argument\n`,
          };
        await this.live.bootPreset(xor ? 'cxl_test_xor' : 'cxl_test');
        this.cleared = 0;
      }
      return { code: 0, stdout: '', stderr: '' };
    }
    if (CXL_MODULES.has(name)) return { code: 0, stdout: '', stderr: '' };
    const kver = release();
    return {
      code: 1,
      stdout: '',
      stderr: remove
        ? `modprobe: FATAL: Module ${mod} is not in kernel.\n`
        : `modprobe: FATAL: Module ${mod} not found in directory /lib/modules/${kver}\n`,
    };
  }

  /**
   * Whether `modprobe cxl_test PARAMS` asks for the XOR windows: the last
   * `interleave_arithmetic=V` (parse_args() applies each in turn) is the int 1. Undefined when
   * the guest's cxl_test declares the parameter and V is no int (param_set_int(): the load
   * fails with EINVAL); a cxl_test without it ignores it (its boot logs the warning).
   */
  private async cxlTestXor(params: string[]): Promise<boolean | undefined> {
    const given = params.filter((p) => /^interleave[-_]arithmetic(=|$)/.test(p)).at(-1);
    if (given === undefined) return false;
    const m = await this.live.current();
    if (!cxlTestParams(m.profile.kernel).includes('interleave_arithmetic')) return true;
    const eq = given.indexOf('=');
    const v = eq < 0 ? undefined : kstrtoint(given.slice(eq + 1));
    return v === undefined ? undefined : v === 1;
  }

  /** `dmesg [-r] [-c|-C]`: the kernel log (util-linux flags; others are ignored). */
  async dmesg(args: string[]): Promise<CtlResult> {
    const m = await this.live.current();
    const raw = args.includes('-r') || args.includes('--raw');
    const lines = m.kernel.log.lines.slice(this.cleared);
    if (args.includes('-C') || args.includes('--clear')) {
      this.cleared = m.kernel.log.lines.length;
      return { code: 0, stdout: '', stderr: '' };
    }
    if (args.includes('-c') || args.includes('--read-clear'))
      this.cleared = m.kernel.log.lines.length;
    const out = lines.map((l) => KernelLog.format(l, raw)).join('\n');
    return { code: 0, stdout: out ? `${out}\n` : '', stderr: '' };
  }

  /** `journalctl -k [-r] …`: the kernel log as journal lines (newest first with -r). */
  async journalctl(args: string[]): Promise<CtlResult> {
    const m = await this.live.current();
    const lines = m.kernel.log.lines.slice(this.cleared).map((l) => `cxlsim kernel: ${l.text}`);
    if (args.includes('-r') || args.includes('--reverse')) lines.reverse();
    return {
      code: 0,
      stdout: lines.length ? `${lines.join('\n')}\n` : '-- No entries --\n',
      stderr: '',
    };
  }

  /** Dispatches a stand-in by the name it was called by. */
  async run(argv: string[]): Promise<CtlResult> {
    const [name, ...args] = argv;
    if (name === 'modprobe') return this.modprobe(args);
    if (name === 'dmesg') return this.dmesg(args);
    if (name === 'journalctl') return this.journalctl(args);
    // uevents are not modelled: every device is added before the write that made it returns
    if (name === 'udevadm') return { code: 0, stdout: '', stderr: '' };
    return { code: 127, stdout: '', stderr: `cxlsim: no stand-in for ${name}\n` };
  }
}

/** A response body with an errno header only. */
function errBody(e: Errno): Buffer {
  const b = Buffer.alloc(12);
  b.writeInt32LE(errnoNumber(e.code), 0);
  return b;
}

/**
 * Runs a forwarded cxlsim command line on the live machine with the caller's cwd and
 * environment, its output captured (a malformed request: exit 2 with a cxlsim message).
 */
async function runForwarded(live: LiveMachine, body: Buffer): Promise<CtlResult> {
  const malformed = { code: 2, stdout: '', stderr: 'cxlsim: serve: malformed forwarded command\n' };
  let req: { argv?: unknown; cwd?: unknown; env?: unknown; isTty?: unknown };
  try {
    req = JSON.parse(body.toString('utf8')) as typeof req;
  } catch {
    return malformed;
  }
  const { argv, cwd, env, isTty } = req;
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string') || typeof cwd !== 'string')
    return malformed;
  const r: CtlResult = { code: 0, stdout: '', stderr: '' };
  const io = {
    out: (t: string) => {
      r.stdout += t;
    },
    err: (t: string) => {
      r.stderr += t;
    },
    env: (env ?? {}) as Record<string, string | undefined>,
    cwd,
    isTty: isTty === true,
  };
  // only commands on this server's own state run on its machine
  if (forwardedState(argv as string[], io) !== live.stateDir)
    return { code: 2, stdout: '', stderr: `cxlsim: serve: not a command on ${live.stateDir}\n` };
  r.code = await live.runCli(argv as string[], io);
  return r;
}

/** Answers one request body. */
async function answer(live: LiveMachine, guest: GuestCommands, req: Buffer): Promise<Buffer> {
  const type = req[0];
  if (type === CTL || type === CLI_REQUEST) {
    const r =
      type === CTL
        ? await guest.run(req.subarray(4).toString('utf8').split('\0').slice(0, -1))
        : await runForwarded(live, req.subarray(4));
    const out = Buffer.from(r.stdout);
    const head = Buffer.alloc(8);
    head.writeInt32LE(r.code, 0);
    head.writeUInt32LE(out.length, 4);
    return Buffer.concat([head, out, Buffer.from(r.stderr)]);
  }
  if (type === PID && req.length >= 8) {
    live.taskPid = req.readUInt32LE(4);
    return Buffer.alloc(4);
  }
  if (req.length < 12) return errBody(new Errno('EINVAL'));
  const memdev = `mem${req.readUInt32LE(4)}`;
  if (type === QUERY) {
    const m = await live.current();
    const table = m.ioctl.queryCommands(memdev);
    if (table instanceof Errno) return errBody(table);
    const slots = queryCommandSlots(table);
    const n = Math.min(req.readUInt32LE(8), slots.length);
    const b = Buffer.alloc(8 + 16 * n);
    b.writeUInt32LE(slots.length, 4);
    slots.slice(0, n).forEach((c, i) => {
      const o = 8 + 16 * i;
      b.writeUInt32LE(c.id, o);
      b.writeUInt32LE(c.flags, o + 4);
      b.writeUInt32LE(c.sizeIn >>> 0, o + 8);
      b.writeUInt32LE(c.sizeOut >>> 0, o + 12);
    });
    return b;
  }
  if (type === SEND && req.length >= 28) {
    const inSize = req.readUInt32LE(20);
    if (req.length < 28 + inSize) return errBody(new Errno('EFAULT'));
    const send = {
      id: req.readUInt32LE(8),
      flags: req.readUInt32LE(12),
      raw: req.readUInt32LE(16),
      payload: Uint8Array.from(req.subarray(28, 28 + inSize)),
      outSize: req.readUInt32LE(24),
    };
    const r = MUTATING_IDS.has(send.id)
      ? await live.change((_sysfs, ioctl) => cxlSendCmd(ioctl, memdev, send))
      : cxlSendCmd((await live.current()).ioctl, memdev, send);
    if (r instanceof Errno) return errBody(r);
    const b = Buffer.alloc(12 + r.out.length);
    b.writeUInt32LE(r.retval, 4);
    b.writeUInt32LE(r.out.length, 8);
    Buffer.from(r.out).copy(b, 12);
    return b;
  }
  return errBody(new Errno('ENOTTY'));
}

/** Serves one connection: reads one framed request, writes the framed answer. */
function onConnection(
  live: LiveMachine,
  guest: GuestCommands,
  sock: Socket,
  onError: (e: unknown) => void,
): void {
  let buf = Buffer.alloc(0);
  let done = false;
  sock.on('error', () => {});
  sock.on('data', (chunk) => {
    if (done) return;
    buf = Buffer.concat([buf, chunk]);
    if (buf.length < 4) return;
    const len = buf.readUInt32LE(0);
    if (len > MAX_REQUEST) {
      done = true;
      sock.destroy();
      return;
    }
    if (buf.length < 4 + len) return;
    done = true;
    answer(live, guest, buf.subarray(4, 4 + len))
      .catch((e: unknown) => {
        if (!(e instanceof Errno)) onError(e);
        return errBody(e instanceof Errno ? e : new Errno('EIO'));
      })
      .then((body) => {
        const head = Buffer.alloc(4);
        head.writeUInt32LE(body.length, 0);
        sock.end(Buffer.concat([head, body]));
      });
  });
}

/** Starts the socket server at `path` (a fresh path; removed by the caller on exit). */
export function startMboxServer(
  live: LiveMachine,
  path: string,
  onError: (e: unknown) => void,
): Promise<Server> {
  const guest = new GuestCommands(live);
  const server = createServer((s) => onConnection(live, guest, s, onError));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}
