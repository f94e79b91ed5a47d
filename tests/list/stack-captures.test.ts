/**
 * Every `cxl list` run of the latest, debian-13 and latest-arm64 captures (boot and every step
 * that has a cxl-list/ folder), replayed over THAT snapshot's own sysfs.txt with the stack's
 * ndctl (latest and latest-arm64: 85, debian-13: 81): stdout, stderr and exit code must equal
 * the guest's byte for byte. This isolates the ndctl emulation from cxlsim's sysfs generation:
 * only what sysfs.txt lacks (debugfs/tracefs under /sys/kernel, the memdev mailbox) comes from
 * cxlsim booted on the scenario's QEMU line with the stack's profile (tests/helpers/capture-guest.ts).
 * Golden data: sysfs-fixtures/stacks/<stack>/<scenario>/<snapshot>/cxl-list/ (index.txt: file,
 * command line, rc; <file>.json stdout; <file>.stderr when non-empty).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import type { Machine } from '../../src/machine.ts';
import { cxlList } from '../../src/ndctl/cxl/list.ts';
import { type NdctlVersion, resolveProfile } from '../../src/profile.ts';
import type { SysfsView } from '../../src/sysfs/view.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';
import { captureGuest } from '../helpers/capture-guest.ts';
import { loadSysfsTxt } from '../helpers/sysfs-txt.ts';

const STACKS = join(import.meta.dirname, '..', '..', 'sysfs-fixtures', 'stacks');

/** Each stack's profile and ndctl, and how many list runs its captures hold. */
const STACK: Record<string, { profile: string; ndctl: NdctlVersion; cases: number }> = {
  latest: { profile: 'latest', ndctl: '85', cases: 264 },
  'debian-13': { profile: 'debian-13', ndctl: '81', cases: 168 },
  'latest-arm64': { profile: 'latest', ndctl: '85', cases: 12 },
};

/**
 * Runs whose output is known to differ, by "<stack>/<scenario>/<snapshot>/<file>" (or a
 * "<stack>/*\/<file>" pattern) → the reason. Each is checked to still differ, so that a fix
 * shows up here.
 */
const KNOWN: Record<string, string> = {};

interface Case {
  stack: string;
  key: string;
  dir: string;
  file: string;
  args: string[];
  rc: number;
}

function cases(stack: string): { scenario: string; list: Case[] }[] {
  const out: { scenario: string; list: Case[] }[] = [];
  for (const scenario of readdirSync(join(STACKS, stack)).sort()) {
    const sdir = join(STACKS, stack, scenario);
    if (!existsSync(join(sdir, 'host', 'qemu-cmdline.sh'))) continue;
    const list: Case[] = [];
    for (const snap of readdirSync(sdir).sort()) {
      const idx = join(sdir, snap, 'cxl-list', 'index.txt');
      if (!existsSync(idx)) continue;
      for (const l of readFileSync(idx, 'utf8').split('\n')) {
        if (l.trim() === '') continue;
        const [file = '', cmd = '', rc = ''] = l.split('\t');
        const args = cmd
          .replace(/^cxl list/, '')
          .trim()
          .split(/\s+/)
          .filter(Boolean);
        const key = `${stack}/${scenario}/${snap}/${file}`;
        list.push({ stack, key, dir: join(sdir, snap), file, args, rc: Number(rc.slice(3)) });
      }
    }
    out.push({ scenario, list });
  }
  return out;
}

/** Snapshot views by directory (each snapshot has about twelve runs). */
const views = new Map<string, SysfsView>();

function knownReason(c: Case): string | undefined {
  return KNOWN[c.key] ?? KNOWN[`${c.stack}/*/${c.file}`];
}

for (const [stack, st] of Object.entries(STACK)) {
  const scenarios = cases(stack);
  const all = scenarios.flatMap((s) => s.list);
  describe(`cxl list over the ${stack} captures' own sysfs (ndctl ${st.ndctl})`, () => {
    it(`builds ${st.cases} cases`, () => {
      expect(all.length).toBe(st.cases);
    });
    for (const { scenario, list } of scenarios) {
      let machine: Machine | undefined;
      const getMachine = (): Machine => {
        if (!machine) {
          const profile = resolveProfile(st.profile);
          const text = readFileSync(
            join(STACKS, stack, scenario, 'host', 'qemu-cmdline.sh'),
            'utf8',
          );
          const topo = parseQemuCommandLine(text, { qemu: profile.qemu, path: `${scenario}/qemu` });
          machine = bootMachine(topo, { profile });
        }
        return machine;
      };
      for (const c of list) {
        it(`${c.key}: cxl list ${c.args.join(' ')}`, () => {
          let view = views.get(c.dir);
          if (!view) {
            view = loadSysfsTxt(join(c.dir, 'sysfs.txt'));
            views.set(c.dir, view);
          }
          const g = captureGuest(view, getMachine());
          const r = cxlList(g.view, c.args, { ndctl: st.ndctl, ioctl: g.ioctl });
          const stdout = readFileSync(join(c.dir, 'cxl-list', `${c.file}.json`), 'utf8');
          const errFile = join(c.dir, 'cxl-list', `${c.file}.stderr`);
          const stderr = existsSync(errFile) ? readFileSync(errFile, 'utf8') : '';
          const same = r.stdout === stdout && r.stderr === stderr && r.code === c.rc;
          const why = knownReason(c);
          if (why !== undefined) {
            expect(same, `known difference fixed, drop it from KNOWN: ${why}`).toBe(false);
            return;
          }
          expect(r.stdout).toBe(stdout);
          expect(r.stderr).toBe(stderr);
          expect(r.code).toBe(c.rc);
        });
      }
    }
  });
}
