/**
 * Equivalence check for speed work on `cxlsim prop` (issue 12): runs the same cases as
 * `runProperty()` (its arbitraries, fast-check seed 1) on a built library and prints one SHA-256
 * over every case's steps (argv, exit code, stdout, stderr, write results), violations, the
 * machine's dmesg and its `cxl list -vvv` afterwards — for `DEFAULT` default-preset cases (each on
 * a `Machine.clone()` of one booted machine) and `GEN` cases on fresh random topologies (≤ 16
 * endpoints). Two builds that print the same digests behave the same on those cases.
 * Usage: node scripts/bench/prop-digest.mjs [DIST_DIR] [DEFAULT] [GEN]   (defaults: ./dist, 300, 100)
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';

const dist = resolve(process.argv[2] ?? 'dist');
const nDefault = Number(process.argv[3] ?? 300);
const nGen = Number(process.argv[4] ?? 100);
const lib = (p) => import(pathToFileURL(`${dist}/${p}.js`).href);
const { bootSync } = await lib('api/boot');
const { caseArb, topologyArb } = await lib('prop/arbitraries');
const { runCase } = await lib('prop/case');

/** Digest of `runs` cases drawn from `arb` (seed 1), each run by `make()`'s machine. */
function digest(arb, runs, machineOf) {
  const h = createHash('sha256');
  let n = 0;
  fc.assert(
    fc.property(arb, ([t, c]) => {
      const m = machineOf(t);
      const r = runCase(m, c);
      h.update(JSON.stringify([r.steps, r.violations, r.committed]));
      h.update(m.dmesg({ raw: true }).join('\n'));
      h.update(JSON.stringify(m.list(['-vvv'])));
      n++;
      return true;
    }),
    { numRuns: runs, seed: 1 },
  );
  return { cases: n, sha256: h.digest('hex') };
}

const base = bootSync({ preset: 'default' }, { profile: 'latest' });
const cases = caseArb({ ram: true });
console.log(
  JSON.stringify({
    dist,
    default: digest(fc.tuple(fc.constant(undefined), cases), nDefault, () => base.clone()),
    gen: digest(fc.tuple(topologyArb({ qemu: true, maxEndpoints: 16 }), cases), nGen, (t) =>
      bootSync({ topology: t }, { profile: 'latest' }),
    ),
  }),
);
