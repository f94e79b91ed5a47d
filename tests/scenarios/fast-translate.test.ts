/**
 * The `number` fast path (fast-translate.ts) gives exactly what the bigint region translation
 * (region_offset_to_dpa_result(), cxlRegionHpaToDpa) gives, over random HPAs of the scenario
 * regions (modulo, XOR, 3/4/12/16 ways), and refuses addresses outside the region. The
 * unaligned MOD3 region (routing search) is not compiled. Runs: CXLSIM_PROP_RUNS (default 200).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileRegionTranslator,
  type FastDpa,
} from '../../src/drivers/cxl/core/region/fast-translate.ts';
import { cxlRegionHpaToDpa } from '../../src/drivers/cxl/core/region/index.ts';
import { regionIsUnalignedMod3 } from '../../src/drivers/cxl/core/region/translate.ts';
import { CASES, setup } from './cases.ts';

const RUNS = Number(process.env.CXLSIM_PROP_RUNS ?? 200);

describe('fast translation equals the bigint translation', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const { r } = setup(c);
      const f = compileRegionTranslator(r);
      if (regionIsUnalignedMod3(r)) {
        expect(f).toBeUndefined();
        return;
      }
      if (!f) throw new Error('not compiled');
      const res = r.params.res as { start: bigint; end: bigint };
      const out: FastDpa = { pos: -1, dpa: -1 };
      fc.assert(
        fc.property(fc.bigInt({ min: res.start, max: res.end }), (hpa) => {
          const want = cxlRegionHpaToDpa(r, hpa);
          expect(f.translate(Number(hpa), out)).toBe(true);
          expect([out.pos, BigInt(out.dpa), f.memdevs[out.pos]]).toEqual([
            want?.pos,
            want?.dpa,
            want?.cxlmd.name,
          ]);
        }),
        { numRuns: RUNS },
      );
      expect(f.translate(Number(res.start) - 1, out)).toBe(false);
      expect(f.translate(Number(res.end) + 1, out)).toBe(false);
    });
  }
});
