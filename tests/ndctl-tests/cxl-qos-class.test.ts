/**
 * ndctl test/cxl-qos-class.sh (v81) on the cxl_test preset, every assertion kept:
 * - check_qos_decoders: every root decoder of cxl_test has qos_class CXL_TEST_QOS_CLASS (42,
 *   the mock's CFMWS QTG id), and as many carry one as there are root decoders;
 * - check_qos_memdevs: every memdev with ram (pmem) capacity has ram_qos_class (pmem_qos_class)
 *   42 — the mock's mock_cxl_endpoint_parse_cdat() (drivers/cxl/mock-mem.ts);
 * - create_region_check_qos: on a pmem-capable x1 root decoder with space, a region of the
 *   memdev below its first target created with `-Q` (qos_class enforced) succeeds, then is
 *   destroyed;
 * - check_dmesg: no "Call Trace".
 */
import { describe, expect, it } from 'vitest';
import { items, type Json, len, Sh } from './harness.ts';

/** test/common: CXL_TEST_QOS_CLASS. */
const CXL_TEST_QOS_CLASS = 42;

describe('cxl-qos-class.sh', () => {
  const sh = new Sh();

  it('check_qos_decoders', () => {
    const json = sh.json('list', '-b', 'cxl_test', '-D', '-d', 'root');
    const numDecoders = len(json);
    expect(numDecoders).toBeGreaterThan(0);
    let count = 0;
    for (const d of items(json)) {
      expect(d.qos_class).toBe(CXL_TEST_QOS_CLASS);
      count++;
    }
    expect(count).toBe(numDecoders);
  });

  it('check_qos_memdevs', () => {
    const json = sh.json('list', '-b', 'cxl_test', '-M');
    const mems = items(json);
    expect(mems.length).toBeGreaterThan(0);
    let checked = 0;
    for (const m of mems) {
      if (m.ram_size !== undefined) {
        expect(m.ram_qos_class).toBe(CXL_TEST_QOS_CLASS);
        checked++;
      }
      if (m.pmem_size !== undefined) {
        expect(m.pmem_qos_class).toBe(CXL_TEST_QOS_CLASS);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('create_region_check_qos', () => {
    const decoder = items(sh.json('list', '-b', 'cxl_test', '-D', '-d', 'root')).filter(
      (d: Json) => d.max_available_extent > 0 && d.pmem_capable === true && d.nr_targets === 1,
    )[0]?.decoder as string;
    expect(decoder).toMatch(/^decoder\d+\.\d+$/);
    const portDev0 = items(sh.json('list', '-T', '-d', decoder))
      .flatMap((d: Json) => d.targets as Json[])
      .find((t: Json) => t.position === 0)?.target as string;
    expect(portDev0).toBeDefined();
    const mem0 = items(sh.json('list', '-M', '-p', portDev0))[0]?.memdev as string;
    expect(mem0).toMatch(/^mem\d+$/);
    const region = sh.json('create-region', '-Q', '-d', decoder, '-m', mem0)?.region as string;
    expect(region).toMatch(/^region\d+$/);
    sh.cxl('destroy-region', '-f', '-b', 'cxl_test', region);
    expect(items(sh.json('list', '-R')).map((r: Json) => r.region)).not.toContain(region);
  });

  it('check_dmesg', () => {
    expect(sh.dmesgHasCallTrace()).toBe(false);
  });
});
