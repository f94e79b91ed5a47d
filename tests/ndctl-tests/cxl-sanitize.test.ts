/**
 * ndctl test/cxl-sanitize.sh (v81) on the cxl_test preset, every assertion kept:
 * - at least one memdev maps an active region (`cxl list -b cxl_test -RT`);
 * - `echo 1 > security/sanitize` on it fails (the kernel's EBUSY: a committed decoder);
 * - some memdev maps no region;
 * - on it, the sanitize write and `cxl wait-sanitize` succeed and take more than 2 s.
 * - check_dmesg: no "Call Trace".
 * set_timeout writes the mock's `sanitize_timeout` (ms) on the memdev's host
 * (/sys/bus/platform/devices/cxl_mem.N/, tools/testing/cxl/test/mem.c): 2000 on the active
 * memdev, 3000 on the inactive one, whose sanitize then takes 3 s. The write returns at once
 * (the kernel's asynchronous sanitize) and `cxl wait-sanitize` sleeps in the machine's virtual
 * time until the poll work saw it end, so "took more than 2 s" is measured on that clock (the
 * device's Get Timestamp time base) instead of bash's $SECONDS.
 */
import { describe, expect, it } from 'vitest';
import { items, type Json, Sh } from './harness.ts';

describe('cxl-sanitize.sh', () => {
  const sh = new Sh();
  const allMem: string[] = items(sh.json('list', '-b', 'cxl_test', '-M')).map(
    (m: Json) => m.memdev,
  );
  const activeMem: string[] = items(sh.json('list', '-b', 'cxl_test', '-RT')).flatMap((r: Json) =>
    (r.mappings ?? []).map((m: Json) => m.memdev),
  );
  /** mem_to_host() + set_timeout(): the mock's sanitize_timeout of the memdev's platform device. */
  const setTimeout = (mem: string, ms: number) => {
    const host = items(sh.json('list', '-m', mem))[0]?.host as string;
    expect(sh.echo(String(ms), `bus/platform/devices/${host}/sanitize_timeout`)).toBe(true);
  };
  /** The machine's virtual clock (ns), as every type-3 device reads it. */
  const clock = (): bigint => {
    const fn = [...(sh.m.platform?.functions().values() ?? [])].find((f) => f.kind === 'type3');
    if (fn?.device.kind !== 'type3') throw new Error('no type-3 device');
    return fn.device.state.clock.now();
  };

  it('sanitize of an active memdev fails', () => {
    expect(activeMem.length).toBeGreaterThan(0);
    setTimeout(activeMem[0] as string, 2000);
    expect(sh.echo('1', `bus/cxl/devices/${activeMem[0]}/security/sanitize`)).toBe(false);
    // the kernel's errno: cxl_mem_sanitize() returns -EBUSY while a decoder is committed
    expect(() =>
      sh.m.sysfs.write(`bus/cxl/devices/${activeMem[0]}/security/sanitize`, '1\n'),
    ).toThrow(expect.objectContaining({ code: 'EBUSY' }));
  });

  it('sanitize of an inactive memdev succeeds and wait-sanitize takes more than 2 s', () => {
    const inactive = allMem.find((m) => !activeMem.includes(m));
    expect(inactive).toBeDefined();
    setTimeout(inactive as string, 3000);
    const start = clock();
    expect(sh.echo('1', `bus/cxl/devices/${inactive}/security/sanitize`)).toBe(true);
    sh.cxl('wait-sanitize', inactive as string);
    const took = clock() - start;
    expect(took).toBeGreaterThan(2_000_000_000n);
    // the mock's 3000 ms, not QEMU's 15 s for 2 GiB (the wait's poll adds at most a period)
    expect(took).toBeLessThan(5_000_000_000n);
  });

  it('check_dmesg', () => {
    expect(sh.dmesgHasCallTrace()).toBe(false);
  });
});
