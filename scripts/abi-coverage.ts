/**
 * Writes docs/abi-coverage.md: how much of the /sys/bus/cxl ABI (sysfs-fixtures/reference/
 * sysfs-abi.json) cxlsim's exported trees show, per kernel profile (latest, debian-12).
 *
 * usage: npx tsx scripts/abi-coverage.ts [--check]
 *   --check  recompute and compare with the doc instead of writing it: exit 1 when a percentage
 *            dropped below the one written there (what tests/docs/abi-coverage.test.ts checks).
 * See scripts/conformance/abi-report.ts for what "applicable" and "covered" mean.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAbi } from './conformance/abi-reference.ts';
import {
  ABI_PROFILES,
  parseAbiTotals,
  profileCoverage,
  renderAbiCoverage,
} from './conformance/abi-report.ts';

const DOC = join(import.meta.dirname, '..', 'docs', 'abi-coverage.md');
const records = loadAbi();
const cs = ABI_PROFILES.map((p) => profileCoverage(p, records));
for (const c of cs)
  process.stdout.write(
    `${c.profile} (Linux ${c.kernel}): ${c.covered}/${c.applicable} applicable attributes covered (${c.percent}%), ${c.neverVisible} never visible (strict ${c.strictPercent}%)\n`,
  );
if (process.argv.includes('--check')) {
  const want = parseAbiTotals(readFileSync(DOC, 'utf8'));
  let ok = true;
  for (const c of cs) {
    const [pct = 0, strict = 0] = want.get(c.profile) ?? [];
    if (c.percent < pct || c.strictPercent < strict) {
      process.stderr.write(
        `${c.profile}: coverage dropped below ${pct}% / ${strict}% (docs/abi-coverage.md)\n`,
      );
      ok = false;
    }
  }
  process.exit(ok ? 0 : 1);
}
writeFileSync(DOC, renderAbiCoverage(cs, records));
process.stdout.write(`wrote ${DOC}\n`);
