/**
 * `cxlsim monitor` (ndctl's cxl monitor through tracefs's raw buffer, cxl/monitor.c +
 * util/event_trace.c): after a QMP poison injection and a poison-list trigger, and a QMP
 * general media event, the monitor logs one JSON object per cxl event — "system", "event",
 * "timestamp", then the format's fields in order (strings, numbers, uuid_t as text, arrays
 * as numbers) — on stderr (log_standard(): notice is not LOG_INFO), plain, or pretty with -u;
 * to a file with -l; ndctl's option errors.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { cxlQmp } from '../../src/hw/qmp/cxl.ts';
import { kernelTrace } from '../../src/kernel/trace.ts';
import { cxlCommand } from '../../src/ndctl/index.ts';
import { resolveProfile } from '../../src/profile.ts';
import { getPreset } from '../../src/topology/presets/index.ts';
import { cliRunner } from './fake-deps.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const PMEM1 = '/machine/peripheral/cxl-pmem1';

async function setup(profile: string) {
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-monitor-'));
  dirs.push(cwd);
  const run = cliRunner(cwd);
  expect((await run('boot', '--preset', 'default', '--profile', profile)).code).toBe(0);
  const mems = JSON.parse((await run('list', '-M')).stdout) as { memdev: string; serial: number }[];
  const mem = mems.find((m) => m.serial === 1)?.memdev as string;
  return { cwd, run, mem };
}

describe('cxlsim monitor', () => {
  it('prints the poison list and general media events as JSON lines (latest: 7.3 layouts)', async () => {
    const { run, mem } = await setup('latest');
    expect((await run('monitor')).stderr).toBe('');
    const q = await run(
      'qmp',
      'cxl-inject-poison',
      JSON.stringify({ path: PMEM1, start: 4096, length: 64 }),
    );
    expect(q.code).toBe(0);
    expect((await run('list', '-L', '-m', mem)).code).toBe(0);
    const g = await run(
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
    expect(g.code).toBe(0);
    const r = await run('monitor');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    const [poison, gm] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatch(
      /^\{"system":"cxl","event":"cxl_poison","timestamp":\d+,"memdev":"mem\d","host":/,
    );
    expect(Object.keys(poison as object)).toEqual([
      'system',
      'event',
      'timestamp',
      'memdev',
      'host',
      'serial',
      'trace_type',
      'region',
      'overflow_ts',
      'hpa',
      'dpa',
      'dpa_length',
      'uuid',
      'source',
      'flags',
    ]);
    expect(poison).toMatchObject({
      memdev: mem,
      serial: 1,
      trace_type: 0,
      region: '',
      overflow_ts: 0,
      dpa: 4096,
      dpa_length: 64,
      uuid: new Array(16).fill(0),
      source: 2,
      flags: 0,
    });
    // u64 fields are json-c uint64s: ULLONG_MAX prints in full
    expect(lines[0]).toContain('"hpa":18446744073709551615,');
    expect(gm).toMatchObject({
      event: 'cxl_general_media',
      memdev: mem,
      log: 2,
      hdr_uuid: 'fbcd0a77-c260-417f-85a9-088b1621eba6',
      hdr_flags: 1,
      hdr_length: 128,
      dpa: 4096,
      descriptor: 1,
      transaction_type: 1,
      channel: 2,
      validity_flags: 1,
      comp_id: new Array(16).fill(0),
      region_name: '',
      region_uuid: '00000000-0000-0000-0000-000000000000',
    });
    expect(Object.keys(gm as object)).toContain('hdr_maint_op_sub_class');
    expect((gm as { timestamp: number }).timestamp).toBeGreaterThan(
      (poison as { timestamp: number }).timestamp,
    );
  });

  it('follows the profile kernel: 6.12 (debian-13) has no hdr_maint_op_sub_class nor cme_count', async () => {
    const { run } = await setup('debian-13');
    await run(
      'qmp',
      'cxl-inject-general-media-event',
      JSON.stringify({
        path: PMEM1,
        log: 'warning',
        flags: 0,
        dpa: 0x2000,
        descriptor: 0,
        type: 1,
        'transaction-type': 2,
      }),
    );
    const r = await run('monitor');
    const [gm] = r.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(gm).toMatchObject({
      event: 'cxl_general_media',
      log: 1,
      dpa: 8192,
      type: 1,
      transaction_type: 2,
    });
    expect(Object.keys(gm as object)).not.toContain('hdr_maint_op_sub_class');
    expect(Object.keys(gm as object)).not.toContain('cme_count');
    expect(Object.keys(gm as object).at(-1)).toBe('region_name');
  });

  it('-u prints pretty JSON; -l FILE appends the lines to the file; option errors are ndctl’s', async () => {
    const { cwd, run, mem } = await setup('latest');
    await run('qmp', 'cxl-inject-poison', JSON.stringify({ path: PMEM1, start: 0, length: 64 }));
    await run('list', '-L', '-m', mem);
    const u = await run('monitor', '-u');
    expect(u.stderr).toMatch(/^\{\n {2}"system":"cxl",\n {2}"event":"cxl_poison",\n/);
    expect(u.stderr).toContain('  "uuid":[\n    0,\n');

    const log = join(cwd, 'mon.log');
    const f = await run('monitor', '-l', log);
    expect(f).toEqual({ code: 0, stdout: '', stderr: '' });
    const f2 = await run('monitor', '--log', log);
    expect(f2.code).toBe(0);
    const text = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    expect(text).toHaveLength(2);
    expect(text[0]).toBe(text[1]);
    expect(text[0]).toMatch(/^\{"system":"cxl","event":"cxl_poison",/);

    const bad = await run('monitor', 'extra');
    expect(bad.code).toBe(129);
    expect(bad.stderr).toMatch(
      /^ {2}Error: unknown parameter "extra"\n\n usage: cxl monitor \[<options>\]\n/,
    );
    const d = await run('monitor', '--daemon', '-l', 'rel.log');
    expect(d).toEqual({
      code: 234,
      stdout: '',
      stderr: "  Error: relative path or 'standard' are not compatible with daemon mode\n",
    });
  });
});

describe('cxl monitor per ndctl release', () => {
  it('debian-12 (6.1, ndctl 76.1): no cxl event to enable — the 76.1 message, exit 254', async () => {
    const { run } = await setup('debian-12');
    expect(await run('monitor')).toEqual({
      code: 254,
      stdout: '',
      stderr: 'cxl_trace_event_enable() failed: -2\n',
    });
    // before 78 --daemon logs to the terminal daemon(3) closed: nothing seen, the parent exits 0
    expect(await run('monitor', '--daemon')).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('before ndctl 80 a char/u8 array prints as a C string, after as numbers', () => {
    const profile = resolveProfile('latest');
    const m = bootMachine(getPreset('default', profile.qemu), { profile });
    const fns = [...(m.platform?.functions().values() ?? [])];
    cxlQmp(fns, 'cxl-inject-poison', { path: PMEM1, start: 0x40, length: 64 }, profile.qemu);
    const mem = m.sysfs
      .readdir('bus/cxl/devices')
      .find((n) => n.startsWith('mem') && m.sysfs.read(`bus/cxl/devices/${n}/serial`) === '0x1\n');
    m.sysfs.write(`bus/cxl/devices/${mem}/trigger_poison_list`, '1');
    const once = (ndctl: '76.1' | '81') => {
      const inst = 'kernel/tracing/instances/cxl_monitor';
      m.sysfs.write(`${inst}/trace`, '');
      const t = kernelTrace(m.kernel);
      t.instance('cxl_monitor').events = [...t.history];
      const r = cxlCommand(m.sysfs, m.ioctl, ['monitor'], { ndctl });
      expect(r.code).toBe(0);
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      return JSON.parse(lines[0] as string) as Record<string, unknown>;
    };
    expect(once('81')).toMatchObject({ uuid: new Array(16).fill(0), dpa: 0x40 });
    expect(once('76.1')).toMatchObject({ uuid: '', dpa: 0x40 });
  });
});
