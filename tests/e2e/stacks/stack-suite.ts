/**
 * One boot test per capture of a newer stack (sysfs-fixtures/stacks/<stack>/<scenario>): the
 * capture's host/qemu-cmdline.sh booted with the stack's profile, then compared in canon.py
 * identity space with its 00-boot snapshot:
 *   (a) every `cxl list` of 00-boot/cxl-list/index.txt (exit code and JSON),
 *   (b) every CXL entry of 00-boot/sysfs.txt (kind, path, link target, mode, content),
 *   (c) the CXL driver lines of 00-boot/dmesg.txt at boot (info and above; dmesg at level < 7).
 * Differences kept are listed explicitly ({@link KnownDiff}: path pattern or list file, and the
 * reason); the test fails on a difference the list does not name and on a list entry that
 * matches no difference (so the list can only shrink as cxlsim improves). Every suite asserts
 * how many scenarios and listings it built: a missing fixture fails, it does not skip.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cxlList } from '../../../src/ndctl/cxl/list.ts';
import { dumpSysfs } from '../../../src/sysfs/dump.ts';
import { canonJsonText, rename } from '../../helpers/canon.ts';
import {
  bootScenario,
  bootScenarios,
  compareCxlSysfs,
  listIndex,
  listJsonFiles,
  type Stack,
  stackDir,
  stackProfile,
} from '../capture-helpers.ts';

/** A difference kept on purpose, with its reason. */
export interface KnownDiff {
  /** Scenarios it applies to; absent = every scenario of the stack. */
  scenarios?: string[];
  /** A sysfs difference: canon path pattern of the differing entries… */
  sysfs?: RegExp;
  /** …or a `cxl list` difference: the listing's name in index.txt (e.g. 'vvv'). */
  list?: string;
  /** …or a dmesg difference: pattern of the canon-renamed line. */
  dmesg?: RegExp;
  /** Why it is kept (and who owns the fix). */
  reason: string;
}

/**
 * The boot dmesg lines below KERN_DEBUG, "[    2.671235] " dropped, canon-renamed: from
 * dmesg-raw.txt ("<level>[time] text") when the capture has it (a dynamic-debug boot, whose
 * dmesg.txt also holds the debug lines), else from dmesg.txt (debug lines not logged).
 */
function dmesgLines(snap: string, m: Map<string, string>): string[] {
  const raw = join(snap, 'dmesg-raw.txt');
  const strip = (l: string) => l.replace(/^\[\s*[\d.]+\]\s?/, '');
  const lines = existsSync(raw)
    ? readFileSync(raw, 'utf8')
        .split('\n')
        .filter((l) => /^<[0-6]>/.test(l))
        .map((l) => strip(l.slice(3)))
    : readFileSync(join(snap, 'dmesg.txt'), 'utf8').split('\n').map(strip);
  return lines.filter(Boolean).map((l) => rename(l, m));
}

/**
 * The boot dmesg lines cxlsim answers for: those of the CXL drivers (cxl_*), of CXL devices
 * (memN, pmemN, portN, decoders, endpoints, ACPI0017) and cxl_acpi's host bridge lines.
 */
const CXL_DMESG =
  /^(cxl_\w+|cxl) |^(\S+ )?(MEM|PMEM|EP|PORT|DEC)\[|^ ?pci[0-9a-f]{4}:[0-9a-f]{2}: host supports CXL/;

function applies(k: KnownDiff, scenario: string): boolean {
  return !k.scenarios || k.scenarios.includes(scenario);
}

/** Registers the suite of one stack. */
export function stackBootSuite(stack: Stack, scenarios: string[], known: KnownDiff[]): void {
  const dir = stackDir(stack);
  const profile = stackProfile(stack);
  /** Known entries used by some scenario (each must be used at least once overall). */
  const used = new Set<KnownDiff>();
  /** Records a known difference as used; true when there is one. */
  const mark = (k: KnownDiff | undefined): boolean => {
    if (k) used.add(k);
    return k !== undefined;
  };

  it(`${stack}: every capture with a QEMU line and a boot snapshot is tested`, () => {
    expect(bootScenarios(stack)).toEqual(scenarios);
  });

  for (const scenario of scenarios) {
    describe(`boot ${stack}/${scenario}`, () => {
      const snap = join(dir, scenario, '00-boot');
      const m = bootScenario(scenario, false, stack);
      const cmp = compareCxlSysfs(
        readFileSync(join(snap, 'sysfs.txt'), 'utf8'),
        dumpSysfs(m.sysfs),
      );
      const lists = listIndex(snap);
      const mine = known.filter((k) => applies(k, scenario));

      it('index.txt names every cxl-list/*.json file (12 listings)', () => {
        expect(lists.map((l) => l.name).sort()).toEqual(listJsonFiles(snap));
        expect(lists.length).toBe(12);
      });

      for (const { name, args, rc } of lists) {
        const k = mine.find((x) => x.list === name);
        it(`cxl list ${args.join(' ')} ${k ? 'differs as listed' : 'equals'} ${name}.json`, () => {
          const r = cxlList(m.sysfs, args, { ioctl: m.ioctl, ndctl: profile.ndctl });
          const want = canonJsonText(
            readFileSync(join(snap, 'cxl-list', `${name}.json`), 'utf8'),
            cmp.capMap,
          );
          let got: unknown;
          try {
            got = canonJsonText(r.stdout, cmp.ourMap);
          } catch {
            got = r.stdout;
          }
          if (k) {
            used.add(k);
            // a listed difference must still be one (else the list is stale)
            expect(r.code === rc && isDeepStrictEqual(got, want), k.reason).toBe(false);
            return;
          }
          expect(r.code).toBe(rc);
          expect(got).toEqual(want);
        });
      }

      it('every CXL sysfs entry equals the capture, apart from the listed differences', () => {
        expect(cmp.want.length).toBe(cmp.rawCount);
        expect(cmp.want.length).toBeGreaterThan(100);
        const pathOf = (key: string) => key.split('\t')[1] ?? '';
        const diffs = [...cmp.missing, ...cmp.extra];
        const explained = (key: string) => mark(mine.find((k) => k.sysfs?.test(pathOf(key))));
        expect(diffs.filter((d) => !explained(d))).toEqual([]);
        const stale = mine.filter((k) => k.sysfs && !diffs.some((d) => k.sysfs?.test(pathOf(d))));
        expect(stale.map((k) => k.reason)).toEqual([]);
      });

      const dmesgFile = join(snap, 'dmesg.txt');
      it('the CXL dmesg lines at boot equal the capture (as a multiset), apart from listed ones', () => {
        expect(existsSync(dmesgFile)).toBe(true);
        const want = dmesgLines(snap, cmp.capMap)
          .filter((l) => CXL_DMESG.test(l))
          .sort();
        const got = m.kernel.log.lines
          .filter((l) => l.level < 7)
          .map((l) => rename(l.text, cmp.ourMap))
          .filter((l) => CXL_DMESG.test(l))
          .sort();
        const missing = want.filter(
          (l, i) => want.indexOf(l) === i && count(want, l) > count(got, l),
        );
        const extra = got.filter((l, i) => got.indexOf(l) === i && count(got, l) > count(want, l));
        const diffs = [...missing, ...extra];
        const explained = (l: string) => mark(mine.find((k) => k.dmesg?.test(l)));
        expect(diffs.filter((d) => !explained(d))).toEqual([]);
        const stale = mine.filter((k) => k.dmesg && !diffs.some((d) => k.dmesg?.test(d)));
        expect(stale.map((k) => k.reason)).toEqual([]);
      });
    });
  }

  it(`${stack}: every known difference is used by some scenario`, () => {
    // runs after the scenario blocks (vitest runs tests in definition order)
    expect(known.filter((k) => !used.has(k)).map((k) => k.reason)).toEqual([]);
  });
}

function count(a: string[], x: string): number {
  return a.reduce((n, y) => n + (y === x ? 1 : 0), 0);
}
