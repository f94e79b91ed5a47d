/**
 * ndctl test/cxl-create-region.sh (v85) on the cxl_test preset:
 * - create_single: the 5th root decoder (pmem, one target: the single-port host bridge) takes a
 *   region with no memdevs given — create-region collects the active memdevs below it;
 * - create_x1_region per memdev: an x1 pmem region in the memdev's pmem x1 window, disabled and
 *   enabled, destroyed, created again (freed HPA and DPA are reusable), destroyed;
 * - create_subregions per memdev: pmem_size / 256 MiB regions of 256 MiB back to back on one
 *   memdev (consecutive endpoint decoders and DPA), destroyed in reverse order.
 * Memdevs without such a window (those below the second host bridge) are skipped, as the script
 * skips them.
 */
import { describe, expect, it } from 'vitest';
import { items, type Json, Sh } from './harness.ts';

/** destroy_regions(): `destroy-region -f -b cxl_test <region…|all>`. */
function destroyRegions(sh: Sh, ...regions: string[]): void {
  sh.cxl('destroy-region', '-f', '-b', 'cxl_test', ...(regions.length ? regions : ['all']));
}

/** The pmem-capable single-target root decoder that can map `mem`, if any. */
function x1Decoder(sh: Sh, mem: string): string | undefined {
  const j: Json[] = items(sh.json('list', '-b', 'cxl_test', '-D', '-d', 'root', '-m', mem));
  return j.find((d) => d.pmem_capable === true && d.nr_targets === 1)?.decoder;
}

/** `create-region … | jq -r .region`, required non-empty. */
function createRegion(sh: Sh, ...args: string[]): string {
  const region = sh.json('create-region', ...args)?.region;
  expect(region, `create-region ${args.join(' ')}`).toMatch(/^region\d+$/);
  return region;
}

describe('cxl-create-region.sh', () => {
  const sh = new Sh();
  const mems: string[] = items(sh.json('list', '-b', 'cxl_test', '-M')).map((m) => m.memdev);

  it('create_single: a region below the single-port host bridge from the decoder alone', () => {
    const d = items(sh.json('list', '-b', 'cxl_test', '-D', '-d', 'root'))[4];
    expect(d?.pmem_capable === true && d?.nr_targets === 1).toBe(true);
    const region = createRegion(sh, '-d', d.decoder);
    // two memdevs below that bridge's switch: an x2 region under an x1 window
    expect(sh.num(`bus/cxl/devices/${region}/interleave_ways`)).toBe(2n);
    destroyRegions(sh, region);
  });

  it('create_x1_region on every memdev with an x1 pmem window', () => {
    let done = 0;
    for (const mem of mems) {
      const decoder = x1Decoder(sh, mem);
      if (!decoder) continue; // "no suitable decoder found for $mem, skipping"
      let region = createRegion(sh, '-d', decoder, '-m', mem);
      sh.cxl('disable-region', '--bus=cxl_test', region);
      sh.cxl('enable-region', '--bus=cxl_test', region);
      destroyRegions(sh, region);
      region = createRegion(sh, '-d', decoder, '-m', mem);
      destroyRegions(sh, region);
      done++;
    }
    expect(done).toBe(6); // the 4 memdevs below host bridge 0 and the 2 below the single-port one
  });

  it('create_subregions: 256 MiB regions back to back, destroyed in reverse', () => {
    const slice = 256n << 20n;
    for (const mem of mems) {
      const decoder = x1Decoder(sh, mem);
      if (!decoder) continue;
      const size = BigInt(items(sh.json('list', '-m', mem))[0].pmem_size);
      const regions: string[] = [];
      for (let i = 0n; i < size / slice; i++)
        regions.push(createRegion(sh, '-d', decoder, '-m', mem, '-s', String(slice)));
      expect(regions.length).toBe(4);
      // consecutive HPA: each region starts where the previous one ends
      const starts = regions.map((r) => sh.num(`bus/cxl/devices/${r}/resource`));
      for (let i = 1; i < starts.length; i++)
        expect(starts[i]).toBe((starts[i - 1] as bigint) + slice);
      for (const r of [...regions].reverse()) destroyRegions(sh, r);
    }
    expect(sh.dmesgHasCallTrace()).toBe(false);
  });
});
