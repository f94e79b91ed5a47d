/**
 * Property: random region requests on the default topology with four HDM decoders per
 * component and 1 GiB ram + 1 GiB pmem per device — made as ndctl's create-region or as the raw
 * sysfs writes ndctl makes, in ndctl's order or shuffled — either succeed or fail with an
 * errno, and every invariant of cxlsim/invariants (src/prop/invariants.ts) holds: a refused
 * write leaves the CXL tree unchanged (except the kernel's documented exceptions), HPA ranges
 * are disjoint inside each window, DPA reservations disjoint inside each memdev, each port's
 * enabled decoders are 0…commit_end with ascending HPA, committed regions' decoders are
 * committed in the HDM registers, data round-trips through committed regions, and tearing
 * everything down disables every decoder and frees every DPA. The arbitraries, the case runner
 * and the invariants are the exported ones (cxlsim/arbitraries, cxlsim/invariants).
 * Runs: CXLSIM_PROP_RUNS (default 8).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootSync } from '../../../src/api/boot.ts';
import { caseArb } from '../../../src/prop/arbitraries.ts';
import { runCase } from '../../../src/prop/case.ts';
import { reshapedTopology } from './helpers.ts';

const RUNS = Number(process.env.CXLSIM_PROP_RUNS ?? 8);
const GiB = 1n << 30n;

for (const profile of ['latest', 'debian-12'] as const) {
  describe(`random region requests (${profile})`, () => {
    const base = bootSync(
      {
        topology: reshapedTopology(profile, {
          volatileSize: GiB,
          persistentSize: GiB,
          decoders: 4,
        }),
      },
      { profile },
    );
    it('succeed with the invariants or fail leaving the tree unchanged; teardown is complete', () => {
      let steps = 0;
      fc.assert(
        fc.property(caseArb({ ram: profile === 'latest' }), (c) => {
          const r = runCase(base.clone(), c);
          steps += r.steps.length;
          expect(r.violations).toEqual([]);
        }),
        { numRuns: RUNS },
      );
      expect(steps).toBeGreaterThan(RUNS);
    });
  });
}
