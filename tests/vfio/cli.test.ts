/**
 * The vfio-cxl CLI (real dependencies, a scratch state directory): `boot --vfio-cxl-placement`,
 * `boot --qemu LINE --topology HOST.yaml`, a VMM refusal at boot leaving the previous machine
 * in place, `device-add` (refusals change neither the machine nor the journal; a success is
 * journaled and replayed), and `vfio show`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realDeps } from '../../src/cli/deps.ts';
import { runCli } from '../../src/cli/program.ts';
import type { MachineState } from '../../src/cli/state.ts';
import { memIo } from '../cli/fake-deps.ts';
import { FOUR_WINDOWS, GPU4, withoutDevices, withWindows } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-vfio-'));
  dirs.push(cwd);
  writeFileSync(join(cwd, 'gpu4.qemu'), GPU4);
  writeFileSync(join(cwd, 'gpu3.qemu'), withoutDevices(GPU4, ['dev0']));
  const stateFile = join(cwd, '.cxlsim', 'state.json');
  const run = async (argv: string[]) => {
    const io = memIo(cwd, {});
    const code = await runCli(argv, io, realDeps);
    return { code, stdout: io.stdout, stderr: io.stderr };
  };
  const state = () => JSON.parse(readFileSync(stateFile, 'utf8')) as MachineState;
  const raw = () => readFileSync(stateFile, 'utf8');
  return { cwd, run, state, raw };
}

const regionCount = (json: string) => (JSON.parse(json) as unknown[]).length;

describe('cxlsim boot with passed-through type-2 devices', () => {
  it('per-window (default): four idle regions, the v7.3 guest maps none; first-window: one', async () => {
    const t = setup();
    expect((await t.run(['boot', '--qemu', 'gpu4.qemu'])).code).toBe(0);
    // passthrough host bridges: find_pos_and_ways() finds no decoder mapping any range
    expect(regionCount((await t.run(['list', '-R'])).stdout)).toBe(0);
    expect(regionCount((await t.run(['list', '-Ri'])).stdout)).toBe(4);
    expect(
      (await t.run(['dmesg'])).stdout.match(/cxl_mem mem\d: failed to find decoder mapping /g),
    ).toHaveLength(4);
    expect(t.state().vfio).toBeUndefined();
    expect(
      (await t.run(['boot', '--qemu', 'gpu4.qemu', '--vfio-cxl-placement', 'first-window'])).code,
    ).toBe(0);
    expect(t.state().vfio).toEqual({ placement: 'first-window' });
    // one region, never enabled (listed with --idle)
    expect(regionCount((await t.run(['list', '-R'])).stdout)).toBe(0);
    expect(regionCount((await t.run(['list', '-Ri'])).stdout)).toBe(1);
    expect((await t.run(['dmesg'])).stdout).toMatch(
      /cxl_mem mem0: failed to find decoder mapping 0x80000000000-0x803ffffffff\n/,
    );
    expect((await t.run(['dmesg'])).stdout.match(/: -22\n/g)).toHaveLength(3);
    expect(await t.run(['boot', '--qemu', 'gpu4.qemu', '--vfio-cxl-placement', 'nearest'])).toEqual(
      {
        code: 1,
        stdout: '',
        stderr: "cxlsim: unknown --vfio-cxl-placement 'nearest' (per-window, first-window)\n",
      },
    );
  });

  it('--qemu LINE --topology HOST.yaml overrides the host functions by BDF', async () => {
    const t = setup();
    writeFileSync(
      join(t.cwd, 'hosts.yaml'),
      'hostDevices:\n  - host: "0002:81:00.0"\n    dpaSize: 32G\n  - host: "81:00.0"\n    committed: false\n',
    );
    const r = await t.run(['boot', '--qemu', 'gpu4.qemu', '--topology', 'hosts.yaml']);
    expect(r.code).toBe(0);
    expect(t.state().vfio?.hosts?.path).toBe('hosts.yaml');
    const mems = JSON.parse((await t.run(['list', '-M'])).stdout) as { ram_size: number }[];
    expect(mems.map((x) => x.ram_size).sort()).toEqual([16, 16, 16, 32].map((g) => g * 2 ** 30));
    writeFileSync(
      join(t.cwd, 'bad.yaml'),
      'hostDevices:\n  - host: "0002:81:00.0"\n    dpaSize: 100M\n',
    );
    const before = t.raw();
    expect(await t.run(['boot', '--qemu', 'gpu4.qemu', '--topology', 'bad.yaml'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'EINVAL: hostDevices[0].dpaSize: must be a non-zero multiple of 256 MiB (bad.yaml)\n',
    });
    expect(t.raw()).toBe(before);
  });

  it('a VMM refusal: QEMU does not start, the previous machine stays', async () => {
    const t = setup();
    writeFileSync(
      join(t.cwd, 'bad.qemu'),
      withWindows(GPU4, `${FOUR_WINDOWS},cxl-fmw.4.targets.0=cxl.1,cxl-fmw.4.size=256G`),
    );
    await t.run(['boot', '--qemu', 'gpu4.qemu']);
    const before = t.raw();
    expect(await t.run(['boot', '--qemu', 'bad.qemu'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'EINVAL: qemu-system-aarch64: vfio-cxl: dev0: host bridge cxl.1 is a target of more than one CXL fixed memory window (0, 4)\n',
    });
    expect(t.raw()).toBe(before);
  });
});

describe('cxlsim device-add', () => {
  it('a refused add changes neither the machine nor the journal', async () => {
    const t = setup();
    await t.run(['boot', '--qemu', 'gpu3.qemu']);
    const before = t.raw();
    const list = (await t.run(['list', '-M'])).stdout;
    expect(
      await t.run(['device-add', 'vfio-pci-nohotplug,host=0002:81:00.0,bus=rport0.1,id=dev0']),
    ).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "EINVAL: qemu-system-aarch64: Device 'vfio-pci-nohotplug' does not support hotplugging\n",
    });
    expect(t.raw()).toBe(before);
    expect((await t.run(['list', '-M'])).stdout).toBe(list);
  });

  it('a placement rejection at hotplug fails the add and nothing else', async () => {
    const t = setup();
    writeFileSync(
      join(t.cwd, 'gpu3w.qemu'),
      withWindows(
        withoutDevices(GPU4, ['dev0']),
        `${FOUR_WINDOWS},cxl-fmw.4.targets.0=cxl.1,cxl-fmw.4.size=256G`,
      ),
    );
    await t.run(['boot', '--qemu', 'gpu3w.qemu']);
    const before = t.raw();
    const r = await t.run(['device-add', 'vfio-pci,host=0002:81:00.0,bus=rport0.1,id=dev0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'EINVAL: qemu-system-aarch64: vfio-cxl: dev0: host bridge cxl.1 is a target of more than one CXL fixed memory window (0, 4)\n',
    );
    expect(t.raw()).toBe(before);
  });

  it('a successful add is journaled and replayed by later invocations', async () => {
    const t = setup();
    await t.run(['boot', '--qemu', 'gpu3.qemu']);
    const r = await t.run(['device-add', 'vfio-pci,host=0002:81:00.0,bus=rport0.1,id=dev0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^device_add dev0: host 0002:81:00\.0 → guest 0000:0d:00\.0, HDM decoder 0 at 0x80000000000 \(window 0, per-window\)\n/,
    );
    expect(t.state().ops).toEqual([
      { kind: 'device-add', spec: 'vfio-pci,host=0002:81:00.0,bus=rport0.1,id=dev0' },
    ]);
    const mems = JSON.parse((await t.run(['list', '-M'])).stdout) as { memdev: string }[];
    expect(mems).toHaveLength(4);
    const show = await t.run(['vfio', 'show', 'dev0']);
    expect(show.stdout).toMatch(/placement: per-window, window 0, decoder 0 at 0x80000000000/);
  });
});

describe('cxlsim vfio show', () => {
  it('decodes the DVSEC for host and guest, and the HDM decoders both see', async () => {
    const t = setup();
    await t.run(['boot', '--qemu', 'gpu4.qemu']);
    const r = await t.run(['vfio', 'show', '0002:c1:00.0']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    // the v7.3 guest assembles no region through a passthrough host bridge, so the
    // accelerator driver's probe fails (-ENXIO) and the function is left without a driver
    expect(lines[0]).toMatch(
      /^dev1: host 0002:c1:00\.0 \(vfio-pci\) → guest 0000:[0-9a-f]{2}:00\.0 \(no driver\)$/,
    );
    expect(lines).toContain('\t\tPCIe DVSEC for CXL Devices');
    expect(
      lines.filter((l) =>
        /^\t\t(host|guest) +CXLCap: +Cache\+ IO\+ Mem\+ MemHWInit\+ HDMCount 1 Viral-/.test(l),
      ),
    ).toHaveLength(2);
    const dec = lines.filter((l) => /^\t\t(host|guest) +base /.test(l));
    expect(dec[0]).toMatch(/^\t\thost {2}base 0x[0-9a-f]+ size 0x400000000 ctrl 0x00000700 /);
    expect(dec[1]).toMatch(
      /^\t\tguest base 0x84000000000 size 0x400000000 ctrl 0x00000700 IG 256 IW 1 Lock\+ Commit\+ Committed\+/,
    );
    expect(await t.run(['vfio', 'show', 'gpu9'])).toMatchObject({
      code: 1,
      stderr: "ENODEV: no passed-through device 'gpu9' (dev0, dev1, dev2, dev3)\n",
    });
  });
});
