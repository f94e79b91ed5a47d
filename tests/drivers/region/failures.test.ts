/**
 * The `failures` capture replayed in order on one machine (debian-12, dynamic debug): the
 * region steps ndctl drives (f05 … f15e) as the sysfs writes ndctl makes, then the raw sysfs
 * write scripts r01/r03/r05 with the exact errno of every write. Each step's kernel lines must
 * equal the step's dmesg-raw.txt (device names through the canon identities).
 */
import { describe, expect, it } from 'vitest';
import {
  B,
  bootDefault,
  captureLog,
  fixture,
  logSince,
  NameMap,
  ndctlCreateRegion,
  ndctlDestroyRegion,
  sysw,
  syswLines,
} from './helpers.ts';

const m = bootDefault('debian-12', true);
const names = new NameMap(fixture('failures/00-boot/sysfs.txt'), m);

/** The capture's memdev argument(s) of a step's cmd.txt, in our names. */
function memdevArgs(step: string): string[] {
  const cmd = fixture('failures', step, 'step/cmd.txt');
  return [...cmd.matchAll(/\bmem\d+\b/g)].map((x) => names.ours(x[0]));
}

/** The step's dmesg-raw.txt in our names. */
function wantLog(step: string): string[] {
  return captureLog(names.ours(fixture('failures', step, 'step/dmesg-raw.txt')));
}

/** Runs `f` and returns the kernel lines it produced. */
function logged(f: () => void): string[] {
  const mark = m.kernel.log.mark();
  f();
  return logSince(m, mark);
}

describe('failures capture, ndctl steps (sysfs writes as ndctl makes them)', () => {
  it('f05: granularity 3000 is refused with EINVAL, no kernel message besides the create', () => {
    let r: ReturnType<typeof ndctlCreateRegion> | undefined;
    const got = logged(() => {
      r = ndctlCreateRegion(m, 'decoder0.0', memdevArgs('f05-granularity-invalid'), {
        ways: 1,
        granularity: 3000,
      });
    });
    expect(r?.failed).toMatchObject({
      path: `${B}/region0/interleave_granularity`,
      errno: 'EINVAL',
    });
    expect(got).toEqual(wantLog('f05-granularity-invalid'));
  });

  it('f07: 1 way in a 2-way window is refused ("invalid interleave: 1")', () => {
    let r: ReturnType<typeof ndctlCreateRegion> | undefined;
    const got = logged(() => {
      r = ndctlCreateRegion(m, 'decoder0.1', memdevArgs('f07-1way-in-2way-window'), {
        ways: 1,
        granularity: 4096,
      });
    });
    expect(r?.failed).toMatchObject({ path: `${B}/region1/interleave_ways`, errno: 'EINVAL' });
    expect(got).toEqual(wantLog('f07-1way-in-2way-window'));
  });

  it('f11: a 4-way region in the wrong order fails at target1 with the position message', () => {
    let r: ReturnType<typeof ndctlCreateRegion> | undefined;
    const got = logged(() => {
      r = ndctlCreateRegion(m, 'decoder0.1', memdevArgs('f11-4way-wrong-order'), {
        ways: 4,
        granularity: 4096,
      });
    });
    expect(r?.failed).toMatchObject({ path: `${B}/region1/target1`, errno: 'ENXIO' });
    expect(got).toEqual(wantLog('f11-4way-wrong-order'));
  });

  it('f13: a 2-way region below one switch at 256 B commits and binds, then is destroyed', () => {
    let r: ReturnType<typeof ndctlCreateRegion> | undefined;
    const got = logged(() => {
      r = ndctlCreateRegion(m, 'decoder0.0', memdevArgs('f13-switch-granularity-256'), {
        ways: 2,
        granularity: 256,
      });
    });
    expect(r?.failed).toBeUndefined();
    expect(got).toEqual(wantLog('f13-switch-granularity-256'));
    ndctlDestroyRegion(m, r?.region ?? '');
  });

  it('f15a/f15b: a host-bridge decoder used by one region is not available to a second one', () => {
    let a: ReturnType<typeof ndctlCreateRegion> | undefined;
    const gotA = logged(() => {
      a = ndctlCreateRegion(m, 'decoder0.0', memdevArgs('f15a-region-hb0'), {
        ways: 1,
        granularity: 256,
      });
    });
    expect(a).toEqual({ region: 'region0' });
    expect(gotA).toEqual(wantLog('f15a-region-hb0'));
    let b: ReturnType<typeof ndctlCreateRegion> | undefined;
    const gotB = logged(() => {
      b = ndctlCreateRegion(
        m,
        'decoder0.1',
        memdevArgs('f15b-second-region-needs-busy-hb-decoder'),
        { ways: 2, granularity: 4096 },
      );
    });
    expect(b?.failed).toMatchObject({ path: `${B}/region1/target0`, errno: 'EBUSY' });
    expect(gotB).toEqual(wantLog('f15b-second-region-needs-busy-hb-decoder'));
  });

  it('f15c: the region ndctl creates before finding no free decoder is region3', () => {
    const got = logged(() => {
      const name = (m.sysfs.read(`${B}/decoder0.0/create_pmem_region`) as string).trim();
      expect(name).toBe('region3');
      expect(sysw(m, `${B}/decoder0.0/create_pmem_region`, name)).toBe('ok');
      expect(sysw(m, `${B}/decoder0.0/delete_region`, name)).toBe('ok');
    });
    expect(got).toEqual(wantLog('f15c-endpoint-already-in-region'));
  });

  it('f15e: destroy -f resets the decoders top-down with the reap lines', () => {
    const got = logged(() => ndctlDestroyRegion(m, 'region0'));
    expect(got).toEqual(wantLog('f15e-cleanup'));
    expect((m.sysfs.read(`${B}/decoder0.0/create_pmem_region`) as string).trim()).toBe('region0');
  });
});

describe('failures capture, raw sysfs write sequences', () => {
  for (const step of [
    'r01-region-size-larger-than-window',
    'r03-granularity-rules-xhb',
    'r05-endpoint-decoder-dpa-rules',
  ]) {
    it(`${step}: every write's errno and the kernel lines equal the capture`, () => {
      const stdout = names.ours(fixture('failures', step, 'step/stdout.txt'));
      const lines = syswLines(stdout);
      expect(lines.length).toBeGreaterThan(0);
      const results: string[] = [];
      const got = logged(() => {
        for (const l of lines) results.push(`${l.path} ${l.value}: ${sysw(m, l.path, l.value)}`);
      });
      expect(results).toEqual(lines.map((l) => `${l.path} ${l.value}: ${l.want}`));
      expect(got).toEqual(wantLog(step));
    });
  }

  it('r05: after the writes the decoder reads back as the capture shows, and frees', () => {
    const dec = names.ours('decoder7.0');
    const D = `${B}/${dec}`;
    for (const [p, v] of [
      ['dpa_size', '0x10000000'],
      ['mode', 'pmem'],
    ] as const)
      expect(sysw(m, `${D}/${p}`, v)).toBe('ok');
    const cat = fixture('failures', 'r05-endpoint-decoder-dpa-rules', 'step/stdout.txt')
      .split('\n')
      .filter((l) => !l.startsWith('write '))
      .filter(Boolean);
    const read = ['dpa_resource', 'dpa_size', 'mode'].map((a) =>
      (m.sysfs.read(`${D}/${a}`) as string).trim(),
    );
    expect(read).toEqual(cat);
    expect(sysw(m, `${D}/dpa_size`, '0')).toBe('ok');
  });
});
