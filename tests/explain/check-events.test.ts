/**
 * The region driver's structured check events (kernel/log.ts CheckEvent) that `explain` reads
 * instead of parsing dmesg: each refused write on a booted machine (default preset, debian-12,
 * dynamic debug) logs its dev_dbg line with an event naming the check, the device and the
 * errno; the event rides on a real dmesg line (its text is that line's, unchanged), and
 * classify() names the event's check and device.
 */
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/explain/classify.ts';
import { runAttempt } from '../../src/explain/trial.ts';
import { bootDefault } from '../drivers/region/helpers.ts';

describe('check events of the region driver', () => {
  const m = bootDefault('debian-12', true);
  const root = 'bus/cxl/devices/decoder0.0';
  const region = String(m.sysfs.read(`${root}/create_pmem_region`)).trim();
  const attr = (a: string) => `bus/cxl/devices/${region}/${a}`;
  const endpoint = m.sysfs
    .readdir('bus/cxl/devices')
    .find((n) => /^endpoint\d+$/.test(n)) as string;
  const epDecoder = `decoder${endpoint.slice('endpoint'.length)}.0`;
  const memdev = String(m.sysfs.readlink(`bus/cxl/devices/${endpoint}/uport`))
    .split('/')
    .pop() as string;

  /** Runs one write; returns its outcome after checking the event ↔ dmesg ↔ classify links. */
  function refused(path: string, value: string) {
    const before = m.kernel.log.mark();
    const o = runAttempt(m, { kind: 'write', path, value });
    expect(o.ok).toBe(false);
    const w = o.failed;
    expect(w).toBeDefined();
    const ev = w?.checks.at(-1);
    expect(ev).toBeDefined();
    // the event came with a real dmesg line of this write, whose text is exactly the event's
    const texts = m.kernel.log.since(before).map((l) => l.text);
    expect(texts).toContain(ev?.text);
    const c = classify(o);
    expect(c?.id).toBe(ev?.check);
    expect(c?.device).toBe(ev?.device);
    expect(c?.message).toBe(ev?.text);
    expect(c?.errno).toBe(w?.errno);
    return { o, ev };
  }

  it('creates the region the writes go to', () => {
    expect(region).toMatch(/^region\d+$/);
    expect(
      runAttempt(m, { kind: 'write', path: `${root}/create_pmem_region`, value: region }).ok,
    ).toBe(true);
  });

  it('interleave_ways_store(): "ways" with the values compared', () => {
    const { ev } = refused(attr('interleave_ways'), '3');
    expect(ev).toMatchObject({ check: 'ways', errno: 'EINVAL', args: { ways: 3, rootWays: 1 } });
    expect(ev?.text).toBe(`cxl ${region}: invalid interleave: 3`);
  });

  it('alloc_hpa(): "hpa" on the root decoder', () => {
    for (const [a, v] of [
      ['interleave_granularity', '256'],
      ['interleave_ways', '1'],
      ['uuid', 'f6a2a44c-1b0b-4f52-bb18-3bf2ed2b5c6a\n'],
    ] as const)
      expect(runAttempt(m, { kind: 'write', path: attr(a), value: v }).ok, a).toBe(true);
    const { ev } = refused(attr('size'), '0x100000000000');
    expect(ev).toMatchObject({ check: 'hpa', device: 'decoder0.0', errno: 'ERANGE' });
  });

  it('cxl_region_attach(): "dpa-mode" on a decoder of another mode, then the next check on its memdev', () => {
    expect(runAttempt(m, { kind: 'write', path: attr('size'), value: '0x10000000' }).ok).toBe(true);
    const mode = refused(attr('target0'), epDecoder).ev;
    expect(mode).toMatchObject({ check: 'dpa-mode', device: epDecoder, errno: 'EINVAL' });
    const ep = `bus/cxl/devices/${epDecoder}/mode`;
    expect(runAttempt(m, { kind: 'write', path: ep, value: 'pmem' }).ok).toBe(true);
    // 6.1 checks the root decoder's target for the position before the DPA
    const { ev } = refused(attr('target0'), epDecoder);
    expect(ev?.device).toBe(memdev);
    expect(ev?.errno).toBe('ENXIO');
    expect(ev?.check).toBe('position');
    expect(ev?.args).toEqual({ pos: 0 });
    expect(ev?.text).toContain(`${memdev}:${epDecoder} invalid target position for decoder0.0`);
  });

  it('a write the kernel refuses without a check event falls back to the attribute', () => {
    const o = runAttempt(m, { kind: 'write', path: attr('interleave_ways'), value: 'x' });
    expect(o.failed?.checks).toEqual([]);
    expect(classify(o)).toMatchObject({ id: 'ways', errno: 'EINVAL', by: 'kernel' });
  });
});
