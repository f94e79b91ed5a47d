/** `cxlsim doctor` from the command line: text and JSON, exit codes, no state written. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { fakeDeps, memIo } from '../cli/fake-deps.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const LINE = `qemu-system-x86_64 -machine q35,cxl=on -m 2G \\
  -object memory-backend-ram,id=m0,size=256M -object memory-backend-ram,id=l0,size=1M \\
  -object memory-backend-ram,id=m1,size=256M -object memory-backend-ram,id=l1,size=1M \\
  -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.0 -device pxb-cxl,bus_nr=22,bus=pcie.0,id=cxl.1 \\
  -device cxl-rp,port=0,bus=cxl.0,id=rp0,chassis=0,slot=2 -device cxl-rp,port=0,bus=cxl.1,id=rp1,chassis=0,slot=3 \\
  -device cxl-type3,bus=rp0,memdev=m0,lsa=l0,id=t0 -device cxl-type3,bus=rp1,memdev=m1,lsa=l1,id=t1 \\
  -M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.targets.1=cxl.1,cxl-fmw.0.size=4G,cxl-fmw.0.interleave-granularity=8k,cxl-fmw.1.targets.0=cxl.0,cxl-fmw.1.size=256M`;

async function run(argv: string[], text = LINE) {
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-doctor-'));
  dirs.push(cwd);
  writeFileSync(join(cwd, 'vm.sh'), text);
  const io = memIo(cwd, {});
  const code = await runCli(argv, io, fakeDeps());
  return { code, out: io.stdout, err: io.stderr, cwd };
}

describe('cxlsim doctor', () => {
  it('per profile: the x2 window needs -g 8192, the hypervisor trap names -cpu, no state', async () => {
    const r = await run(['doctor', '--qemu', 'vm.sh']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('== debian-12 (Linux 6.1, QEMU 7.2, ndctl 76.1)');
    expect(r.out).toContain('== latest (Linux 7.3, QEMU 11.1, ndctl 85)');
    // 6.1 has no cache-invalidation refusal: the regions are listed, with the window's granularity
    expect(r.out).toContain('cxl-fmw.0: cxl create-region -m -d decoder0.0 -w 2 -g 8192 mem');
    expect(r.out).toContain('change: -cpu …,-hypervisor');
    expect(existsSync(join(r.cwd, '.cxlsim'))).toBe(false);
  });

  it('--try predicts in order and says who refused; --json', async () => {
    const r = await run([
      'doctor',
      '--qemu',
      'vm.sh',
      '--profile',
      'debian-12',
      '--json',
      '--try',
      'cxl create-region -m -d decoder0.0 -w 2 -g 4096 mem0 mem1',
      '--try',
      'create-region -m -d decoder0.0 -w 3 mem0 mem1',
    ]);
    const [rep] = JSON.parse(r.out);
    // ndctl's own rule for an x2 root: only the window's granularity
    expect(rep.predictions[0].reason).toMatch(/only root decoder granularity \(8192\) permitted/);
    expect(rep.regions[0].command).toMatch(/-w 2 -g 8192 /);
    expect(
      rep.predictions.map((p: { ok: boolean; refusedBy?: string }) => [p.ok, p.refusedBy]),
    ).toEqual([
      [false, 'ndctl'],
      [false, 'ndctl'],
    ]);
  });

  it('a line QEMU refuses: exit 1, QEMU’s text and the option', async () => {
    const r = await run(
      ['doctor', '--qemu', 'vm.sh', '--profile', 'latest'],
      LINE.replace('cxl-type3,bus=rp0', 'cxl-typ3,bus=rp0'),
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain("'cxl-typ3' is not a valid device model name");
    expect(r.out).toContain('change: -device cxl-typ3,bus=rp0,memdev=m0,lsa=l0,id=t0');
  });
});
