/**
 * Issue 2 acceptance: booting each capture's QEMU command line with the capture's stack gives
 * (a) `cxl list` output JSON-equal to every 00-boot/cxl-list file (through canon.py identities)
 * and (b) the same sysfs.txt entries for bus/cxl and every CXL device directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cxlList } from '../../src/list/index.ts';
import { dumpSysfs } from '../../src/sysfs/dump.ts';
import { canonDump, canonEntries, canonJsonText, identityMap } from '../helpers/canon.ts';
import { bootScenario, bootScenarios, FIXTURES, isCxlEntry } from './capture-helpers.ts';

/** index.txt lines: "name<TAB>cxl list <flags><TAB>rc=N". */
function listIndex(dir: string): { name: string; args: string[]; rc: number }[] {
  const f = join(dir, 'cxl-list/index.txt');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name = '', cmd = '', rc = 'rc=0'] = l.split('\t');
      return {
        name,
        args: cmd
          .replace(/^cxl list\s*/, '')
          .split(/\s+/)
          .filter(Boolean),
        rc: Number(rc.slice(3)),
      };
    });
}

const entryKey = (e: { kind: string; path: string; rest: string[]; body: string[] }) =>
  [e.kind, e.path, ...e.rest, ...e.body.map((b) => `|${b}`)].join('\t');

for (const scenario of bootScenarios()) {
  describe(`boot ${scenario} (debian-12)`, () => {
    const snap = join(FIXTURES, scenario, '00-boot');
    const capEnts = canonEntries(readFileSync(join(snap, 'sysfs.txt'), 'utf8'));
    const capMap = identityMap(capEnts);
    const m = bootScenario(scenario);
    const ourText = dumpSysfs(m.sysfs);
    const ourEnts = canonEntries(ourText);
    const ourMap = identityMap(ourEnts);

    for (const { name, args, rc } of listIndex(snap)) {
      it(`cxl list ${args.join(' ')} equals ${name}.json`, () => {
        const r = cxlList(m.sysfs, args, { ioctl: m.ioctl, ndctl: '76.1' });
        expect(r.code).toBe(rc);
        const want = canonJsonText(
          readFileSync(join(snap, 'cxl-list', `${name}.json`), 'utf8'),
          capMap,
        );
        expect(canonJsonText(r.stdout, ourMap)).toEqual(want);
      });
    }

    it('sysfs entries of bus/cxl and CXL device directories equal the capture', () => {
      const want = canonDump(capEnts, capMap)
        .filter((e) => isCxlEntry(e.path))
        .map(entryKey);
      const got = canonDump(ourEnts, ourMap)
        .filter((e) => isCxlEntry(e.path))
        .map(entryKey);
      const missing = want.filter((k) => !got.includes(k));
      const extra = got.filter((k) => !want.includes(k));
      expect({ missing, extra }).toEqual({ missing: [], extra: [] });
    });
  });
}
