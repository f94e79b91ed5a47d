/**
 * The x86 hypervisor bit: on QEMU's default CPU (CPUID hypervisor set) Linux ≥ 6.2 refuses every
 * region commit with "Failed to synchronize CPU cache state" (-ENXIO), as the minimal-hypervisor
 * captures of the latest and debian-13 stacks show; 6.1 has no such check (the debian-12 captures
 * commit regions on the default CPU). `cxlsim explain` names the cause and both fixes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Explanation } from '../../src/explain/types.ts';
import { parseCpuOption } from '../../src/topology/qemu-cpu.ts';
import { cliRunner } from '../cli/fake-deps.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const LINE = readFileSync(
  join(
    import.meta.dirname,
    '../../sysfs-fixtures/stacks/latest/minimal-hypervisor/host/qemu-cmdline.sh',
  ),
  'utf8',
);

async function session(line: string, profile: string) {
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-explain-hv-'));
  dirs.push(cwd);
  writeFileSync(join(cwd, 'vm.sh'), line);
  const run = cliRunner(cwd);
  expect((await run('boot', '--qemu', 'vm.sh', '--profile', profile)).code).toBe(0);
  return run;
}

const CREATE = ['create-region', '-m', '-d', 'decoder0.0', '-w', '1', 'mem0'];

describe('-cpu: the hypervisor bit', () => {
  it('QEMU sets it on every x86 model unless the last hypervisor flag clears it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('qemu64', 'max', 'host', 'Skylake-Server'),
        fc.array(
          fc.constantFrom(
            '+hypervisor',
            '-hypervisor',
            'hypervisor=on',
            'hypervisor=off',
            '+x2apic',
            'phys-bits=46',
          ),
        ),
        (model, flags) => {
          const cpu = parseCpuOption([model, ...flags].join(','), 'q35');
          const last = flags.filter((f) => f.includes('hypervisor')).pop();
          const want =
            last === undefined ? true : last === '+hypervisor' || last === 'hypervisor=on';
          expect(cpu.model).toBe(model);
          expect(cpu.hypervisor).toBe(want);
        },
      ),
    );
    expect(parseCpuOption(undefined, 'q35')).toMatchObject({ model: 'qemu64', hypervisor: true });
    expect(parseCpuOption('max,-hypervisor', 'virt').hypervisor).toBe(false);
  });
});

describe('explain: the hypervisor-bit refusal', () => {
  it.each(['latest', 'debian-13'])(
    '%s refuses the commit on the default CPU; explain names the cause and both fixes',
    async (profile) => {
      const run = await session(LINE, profile);
      const c = await run(...CREATE);
      expect(c.code).toBe(1);
      expect(c.stderr).toContain('region0: failed to commit decode: No such device or address');
      const d = await run('dmesg');
      expect(d.stdout).toContain('cxl region0: Failed to synchronize CPU cache state');
      const e = JSON.parse((await run('explain', '--json')).stdout) as Explanation;
      expect(e.ok).toBe(false);
      expect(e.failure?.errno).toBe('ENXIO');
      const failed = e.checks.find((x) => x.status === 'failed');
      expect(failed?.id).toBe('commit');
      expect(failed?.detail).toMatch(/CPUID hypervisor bit/);
      const q = e.fixes.find((x) => x.qemu !== undefined);
      expect(q?.verified).toBe(true);
      expect(q?.qemu).toContain('-cpu qemu64,-hypervisor');
      expect(e.fixes.some((x) => /CONFIG_CXL_REGION_INVALIDATION_TEST/.test(x.description))).toBe(
        true,
      );
    },
  );

  it('debian-12 (Linux 6.1) has no such check: the region commits on the default CPU', async () => {
    const run = await session(LINE, 'debian-12');
    const c = await run(...CREATE);
    expect(c.stderr).toContain('created 1 region');
  });

  it('with -cpu qemu64,-hypervisor the latest kernel commits', async () => {
    const run = await session(
      LINE.replace('-accel tcg', '-accel tcg -cpu qemu64,-hypervisor'),
      'latest',
    );
    const c = await run(...CREATE);
    expect(c.code).toBe(0);
    expect(c.stderr).toContain('created 1 region');
  });
});
