/**
 * `cxlsim export --qemu` round trip: for every preset (on every profile whose QEMU can build
 * it) and every capture's QEMU command line, parse(export(t)) is accepted by cxlsim's QEMU
 * parser (QEMU's own rules and messages, checked against the qemu-probes captures) and boots
 * the same guest: the whole /sys dump is byte-identical. Generated QEMU-expressible topologies
 * round-trip too (property); what QEMU cannot build is refused by name.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { topologyToQemu } from '../../src/export/qemu.ts';
import { resolveProfile } from '../../src/profile.ts';
import { topologyArb } from '../../src/prop/arbitraries.ts';
import { dumpSysfs } from '../../src/sysfs/dump.ts';
import type { Topology } from '../../src/topology/model.ts';
import { getPreset, PRESET_NAMES } from '../../src/topology/presets/index.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';

const FIX = join(import.meta.dirname, '../../sysfs-fixtures');

/** Boots t and parse(export(t)) on a profile; returns both /sys dumps. */
function roundTrip(t: Topology, profile: string): { a: string; b: string; line: string } {
  const p = resolveProfile(profile);
  const line = topologyToQemu(t, { qemu: p.qemu });
  const t2 = parseQemuCommandLine(line, { qemu: p.qemu });
  return {
    a: dumpSysfs(bootMachine(t, { profile: p }).sysfs),
    b: dumpSysfs(bootMachine(t2, { profile: p }).sysfs),
    line,
  };
}

/** Every capture's host/qemu-cmdline.sh with the profile of its stack. */
function captures(): [string, string][] {
  const out: [string, string][] = [];
  for (const s of readdirSync(FIX))
    if (existsSync(join(FIX, s, 'host/qemu-cmdline.sh')))
      out.push([join(s, 'host/qemu-cmdline.sh'), 'debian-12']);
  for (const [stack, profile] of [
    ['latest', 'latest'],
    ['debian-13', 'debian-13'],
    ['latest-arm64', 'latest'],
  ] as const)
    for (const s of readdirSync(join(FIX, 'stacks', stack)))
      if (existsSync(join(FIX, 'stacks', stack, s, 'host/qemu-cmdline.sh')))
        out.push([join('stacks', stack, s, 'host/qemu-cmdline.sh'), profile]);
  return out;
}

describe('export --qemu round trip', () => {
  const caps = captures();
  it('finds every capture topology', () => {
    expect(caps.length).toBe(15);
  });
  for (const [file, profile] of caps)
    it(`capture ${file} (${profile})`, () => {
      const p = resolveProfile(profile);
      const t = parseQemuCommandLine(readFileSync(join(FIX, file), 'utf8'), { qemu: p.qemu });
      const { a, b } = roundTrip(t, profile);
      expect(a.length).toBeGreaterThan(1000);
      expect(b).toBe(a);
    });

  // cxl_test's presets are the kernel's mock platform, not something QEMU builds
  const qemuPresets = PRESET_NAMES.filter((n) => !n.startsWith('cxl_test'));
  it('covers every QEMU preset', () => {
    expect(qemuPresets.length).toBe(PRESET_NAMES.length - 2);
  });
  for (const profile of ['debian-12', 'debian-13', 'latest'])
    for (const name of qemuPresets)
      it(`preset ${name} (${profile})`, () => {
        const p = resolveProfile(profile);
        let t: Topology;
        try {
          t = getPreset(name, p.qemu);
        } catch (e) {
          // QEMU 7.2 has no CXL on arm virt: the preset itself fails as QEMU 7.2 would
          expect(`${p.qemu} ${(e as Error).message}`).toMatch(/^7\.2 .*virt-7\.2-machine\.cxl/);
          return;
        }
        const { a, b } = roundTrip(t, profile);
        expect(b).toBe(a);
      });

  it('generated QEMU-expressible topologies round-trip (property)', () => {
    fc.assert(
      fc.property(topologyArb({ qemu: true, maxEndpoints: 8 }), (t) => {
        const { a, b } = roundTrip(t, 'latest');
        expect(b).toBe(a);
      }),
      { numRuns: 8 },
    );
  });
});

describe('export --qemu refusals', () => {
  it('XOR windows and cxl_test mocks', () => {
    expect(() => topologyToQemu(getPreset('cxl_test_xor', '11.1'), { qemu: '11.1' })).toThrow(
      /cxlsim: QEMU cannot express a cxl_test mock/,
    );
    const t = getPreset('default', '11.1');
    t.windows[0] = { ...(t.windows[0] as Topology['windows'][number]), arithmetic: 'xor' };
    expect(() => topologyToQemu(t, { qemu: '11.1' })).toThrow(/XOR interleave windows/);
  });

  it('more HDM decoders than QEMU gives', () => {
    const t = getPreset('minimal', '11.1');
    const rp = t.hostBridges[0]?.rootPorts[0];
    if (rp?.child?.kind !== 'type3') throw new Error('minimal: no type-3 device');
    rp.child.hdm = {
      decoderCount: 8,
      targetCount: 1,
      a11to8: true,
      a14to12: true,
      iw3612: true,
      iw16: true,
    };
    expect(() => topologyToQemu(t, { qemu: '11.1' })).toThrow(
      /8 decoders.*QEMU 11\.1 gives 4 decoders/,
    );
    expect(() => topologyToQemu(getPreset('minimal', '7.2'), { qemu: '7.2' })).not.toThrow();
  });

  it('volatile capacity on QEMU 7.2', () => {
    const t = getPreset('minimal', '7.2');
    const rp = t.hostBridges[0]?.rootPorts[0];
    if (rp?.child?.kind !== 'type3') throw new Error('minimal: no type-3 device');
    rp.child.volatileSize = 256n << 20n;
    expect(() => topologyToQemu(t, { qemu: '7.2' })).toThrow(/volatile capacity on QEMU 7\.2/);
  });
});
