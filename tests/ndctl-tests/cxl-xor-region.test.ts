/**
 * ndctl test/cxl-xor-region.sh (v85) on the cxl_test_xor preset (`modprobe cxl_test
 * interleave_arithmetic=1`): x1, x2, x4 and x3 pmem regions created and destroyed in the XOR
 * windows, memdevs picked per host-bridge interleave position through `cxl list -T -d` and
 * `cxl list -M -p <target>`. The memdevs go to create-region as one argument ("mem0 mem1"),
 * as the script's `-m "$memdevs"` passes them.
 */
import { describe, expect, it } from 'vitest';
import { items, type Json, Sh } from './harness.ts';

describe('cxl-xor-region.sh', () => {
  const sh = new Sh('cxl_test_xor');

  /** The pmem root decoder with `n` targets, if any. */
  const rootDecoder = (n: number): string | undefined =>
    items(sh.json('list', '-b', 'cxl_test', '-D', '-d', 'root')).find(
      (d: Json) => d.pmem_capable === true && d.nr_targets === n,
    )?.decoder;

  /** The first (`i`-th) memdev below the decoder's target at `pos`. */
  const memAt = (decoder: string, pos: number, i = 0): string => {
    const targets: Json[] = items(sh.json('list', '-T', '-d', decoder))[0].targets;
    const port = targets.find((t) => t.position === pos)?.target as string;
    return items(sh.json('list', '-M', '-p', port))[i]?.memdev;
  };

  /** create_and_destroy_region(). */
  const createAndDestroy = (decoder: string, memdevs: string[]): Json => {
    const r = sh.json('create-region', '-d', decoder, '-m', memdevs.join(' '));
    expect(r?.region, `create-region -d ${decoder} -m "${memdevs.join(' ')}"`).toMatch(
      /^region\d+$/,
    );
    sh.cxl('destroy-region', '-f', '-b', 'cxl_test', r.region);
    return r;
  };

  it('x1', () => {
    const d = rootDecoder(1) as string;
    expect(d).toBeDefined();
    expect(createAndDestroy(d, [memAt(d, 0)]).interleave_ways).toBe(1);
  });

  it('x2', () => {
    const d = rootDecoder(2) as string;
    expect(createAndDestroy(d, [memAt(d, 0), memAt(d, 1)]).interleave_ways).toBe(2);
  });

  it('x4', () => {
    const d = rootDecoder(2) as string;
    const mems = [memAt(d, 0), memAt(d, 1), memAt(d, 0, 1), memAt(d, 1, 1)];
    expect(createAndDestroy(d, mems).interleave_ways).toBe(4);
  });

  it('x3 (the 3-way window exists in current cxl_test)', () => {
    const d = rootDecoder(3);
    expect(d).toBeDefined();
    if (!d) return; // "no x3 decoder found, skipping xor-x3 test"
    const r = createAndDestroy(d, [memAt(d, 0), memAt(d, 1), memAt(d, 2)]);
    expect(r.interleave_ways).toBe(3);
    expect(sh.dmesgHasCallTrace()).toBe(false);
  });
});

/**
 * ndctl v76.1's test/cxl-xor-region.sh on the kernels whose cxl_test mock still has the 4-way
 * XOR window cfmws8 (targets {0, 1, 0, 1}; 6.2–6.12, CXL_TEST_MOCK_SINCE.xorThreeWay): its
 * setup_x4 picks the root decoder with nr_targets 4 and memdev [p] below the target at
 * position p. On 6.1 the mock has no XOR windows (the parameter is ignored).
 */
describe('cxl-xor-region.sh (v76.1) per kernel', () => {
  const rootDecoders = (sh: Sh): Json[] =>
    items(sh.json('list', '-b', 'cxl_test', '-D', '-d', 'root'));

  it('6.12: x1, x2 and the 4-way {0,1,0,1} window (setup_x4)', () => {
    const sh = new Sh('cxl_test_xor', '6.12');
    const pmem = rootDecoders(sh).filter((d) => d.pmem_capable === true);
    expect(pmem.map((d) => d.nr_targets)).toEqual([1, 2, 4]);
    const d = pmem.find((x) => x.nr_targets === 4)?.decoder as string;
    const targets: Json[] = items(sh.json('list', '-T', '-d', d))[0].targets;
    const hosts = [0, 1, 2, 3].map((p) => targets.find((t) => t.position === p)?.target);
    expect(hosts).toEqual([
      'cxl_host_bridge.0',
      'cxl_host_bridge.1',
      'cxl_host_bridge.0',
      'cxl_host_bridge.1',
    ]);
    const mems = hosts.map((h, i) => items(sh.json('list', '-M', '-p', h as string))[i]?.memdev);
    const r = sh.json('create-region', '-d', d, '-m', mems.join(' '));
    expect(r?.region, `create-region -d ${d} -m "${mems.join(' ')}"`).toMatch(/^region\d+$/);
    expect(r.interleave_ways).toBe(4);
    sh.cxl('destroy-region', '-f', '-b', 'cxl_test', r.region);
    expect(sh.dmesgHasCallTrace()).toBe(false);
  });

  it('6.1: interleave_arithmetic=1 leaves the modulo windows (no x4 window)', () => {
    const dec = rootDecoders(new Sh('cxl_test_xor', '6.1'));
    expect(dec).toHaveLength(5);
    expect(dec.some((d) => d.nr_targets === 4)).toBe(false);
  });

  it("the module load logs a parameter the kernel's cxl_test does not declare (kernel/params.c)", () => {
    const warning = "cxl_test: unknown parameter 'interleave_arithmetic' ignored";
    const lines = (preset: 'cxl_test' | 'cxl_test_xor', kernel: string) =>
      new Sh(preset, kernel).m.kernel.log.lines.filter((l) => l.text.startsWith('cxl_test:'));
    expect(lines('cxl_test_xor', '6.1')).toEqual([
      expect.objectContaining({ level: 4, text: warning }),
    ]);
    expect(lines('cxl_test_xor', '6.12')).toEqual([]);
    expect(lines('cxl_test', '6.1')).toEqual([]);
  });
});
