import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INPUT_LIMIT, readBoundedFile, readInputFile } from '../../src/state/input.ts';
import { readState } from '../../src/state/journal.ts';

const dir = mkdtempSync(join(tmpdir(), 'cxlsim-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error a call throws. */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}

describe('bounded input files', () => {
  it('reads a regular file', () => {
    const f = join(dir, 'ok.sh');
    writeFileSync(f, 'qemu-system-x86_64 -M q35\n');
    expect(readBoundedFile(f)).toBe('qemu-system-x86_64 -M q35\n');
  });

  it('refuses /dev/zero, a FIFO and a 150 MB file at once, naming the limit', () => {
    expect(INPUT_LIMIT).toBe(16 * 1024 * 1024);
    expect(thrown(() => readBoundedFile('/dev/zero')).message).toBe(
      'cannot read /dev/zero: not a regular file',
    );
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const t0 = Date.now();
    expect(thrown(() => readInputFile(fifo, 'fifo')).message).toBe(
      'cannot read fifo: not a regular file',
    );
    const big = join(dir, 'big.sh');
    writeFileSync(big, '');
    truncateSync(big, 150_000_000);
    expect(thrown(() => readInputFile(big, 'big.sh')).message).toBe(
      "cannot read big.sh: larger than cxlsim's limit of 16 MiB (150000000 bytes)",
    );
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('keeps strerror and the errno for system errors', () => {
    const e = thrown(() => readInputFile(join(dir, 'nope'), 'nope')) as Error & { code: string };
    expect([e.code, e.message]).toEqual(['ENOENT', 'cannot read nope: No such file or directory']);
    expect(thrown(() => readInputFile(dir, 'd')).message).toBe('cannot read d: Is a directory');
  });
});

describe('reading the state file', () => {
  const state = (name: string, text: string) => {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'state.json'), text);
    return d;
  };

  it('reports corrupt JSON with line and column, never quoting the bytes', () => {
    const d = state('json', '{\n  "format": "cxlsim-state",\n  secret-bytes\n}');
    const m = thrown(() => readState(d)).message;
    expect(m).toBe(
      `state file ${d}/state.json is corrupt (Expected double-quoted property name at line 3, column 3); remove it or use --state`,
    );
    const d2 = state('json2', 'root:x:0:0:root:/root:/bin/bash\n');
    const m2 = thrown(() => readState(d2)).message;
    expect(m2).not.toMatch(/root:/);
    expect(m2).toMatch(/is corrupt \(not valid JSON\)/);
  });

  it('refuses a state file that is a symlink, without reading through it', () => {
    const d = join(dir, 'link');
    mkdirSync(d);
    symlinkSync('/etc/passwd', join(d, 'state.json'));
    expect(thrown(() => readState(d)).message).toBe(
      `cannot read state file ${d}/state.json: it is a symbolic link`,
    );
  });

  const valid = {
    format: 'cxlsim-state',
    version: 1,
    writtenBy: '0.1.0',
    input: { kind: 'preset', name: 'default' },
    profile: { name: 'latest', kernel: '7.3', qemu: '11.1', ndctl: '85' },
    dyndbg: false,
    ops: [] as unknown[],
  };
  it('rejects junk profile fields and out-of-range HPAs as corrupt', () => {
    expect(readState(state('ok', JSON.stringify(valid)))?.profile.kernel).toBe('7.3');
    const cases: [unknown, string][] = [
      [{ ...valid, profile: { ...valid.profile, junk: 1 } }, 'unknown profile field "junk"'],
      [{ ...valid, profile: { ...valid.profile, kernel: '9.9' } }, 'unknown kernel version "9.9"'],
      [
        { ...valid, ops: [{ kind: 'mem-write', hpa: `0x${'f'.repeat(40)}`, data: '00' }] },
        'ops[0]: mem-write hpa is not a 64-bit address',
      ],
      [{ ...valid, ops: [{ kind: 'qmp-nope' }] }, 'ops[0]: unknown operation "qmp-nope"'],
    ];
    for (const [i, [st, why]] of cases.entries()) {
      const d = state(`bad${i}`, JSON.stringify(st));
      expect(thrown(() => readState(d)).message).toBe(
        `state file ${d}/state.json is corrupt (${why}); remove it or use --state`,
      );
    }
    expect(cases.length).toBe(4);
  });
});
