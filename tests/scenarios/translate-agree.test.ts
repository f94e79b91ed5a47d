/**
 * Hardware routing and driver translation agree, over random addresses of committed regions on
 * several topologies (modulo and XOR windows, switches, 3/12/16 ways): for a random HPA of the
 * region the platform's decode (CFMWS → HDM decoders → DPA) and the region driver's
 * region_offset_to_dpa_result() name the same memdev and DPA; for a random DPA of a random
 * member, cxl_dpa_to_hpa() gives the HPA the hardware reaches that DPA at. Runs:
 * CXLSIM_PROP_RUNS (default 30 per region).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cxledToMemdev } from '../../src/drivers/cxl/core/region/region.ts';
import { translateDpa, translateHpa } from '../../src/explain/translate.ts';
import { CASES, setup } from './cases.ts';

const RUNS = Number(process.env.CXLSIM_PROP_RUNS ?? 30);

describe('hardware routing and driver translation agree', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const { m, r } = setup(c);
      const res = r.params.res as { start: bigint; end: bigint };
      const members = r.params.targets.slice(0, r.params.interleaveWays);
      expect(members.every((t) => t !== undefined)).toBe(true);
      fc.assert(
        fc.property(fc.bigInt({ min: res.start, max: res.end }), (hpa) => {
          const t = translateHpa(m, hpa);
          expect(t.agree, `${t.disagreement} at 0x${hpa.toString(16)}`).toBe(true);
          expect(t.hardware.ok && t.driver.ok).toBe(true);
        }),
        { numRuns: RUNS },
      );
      fc.assert(
        fc.property(
          fc.nat({ max: members.length - 1 }),
          fc.bigInt({ min: 0n, max: (1n << 28n) - 1n }),
          (i, off) => {
            const cxled = members[i];
            if (!cxled?.dpaRes) return false;
            const dpa = cxled.dpaRes.start + (off % (cxled.dpaRes.end - cxled.dpaRes.start + 1n));
            const md = cxledToMemdev(cxled).name;
            const t = translateDpa(m, md, dpa);
            expect(t.agree, t.disagreement).toBe(true);
            expect(t.driver.hpa).toBe(t.hpa);
            expect([t.hardware.memdev, t.hardware.dpa]).toEqual([md, dpa]);
            return true;
          },
        ),
        { numRuns: RUNS },
      );
    });
  }
});
