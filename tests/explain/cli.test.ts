/**
 * `cxlsim explain` as a command: a what-if (`explain create-region ARGS…`) explains exactly
 * what running the command would then explain, without changing the machine or the journal;
 * the text form marks the failing check with its errno and the kernel's message; a device name
 * selects the last attempt that involved it; with nothing to explain it is a one-line ENOENT.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Explanation } from '../../src/explain/types.ts';
import { cliRunner } from '../cli/fake-deps.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function machine() {
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-explain-cli-'));
  dirs.push(cwd);
  const run = cliRunner(cwd);
  expect((await run('boot', '--preset', 'default', '--profile', 'debian-12')).code).toBe(0);
  const journal = () => readFileSync(join(cwd, '.cxlsim/state.json'), 'utf8');
  return { run, journal };
}

/** Memdev names by serial (the capture's sn=). */
async function bySerial(run: Awaited<ReturnType<typeof machine>>['run']) {
  const l = JSON.parse((await run('list', '-M')).stdout) as { memdev: string; serial: number }[];
  return (sn: number) => l.find((x) => x.serial === sn)?.memdev as string;
}

describe('cxlsim explain', () => {
  it('a what-if explains what the command would fail on, and changes nothing', async () => {
    const { run, journal } = await machine();
    const sn = await bySerial(run);
    // 4 ways in the 2-way window, host bridges out of order (f11's mistake)
    const args = [
      'create-region',
      '-m',
      '-d',
      'decoder0.1',
      '-w',
      '4',
      '-g',
      '4096',
      sn(1),
      sn(2),
      sn(4),
      sn(5),
    ];
    const before = journal();
    const what = JSON.parse((await run('explain', '--json', ...args)).stdout) as Explanation;
    expect(journal()).toBe(before);
    expect((await run(...args)).stderr).toContain('created 0 regions');
    const after = JSON.parse((await run('explain', '--json')).stdout) as Explanation;
    expect(after).toEqual(what);
    const f = what.checks.find((c) => c.status === 'failed');
    expect(f).toMatchObject({ id: 'position', errno: 'ENXIO', position: 1, device: sn(2) });
    expect(what.fixes[0]?.commands).toEqual([
      `cxlsim create-region -m -d decoder0.1 -w 4 -g 4096 ${[sn(1), sn(4), sn(2), sn(5)].join(' ')}`,
    ]);
    const text = (await run('explain')).stdout;
    expect(text).toContain(`  ✗ host-bridge ${sn(2)} [1]`);
    expect(text).toContain(`      ENXIO: ${f?.message}\n`);
    expect(text).toMatch(
      /^what would work:\n {2}1\. in interleave position order for decoder0\.1: .* \(verified on a copy of the machine\)$/m,
    );
  });

  it('a device name picks the last attempt that involved it', async () => {
    const { run } = await machine();
    const sn = await bySerial(run);
    await run('create-region', '-m', '-d', 'decoder0.0', '-w', '1', '-s', '8G', sn(2));
    await run('create-region', '-m', '-d', 'decoder0.2', '-w', '1', sn(4));
    await run('create-region', '-m', '-d', 'decoder0.1', '-w', '1', sn(3));
    const e = JSON.parse((await run('explain', '--json', sn(2))).stdout) as Explanation;
    expect(e.subject).toContain(' -s 8G ');
    expect(e.checks.find((c) => c.status === 'failed')?.id).toBe('hpa');
    const ok = JSON.parse((await run('explain', '--json', sn(4))).stdout) as Explanation;
    expect(ok.ok).toBe(true);
  });

  it('nothing to explain: one line, exit 1', async () => {
    const { run } = await machine();
    expect(await run('explain')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'ENOENT: no failed command or write since boot (give a region, a device, or create-region ARGS…)\n',
    });
    expect((await run('explain', 'region7')).stderr).toBe(
      'ENOENT: nothing recorded about region7: no region of that name, and no command or write named it\n',
    );
  });
});
