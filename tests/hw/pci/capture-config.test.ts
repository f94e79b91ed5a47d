/**
 * Every CXL function's 4 KiB config space against the captures of every stack that dumped
 * them (00-boot/pci/<bdf>.config.xxd, written by the running guest): debian-12 (QEMU 7.2),
 * debian-13 (10.0), latest (11.1) and latest-arm64 (11.1 on arm virt with EDK2). Each
 * scenario boots from its own host/qemu-cmdline.sh with its stack's profile; the bits the
 * firmware or the guest kernel wrote are ignored by one rule for all stacks
 * (tests/hw/pci/config-mask.ts documents each field and why). The pxb-cxl host bridge
 * functions on bus 0 (cxl-functions.txt class `pxb`, 1b36:000b, dumped by the 10.0/11.1
 * captures only) are not modelled as PCI functions by cxlsim; they are counted, not compared.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlatform } from '../../../src/hw/platform.ts';
import { resolveProfile } from '../../../src/profile.ts';
import { parseQemuCommandLine } from '../../../src/topology/qemu-cmdline.ts';
import { FIXTURES, readXxd } from '../fixtures.ts';
import { comparedBytes, guestWrittenMask } from './config-mask.ts';

interface Stack {
  name: string;
  profile: string;
  dir: string;
  /** What the comparison must cover: scenarios, CXL functions, bytes with a compared bit,
   *  pxb host bridge functions counted but not compared. */
  want: { scenarios: number; functions: number; bytes: number; pxb: number };
}

const STACKS: Stack[] = [
  {
    name: 'debian-12',
    profile: 'debian-12',
    dir: FIXTURES,
    want: { scenarios: 3, functions: 20, bytes: 81476, pxb: 0 },
  },
  {
    name: 'debian-13',
    profile: 'debian-13',
    dir: join(FIXTURES, 'stacks', 'debian-13'),
    want: { scenarios: 3, functions: 16, bytes: 65088, pxb: 4 },
  },
  {
    name: 'latest',
    profile: 'latest',
    dir: join(FIXTURES, 'stacks', 'latest'),
    want: { scenarios: 5, functions: 34, bytes: 138314, pxb: 9 },
  },
  {
    name: 'latest-arm64',
    profile: 'latest',
    dir: join(FIXTURES, 'stacks', 'latest-arm64'),
    want: { scenarios: 1, functions: 20, bytes: 81336, pxb: 2 },
  },
];

/** Scenarios of a stack with config space dumps and a QEMU line. */
function scenarios(dir: string): string[] {
  return readdirSync(dir)
    .filter(
      (s) =>
        existsSync(join(dir, s, 'host', 'qemu-cmdline.sh')) &&
        existsSync(join(dir, s, '00-boot', 'pci')) &&
        readdirSync(join(dir, s, '00-boot', 'pci')).some((f) => f.endsWith('.config.xxd')),
    )
    .sort();
}

/** cxl-functions.txt: BDF → class (`cxl-dvsec` or `pxb`). */
function classes(pciDir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(join(pciDir, 'cxl-functions.txt'), 'utf8').split('\n')) {
    const [bdf, cls] = line.split('\t');
    if (bdf && cls) out.set(bdf, cls);
  }
  return out;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

interface Compared {
  functions: number;
  bytes: number;
  pxb: number;
  diffs: string[];
}

/** Boots one capture's QEMU line and compares every CXL function it dumped. */
function compareScenario(stack: Stack, scenario: string): Compared {
  const profile = resolveProfile(stack.profile);
  const text = readFileSync(join(stack.dir, scenario, 'host', 'qemu-cmdline.sh'), 'utf8');
  const p = buildPlatform(parseQemuCommandLine(text, { qemu: profile.qemu }), profile);
  const fns = p.functions();
  const pciDir = join(stack.dir, scenario, '00-boot', 'pci');
  const cls = classes(pciDir);
  const out: Compared = { functions: 0, bytes: 0, pxb: 0, diffs: [] };
  const dumped = readdirSync(pciDir)
    .filter((f) => f.endsWith('.config.xxd'))
    .map((f) => f.replace('.config.xxd', ''))
    .sort();
  const cxl = dumped.filter((bdf) => cls.get(bdf) !== 'pxb');
  out.pxb = dumped.length - cxl.length;
  for (const bdf of dumped) expect(cls.get(bdf), bdf).toMatch(/^(cxl-dvsec|pxb)$/);
  // exactly the captured CXL functions, at the captured BDFs (firmware bus numbering)
  expect([...fns.keys()].sort()).toEqual(cxl);
  for (const bdf of cxl) {
    const fn = fns.get(bdf);
    if (!fn) continue;
    const cap = readXxd(join(pciDir, `${bdf}.config.xxd`));
    expect(cap.length).toBe(4096);
    const ours = fn.config.snapshot();
    const mask = guestWrittenMask(fn.config);
    // masks little: at least 95% of each config space is compared exactly
    expect(mask.reduce((n, b) => n + (b ? 1 : 0), 0)).toBeLessThan(4096 * 0.05);
    out.functions++;
    out.bytes += comparedBytes(mask);
    for (let o = 0; o < 4096; o++) {
      const keep = ~(mask[o] ?? 0) & 0xff;
      if (((ours[o] ?? 0) & keep) !== ((cap[o] ?? 0) & keep))
        out.diffs.push(
          `${scenario} ${bdf} 0x${o.toString(16)}: ours ${hex(ours[o] ?? 0)} capture ${hex(cap[o] ?? 0)}`,
        );
    }
  }
  return out;
}

for (const stack of STACKS) {
  describe(`config spaces vs the ${stack.name} captures`, () => {
    const list = scenarios(stack.dir);
    const total: Compared = { functions: 0, bytes: 0, pxb: 0, diffs: [] };

    it(`finds ${stack.want.scenarios} scenarios with config space dumps`, () => {
      expect(list).toHaveLength(stack.want.scenarios);
    });

    for (const scenario of list)
      it(`${scenario}: every CXL function matches byte for byte outside firmware/kernel-written bits`, () => {
        const r = compareScenario(stack, scenario);
        total.functions += r.functions;
        total.bytes += r.bytes;
        total.pxb += r.pxb;
        total.diffs.push(...r.diffs);
        expect(r.diffs).toEqual([]);
      });

    it('compared every dumped function and byte (counts per stack)', () => {
      expect({
        scenarios: list.length,
        functions: total.functions,
        bytes: total.bytes,
        pxb: total.pxb,
        differences: total.diffs.length,
      }).toEqual({ ...stack.want, differences: 0 });
    });
  });
}
