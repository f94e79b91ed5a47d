/**
 * Helpers for comparing a booted cxlsim machine with a kernel capture: where each stack's
 * captures live (debian-12: sysfs-fixtures/<scenario>; the others: sysfs-fixtures/stacks/<stack>/
 * <scenario>), which sysfs entries count as CXL entries (raw or canon.py-renamed paths), and
 * booting a scenario's QEMU command line with its stack's profile.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BootedMachine, bootMachine } from '../../src/boot.ts';
import { type Profile, resolveProfile } from '../../src/profile.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';
import { canonDump, canonEntries, identityMap } from '../helpers/canon.ts';

export const FIXTURES = join(import.meta.dirname, '../../sysfs-fixtures');

/** A stack with real captures. latest-arm64 runs the latest profile on QEMU's arm64 `virt`. */
export type Stack = 'debian-12' | 'debian-13' | 'latest' | 'latest-arm64';

/** The folder holding a stack's scenario folders. */
export function stackDir(stack: Stack): string {
  return stack === 'debian-12' ? FIXTURES : join(FIXTURES, 'stacks', stack);
}

/** The profile a stack's captures were taken with. */
export function stackProfile(stack: Stack): Profile {
  return resolveProfile(stack === 'latest-arm64' ? 'latest' : stack);
}

/** Scenarios of a stack that have a QEMU command line and a 00-boot snapshot, sorted. */
export function bootScenarios(stack: Stack = 'debian-12'): string[] {
  const dir = stackDir(stack);
  return readdirSync(dir)
    .filter(
      (s) =>
        existsSync(join(dir, s, 'host/qemu-cmdline.sh')) &&
        existsSync(join(dir, s, '00-boot/sysfs.txt')),
    )
    .sort();
}

/** Boots a capture's command line with its stack's profile (default: debian-12). */
export function bootScenario(
  scenario: string,
  dyndbg = false,
  stack: Stack = 'debian-12',
): BootedMachine {
  const profile = stackProfile(stack);
  const text = readFileSync(join(stackDir(stack), scenario, 'host/qemu-cmdline.sh'), 'utf8');
  const topo = parseQemuCommandLine(text, {
    qemu: profile.qemu,
    path: `${scenario}/host/qemu-cmdline.sh`,
  });
  return bootMachine(topo, { profile, dyndbg });
}

/** A CXL device directory name, raw (kernel numbering). */
const CXL_DIR =
  /^(root|port|endpoint|decoder|mem|region|nvdimm-bridge|pmem|pmem_region|dax_region)\d+(\.\d+)?$/;
/**
 * The same directories after canon.py's renaming (tests/helpers/canon.ts): MEM[bdf], PMEM[bdf],
 * EP[bdf], PORT[uport], DEC[owner].N. Renamed names hold no '/', so a path splits as before.
 */
const CANON_DIR = /^(MEM|PMEM|EP|PORT)\[[^/]+\]$|^DEC\[[^/]+\]\.\d+$/;

/**
 * True for an entry the fidelity check compares: everything under bus/cxl, and every path that
 * holds a CXL device directory (rootN, portN, endpointN, decoderX.Y, memN, regionN,
 * nvdimm-bridgeN, pmemN …, raw or canon-renamed) — libnvdimm ndbus subtrees excluded.
 */
export function isCxlEntry(path: string): boolean {
  if (/\/ndbus\d+(\/|$)/.test(path)) return false;
  if (path === 'bus/cxl' || path.startsWith('bus/cxl/')) return true;
  return path.split('/').some((p) => CXL_DIR.test(p) || CANON_DIR.test(p));
}

/** index.txt lines of a 00-boot/cxl-list folder: "name<TAB>cxl list <flags><TAB>rc=N". */
export function listIndex(snap: string): { name: string; args: string[]; rc: number }[] {
  const f = join(snap, 'cxl-list/index.txt');
  if (!existsSync(f)) throw new Error(`missing fixture ${f}`);
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

/** The .json files of a 00-boot/cxl-list folder (to check index.txt names each of them). */
export function listJsonFiles(snap: string): string[] {
  return readdirSync(join(snap, 'cxl-list'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** One canon record as a comparable line: kind, path, other fields, '|' body lines. */
export const entryKey = (e: { kind: string; path: string; rest: string[]; body: string[] }) =>
  [e.kind, e.path, ...e.rest, ...e.body.map((b) => `|${b}`)].join('\t');

/**
 * The CXL entries of two sysfs.txt dumps in canon identity space, and which differ.
 * `rawCount` counts the capture's CXL entries by their raw (kernel-numbered) paths, so a caller
 * can prove the canonical filter kept every one of them.
 */
export function compareCxlSysfs(capText: string, ourText: string) {
  const capEnts = canonEntries(capText);
  const ourEnts = canonEntries(ourText);
  const capMap = identityMap(capEnts);
  const ourMap = identityMap(ourEnts);
  const want = canonDump(capEnts, capMap)
    .filter((e) => isCxlEntry(e.path))
    .map(entryKey);
  const got = canonDump(ourEnts, ourMap)
    .filter((e) => isCxlEntry(e.path))
    .map(entryKey);
  const gotSet = new Set(got);
  const wantSet = new Set(want);
  return {
    capMap,
    ourMap,
    want,
    got,
    rawCount: capEnts.filter((e) => isCxlEntry(e.path)).length,
    missing: want.filter((k) => !gotSet.has(k)),
    extra: got.filter((k) => !wantSet.has(k)),
  };
}
