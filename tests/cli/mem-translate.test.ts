/**
 * `cxlsim mem read/write`, `cxlsim translate` and `cxlsim reboot` through the whole CLI (real
 * dependencies, in-process, a scratch state directory): stores are journaled as `mem-write`
 * and replayed on every invocation, reads print a hexdump at the HPA, undecoded accesses and
 * bad input are one-line errors, translate's two views agree on a committed region (exit 0)
 * and disagree after a Linux 6.1 reboot (exit 1), and the data survives the reboot.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MachineState } from '../../src/cli/state.ts';
import { cliRunner } from './fake-deps.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-mem-'));
  dirs.push(cwd);
  const run = cliRunner(cwd);
  const state = () =>
    JSON.parse(readFileSync(join(cwd, '.cxlsim/state.json'), 'utf8')) as MachineState;
  return { run, state };
}

/** Boots the default preset and creates a 2-way region across both host bridges; its base HPA. */
async function withRegion(t: ReturnType<typeof setup>, profile: string) {
  expect((await t.run('boot', '--preset', 'default', '--profile', profile)).code).toBe(0);
  const mems = JSON.parse((await t.run('list', '-M')).stdout) as {
    memdev: string;
    serial: number;
  }[];
  const by = (sn: number) => mems.find((x) => x.serial === sn)?.memdev as string;
  const c = await t.run(
    'create-region',
    '-m',
    '-d',
    'decoder0.1',
    '-w',
    '2',
    '-g',
    '4096',
    by(3),
    by(4),
  );
  expect(c.stderr).toContain('created 1 region');
  const r = JSON.parse(c.stdout) as { resource: number; size: number };
  return { base: BigInt(r.resource), size: BigInt(r.size), by };
}

const hx = (v: bigint) => `0x${v.toString(16)}`;

describe('cxlsim mem / translate / reboot', () => {
  it('stores are journaled and read back as a hexdump; translate agrees; data survives reboot', async () => {
    const t = setup();
    const { base, by } = await withRegion(t, 'latest');
    const hpa = base + 0x1ffcn; // straddles the 4 KiB granule: two devices
    expect(await t.run('mem', 'write', hx(hpa), 'de ad be ef 01 02 03 04')).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    const ops = t.state().ops;
    expect(ops[ops.length - 1]).toEqual({
      kind: 'mem-write',
      hpa: hx(hpa),
      data: 'deadbeef01020304',
    });
    const read = await t.run('mem', 'read', hx(hpa - 4n), '16');
    expect(read).toEqual({
      code: 0,
      stdout: `${(hpa - 4n).toString(16).padStart(16, '0')}  00 00 00 00 de ad be ef  01 02 03 04 00 00 00 00  |................|\n`,
      stderr: '',
    });
    for (const [a, want] of [
      [hpa, by(4)], // granule 1: position 1 (the second host bridge)
      [hpa + 4n, by(3)], // granule 2: position 0
    ] as const) {
      const tr = await t.run('translate', hx(a), '--json');
      expect(tr.code).toBe(0);
      const j = JSON.parse(tr.stdout) as {
        agree: boolean;
        hardware: { memdev: string; dpa: string };
        driver: { memdev: string; dpa: string; region: string };
      };
      expect(j.agree).toBe(true);
      expect([j.hardware.memdev, j.driver.memdev]).toEqual([want, want]);
      expect(j.hardware.dpa).toBe(j.driver.dpa);
      const back = await t.run('translate', '--dpa', `${want}:${j.driver.dpa}`);
      expect(back.code).toBe(0);
      expect(back.stdout).toContain(`HPA         ${hx(a)}\n`);
      expect(back.stdout).toMatch(/agree: yes\n$/);
    }
    const rb = await t.run('reboot');
    expect(rb).toMatchObject({ code: 0, stderr: '' });
    expect(rb.stdout).toMatch(/^rebooted: 5 memdevs, 1 region \(region\d+: committed\)\n$/);
    expect(t.state().ops.at(-1)).toEqual({ kind: 'reboot', dyndbg: false });
    expect((await t.run('mem', 'read', hx(hpa - 4n), '16')).stdout).toBe(read.stdout);
    expect((await t.run('translate', hx(hpa))).stdout).toMatch(/agree: yes\n$/);
  });

  it('debian-12: after a reboot the hardware decodes what no region maps: exit 1 with the difference', async () => {
    const t = setup();
    const { base } = await withRegion(t, 'debian-12');
    expect((await t.run('reboot')).stdout).toBe('rebooted: 5 memdevs, no region\n');
    const tr = await t.run('translate', hx(base));
    expect(tr.code).toBe(1);
    expect(tr.stdout).toMatch(
      /agree: NO — the hardware decodes it to mem\d+ DPA 0x0, but no region of the driver maps this HPA\n$/,
    );
  });

  it('undecoded accesses and bad input are one-line errors, and nothing is journaled', async () => {
    const t = setup();
    const { base, size } = await withRegion(t, 'latest');
    const n = t.state().ops.length;
    const end = base + size;
    expect(await t.run('mem', 'read', hx(end - 2n), '4')).toEqual({
      code: 1,
      stdout: '',
      stderr: `EFAULT: HPA ${hx(end)} is not decoded: no committed HDM decoder decodes this address (cxl.0)\n`,
    });
    expect(await t.run('mem', 'write', '0x1000', '00')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'EFAULT: HPA 0x1000 is not decoded: no CXL fixed memory window contains this address (platform)\n',
    });
    expect((await t.run('mem', 'write', hx(base), 'xyz')).stderr).toBe(
      "EINVAL: invalid data 'xyz': expected pairs of hex digits (bytes in address order), e.g. deadbeef\n",
    );
    expect((await t.run('mem', 'read', 'base', '4')).stderr).toBe("EINVAL: invalid HPA 'base'\n");
    expect((await t.run('mem', 'read', hx(base), '0')).stderr).toBe(
      'EINVAL: length must be 1 to 1048576 bytes\n',
    );
    expect((await t.run('translate', '--dpa', 'mem0')).stderr).toBe(
      "EINVAL: invalid --dpa 'mem0': expected memN:DPA, e.g. mem0:0x1000\n",
    );
    expect((await t.run('translate', '--dpa', 'mem9:0')).stderr).toBe('ENODEV: no memdev mem9\n');
    expect(t.state().ops.length).toBe(n);
  });
});
