/**
 * Faults of the state file are reported as the state file's, in one line, and leave it alone
 * (issue 15): a stored input that no longer boots, an operation that no longer replays, a
 * newer format version.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { memIo } from './fake-deps.ts';

const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-faults-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const base = {
  format: 'cxlsim-state',
  version: 1,
  writtenBy: '0.1.0',
  input: { kind: 'preset', name: 'default' },
  profile: { name: 'latest', kernel: '7.3', qemu: '11.1', ndctl: '85' },
  dyndbg: false,
  ops: [] as unknown[],
};

async function listOn(name: string, state: unknown) {
  const dir = join(cwd, name);
  mkdirSync(dir);
  const text = JSON.stringify(state);
  writeFileSync(join(dir, 'state.json'), text);
  const io = memIo(cwd);
  const code = await runCli(['--state', name, 'list', '-B'], io);
  expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(text);
  return { code, stdout: io.stdout, stderr: io.stderr, file: join(dir, 'state.json') };
}

describe('a state file at fault', () => {
  it('names the state file when its stored input no longer boots', async () => {
    const r = await listOn('input', {
      ...base,
      input: {
        kind: 'qemu',
        text: 'qemu-system-x86_64 -M q35,cxl=on -device cxl-typ3',
        path: 'vm.sh',
      },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^cxlsim: state file ${r.file} cannot be booted \\(EINVAL: [^\\n]+\\); remove it or use --state\\n$`,
      ),
    );
  });

  it('names the state file and the operation that no longer replays', async () => {
    const r = await listOn('replay', {
      ...base,
      ops: [{ kind: 'sysfs-write', path: 'bus/cxl/flush', value: '1\n', fails: 'EINVAL' }],
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `cxlsim: state file ${r.file} cannot be replayed (operation 1, sysfs write '1' > /sys/bus/cxl/flush, failed: EINVAL: succeeded, but was journaled as failing with EINVAL); remove it or use --state\n`,
    );
  });

  it('refuses a newer format version', async () => {
    const r = await listOn('newer', { ...base, version: 2 });
    expect(r.stderr).toBe(
      `cxlsim: state file ${r.file} is corrupt (format version 2 is newer than this cxlsim's 1); remove it or use --state\n`,
    );
  });
});
