import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { StateError } from '../../src/state/errors.ts';
import {
  type MachineState,
  readState,
  serializeState,
  stateFile,
  writeState,
} from '../../src/state/journal.ts';
import { JOURNAL_OPS } from '../../src/state/ops.ts';

const dir = mkdtempSync(join(tmpdir(), 'cxlsim-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const valid: MachineState = {
  format: 'cxlsim-state',
  version: 1,
  writtenBy: '0.1.0',
  input: { kind: 'preset', name: 'default' },
  profile: { name: 'latest', kernel: '7.3', qemu: '11.1', ndctl: '85' },
  dyndbg: false,
  ops: [
    { kind: 'sysfs-write', path: 'bus/cxl/flush', value: '1\n' },
    { kind: 'mem-write', hpa: '0x210000000', data: 'deadbeef' },
    { kind: 'command', argv: ['create-region'], code: 0, ops: 0 },
    { kind: 'reboot', dyndbg: true },
  ],
};

describe('the journal file', () => {
  it('round-trips through writeState and readState byte for byte', () => {
    const d = join(dir, 'rt');
    mkdirSync(d);
    writeState(d, valid);
    expect(readFileSync(stateFile(d), 'utf8')).toBe(serializeState(valid));
    expect(readState(d)).toEqual(valid);
  });

  it('loads or refuses with one StateError line any JSON put in its place (property)', () => {
    const d = join(dir, 'prop');
    mkdirSync(d);
    // whole random values, and the valid journal with one field replaced by a random value
    const field = fc.constantFrom('format', 'version', 'input', 'profile', 'dyndbg', 'vfio', 'ops');
    const variant = fc.oneof(
      fc.jsonValue(),
      fc.tuple(field, fc.jsonValue()).map(([k, v]) => ({ ...valid, [k]: v })),
      fc
        .tuple(
          fc.nat({ max: 3 }),
          fc.dictionary(
            fc.constantFrom(
              'kind',
              'path',
              'value',
              'hpa',
              'data',
              'argv',
              'dyndbg',
              'fails',
              'id',
            ),
            fc.jsonValue(),
          ),
        )
        .map(([i, op]) => ({
          ...valid,
          ops: valid.ops.map((o, j) => (j === i ? { ...o, ...op } : o)),
        })),
    );
    let loaded = 0;
    let refused = 0;
    fc.assert(
      fc.property(variant, (v) => {
        writeFileSync(stateFile(d), JSON.stringify(v) ?? 'null');
        try {
          const st = readState(d);
          expect(st).toBeDefined();
          // what loads is a state every op of which has a known kind
          for (const op of st?.ops ?? []) expect(Object.hasOwn(JOURNAL_OPS, op.kind)).toBe(true);
          loaded++;
        } catch (e) {
          expect(e).toBeInstanceOf(StateError);
          expect((e as Error).message).toMatch(
            /^state file \S+ is corrupt \([^\n]*\); remove it or use --state$/,
          );
          refused++;
        }
      }),
      { numRuns: 500 },
    );
    expect(loaded + refused).toBe(500);
    expect(refused).toBeGreaterThan(0);
  });
});
