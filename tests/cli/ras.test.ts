/**
 * The "Done when" flows through the whole CLI (in-process, scratch state directory):
 * `cxlsim qmp cxl-inject-poison` on cxl-pmem1 → `cxlsim list -L` shows the record →
 * `cxlsim trace` shows the kernel's cxl_poison line → clearing it removes it; QMP errors are
 * QEMU's replies; a sanitize of a memdev with an active region is refused with EBUSY while one
 * without a committed decoder succeeds; journaled QMP commands replay on the next invocation.
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
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-ras-'));
  dirs.push(cwd);
  const run = cliRunner(cwd);
  const state = () =>
    JSON.parse(readFileSync(join(cwd, '.cxlsim/state.json'), 'utf8')) as MachineState;
  return { run, state };
}

const PMEM1 = '/machine/peripheral/cxl-pmem1';

/** The memdev whose serial is 1 (QEMU's cxl-pmem1, sn=1). */
async function pmem1(t: ReturnType<typeof setup>): Promise<string> {
  const mems = JSON.parse((await t.run('list', '-M')).stdout) as {
    memdev: string;
    serial: number;
  }[];
  return mems.find((m) => m.serial === 1)?.memdev as string;
}

describe('poison: inject over QMP, list -L, trace, clear', () => {
  it('walks the Done-when flow on the default preset (latest profile)', async () => {
    const t = setup();
    expect((await t.run('boot', '--preset', 'default')).code).toBe(0);
    const mem = await pmem1(t);
    const q = await t.run(
      'qmp',
      'cxl-inject-poison',
      JSON.stringify({ path: PMEM1, start: 4096, length: 64 }),
    );
    expect(q).toMatchObject({ code: 0, stdout: '{"return":{}}\n' });
    expect(t.state().ops.at(-1)).toMatchObject({ kind: 'qmp', command: 'cxl-inject-poison' });

    const l = await t.run('list', '-L', '-m', mem);
    expect(l.code).toBe(0);
    expect(l.stderr).toBe('');
    const [md] = JSON.parse(l.stdout) as { media_errors: unknown[] }[];
    expect(md?.media_errors).toEqual([{ offset: 4096, length: 64, source: 'Internal' }]);

    const tr = (await t.run('trace')).stdout.trim().split('\n');
    expect(tr).toHaveLength(1);
    expect(tr[0]).toMatch(
      new RegExp(
        `: cxl_poison: memdev=${mem} host=\\S+ serial=1 trace_type=List region= region_uuid=00000000-0000-0000-0000-000000000000 hpa=0xffffffffffffffff dpa=0x1000 dpa_length=0x40 source=Internal flags= overflow_time=0$`,
      ),
    );

    const c = await t.run('sysfs', 'write', `/sys/kernel/debug/cxl/${mem}/clear_poison`, '0x1000');
    expect(c.code).toBe(0);
    const after = JSON.parse((await t.run('list', '-L', '-m', mem)).stdout) as object[];
    expect(after[0]).not.toHaveProperty('media_errors');
    const tr2 = (await t.run('trace')).stdout.trim().split('\n');
    expect(tr2.at(-1)).toContain(`cxl_poison: memdev=${mem} `);
    expect(tr2.at(-1)).toContain('trace_type=Clear');
  });

  it("QMP errors are QEMU's replies (exit 1) and are not journaled", async () => {
    const t = setup();
    await t.run('boot', '--preset', 'default');
    const n = t.state().ops.length;
    const cases: [string, object, string][] = [
      [
        'cxl-inject-poison',
        { path: '/machine/peripheral/nope', start: 0, length: 64 },
        'Unable to resolve path',
      ],
      ['cxl-inject-poison', { path: PMEM1, start: 0 }, "Parameter 'length' is missing"],
      [
        'cxl-inject-poison',
        { path: PMEM1, start: 32, length: 64 },
        'Poison start address must be 64 byte aligned',
      ],
      [
        'cxl-inject-poison',
        { path: PMEM1, start: 0, length: 64, x: 1 },
        "Parameter 'x' is unexpected",
      ],
      [
        'cxl-inject-dram-event',
        {
          path: PMEM1,
          log: 'bogus',
          flags: 0,
          dpa: 0,
          descriptor: 0,
          type: 0,
          'transaction-type': 0,
        },
        "Parameter 'log' does not accept value 'bogus'",
      ],
      [
        'cxl-inject-correctable-error',
        { path: PMEM1, type: 'mem-data-ecc', extra: 1 },
        "Parameter 'extra' is unexpected",
      ],
    ];
    for (const [cmd, args, desc] of cases) {
      const r = await t.run('qmp', cmd, JSON.stringify(args));
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toEqual({ error: { class: 'GenericError', desc } });
    }
    const nf = await t.run('qmp', 'cxl-nope', '{}');
    expect(JSON.parse(nf.stdout)).toEqual({
      error: { class: 'CommandNotFound', desc: 'The command cxl-nope has not been found' },
    });
    expect(t.state().ops.length).toBe(n);
  });

  it('QEMU 7.2 has no CXL injection command (qapi/cxl.json: since 8.0 / 8.1)', async () => {
    const t = setup();
    await t.run('boot', '--preset', 'default', '--profile', 'debian-12');
    const r = await t.run(
      'qmp',
      'cxl-inject-poison',
      JSON.stringify({ path: PMEM1, start: 0, length: 64 }),
    );
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { class: 'CommandNotFound', desc: 'The command cxl-inject-poison has not been found' },
    });
  });

  it('an injected general media event reaches the kernel through the event interrupt', async () => {
    const t = setup();
    await t.run('boot', '--preset', 'default');
    const mem = await pmem1(t);
    const r = await t.run(
      'qmp',
      'cxl-inject-general-media-event',
      JSON.stringify({
        path: PMEM1,
        log: 'failure',
        flags: 1,
        dpa: 0x1000,
        descriptor: 1,
        type: 0,
        'transaction-type': 1,
        channel: 2,
      }),
    );
    expect(r.code).toBe(0);
    const tr = (await t.run('trace')).stdout;
    expect(tr).toContain(`cxl_general_media: memdev=${mem} host=`);
    expect(tr).toMatch(
      /log=Failure : time=\d+ uuid=fbcd0a77-c260-417f-85a9-088b1621eba6 len=128 flags='0x1' handle=1 /,
    );
    expect(tr).toContain("dpa=1000 dpa_flags='' descriptor='UNCORRECTABLE_EVENT' type='ECC Error'");
    expect(tr).toContain(
      "transaction_type='Host Read' channel=2 rank=0 device=0 validity_flags='CHANNEL'",
    );
  });
});

describe('sanitize', () => {
  it('is refused with EBUSY on a memdev with an active region, done on an idle one', async () => {
    const t = setup();
    await t.run('boot', '--preset', 'default');
    const mem = await pmem1(t);
    const c = await t.run('create-region', '-d', 'decoder0.0', '-w', '1', '-m', mem);
    expect(c.code).toBe(0);
    const busy = await t.run(
      'sysfs',
      'write',
      `/sys/bus/cxl/devices/${mem}/security/sanitize`,
      '1',
    );
    expect(busy.code).not.toBe(0);
    expect(busy.stderr).toContain('Device or resource busy');
    const mems = JSON.parse((await t.run('list', '-M')).stdout) as { memdev: string }[];
    const idle = mems.map((m) => m.memdev).find((m) => m !== mem) as string;
    const ok = await t.run('sysfs', 'write', `/sys/bus/cxl/devices/${idle}/security/sanitize`, '1');
    expect(ok.code).toBe(0);
    expect(
      (await t.run('sysfs', 'cat', `/sys/bus/cxl/devices/${idle}/security/state`)).stdout,
    ).toBe('disabled\n');
    // the one-shot write let the sanitize end before it exited: nothing left to wait for
    const w = await t.run('wait-sanitize', idle);
    expect(w).toMatchObject({
      code: 0,
      stderr: 'cxl memdev: cmd_wait_sanitize: wait sanitize completed on 1 mem device\n',
    });
  });
});
