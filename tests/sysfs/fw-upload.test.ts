/**
 * The firmware upload device memN/firmware/memN (drivers/base/firmware_loader, registered by
 * cxl_pci on kernels ≥ 6.5 when Get FW Info is enabled) against the captures: every entry the
 * latest and debian-13 `minimal` captures show there (power/ aside, which cxlsim does not model
 * for any device) is present with the same kind, mode and content; the 6.1 capture has none.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { resolveProfile } from '../../src/profile.ts';
import { dumpSysfs } from '../../src/sysfs/dump.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';
import { parseSysfsTxt, type SysfsTxtEntry } from '../helpers/sysfs-txt.ts';

const FIX = join(import.meta.dirname, '..', '..', 'sysfs-fixtures');

/** Records below mem0/firmware/ (power/ excluded), keyed by their path from mem0/. */
function fwRecords(entries: SysfsTxtEntry[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries) {
    const m = /\/(mem0\/firmware(?:\/.*)?)$/.exec(e.path);
    if (!m || /\/power(\/|$)/.test(m[1] as string)) continue;
    // E records end with the capture tool's own message (it names the full path): keep the mode
    const rest = e.kind === 'E' ? [e.rest[0]] : e.rest;
    out.set(m[1] as string, [e.kind, ...rest, ...e.body].join('\t'));
  }
  return out;
}

function booted(dir: string, profileName: string): Map<string, string> {
  const profile = resolveProfile(profileName);
  const text = readFileSync(join(dir, 'host', 'qemu-cmdline.sh'), 'utf8');
  const m = bootMachine(parseQemuCommandLine(text, { qemu: profile.qemu, path: dir }), { profile });
  return fwRecords(parseSysfsTxt(dumpSysfs(m.sysfs)));
}

describe('memN/firmware/memN', () => {
  for (const [stack, profile] of [
    ['latest', 'latest'],
    ['debian-13', 'debian-13'],
  ] as const) {
    it(`matches the ${stack} minimal capture`, () => {
      const dir = join(FIX, 'stacks', stack, 'minimal');
      const real = fwRecords(
        parseSysfsTxt(readFileSync(join(dir, '00-boot', 'sysfs.txt'), 'utf8')),
      );
      expect(real.size).toBe(11);
      expect(Object.fromEntries(booted(dir, profile))).toEqual(Object.fromEntries(real));
    });
  }

  it('is absent on Linux 6.1 as in the debian-12 capture', () => {
    const dir = join(FIX, 'minimal');
    const real = fwRecords(parseSysfsTxt(readFileSync(join(dir, '00-boot', 'sysfs.txt'), 'utf8')));
    expect(real.size).toBe(0);
    expect(booted(dir, 'debian-12').size).toBe(0);
  });
});
