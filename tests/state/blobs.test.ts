/**
 * Large journaled values (firmware images written through the live mount) are kept in
 * blobs/ beside state.json (src/state/blobs.ts): the journal stays readable past 16 MiB of
 * written data, a blob is checked against its name, and unneeded blobs go.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BLOB_DIR, BLOB_MIN } from '../../src/state/blobs.ts';
import { StateError } from '../../src/state/errors.ts';
import { INPUT_LIMIT } from '../../src/state/input.ts';
import { type MachineState, readState, stateFile, writeState } from '../../src/state/journal.ts';

const root = mkdtempSync(join(tmpdir(), 'cxlsim-blobs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = join(root, `s${n++}`);
  return d;
};

/** A firmware-image-like value: every byte value 0-255, `len` characters, seeded. */
function image(len: number, seed: number): string {
  let x = seed >>> 0 || 1;
  let s = '';
  const parts: string[] = [];
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    s += String.fromCharCode((x >>> 0) & 0xff);
    if (s.length === 4096) {
      parts.push(s);
      s = '';
    }
  }
  parts.push(s);
  return parts.join('');
}

const DATA = 'devices/pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem0/firmware/mem0/data';

function state(values: string[]): MachineState {
  return {
    format: 'cxlsim-state',
    version: 1,
    writtenBy: '0.1.0',
    input: { kind: 'preset', name: 'default' },
    profile: { name: 'latest', kernel: '7.3', qemu: '11.1', ndctl: '85' },
    dyndbg: false,
    ops: [
      { kind: 'sysfs-write', path: 'bus/cxl/flush', value: '1\n' },
      ...values.map((value) => ({ kind: 'sysfs-write' as const, path: DATA, value })),
    ],
  };
}

describe('large journaled values live in blobs/', () => {
  it('a value of BLOB_MIN characters or more is not in state.json and reads back exactly', () => {
    const d = fresh();
    const st = state([image(BLOB_MIN, 1), image(BLOB_MIN - 1, 2)]);
    writeState(d, st);
    const text = readFileSync(stateFile(d), 'utf8');
    const j = JSON.parse(text) as { ops: Record<string, unknown>[] };
    expect(j.ops[1]?.valueBlob).toMatch(/^[0-9a-f]{64}$/);
    expect(j.ops[1]?.value).toBeUndefined();
    expect(j.ops[2]?.value).toBe(st.ops[2] && 'value' in st.ops[2] ? st.ops[2].value : '');
    expect(readdirSync(join(d, BLOB_DIR))).toEqual([j.ops[1]?.valueBlob]);
    expect(readState(d)).toEqual(st);
  });

  it('more written data than a state file may hold (16 MiB) still reads back', () => {
    const d = fresh();
    const values = Array.from({ length: 18 }, (_, i) => image(1 << 20, i + 7));
    const st = state(values);
    writeState(d, st);
    expect(statSync(stateFile(d)).size).toBeLessThan(64 * 1024);
    const total = values.reduce((a, v) => a + Buffer.byteLength(v), 0);
    expect(total).toBeGreaterThan(INPUT_LIMIT);
    expect(readState(d)).toEqual(st);
  });

  it('a blob altered or missing makes the state corrupt, in one line that quotes no bytes', () => {
    const d = fresh();
    writeState(d, state([image(BLOB_MIN * 2, 3)]));
    const [blob] = readdirSync(join(d, BLOB_DIR));
    const file = join(d, BLOB_DIR, blob as string);
    writeFileSync(file, 'SECRET-BYTES');
    let err: unknown;
    try {
      readState(d);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateError);
    const msg = (err as Error).message;
    expect(msg).toContain('does not match its name');
    expect(msg).not.toContain('SECRET');
    expect(msg.split('\n')).toHaveLength(1);
    rmSync(file);
    expect(() => readState(d)).toThrow(/ops\[1\]: cannot read state blob/);
  });

  it('blobs the journal no longer names are removed when it is written', () => {
    const d = fresh();
    writeState(d, state([image(BLOB_MIN, 4), image(BLOB_MIN, 5)]));
    expect(readdirSync(join(d, BLOB_DIR))).toHaveLength(2);
    writeState(d, state([image(BLOB_MIN, 5)]));
    expect(readdirSync(join(d, BLOB_DIR))).toHaveLength(1);
    writeState(d, state([]));
    expect(readdirSync(join(d, BLOB_DIR))).toHaveLength(0);
  });
});
