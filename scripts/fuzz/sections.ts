/**
 * DOC: the fuzzer's in-process sections. Each runs `count` cases from the run seed and
 * returns what it saw; a *crash* is an exception that is not an errno value (Errno, QemuError)
 * or a cxlsim error (StateError) — i.e. what the CLI would print as `internal error` or as a
 * stack trace. A broken invariant counts as a crash too.
 *
 * - cedt: mutated CEDT bytes of several presets through the guest's ACPI scan and cxl_acpi
 *   probe (every 250th case a whole guest boot: cxl_pci, cxl_mem, ports, regions);
 * - qemu: mutated QEMU command lines (the captures' lines and hand-written CXL lines) through
 *   the QEMU parser, and the ones that parse through a boot;
 * - topology: mutated topology files (presets serialized to YAML) through the schema and a boot;
 * - sysfs: random write sequences on booted presets (region and decoder attributes, junk
 *   values), with invariants after each sequence: region HPA ranges disjoint inside their
 *   root decoder, each port's enabled decoders exactly 0…commit_end with ascending HPA,
 *   endpoint DPA reservations disjoint.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BootedMachine, bootGuest, bootMachine } from '../../src/boot.ts';
import { acpiScan } from '../../src/drivers/acpi/scan.ts';
import { cxlAcpiProbe } from '../../src/drivers/cxl/acpi.ts';
import { CxlEndpointDecoder, CxlRootDecoder } from '../../src/drivers/cxl/core/decoder.ts';
import { CxlPort } from '../../src/drivers/cxl/core/port.ts';
import { isCxlRegion } from '../../src/drivers/cxl/core/region/index.ts';
import { cxlAcpiDriver } from '../../src/drivers/cxl/drivers.ts';
import { attachEnv } from '../../src/drivers/env.ts';
import { buildPlatform, type Platform } from '../../src/hw/platform.ts';
import { Errno } from '../../src/kernel/errno.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import { type Profile, resolveProfile } from '../../src/profile.ts';
import { StateError } from '../../src/state/errors.ts';
import { getPreset } from '../../src/topology/presets/index.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';
import { parseTopologyFile } from '../../src/topology/schema.ts';
import { topologyToYaml } from '../../src/topology/serialize.ts';
import { mutateBytes, mutateText } from './mutate.ts';
import { caseSeed, Rng } from './rng.ts';

/** What a section saw. */
export interface SectionResult {
  cases: number;
  /** Cases that failed as expected (an errno, a refused input). */
  refused: number;
  crashes: { seed: number; message: string }[];
  /** Slowest case, ms. */
  slowestMs: number;
}

/** Called before each case (the runner records the seed, to name a hang). */
export type OnCase = (seed: number) => void;

const ROOT = new URL('../../', import.meta.url).pathname;

/** True for the failures a bad input may end in. */
function expected(e: unknown): boolean {
  return e instanceof Errno || e instanceof StateError;
}

/** Runs `count` cases of `one`; exceptions are sorted into refusals and crashes. */
function runCases(
  section: string,
  seed: number,
  count: number,
  onCase: OnCase,
  one: (r: Rng, i: number) => void,
): SectionResult {
  const res: SectionResult = { cases: 0, refused: 0, crashes: [], slowestMs: 0 };
  for (let i = 0; i < count; i++) {
    const s = caseSeed(seed, section, i);
    onCase(s);
    const t0 = performance.now();
    try {
      one(new Rng(s), i);
    } catch (e) {
      if (expected(e)) res.refused++;
      else
        res.crashes.push({
          seed: s,
          message: `${(e as Error)?.name}: ${String((e as Error)?.message ?? e).split('\n')[0]}`,
        });
    }
    res.slowestMs = Math.max(res.slowestMs, performance.now() - t0);
    res.cases++;
  }
  return res;
}

const PROFILES: Profile[] = ['latest', 'debian-12', 'debian-13'].map((p) => resolveProfile(p));

/** Mutated CEDTs through the ACPI scan and cxl_acpi (see the DOC block). */
export function fuzzCedt(seed: number, count: number, onCase: OnCase): SectionResult {
  const bases: { p: Platform; profile: Profile; cedt: Uint8Array }[] = [];
  for (const profile of PROFILES)
    for (const name of ['default', 'minimal', 'threeway']) {
      const p = buildPlatform(getPreset(name, profile.qemu), profile, {});
      const cedt = p.bus.acpi.table('CEDT');
      if (cedt) bases.push({ p, profile, cedt });
    }
  return runCases('cedt', seed, count, onCase, (r, i) => {
    const b = r.pick(bases);
    const cedt = mutateBytes(r, b.cedt);
    const bus = {
      ...b.p.bus,
      acpi: {
        table: (sig: string) => (sig === 'CEDT' ? cedt.slice() : b.p.bus.acpi.table(sig)),
        devices: () => b.p.bus.acpi.devices(),
      },
    };
    if (i % 250 === 0) {
      // a whole guest on a fresh platform of the same shape
      const p = buildPlatform(b.p.topology, b.profile, { mutateCedt: () => cedt });
      bootGuest(p, { profile: b.profile });
      return;
    }
    const kernel = new Kernel();
    attachEnv(kernel, bus, b.profile);
    kernel.registerDriver(cxlAcpiDriver);
    cxlAcpiProbe(kernel, acpiScan(kernel));
  });
}

/** The captures' QEMU lines (read by this script, never by src/) and a few hand-written ones. */
function qemuSeeds(): string[] {
  const out: string[] = [];
  for (const s of ['interleave', 'minimal', 'threeway', 'failures'])
    out.push(readFileSync(join(ROOT, 'sysfs-fixtures', s, 'host/qemu-cmdline.sh'), 'utf8'));
  out.push(
    'qemu-system-x86_64 -M q35,cxl=on -m 4G,maxmem=8G,slots=8 -object memory-backend-ram,id=m0,size=256M -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 -device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2 -device cxl-type3,bus=rp0,volatile-memdev=m0,id=mem0 -M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G',
  );
  return out;
}

/** Mutated QEMU lines through the parser and, when they parse, a boot. */
export function fuzzQemu(seed: number, count: number, onCase: OnCase): SectionResult {
  const seeds = qemuSeeds();
  return runCases('qemu', seed, count, onCase, (r) => {
    const profile = r.pick(PROFILES);
    const text = mutateText(r, r.pick(seeds));
    const t = parseQemuCommandLine(text, { qemu: profile.qemu, path: 'fuzz.sh' });
    if (r.chance(0.2)) bootMachine(t, { profile });
  });
}

/** Mutated topology files through the schema and, when they parse, a boot. */
export function fuzzTopology(seed: number, count: number, onCase: OnCase): SectionResult {
  const seeds = ['default', 'minimal', 'threeway', 'cxl_test'].map((n) =>
    topologyToYaml(getPreset(n, '11.1')),
  );
  return runCases('topology', seed, count, onCase, (r) => {
    const profile = r.pick(PROFILES);
    const t = parseTopologyFile(mutateText(r, r.pick(seeds)), 'fuzz.yaml');
    if (r.chance(0.05)) bootMachine(t, { profile });
  });
}

const devices = (m: BootedMachine) => m.kernel.buses.get('cxl')?.devices ?? [];

/** The invariants of the DOC block. @throws Error naming the broken one */
export function checkInvariants(m: BootedMachine): void {
  const fail = (what: string): never => {
    throw new Error(`invariant: ${what}`);
  };
  for (const rd of devices(m).filter((d): d is CxlRootDecoder => d instanceof CxlRootDecoder)) {
    const rs = rd.children.filter(isCxlRegion).flatMap((r) => (r.params.res ? [r.params.res] : []));
    for (const [i, a] of rs.entries()) {
      if (a.start < rd.hpaRange.start || a.end > rd.hpaRange.end)
        fail(`${rd.name}: region outside the window`);
      for (const b of rs.slice(i + 1))
        if (!(a.end < b.start || b.end < a.start)) fail(`${rd.name}: overlapping regions`);
    }
  }
  for (const port of devices(m).filter((d): d is CxlPort => d instanceof CxlPort && !d.isRoot)) {
    const decs = port.decoders();
    const enabled = decs.filter((d) => d.enabled);
    const want = decs.slice(0, port.commitEnd + 1).map((d) => d.id);
    if (enabled.map((d) => d.id).join() !== want.join())
      fail(`${port.name}: enabled decoders are not 0…commit_end`);
    for (let i = 1; i < enabled.length; i++)
      if ((enabled[i]?.hpaRange.start ?? 0n) <= (enabled[i - 1]?.hpaRange.end ?? 0n))
        fail(`${port.name}: enabled decoders not in ascending HPA order`);
    if (port.isEndpoint) {
      const res = decs
        .filter(
          (d): d is CxlEndpointDecoder => d instanceof CxlEndpointDecoder && d.dpaRes !== undefined,
        )
        .map((d) => ({ s: (d.dpaRes?.start ?? 0n) - d.skip, e: d.dpaRes?.end ?? 0n }));
      for (const [i, a] of res.entries())
        for (const b of res.slice(i + 1))
          if (!(a.e < b.s || b.e < a.s)) fail(`${port.name}: overlapping DPA reservations`);
    }
  }
}

const VALUES = [
  '1',
  '0',
  '2',
  '4',
  '-1',
  '',
  '\n',
  'x',
  'pmem',
  'ram',
  'mixed',
  'none',
  '256',
  '4096',
  '0x10000000',
  '268435456',
  '536870912',
  '0xffffffffffffffff',
  '99999999999999999999999',
  'commit',
  'region0',
  'region1',
  'decoder2.0',
  'decoder3.0',
  'decoder4.0',
  '00000000-0000-0000-0000-000000000000',
  'a'.repeat(5000),
  '\0\0',
];

/** Random sysfs write sequences (8 writes each) with the invariants after each sequence. */
export function fuzzSysfs(seed: number, count: number, onCase: OnCase): SectionResult {
  const presets = ['default', 'threeway', 'minimal'];
  let m: BootedMachine | undefined;
  let files: string[] = [];
  const writable = (mm: BootedMachine): string[] => {
    const out: string[] = [];
    const walk = (p: string, depth: number) => {
      if (depth > 12) return;
      for (const n of mm.sysfs.readdir(p)) {
        const q = `${p}/${n}`;
        const st = mm.sysfs.lstat(q);
        if (st?.kind === 'dir') walk(q, depth + 1);
        else if (st?.kind === 'file' && (st.mode & 0o222) !== 0) out.push(q);
      }
    };
    walk('bus/cxl/devices', 0);
    walk('devices/platform', 0);
    return [...new Set(out)];
  };
  return runCases('sysfs', seed, count, onCase, (r, i) => {
    if (i % 20 === 0 || !m) {
      const profile = r.pick(PROFILES);
      m = bootMachine(getPreset(r.pick(presets), profile.qemu), { profile });
      files = writable(m);
    }
    const mm = m;
    for (let k = 0; k < 8; k++) {
      const path = r.pick(files);
      const value = r.chance(0.8) ? r.pick(VALUES) : String(r.u32());
      try {
        mm.sysfs.write(path, r.chance(0.9) ? `${value}\n` : value);
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
      }
      // region attributes appear after create_*_region and go with delete_region
      if (/create_\w+_region$|delete_region$/.test(path) || r.chance(0.01)) files = writable(mm);
    }
    checkInvariants(mm);
  });
}

/**
 * Mutated state files (a valid journal of a create/destroy cycle, its bytes mutated) through
 * readState, the boot of the stored input and the replay: each must load or be refused with
 * one StateError/Errno — never crash, never be accepted half-read.
 */
export async function fuzzStateFiles(
  seed: number,
  count: number,
  onCase: OnCase,
): Promise<SectionResult> {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { readState, stateFile } = await import('../../src/state/journal.ts');
  const { replay } = await import('../../src/state/replay.ts');
  const { realDeps } = await import('../../src/cli/deps.ts');
  const { runCli } = await import('../../src/cli/program.ts');
  const dir = mkdtempSync(join(tmpdir(), 'cxlsim-fuzz-state-'));
  const io = { out: () => {}, err: () => {}, env: {}, cwd: dir };
  await runCli(['boot'], io);
  await runCli(
    ['create-region', '-m', '-d', 'decoder0.1', '-w', '2', '-g', '4096', 'mem2', 'mem0'],
    io,
  );
  await runCli(['mem', 'write', '0x210000000', 'deadbeef'], io);
  await runCli(['destroy-region', '-f', 'all'], io);
  const good = readFileSync(stateFile(join(dir, '.cxlsim')), 'utf8');
  const res: SectionResult = { cases: 0, refused: 0, crashes: [], slowestMs: 0 };
  const sdir = join(dir, 's');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(sdir);
  for (let i = 0; i < count; i++) {
    const s = caseSeed(seed, 'state', i);
    onCase(s);
    const r = new Rng(s);
    const text = r.chance(0.5)
      ? mutateText(r, good)
      : Buffer.from(mutateBytes(r, Buffer.from(good))).toString('latin1');
    writeFileSync(stateFile(sdir), text);
    const t0 = performance.now();
    try {
      const st = readState(sdir);
      if (st) {
        const topo = await realDeps.topology(st.input, st.profile);
        replay(await realDeps.boot(topo, { profile: st.profile, dyndbg: st.dyndbg }), st.ops, 'f');
      }
    } catch (e) {
      if (expected(e)) res.refused++;
      else
        res.crashes.push({
          seed: s,
          message: `${(e as Error)?.name}: ${String((e as Error)?.message).split('\n')[0]}`,
        });
    }
    res.slowestMs = Math.max(res.slowestMs, performance.now() - t0);
    res.cases++;
  }
  rmSync(dir, { recursive: true, force: true });
  return res;
}

/** The in-process sections by name. */
export const SECTIONS: Record<
  string,
  (seed: number, count: number, onCase: OnCase) => SectionResult | Promise<SectionResult>
> = {
  cedt: fuzzCedt,
  qemu: fuzzQemu,
  topology: fuzzTopology,
  sysfs: fuzzSysfs,
  state: fuzzStateFiles,
};
