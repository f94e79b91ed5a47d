/**
 * docs/abi-coverage.md stays true: the ABI coverage is recomputed from the reference
 * (sysfs-fixtures/reference/sysfs-abi.json) over freshly exported trees of every preset, and
 * neither percentage written in the doc may drop. Also checks the checker itself on a tree
 * with known defects, so that a coverage number cannot come from a checker that sees nothing.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findObjects,
  type Tallies,
  tallyTree,
  verdict,
} from '../../scripts/conformance/abi-check.ts';
import { loadAbi } from '../../scripts/conformance/abi-reference.ts';
import {
  ABI_PROFILES,
  parseAbiTotals,
  profileCoverage,
} from '../../scripts/conformance/abi-report.ts';
import { bootMachine } from '../../src/boot.ts';
import { resolveProfile } from '../../src/profile.ts';
import { exportSysfs } from '../../src/sysfs/export.ts';
import { getPreset } from '../../src/topology/presets/index.ts';

const DOC = join(import.meta.dirname, '..', '..', 'docs', 'abi-coverage.md');
const records = loadAbi();

describe('docs/abi-coverage.md', () => {
  const written = parseAbiTotals(readFileSync(DOC, 'utf8'));

  it('states a coverage for each profile, ≥ 95% under latest', () => {
    expect([...written.keys()].sort()).toEqual([...ABI_PROFILES].sort());
    expect(written.get('latest')?.[0]).toBeGreaterThanOrEqual(95);
  });

  for (const profile of ABI_PROFILES) {
    it(`${profile}: the recomputed coverage has not dropped below the doc's`, () => {
      const c = profileCoverage(profile, records);
      const [pct = 100, strict = 100] = written.get(profile) ?? [];
      expect(c.percent).toBeGreaterThanOrEqual(pct);
      expect(c.strictPercent).toBeGreaterThanOrEqual(strict);
      // nothing of a later kernel leaks into an older one
      expect(
        [...c.verdicts].filter(([, v]) => v === 'visible too early').map(([r]) => r.path),
      ).toEqual([]);
    }, 60_000);
  }
});

describe('the ABI checker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cxlsim-abi-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const profile = resolveProfile('latest');
  const m = bootMachine(getPreset('minimal', profile.qemu), { profile });
  const tree = join(dir, 'sys');
  exportSysfs(m.sysfs, tree);
  const objs = findObjects(tree);
  const byName = (n: string) => records.find((r) => r.name === n) as (typeof records)[number];
  const check = (): Tallies => {
    const t: Tallies = new Map();
    tallyTree(records, tree, t);
    return t;
  };

  it('finds every kind of object of the minimal topology', () => {
    const kinds = new Set(objs.map((o) => o.kind));
    for (const k of [
      'bus',
      'root',
      'port',
      'endpoint',
      'root_decoder',
      'switch_decoder',
      'endpoint_decoder',
      'memdev',
      'nvdimm_bridge',
      'nvdimm',
    ])
      expect(kinds, k).toContain(k);
  });

  it('sees a missing file, a wrong mode and a wrong format', () => {
    const mem = objs.find((o) => o.kind === 'memdev')?.dir as string;
    const dec = objs.find((o) => o.kind === 'root_decoder')?.dir as string;
    expect(verdict(byName('serial'), check().get(byName('serial')) ?? new Map(), '7.0')).toBe(
      'covered',
    );
    unlinkSync(join(mem, 'serial'));
    chmodSync(join(dec, 'start'), 0o444);
    writeFileSync(join(dec, 'cap_ram'), 'yes\n');
    const t = check();
    expect(verdict(byName('serial'), t.get(byName('serial')) ?? new Map(), '7.0')).toBe('missing');
    expect(verdict(byName('start'), t.get(byName('start')) ?? new Map(), '7.0')).toBe('wrong mode');
    expect(verdict(byName('cap_ram'), t.get(byName('cap_ram')) ?? new Map(), '7.0')).toBe(
      'wrong format',
    );
  });

  it('calls an attribute of a later kernel visible too early', () => {
    const t = check();
    const r = byName('decoders_committed');
    expect(verdict(r, t.get(r) ?? new Map(), '6.1')).toBe('visible too early');
  });
});
