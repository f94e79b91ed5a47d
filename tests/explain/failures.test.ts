/**
 * `cxlsim explain` on the `failures` capture's steps (default topology, debian-12, dynamic
 * debug), through the whole CLI: each step's command (device names translated through the
 * canon identities) or sysw script is run, then `explain --json` must name the failing check
 * — with the errno the capture shows and, for kernel refusals, the capture's own dmesg line —
 * and offer a verified fix which, applied with the CLI to the same machine, succeeds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Explanation } from '../../src/explain/types.ts';
import { cliRunner } from '../cli/fake-deps.ts';
import { bootDefault, captureLog, fixture, NameMap, syswLines } from '../drivers/region/helpers.ts';

const names = new NameMap(fixture('failures/00-boot/sysfs.txt'), bootDefault('debian-12', true));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh CLI state with the capture's machine booted. */
async function machine() {
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-explain-'));
  dirs.push(cwd);
  const run = cliRunner(cwd);
  expect(
    (await run('boot', '--preset', 'default', '--profile', 'debian-12', '--dyndbg')).code,
  ).toBe(0);
  return run;
}
type Run = Awaited<ReturnType<typeof machine>>;

/** The step's `cxl …` command in our names, as cxlsim argv. */
function stepArgv(step: string): string[] {
  const cmd = names.ours(fixture('failures', step, 'step/cmd.txt').trim());
  return cmd.replace(/^cxl\s+/, '').split(/\s+/);
}

/** The step's dmesg lines (our names, no level / timestamp). */
const stepLog = (step: string) =>
  captureLog(names.ours(fixture('failures', step, 'step/dmesg-raw.txt'))).map((l) =>
    l.replace(/^<\d>/, ''),
  );

async function explainJson(run: Run, ...target: string[]): Promise<Explanation> {
  const r = await run('explain', ...target, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Explanation;
}

/** The failed check; asserts there is exactly one. */
function failed(e: Explanation) {
  const f = e.checks.filter((c) => c.status === 'failed');
  expect(f.length, e.summary).toBe(1);
  return f[0] as Explanation['checks'][number];
}

/** Applies the first fix with the CLI; returns the last command's result. */
async function applyFirstFix(run: Run, e: Explanation) {
  const fix = e.fixes[0];
  expect(fix?.verified, JSON.stringify(e.fixes)).toBe(true);
  let last = { code: -1, stdout: '', stderr: '' };
  for (const c of fix?.commands ?? []) last = await run(...c.split(' ').slice(1));
  return last;
}

describe('explain the failures capture (debian-12)', () => {
  const ndctlSteps: [string, string, string | undefined, string[]][] = [
    // step, failing check, errno of the refused write (if any), setup steps
    ['f01-size-larger-than-window', 'hpa', undefined, []],
    ['f03-memdev-not-below-decoder', 'memdev-in-window', undefined, []],
    ['f05-granularity-invalid', 'granularity', 'EINVAL', []],
    ['f07-1way-in-2way-window', 'ways', 'EINVAL', []],
    ['f09-same-memdev-twice', 'memdevs', undefined, []],
    ['f11-4way-wrong-order', 'position', 'ENXIO', []],
    ['f15b-second-region-needs-busy-hb-decoder', 'port-decoder', 'EBUSY', ['f15a-region-hb0']],
    ['f15c-endpoint-already-in-region', 'free-endpoint-decoder', undefined, ['f15a-region-hb0']],
    ['f16-no-decoder-given', 'root-given', undefined, []],
  ];
  for (const [step, id, errno, setup] of ndctlSteps) {
    it(`${step}: names "${id}" and a fix that works`, async () => {
      const run = await machine();
      for (const s of setup)
        expect((await run(...stepArgv(s))).stderr).toContain('created 1 region');
      const r = await run(...stepArgv(step));
      expect(r.stderr).toBe(names.ours(fixture('failures', step, 'step/stderr.txt')));
      const e = await explainJson(run);
      expect(e.ok).toBe(false);
      const f = failed(e);
      expect(f.id).toBe(id);
      if (errno) {
        expect(f.errno).toBe(errno);
        expect(e.failure?.errno).toBe(errno);
      }
      // the kernel line that names the check is the capture's last line of the step
      const N = (l: string) => l.replace(/region\d+/g, 'regionN');
      const last = stepLog(step)
        .filter((l) => !/ probe: -?\d+$|config state: \d+$|: created region\d+$/.test(l))
        .pop();
      if (last) {
        expect(e.failure?.kernel.map((k) => N(k.replace(/^<\d>/, '')))).toContain(N(last));
        expect(N(f.message ?? '')).toBe(N(last));
      }
      if (!errno) expect(e.failure?.tool.join('\n')).toContain(f.message ?? '?');
      const applied = await applyFirstFix(run, e);
      expect(applied.stderr).toContain('created 1 region');
    });
  }

  it('f13 (accepted by the kernel): explain region0 shows every check passing', async () => {
    const run = await machine();
    const r = await run(...stepArgv('f13-switch-granularity-256'));
    const region = (JSON.parse(r.stdout) as { region: string }).region;
    const e = await explainJson(run, region);
    expect(e.ok).toBe(true);
    expect(e.checks.every((c) => c.status === 'ok')).toBe(true);
    expect(e.checks.filter((c) => c.id === 'port-decoder').map((c) => c.device).length).toBe(4);
  });

  const rawSteps: [string, string, string, string][] = [
    // step, failing check, errno, the attribute of the last refused write
    ['r01-region-size-larger-than-window', 'hpa', 'EINVAL', 'size'],
    ['r03-granularity-rules-xhb', 'granularity', 'EINVAL', 'interleave_granularity'],
    ['r05-endpoint-decoder-dpa-rules', 'dpa', 'ENOSPC', 'dpa_size'],
  ];
  for (const [step, id, errno, attr] of rawSteps) {
    it(`${step}: the last refused write names "${id}" and a value that works`, async () => {
      const run = await machine();
      // r05's decoder was used by f15a's pmem region before: its mode stayed pmem (the residue
      // the kernel leaves), which its first dpa_size write relies on
      if (step.startsWith('r05')) {
        const dec = syswLines(
          names.ours(fixture('failures', step, 'step/stdout.txt')),
        )[0]?.path.replace(/dpa_size$/, 'mode');
        expect((await run('sysfs', 'write', `/sys/${dec}`, 'pmem')).code).toBe(0);
      }
      const lines = syswLines(names.ours(fixture('failures', step, 'step/stdout.txt')));
      const lastFail = lines.map((l) => l.want).lastIndexOf(errno as never);
      let region: string | undefined;
      for (const l of lines.slice(0, lastFail + 1)) {
        let path = l.path;
        let value = l.value;
        if (path.endsWith('/create_pmem_region')) {
          region = (await run('sysfs', 'cat', `/sys/${path}`)).stdout.trim();
          value = region;
        }
        if (region) path = path.replace(/region\d+/, region);
        const w = await run('sysfs', 'write', `/sys/${path}`, value);
        expect(w.code === 0 ? 'ok' : 'refused', `${path} ${value}: ${w.stderr}`).toBe(
          l.want === 'ok' ? 'ok' : 'refused',
        );
      }
      const e = await explainJson(run);
      const f = failed(e);
      expect([f.id, f.errno]).toEqual([id, errno]);
      expect(e.failure?.write?.path.endsWith(`/${attr}`)).toBe(true);
      const applied = await applyFirstFix(run, e);
      expect(applied).toEqual({ code: 0, stdout: '', stderr: '' });
    });
  }
});
