/**
 * `cxlsim explain` says who refused (ndctl's own validation vs a sysfs write the kernel
 * refused) and proposes fixes on both sides: ndctl's (`-g` = the x2 window's granularity, the
 * kernel's position order) verified on a copy, and QEMU's (an edited command line — a bigger
 * window — verified by booting it and running the same command).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Explanation } from '../../src/explain/types.ts';
import { cliRunner } from '../cli/fake-deps.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const DEVS = `-object memory-backend-ram,id=m0,size=256M -object memory-backend-ram,id=l0,size=1M \\
  -object memory-backend-ram,id=m1,size=256M -object memory-backend-ram,id=l1,size=1M \\
  -device cxl-type3,bus=rp0,memdev=m0,lsa=l0,id=t0 -device cxl-type3,bus=rp1,memdev=m1,lsa=l1,id=t1`;
/** Two host bridges, one type-3 each, an x2 window at 8 KiB. */
const X2 = `qemu-system-x86_64 -machine q35,cxl=on -m 2G -cpu qemu64,-hypervisor \\
  -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.0 -device pxb-cxl,bus_nr=22,bus=pcie.0,id=cxl.1 \\
  -device cxl-rp,port=0,bus=cxl.0,id=rp0,chassis=0,slot=2 -device cxl-rp,port=0,bus=cxl.1,id=rp1,chassis=0,slot=3 \\
  ${DEVS} \\
  -M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.targets.1=cxl.1,cxl-fmw.0.size=4G,cxl-fmw.0.interleave-granularity=8k
`;
/** One host bridge, two root ports, a 256 MiB window: too small for two ways. */
const SMALL = `qemu-system-x86_64 -machine q35,cxl=on -m 2G -cpu qemu64,-hypervisor \\
  -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.0 \\
  -device cxl-rp,port=0,bus=cxl.0,id=rp0,chassis=0,slot=2 -device cxl-rp,port=1,bus=cxl.0,id=rp1,chassis=0,slot=3 \\
  ${DEVS} \\
  -M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=256M
`;

async function session(line: string, profile: string) {
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-explain-q-'));
  dirs.push(cwd);
  writeFileSync(join(cwd, 'vm.sh'), line);
  const run = cliRunner(cwd);
  expect((await run('boot', '--qemu', 'vm.sh', '--profile', profile)).code).toBe(0);
  return run;
}

describe('explain: who refused, and fixes on both sides', () => {
  it.each(['debian-12', 'latest'])(
    'x2 window, -g 4096 (%s): ndctl refuses; fix -g 8192 in position order, verified',
    async (profile) => {
      const run = await session(X2, profile);
      const c = await run(
        'create-region',
        '-m',
        '-d',
        'decoder0.0',
        '-w',
        '2',
        '-g',
        '4096',
        'mem0',
        'mem1',
      );
      expect(c.stderr).toMatch(/only root decoder granularity \(8192\) permitted/);
      const e = JSON.parse((await run('explain', '--json')).stdout) as Explanation;
      expect(e.failure?.by).toBe('ndctl');
      expect(e.summary).toMatch(/fails at "granularity" on decoder0\.0 \(refused by ndctl\)/);
      const f = e.fixes.find((x) => x.verified && x.commands.some((k) => k.includes('-g 8192')));
      expect(f).toBeDefined();
      // applying it works
      const argv = (f?.commands[0] ?? '').split(/\s+/).slice(1);
      const ok = await run(...argv);
      expect(ok.stderr).toMatch(/created 1 region/);
    },
  );

  it('a refused write is the kernel’s', async () => {
    const run = await session(X2, 'latest');
    // at the right granularity one of the two orders is the wrong position order: the kernel
    // refuses a target write for it
    const c1 = await run(
      'create-region',
      '-m',
      '-d',
      'decoder0.0',
      '-w',
      '2',
      '-g',
      '8192',
      'mem0',
      'mem1',
    );
    if (/created 1 region/.test(c1.stderr)) {
      await run('destroy-region', '-f', 'all');
      const c2 = await run(
        'create-region',
        '-m',
        '-d',
        'decoder0.0',
        '-w',
        '2',
        '-g',
        '8192',
        'mem1',
        'mem0',
      );
      expect(c2.stderr).not.toMatch(/created 1 region/);
    }
    const e = JSON.parse((await run('explain', '--json')).stdout) as Explanation;
    expect(e.ok).toBe(false);
    expect(e.failure?.by).toBe('kernel');
    expect(e.failure?.write?.path).toMatch(/target\d$/);
    expect(e.summary).toContain('(refused by the kernel)');
  });

  it('window too small: the edited QEMU line (cxl-fmw.0.size=512M) boots and the command succeeds', async () => {
    const run = await session(SMALL, 'latest');
    await run('create-region', '-m', '-d', 'decoder0.0', '-w', '2', '-g', '4096', 'mem0', 'mem1');
    const e = JSON.parse((await run('explain', '--json')).stdout) as Explanation;
    expect(e.failure?.by).toBe('ndctl');
    const q = e.fixes.find((x) => x.qemu !== undefined);
    expect(q?.verified).toBe(true);
    expect(q?.description).toMatch(/cxl-fmw\.0\.size=512M \(was 256M\)/);
    expect(q?.qemu).toContain('cxl-fmw.0.size=512M');
    // boot the edited line ourselves: the same command creates the region
    const run2 = await session(q?.qemu ?? '', 'latest');
    const r = await run2(
      'create-region',
      '-m',
      '-d',
      'decoder0.0',
      '-w',
      '2',
      '-g',
      '4096',
      'mem0',
      'mem1',
    );
    expect(r.stderr).toMatch(/created 1 region/);
    const text = (await run('explain')).stdout;
    expect(text).toContain('(verified by booting the edited line)');
    expect(text).toContain('edited QEMU line:');
  });
});
