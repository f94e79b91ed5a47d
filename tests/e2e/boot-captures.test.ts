/**
 * Issue 2 acceptance: booting each capture's QEMU command line with the capture's stack gives
 * (a) `cxl list` output JSON-equal to every 00-boot/cxl-list file (through canon.py identities)
 * and (b) the same sysfs.txt entries for bus/cxl and every CXL device directory.
 * Cases are built from files; their number is asserted, so a missing fixture fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cxlList } from '../../src/ndctl/cxl/list.ts';
import { dumpSysfs } from '../../src/sysfs/dump.ts';
import { canonJsonText } from '../helpers/canon.ts';
import {
  bootScenario,
  bootScenarios,
  compareCxlSysfs,
  FIXTURES,
  listIndex,
  listJsonFiles,
} from './capture-helpers.ts';

const SCENARIOS = ['failures', 'interleave', 'interleave-dyndbg', 'minimal', 'threeway'];

it('every debian-12 capture with a QEMU line and a boot snapshot is tested', () => {
  expect(bootScenarios()).toEqual(SCENARIOS);
});

for (const scenario of SCENARIOS) {
  describe(`boot ${scenario} (debian-12)`, () => {
    const snap = join(FIXTURES, scenario, '00-boot');
    const m = bootScenario(scenario);
    const cmp = compareCxlSysfs(readFileSync(join(snap, 'sysfs.txt'), 'utf8'), dumpSysfs(m.sysfs));
    const lists = listIndex(snap);

    it('index.txt names every cxl-list/*.json file (12 listings)', () => {
      expect(lists.map((l) => l.name).sort()).toEqual(listJsonFiles(snap));
      expect(lists.length).toBe(12);
    });

    for (const { name, args, rc } of lists) {
      it(`cxl list ${args.join(' ')} equals ${name}.json`, () => {
        const r = cxlList(m.sysfs, args, { ioctl: m.ioctl, ndctl: '76.1' });
        expect(r.code).toBe(rc);
        const want = canonJsonText(
          readFileSync(join(snap, 'cxl-list', `${name}.json`), 'utf8'),
          cmp.capMap,
        );
        expect(canonJsonText(r.stdout, cmp.ourMap)).toEqual(want);
      });
    }

    it('sysfs entries of bus/cxl and CXL device directories equal the capture', () => {
      // the canonical filter keeps every entry the raw-name filter keeps
      expect(cmp.want.length).toBe(cmp.rawCount);
      expect(cmp.want.length).toBeGreaterThan(100);
      expect({ missing: cmp.missing, extra: cmp.extra }).toEqual({ missing: [], extra: [] });
    });
  });
}
