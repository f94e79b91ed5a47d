/**
 * `cxlsim doctor` against what really happened: for every capture (all stacks) its QEMU line
 * goes through the doctor with the capture's profile, and the region steps of its
 * scenario.guest (in order, `cxl` commands only, cleanup after the steps that ask for it) are
 * predicted with `--try`. Each create-region's prediction — created, or refused and by whom —
 * must match the capture's step: created when ndctl said "created N region" (N ≥ 1); refused
 * by the kernel when ndctl reports a refused sysfs write ("failed to set target", "set_… failed:
 * <errno text>", "failed to commit decode: …"), else by ndctl itself. Device names go through
 * canon identities (the capture's sysfs.txt vs our dump), as in the e2e replay. The topology
 * files in ../shared/topologies (copied in sysfs-fixtures/topologies) go through the doctor too.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { doctor } from '../../src/doctor/index.ts';
import { resolveProfile } from '../../src/profile.ts';
import { dumpSysfs } from '../../src/sysfs/dump.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';
import { canonEntries, identityMap, rename } from '../helpers/canon.ts';

const FIX = join(import.meta.dirname, '../../sysfs-fixtures');

/** Capture folders with a QEMU line: [folder, profile]. */
function captures(): [string, string][] {
  const out: [string, string][] = [];
  for (const s of readdirSync(FIX))
    if (existsSync(join(FIX, s, 'host/qemu-cmdline.sh'))) out.push([s, 'debian-12']);
  for (const stack of readdirSync(join(FIX, 'stacks'))) {
    const dir = join(FIX, 'stacks', stack);
    if (!existsSync(join(dir, 'README.md'))) continue;
    for (const s of readdirSync(dir))
      if (existsSync(join(dir, s, 'host/qemu-cmdline.sh')))
        out.push([`stacks/${stack}/${s}`, stack === 'latest-arm64' ? 'latest' : stack]);
  }
  return out.sort();
}

interface Step {
  name: string;
  argv: string[];
  cleanup: boolean;
  stderr: string;
  create: boolean;
}

function steps(cap: string): Step[] {
  const script = join(FIX, cap, 'host/scenario.guest');
  // boot-only captures (threeway on debian-12, the arm64 one) have no guest script
  if (!existsSync(script)) return [];
  const text = readFileSync(script, 'utf8');
  const out: Step[] = [];
  for (const line of text.split('\n')) {
    const m = /^step (\S+) cxl (.*)$/.exec(line);
    if (!m) continue;
    const dir = join(FIX, cap, m[1] as string, 'step');
    if (!existsSync(join(dir, 'cmd.txt'))) continue;
    const cmd = readFileSync(join(dir, 'cmd.txt'), 'utf8').trim();
    const argv = cmd.split(/\s+/).slice(1);
    out.push({
      name: m[1] as string,
      argv,
      cleanup: /;\s*cleanup\s*$/.test(m[2] as string),
      stderr: readFileSync(join(dir, 'stderr.txt'), 'utf8'),
      create: argv[0] === 'create-region',
    });
  }
  return out;
}

/** What the capture shows: created, or refused by ndctl / the kernel. */
function actual(stderr: string): string {
  if (/created [1-9]\d* region/.test(stderr)) return 'created';
  const kernel =
    /failed to set target|set_\w+ failed: |failed to commit decode|: (Invalid argument|No such device or address|No space left on device|Device or resource busy)$/m;
  return kernel.test(stderr) ? 'refused by kernel' : 'refused by ndctl';
}

const ALL = captures();

describe('doctor predicts every capture’s region steps', () => {
  it('finds every capture (all stacks) and their create-region steps', () => {
    expect(ALL.length).toBe(15);
    const n = ALL.reduce((k, [c]) => k + steps(c).filter((s) => s.create).length, 0);
    expect(n).toBe(41);
  });

  it.each(ALL)('%s (%s)', (cap, profileName) => {
    const profile = resolveProfile(profileName);
    const text = readFileSync(join(FIX, cap, 'host/qemu-cmdline.sh'), 'utf8');
    const capMap = identityMap(
      canonEntries(readFileSync(join(FIX, cap, '00-boot/sysfs.txt'), 'utf8')),
    );
    const ours = bootMachine(parseQemuCommandLine(text, { qemu: profile.qemu }), { profile });
    const ourMap = identityMap(canonEntries(dumpSysfs(ours.sysfs)));
    const toOurs = new Map([...ourMap].map(([name, id]) => [id, name]));
    const capToOurs = new Map([...capMap].map(([name, id]) => [name, toOurs.get(id) ?? id]));
    const st = steps(cap);
    const tries: string[][] = [];
    const judged: { name: string; index: number; want: string }[] = [];
    for (const s of st) {
      if (s.create) judged.push({ name: s.name, index: tries.length, want: actual(s.stderr) });
      tries.push(s.argv.map((a) => rename(a, capToOurs)));
      if (s.cleanup) tries.push(['destroy-region', '-f', 'all']);
    }
    const [r] = doctor({ text, profiles: [profile], tries });
    expect(r?.qemuError).toBeUndefined();
    const got = judged.map((j) => {
      const p = r?.predictions[j.index];
      return `${j.name}: ${p?.ok ? 'created' : `refused by ${p?.refusedBy}`}`;
    });
    expect(got).toEqual(judged.map((j) => `${j.name}: ${j.want}`));
  });
});

describe('doctor on the shared topologies', () => {
  const dir = join(FIX, 'topologies');
  const files = readdirSync(dir).filter((f) => f.endsWith('.qemu'));
  it('reads both .qemu topologies', () => {
    expect(files.sort()).toEqual(['armvirt-2hb-switches.qemu', 'armvirt-vfio-4gpu.qemu']);
  });
  it.each(files)('%s: every profile answers, findings name an option', (f) => {
    const text = readFileSync(join(dir, f), 'utf8');
    const rs = doctor({
      text,
      profiles: ['debian-12', 'debian-13', 'latest'].map((p) => resolveProfile(p)),
    });
    expect(rs).toHaveLength(3);
    for (const r of rs) for (const x of r.findings) expect(x.option.length).toBeGreaterThan(0);
    // the latest QEMU accepts both lines (arm virt with CXL: QEMU ≥ 10.1)
    expect(rs[2]?.qemuError).toBeUndefined();
  });
});
