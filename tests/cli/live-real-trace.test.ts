/**
 * The REAL ndctl 81 (libtracefs 1.8 / libtraceevent 1.8 from Debian 13) reading cxlsim's raw
 * tracefs through `cxlsim run`: `cxl list --media-errors` (cxl_poison enabled in its instance,
 * trigger_poison_list, tracefs_iterate_raw_events() filtered by its own pid) lists what the
 * debugfs injections put there, and `cxl monitor` (instance cxl_monitor, every cxl event,
 * event_to_json()) prints an injection as the same JSON line `cxlsim monitor` prints for it
 * — libtraceevent parsing cxlsim's format files and ring-buffer pages byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { liveServe, missingRealTool } from '../helpers/live-real.ts';

const reason = await missingRealTool(81, 'libtracefs media errors and monitor');

describe.skipIf(reason !== undefined)(
  `the real cxl list --media-errors and cxl monitor through cxlsim run${reason ? ` (skipped: needs ${reason})` : ''}`,
  () => {
    const live = liveServe('cxlsim-real-trace-', 'default', 'debian-13');
    const cxlsim = live.cxlsim;

    it('lists injected poison and monitors an injection as cxlsim monitor prints it', () => {
      const dbg = '/sys/kernel/debug/cxl/mem0';
      const script = [
        `echo 0x1000 > ${dbg}/inject_poison`,
        `echo 0x2000 > ${dbg}/inject_poison`,
        'cxl list -m mem0 --media-errors',
        `echo 0x2000 > ${dbg}/clear_poison`,
        'cxl list -m mem0 --media-errors -u',
        // the monitor never returns by itself; it polls trace_pipe, which FUSE reports ready
        '(timeout 3 cxl monitor 2>&1 || true) &',
        'sleep 1',
        `echo 0x3000 > ${dbg}/inject_poison`,
        'wait',
      ].join('\n');
      const r = cxlsim('run', '--', 'bash', '-c', script);
      expect(r.code).toBe(0);
      const out = r.stdout;
      const [first, second] = out.split(/\n(?=\[|\{\n)/);
      const l1 = JSON.parse(first as string) as { media_errors: unknown[] }[];
      expect(l1[0]?.media_errors).toEqual([
        { offset: 8192, length: 64, source: 'Injected' },
        { offset: 4096, length: 64, source: 'Injected' },
      ]);
      expect(second).toContain('"media_errors":[\n    {\n      "offset":"0x1000",');
      const mon = out.split('\n').filter((l) => l.startsWith('{"system":"cxl"'));
      expect(mon).toHaveLength(1);
      expect(mon[0]).toMatch(
        /^\{"system":"cxl","event":"cxl_poison","timestamp":\d+,"memdev":"mem0","host":"[^"]+","serial":\d+,"trace_type":1,"region":"","overflow_ts":0,"hpa":18446744073709551615,"dpa":12288,"dpa_length":64,"uuid":\[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\],"source":0,"flags":0\}$/,
      );
      // cxlsim's own monitor, replaying the journal, prints the same line for that event
      const own = cxlsim('monitor');
      expect(own.code).toBe(0);
      expect(own.stderr.split('\n')).toContain(mon[0]);
    }, 120_000);
  },
);
