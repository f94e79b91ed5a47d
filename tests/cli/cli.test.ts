import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import type { MachineState } from '../../src/cli/state.ts';
import { acquireStateLock } from '../../src/state/lock.ts';
import { kernfsOrder } from '../../src/sysfs/kernfs-hash.ts';
import { fakeDeps, memIo } from './fake-deps.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A scratch working directory; the state lives in ./.cxlsim below it. */
function setup() {
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-cli-'));
  dirs.push(cwd);
  const deps = fakeDeps();
  const stateFile = join(cwd, '.cxlsim', 'state.json');
  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const io = memIo(cwd, env);
    const code = await runCli(argv, io, deps);
    return { code, stdout: io.stdout, stderr: io.stderr };
  };
  const state = () => JSON.parse(readFileSync(stateFile, 'utf8')) as MachineState;
  return { cwd, deps, run, stateFile, state };
}

const WAYS = 'bus/cxl/devices/decoder0.0/interleave_ways';

describe('cxlsim state', () => {
  it('boots the default preset on first use and records it', async () => {
    const t = setup();
    const r = await t.run(['sysfs', 'cat', `/sys/${WAYS}`]);
    expect(r).toEqual({ code: 0, stdout: '1\n', stderr: '' });
    expect(t.state()).toMatchObject({
      format: 'cxlsim-state',
      version: 1,
      input: { kind: 'preset', name: 'default' },
      ops: [],
    });
    expect(t.state().profile.name).toBe('latest');
  });

  it('persists sysfs writes across invocations by replaying them', async () => {
    const t = setup();
    expect(await t.run(['boot', '--preset', 'minimal', '--profile', 'debian-12'])).toMatchObject({
      code: 0,
      stderr: '',
    });
    expect(await t.run(['sysfs', 'write', WAYS, '4'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(t.state().ops).toEqual([{ kind: 'sysfs-write', path: WAYS, value: '4\n' }]);
    expect((await t.run(['sysfs', 'cat', WAYS])).stdout).toBe('4\n');
    expect(t.deps.calls.filter((c) => c.startsWith('boot'))).toEqual([
      'boot minimal debian-12',
      'boot minimal debian-12',
      'boot minimal debian-12',
    ]);
    // a new boot starts over
    await t.run(['boot', '--preset', 'minimal']);
    expect((await t.run(['sysfs', 'cat', WAYS])).stdout).toBe('1\n');
  });

  it('prints write errors as echo does, exits 1 and journals the refused write with its errno', async () => {
    const t = setup();
    await t.run(['boot']);
    const before = readFileSync(t.stateFile);
    expect(await t.run(['sysfs', 'write', WAYS, '3'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'write error: Invalid argument\n',
    });
    expect(await t.run(['sysfs', 'write', WAYS, '-1'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'write error: Invalid argument\n',
    });
    expect(await t.run(['sysfs', 'write', 'bus/cxl/devices/decoder0.0/size', '0'])).toMatchObject({
      code: 1,
      stderr: 'write error: Permission denied\n',
    });
    expect(
      await t.run(['sysfs', 'write', 'bus/cxl/devices/decoder0.0/create_pmem_region', 'region0']),
    ).toMatchObject({
      code: 1,
      stderr: 'write error: No such device or address\n',
    });
    expect(readFileSync(t.stateFile)).not.toEqual(before);
    const ops = t.state().ops;
    expect(ops.map((o) => (o.kind === 'sysfs-write' ? [o.value, o.fails] : []))).toEqual([
      ['3\n', 'EINVAL'],
      ['-1\n', 'EINVAL'],
      ['0\n', 'EACCES'],
      ['region0\n', 'ENXIO'],
    ]);
    // the journal replays: the refused writes fail again the same way
    expect((await t.run(['sysfs', 'cat', WAYS])).code).toBe(0);
  });

  it('reports a corrupt or foreign state file in one line and leaves it untouched', async () => {
    for (const garbage of [
      '{"format": "cxlsim-state", "version": 1',
      '{"hello": "world"}\n',
      '{"format":"cxlsim-state","version":9}',
    ]) {
      const t = setup();
      await t.run(['boot']);
      writeFileSync(t.stateFile, garbage);
      for (const argv of [['sysfs', 'ls'], ['boot', '--preset', 'minimal'], ['list'], ['dmesg']]) {
        const r = await t.run(argv);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(
          /^cxlsim: state file \S+state\.json is corrupt \(.+\); remove it or use --state\n$/,
        );
        expect(readFileSync(t.stateFile, 'utf8')).toBe(garbage);
      }
    }
  });

  it('rejects an unknown preset, profile or missing file without touching the state', async () => {
    const t = setup();
    await t.run(['boot', '--preset', 'minimal']);
    await t.run(['sysfs', 'write', WAYS, '2']);
    const before = readFileSync(t.stateFile);
    expect(await t.run(['boot', '--preset', 'nope'])).toEqual({
      code: 1,
      stdout: '',
      stderr: "EINVAL: unknown preset 'nope' (known: default, minimal)\n",
    });
    expect((await t.run(['boot', '--profile', 'nope'])).stderr).toBe(
      "EINVAL: unknown profile 'nope' (known: debian-12, debian-13, latest)\n",
    );
    expect((await t.run(['boot', '--qemu', 'missing.sh'])).stderr).toBe(
      'ENOENT: cannot read missing.sh: No such file or directory\n',
    );
    writeFileSync(join(t.cwd, 'bad.sh'), '-device cxl-rp,bus=bogus');
    expect((await t.run(['boot', '--qemu', 'bad.sh'])).stderr).toBe(
      "EINVAL: Bus 'bogus' not found\n",
    );
    expect((await t.run(['boot', '--qemu', 'bad.sh', '--preset', 'x'])).stderr).toBe(
      'cxlsim: give only one of --qemu, --topology and --preset\n',
    );
    expect(readFileSync(t.stateFile)).toEqual(before);
    expect((await t.run(['sysfs', 'cat', WAYS])).stdout).toBe('2\n');
  });

  it('stores the QEMU command line by content, not by path', async () => {
    const t = setup();
    const file = join(t.cwd, 'vm.sh');
    writeFileSync(file, 'qemu-system-x86_64 -M q35,cxl=on -nographic');
    const r = await t.run(['boot', '--qemu', 'vm.sh', '-v']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ignored QEMU arguments: 1\n  -nographic\n');
    rmSync(file);
    expect(t.state().input).toEqual({
      kind: 'qemu',
      text: 'qemu-system-x86_64 -M q35,cxl=on -nographic',
      path: 'vm.sh',
    });
    expect((await t.run(['sysfs', 'cat', WAYS])).code).toBe(0);
  });
});

describe('cxlsim lock', () => {
  it('serializes concurrent invocations without losing a journaled write', async () => {
    const t = setup();
    await t.run(['boot']);
    const values = ['1', '2', '4', '8', '1', '2'];
    const rs = await Promise.all(values.map((v) => t.run(['sysfs', 'write', WAYS, v])));
    expect(rs.map((r) => r.code)).toEqual(values.map(() => 0));
    expect(
      t
        .state()
        .ops.map((o) => (o.kind === 'sysfs-write' ? o.value : ''))
        .sort(),
    ).toEqual(values.map((v) => `${v}\n`).sort());
  });

  it('waits for a held lock and gives up with a clear error', async () => {
    const t = setup();
    await t.run(['boot']);
    const dir = join(t.cwd, '.cxlsim');
    const held = await acquireStateLock(dir, 0);
    const release = () => held.release();
    const r = await t.run(['sysfs', 'ls'], { CXLSIM_LOCK_TIMEOUT_MS: '150' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `cxlsim: state directory ${dir} is in use by another cxlsim (lock ${dir}/lock)\n`,
    );
    const later = t.run(['sysfs', 'cat', WAYS]);
    setTimeout(release, 100);
    expect((await later).stdout).toBe('1\n');
  });
});

describe('cxlsim commands', () => {
  it('passes everything after list to cxl list unparsed, and its output and code back', async () => {
    const t = setup();
    const r = await t.run(['--state', '.other', 'list', '-vvv', '--state', 'x', '-h']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toContain('mem0');
    expect(t.deps.calls).toContain('list ["-vvv","--state","x","-h"] 85');
    expect(existsSync(join(t.cwd, '.other', 'state.json'))).toBe(true);
    expect(await t.run(['list', '--bogus'])).toEqual({
      code: 129,
      stdout: '',
      stderr: " error: unknown option `bogus'\n",
    });
  });

  it('prints dmesg with levels only when asked', async () => {
    const t = setup();
    await t.run(['boot', '--dyndbg']);
    expect((await t.run(['dmesg'])).stdout).toBe(
      '[    0.000001] cxl_acpi ACPI0017:00: booted\n[    0.000002] cxl_port port1: debug line\n',
    );
    expect((await t.run(['dmesg', '--raw'])).stdout).toMatch(
      /^<6>\[ {4}0\.000001\] cxl_acpi ACPI0017:00: booted\n<7>/,
    );
    await t.run(['boot']);
    expect((await t.run(['dmesg'])).stdout).toBe('[    0.000001] cxl_acpi ACPI0017:00: booted\n');
  });

  it('summarizes the booted machine from its /sys', async () => {
    const t = setup();
    const r = await t.run(['boot', '--preset', 'minimal', '--profile', 'debian-12']);
    expect(r.stdout).toContain(
      "booted preset 'minimal': profile debian-12 (Linux 6.1, QEMU 7.2, ndctl 76.1)\n",
    );
    expect(r.stdout).toContain('host bridges: 1\n  port1  ACPI0016:00  dports 0\n');
    expect(r.stdout).toContain(
      'memdevs: 1\n  mem0  0000:0d:00.0  serial 0x0  ram 0  pmem 256 MiB\n',
    );
    expect(r.stdout).toContain(
      'windows: 1\n  decoder0.0  start 0x110000000  size 4 GiB  1-way  ? B  targets -  -\n',
    );
  });

  it('lists, cats, trees, dumps and exports /sys', async () => {
    const t = setup();
    const names = ['bind', 'unbind', 'uevent', 'module', 'mem0'];
    expect((await t.run(['sysfs', 'ls', '/sys/bus/cxl/drivers/cxl_mem'])).stdout).toBe(
      `${kernfsOrder(names).join('\n')}\n`,
    );
    expect((await t.run(['sysfs', 'ls', '-l', 'bus/cxl/devices/mem0/pmem'])).stdout).toBe(
      '- 444 size\n',
    );
    expect(await t.run(['sysfs', 'cat', 'bus/cxl/flush'])).toEqual({
      code: 1,
      stdout: '',
      stderr: "cat: can't open '/sys/bus/cxl/flush': Permission denied\n",
    });
    expect((await t.run(['sysfs', 'cat', 'bus/cxl/nope'])).stderr).toBe(
      "cat: can't open '/sys/bus/cxl/nope': No such file or directory\n",
    );
    const tree = (await t.run(['sysfs', 'tree', 'bus/cxl/devices/endpoint2'])).stdout;
    expect(tree.split('\n')[0]).toBe(
      '/sys/bus/cxl/devices/endpoint2 -> /sys/devices/platform/ACPI0017:00/root0/port1/endpoint2',
    );
    expect(tree).toContain(
      '── uport -> ../../../../../pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem0\n',
    );
    const dump = (await t.run(['sysfs', 'dump'])).stdout;
    expect(dump.startsWith('# gt-sysfs-dump v1')).toBe(true);
    expect(dump).toContain(
      'L\tbus/cxl/devices/root0\t../../../devices/platform/ACPI0017:00/root0\n',
    );
    const r = await t.run(['sysfs', 'export', 'out']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(t.cwd, 'out/bus/cxl/devices/mem0/pmem/size'), 'utf8')).toBe(
      '0x10000000\n',
    );
    expect((await t.run(['sysfs', 'export', 'out'])).stderr).toMatch(
      /^EEXIST: \S+out is not empty; use --force/,
    );
    expect((await t.run(['sysfs', 'export', 'out', '--force'])).code).toBe(0);
  });

  it('reports usage errors, versions and internal errors in one line', async () => {
    const t = setup();
    expect(await t.run(['--version'])).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
    const u = await t.run(['bogus']);
    expect(u.code).toBe(1);
    expect(u.stderr).toBe("error: unknown command 'bogus'\n");
    t.deps.boot = async () => {
      throw new TypeError('x is not a function');
    };
    const r = await t.run(['sysfs', 'ls'], {});
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'cxlsim: internal error: x is not a function\n',
    });
  });
});
