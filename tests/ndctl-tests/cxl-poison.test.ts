/**
 * ndctl test/cxl-poison.sh (v81) on the cxl_test preset, every assertion kept:
 * - the trace event is enabled as the script does (events/cxl/cxl_poison/enable);
 * - test_poison_by_memdev: on the first memdev with both ram and pmem, poison injected through
 *   debugfs at 0x40000000, 0x40001000, 0x600 and 0x0 gives 4 records in
 *   `cxl list -m MEM --media-errors`; clearing the four gives 0;
 * - test_poison_by_region: an x2 pmem region across the two host-bridge positions of a 2-target
 *   pmem root decoder; poison at 0x40000000 on both memdevs gives 2 records in
 *   `cxl list -r REGION --media-errors`; clearing both gives 0;
 * - check_dmesg: no "Call Trace".
 */
import { describe, expect, it } from 'vitest';
import { items, type Json, Sh } from './harness.ts';

/** inject_poison_sysfs / clear_poison_sysfs: `echo ADDR > /sys/kernel/debug/cxl/MEM/…` (set -e). */
function poison(sh: Sh, what: 'inject' | 'clear', mem: string, addr: string): void {
  expect(sh.echo(addr, `kernel/debug/cxl/${mem}/${what}_poison`), `${what} ${mem} ${addr}`).toBe(
    true,
  );
}

/** validate_poison_found(): `cxl list LIST_BY --media-errors | jq '.[].media_errors'` length. */
function poisonFound(sh: Sh, listBy: string[]): number {
  const lists = items(sh.json('list', ...listBy, '--media-errors'))
    .map((o: Json) => o.media_errors)
    .filter((e: Json) => e !== undefined && e !== null);
  // jq prints one array per object; the script counts the first (a single memdev or region)
  return lists.length === 0 ? 0 : (lists[0] as Json[]).length;
}

describe('cxl-poison.sh', () => {
  const sh = new Sh();

  it('enables the cxl_poison trace event', () => {
    expect(sh.echo('1', 'kernel/tracing/events/cxl/cxl_poison/enable')).toBe(true);
    expect(sh.cat('kernel/tracing/events/cxl/cxl_poison/enable')).toBe('1\n');
  });

  it('test_poison_by_memdev', () => {
    // find_memdev(): pmem_size != null and ram_size != null
    const capable = items(sh.json('list', '-b', 'cxl_test', '-M')).filter(
      (m: Json) => m.pmem_size != null && m.ram_size != null,
    );
    expect(capable.length).toBeGreaterThan(0);
    const memdev = capable[0].memdev as string;
    for (const a of ['0x40000000', '0x40001000', '0x600', '0x0']) poison(sh, 'inject', memdev, a);
    expect(poisonFound(sh, ['-m', memdev])).toBe(4);
    for (const a of ['0x40000000', '0x40001000', '0x600', '0x0']) poison(sh, 'clear', memdev, a);
    expect(poisonFound(sh, ['-m', memdev])).toBe(0);
  });

  it('test_poison_by_region', () => {
    // create_x2_region()
    const decoder = items(sh.json('list', '-b', 'cxl_test', '-D', '-d', 'root')).find(
      (d: Json) => d.pmem_capable === true && d.nr_targets === 2,
    )?.decoder as string;
    expect(decoder).toBeDefined();
    const targets = items(sh.json('list', '-T', '-d', decoder)).flatMap((d: Json) => d.targets);
    const at = (pos: number) => targets.find((t: Json) => t.position === pos)?.target as string;
    const mem0 = items(sh.json('list', '-M', '-p', at(0)))[0]?.memdev as string;
    const mem1 = items(sh.json('list', '-M', '-p', at(1)))[0]?.memdev as string;
    const region = sh.json('create-region', '-d', decoder, '-m', mem0, mem1)?.region as string;
    expect(region, `create-region failed for ${decoder}`).toMatch(/^region\d+$/);

    poison(sh, 'inject', mem0, '0x40000000');
    poison(sh, 'inject', mem1, '0x40000000');
    expect(poisonFound(sh, ['-r', region])).toBe(2);
    poison(sh, 'clear', mem0, '0x40000000');
    poison(sh, 'clear', mem1, '0x40000000');
    expect(poisonFound(sh, ['-r', region])).toBe(0);
  });

  it('check_dmesg', () => {
    expect(sh.dmesgHasCallTrace()).toBe(false);
  });
});
