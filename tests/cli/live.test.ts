/**
 * The live machine behind `cxlsim serve` / `cxlsim run`, without mounting anything: the FUSE
 * operations (src/cli/live/fuse-ops.ts) called directly, the journal they write, the stand-in
 * commands, and the memdev ioctl checks (drivers/cxl/core/send-cmd.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realDeps } from '../../src/cli/deps.ts';
import { type FuseOps, type FuseStat, sysfsFuseOps } from '../../src/cli/live/fuse-ops.ts';
import { GuestCommands } from '../../src/cli/live/mbox-server.ts';
import { LiveMachine } from '../../src/cli/live/store.ts';
import { runCli } from '../../src/cli/program.ts';
import { MUTATING_IDS } from '../../src/cli/recording.ts';
import type { CliContext } from '../../src/cli/session.ts';
import type { MachineState } from '../../src/cli/state.ts';
import { cxlSendCmd, queryCommandSlots } from '../../src/drivers/cxl/core/send-cmd.ts';
import { Errno, errnoName, errnoNumber } from '../../src/kernel/errno.ts';
import { KernelLog } from '../../src/kernel/log.ts';
import { CXL_MEM_COMMAND_ID, IDENTIFY } from '../../src/ndctl/lib/ioctl.ts';
import { memIo } from './fake-deps.ts';

let dir = '';
let created = '';
const unexpected: unknown[] = [];
let live: LiveMachine;
let ops: FuseOps;

/** The CLI on the same state directory (what another cxlsim process would do). */
async function cli(...argv: string[]) {
  const io = memIo(dir, {});
  const code = await runCli(['--state', join(dir, 'st'), ...argv], io, realDeps);
  return { code, stdout: io.stdout, stderr: io.stderr };
}
const journal = () =>
  (JSON.parse(readFileSync(join(dir, 'st', 'state.json'), 'utf8')) as MachineState).ops;

/** fuse-native callbacks as promises: [code, value]. */
function call<T>(f: (cb: (code: number, v?: T) => void) => void): Promise<[number, T | undefined]> {
  return new Promise((res) => f((code, v) => res([code, v])));
}
const getattr = (p: string) => call<FuseStat>((cb) => ops.getattr(p, cb));
const readdir = (p: string) => call<string[]>((cb) => ops.readdir(p, cb));
const open = (p: string, flags: number) => call<number>((cb) => ops.open(p, flags, cb));
async function readFile(p: string): Promise<string | number> {
  const [rc, fd] = await open(p, 0);
  if (rc !== 0) return rc;
  const buf = Buffer.alloc(4096);
  const [n] = await call<never>((cb) => ops.read(p, fd as number, buf, 4096, 0, cb));
  await call<never>((cb) => ops.release(p, fd as number, cb));
  return n < 0 ? n : buf.toString('latin1', 0, n);
}
async function writeFile(p: string, value: string): Promise<number> {
  const [rc, fd] = await open(p, 1);
  if (rc !== 0) return rc;
  const b = Buffer.from(value, 'latin1');
  const [n] = await call<never>((cb) => ops.write(p, fd as number, b, b.length, 0, cb));
  await call<never>((cb) => ops.release(p, fd as number, cb));
  return n;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cxlsim-live-'));
  expect((await cli('boot', '--preset', 'default', '--profile', 'debian-12')).code).toBe(0);
  const ctx: CliContext = {
    io: memIo(dir, {}),
    deps: realDeps,
    stateDir: join(dir, 'st'),
    version: 'test',
  };
  live = new LiveMachine(ctx);
  await live.load();
  ops = sysfsFuseOps(live, (e) => unexpected.push(e));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  expect(unexpected).toEqual([]);
});

/** The real directory of a /sys path (FUSE passes resolved paths). */
const real = (p: string) => `/${live.machine?.sysfs.realpath(p)}`;

describe('FUSE operations over the live /sys', () => {
  it('stats directories, symlinks and attributes with their modes', async () => {
    const [rc, link] = await getattr('/bus/cxl/devices/decoder0.0');
    expect(rc).toBe(0);
    expect(link?.mode).toBe(0o120777);
    expect(link?.size).toBe(live.machine?.sysfs.readlink('bus/cxl/devices/decoder0.0').length);
    const d = real('bus/cxl/devices/decoder0.0');
    expect((await getattr(d))[1]?.mode).toBe(0o040755);
    expect((await getattr(`${d}/interleave_ways`))[1]?.mode).toBe(0o100444);
    expect((await getattr(`${d}/create_pmem_region`))[1]?.mode).toBe(0o100644);
    expect((await getattr(`${d}/nonexistent`))[0]).toBe(-errnoNumber('ENOENT'));
  });

  it('sizes sysfs text attributes 4096 and tracefs files by their text', async () => {
    const d = real('bus/cxl/devices/decoder0.0');
    expect((await getattr(`${d}/interleave_ways`))[1]?.size).toBe(4096);
    const trace = live.machine?.sysfs.read('kernel/tracing/trace') as string;
    expect(typeof trace).toBe('string');
    // a header of more than a line, not the 4096 that would cut a longer trace short
    expect(trace.length).toBeGreaterThan(0);
    expect((await getattr('/kernel/tracing/trace'))[1]?.size).toBe(Buffer.byteLength(trace));
  });

  it('lists a directory as ".", ".." and the kernfs order', async () => {
    const [rc, names] = await readdir('/bus/cxl/devices');
    expect(rc).toBe(0);
    const want = live.machine?.sysfs.readdir('bus/cxl/devices') ?? [];
    expect(want.length).toBeGreaterThan(10);
    expect(names).toEqual(['.', '..', ...want]);
    expect((await readdir(`${real('bus/cxl/devices/decoder0.0')}/size`))[0]).toBe(
      -errnoNumber('ENOTDIR'),
    );
  });

  it('checks the mode bits on open even for root, as kernfs does', async () => {
    const d = real('bus/cxl/devices/decoder0.0');
    expect((await open(`${d}/interleave_ways`, 1))[0]).toBe(-errnoNumber('EACCES'));
    expect((await open(`${d}/delete_region`, 0))[0]).toBe(-errnoNumber('EACCES'));
    expect(await readFile(`${d}/interleave_ways`)).toBe(
      live.machine?.sysfs.read('bus/cxl/devices/decoder0.0/interleave_ways'),
    );
  });

  it('serves tracefs as tracefs: root opens any file, sizes are the content’s or the pipe’s', async () => {
    const t = '/kernel/tracing';
    // O_RDWR on a 0444 file: kernfs refuses it even for root, tracefs lets root through
    expect((await open(`${t}/trace_pipe`, 2))[0]).toBe(0);
    const read = (p: string) => String(live.machine?.sysfs.read(p));
    const hp = read('kernel/tracing/events/header_page');
    expect((await getattr(`${t}/events/header_page`))[1]?.size).toBe(hp.length);
    expect((await getattr(`${t}/trace`))[1]?.size).toBe(read('kernel/tracing/trace').length);
    expect((await getattr(`${t}/per_cpu/cpu0/trace_pipe_raw`))[1]?.size).toBe(4096);
    expect((await getattr(`${t}/per_cpu/cpu0/trace_pipe`))[1]?.size).toBe(1 << 20);
    // nothing recorded: the raw pipe's read is EAGAIN
    expect(await readFile(`${t}/per_cpu/cpu0/trace_pipe_raw`)).toBe(-errnoNumber('EAGAIN'));
  });

  it('writes through the journal; a refused value is the errno and is journaled too', async () => {
    const d = real('bus/cxl/devices/decoder0.1');
    const before = journal().length;
    const refused = await writeFile(`${d}/create_pmem_region`, 'region7\n');
    const fails = errnoName(-refused);
    expect(fails).toBeDefined();
    const name = await readFile(`${d}/create_pmem_region`);
    created = String(name).trim();
    expect(name).toMatch(/^region\d+\n$/);
    expect(await writeFile(`${d}/create_pmem_region`, String(name))).toBe(String(name).length);
    const ops1 = journal().slice(before);
    expect(ops1).toEqual([
      {
        kind: 'sysfs-write',
        path: `${d.slice(1)}/create_pmem_region`,
        value: 'region7\n',
        fails,
        at: expect.stringMatching(/^\d+$/),
      },
      {
        kind: 'sysfs-write',
        path: `${d.slice(1)}/create_pmem_region`,
        value: name,
        at: expect.stringMatching(/^\d+$/),
      },
    ]);
    // live ops carry the guest time they were made at, in order
    const at = (i: number) => BigInt((ops1[i] as { at: string }).at);
    expect(at(1)).toBeGreaterThanOrEqual(at(0));
    // another cxlsim sees what was written through the mount
    const r = await cli('sysfs', 'ls', '/sys/bus/cxl/devices');
    expect(r.stdout.split('\n')).toContain(String(name).trim());
  });

  it('waits the cache time after a write that changes the tree, not after a no-op flush', async () => {
    const SETTLE = 400;
    const slow = sysfsFuseOps(live, (e) => unexpected.push(e), SETTLE);
    const timedWrite = async (p: string, value: string) => {
      const [rc, fd] = await call<number>((cb) => slow.open(p, 1, cb));
      expect(rc).toBe(0);
      const b = Buffer.from(value, 'latin1');
      const t0 = performance.now();
      const [n] = await call<never>((cb) => slow.write(p, fd as number, b, b.length, 0, cb));
      const ms = performance.now() - t0;
      await call<never>((cb) => slow.release(p, fd as number, cb));
      return { n, ms };
    };
    // libcxl's flush before each listing: nothing to add, remove, bind or unbind
    const flush = await timedWrite('/bus/cxl/flush', '1\n');
    expect(flush.n).toBe(2);
    expect(flush.ms).toBeLessThan(SETTLE);
    // a region created: a new directory the kernel may have cached as absent
    const d = real('bus/cxl/devices/decoder0.1');
    const name = String(await readFile(`${d}/create_pmem_region`));
    const created2 = await timedWrite(`${d}/create_pmem_region`, name);
    expect(created2.n).toBe(name.length);
    expect(created2.ms).toBeGreaterThanOrEqual(SETTLE - 5);
    expect(await writeFile(`${d}/delete_region`, name.trim())).toBe(name.trim().length);
  });

  it('refuses a text attribute write longer than PAGE_SIZE with E2BIG, unjournaled', async () => {
    const d = real('bus/cxl/devices/decoder0.1');
    const before = journal().length;
    expect(await writeFile(`${d}/create_pmem_region`, 'x'.repeat(4097))).toBe(
      -errnoNumber('E2BIG'),
    );
    expect(journal().length).toBe(before);
  });

  it('sees what another cxlsim changed in the journal', async () => {
    expect((await getattr(`/bus/cxl/devices/${created}`))[0]).toBe(0);
    const r = await cli('sysfs', 'write', '/sys/bus/cxl/devices/decoder0.1/delete_region', created);
    expect(r.code).toBe(0);
    await new Promise((res) => setTimeout(res, 30)); // past the freshness window
    expect((await getattr(`/bus/cxl/devices/${created}`))[0]).toBe(-errnoNumber('ENOENT'));
  });
});

describe('stand-in commands', () => {
  it('modprobe cxl_test boots the preset; dmesg is the kernel log', async () => {
    const g = new GuestCommands(live);
    expect(await g.run(['modprobe', 'cxl_test'])).toEqual({ code: 0, stdout: '', stderr: '' });
    const m = await live.current();
    expect(m.sysfs.readdir('bus/cxl/devices').filter((n) => /^mem\d+$/.test(n))).toHaveLength(10);
    const st = JSON.parse(readFileSync(join(dir, 'st', 'state.json'), 'utf8')) as MachineState;
    expect(st.input).toEqual({ kind: 'preset', name: 'cxl_test' });
    expect(st.profile.name).toBe('debian-12');
    const dm = await g.run(['dmesg']);
    expect(dm.stdout).toBe(
      m.kernel.log.lines.map((l) => `${KernelLog.format(l, false)}\n`).join(''),
    );
    const bad = await g.run(['modprobe', 'no_such_module']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^modprobe: FATAL: Module no_such_module not found in directory /);
    expect((await g.run(['modprobe', '-r', 'cxl_test'])).code).toBe(0);
    // 6.1's cxl_test has no interleave_arithmetic: any value loads the modulo mock, with the
    // kernel's warning (a kernel that has the int parameter refuses 'y': tests/kernel/params)
    expect((await g.run(['modprobe', 'cxl_test', 'interleave_arithmetic=y'])).code).toBe(0);
    expect((await g.run(['dmesg'])).stdout.split('\n')[0]).toMatch(
      /^\[ *[\d.]+\] cxl_test: unknown parameter 'interleave_arithmetic' ignored$/,
    );
  });
});

describe('CXL_MEM_SEND_COMMAND checks (cxl_validate_cmd_from_user)', () => {
  it('answers IDENTIFY and refuses bad ids, flags and sizes', async () => {
    const m = await live.current();
    const send = (id: number, inLen: number, outSize: number, flags = 0, raw = 0) =>
      cxlSendCmd(m.ioctl, 'mem0', {
        id,
        flags,
        raw,
        payload: new Uint8Array(inLen),
        outSize,
      });
    const ok = send(CXL_MEM_COMMAND_ID.IDENTIFY, 0, 0x100);
    expect(ok).not.toBeInstanceOf(Errno);
    expect(ok instanceof Errno ? -1 : ok.out.length).toBe(IDENTIFY.SIZE);
    expect(ok instanceof Errno ? -1 : ok.retval).toBe(0);
    expect((send(0, 0, 0x100) as Errno).code).toBe('ENOTTY');
    expect((send(CXL_MEM_COMMAND_ID.MAX, 0, 0x100) as Errno).code).toBe('ENOTTY');
    expect((send(CXL_MEM_COMMAND_ID.IDENTIFY, 0, 0x100, 1) as Errno).code).toBe('EINVAL');
    expect((send(CXL_MEM_COMMAND_ID.IDENTIFY, 0, 0x100, 0, 1) as Errno).code).toBe('EINVAL');
    expect((send(CXL_MEM_COMMAND_ID.IDENTIFY, 0, 0x42) as Errno).code).toBe('ENOMEM');
  });

  it('refuses exactly the fixed-size mismatches (property)', async () => {
    const m = await live.current();
    const table = m.ioctl.queryCommands('mem0');
    if (table instanceof Errno) throw table;
    const slots = queryCommandSlots(table);
    expect(slots).toHaveLength(CXL_MEM_COMMAND_ID.MAX);
    fc.assert(
      fc.property(
        fc.constantFrom(...table.filter((c) => !MUTATING_IDS.has(c.id))),
        fc.integer({ min: 0, max: 0x60 }),
        fc.integer({ min: 0, max: 0x100 }),
        (info, inLen, outSize) => {
          const r = cxlSendCmd(m.ioctl, 'mem0', {
            id: info.id,
            flags: 0,
            raw: 0,
            payload: new Uint8Array(inLen),
            outSize,
          });
          const badIn = info.sizeIn !== -1 && info.sizeIn !== inLen;
          const badOut = info.sizeOut !== -1 && outSize < info.sizeOut;
          if (badIn || badOut) return r instanceof Errno && r.code === 'ENOMEM';
          return !(r instanceof Errno && r.code === 'ENOMEM');
        },
      ),
      { numRuns: 200 },
    );
  });
});
