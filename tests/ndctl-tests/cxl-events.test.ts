/**
 * ndctl test/cxl-events.sh (v81) on the cxl_test preset, every assertion kept:
 * - the memdev's `event_trigger` exists (else the script skips with 77);
 * - with the trace cleared, events/cxl enabled and tracing on, one trigger of the first
 *   memdev's mock gives exactly 1 cxl_overflow line, 2 "log=Fatal", 16 "log=Failure" (15
 *   records and the overflow line) and 3 "log=Informational";
 * - test_region_info: a trigger on the first mapping of the auto-assembled region leaves
 *   cxl_general_media and cxl_dram lines naming that region;
 * - check_dmesg: no "Call Trace".
 * `dev_path` is the script's /sys/bus/platform/devices: the mock's memdevs are platform devices
 * `cxl_mem.N` bound to cxl_mock_mem, whose `event_trigger` is there (drivers/cxl/mock-mem.ts).
 */
import { describe, expect, it } from 'vitest';
import { items, type Json, Sh } from './harness.ts';

const devPath = 'bus/platform/devices';
const tracePath = 'kernel/tracing';

describe('cxl-events.sh', () => {
  const sh = new Sh();
  const memdevs: string[] = items(sh.json('list', '-b', 'cxl_test', '-Mi')).map(
    (m: Json) => m.host,
  );
  const count = (text: string, pat: RegExp) => text.split('\n').filter((l) => pat.test(l)).length;

  it('test_cxl_events: the mock trigger gives the expected log counts', () => {
    expect(sh.echo('', `${tracePath}/trace`)).toBe(true);
    expect(sh.echo('1', `${tracePath}/events/cxl/enable`)).toBe(true);
    expect(sh.echo('1', `${tracePath}/tracing_on`)).toBe(true);
    const host = memdevs[0] as string;
    // "TEST: Kernel does not support test event trigger" → exit 77 would skip
    expect(sh.m.sysfs.readdir(`${devPath}/${host}`)).toContain('event_trigger');
    expect(sh.echo('1', `${devPath}/${host}/event_trigger`)).toBe(true);
    expect(sh.echo('0', `${tracePath}/tracing_on`)).toBe(true);
    const out = sh.cat(`${tracePath}/trace`);
    expect(count(out, /cxl_overflow/)).toBe(1);
    expect(count(out, /log=Fatal/)).toBe(2);
    expect(count(out, /log=Failure/)).toBe(16);
    expect(count(out, /log=Informational/)).toBe(3);
  });

  it('test_region_info: general media and DRAM events name the region', () => {
    expect(sh.echo('1', `${tracePath}/tracing_on`)).toBe(true);
    const region = items(sh.json('list', '-R'))[0]?.region as string;
    expect(region).toMatch(/^region\d+$/);
    const mappings = items(sh.json('list', '-r', region, '--targets'))[0]?.mappings as Json[];
    const memdev = mappings[0]?.memdev as string;
    const host = items(sh.json('list', '-m', memdev))[0]?.host as string;
    expect(sh.echo('1', `${devPath}/${host}/event_trigger`)).toBe(true);
    const trace = sh.cat(`${tracePath}/trace`);
    expect(trace).toMatch(new RegExp(`cxl_general_media.*${region}`));
    expect(trace).toMatch(new RegExp(`cxl_dram.*${region}`));
    expect(sh.echo('0', `${tracePath}/tracing_on`)).toBe(true);
  });

  it('check_dmesg', () => {
    expect(sh.dmesgHasCallTrace()).toBe(false);
  });
});
