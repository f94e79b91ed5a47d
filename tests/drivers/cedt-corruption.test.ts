/**
 * cxl_acpi against corrupted CEDT bytes (issue 2): a bad CFMWS or CHBS is skipped with the
 * kernel's message and the boot goes on; a table it cannot use at all leaves no CXL root;
 * random corruption never crashes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { KernelLog } from '../../src/kernel/log.ts';
import { resolveProfile } from '../../src/profile.ts';
import { getPreset } from '../../src/topology/presets/index.ts';

const profile = resolveProfile('debian-12');
const topo = getPreset('default', profile.qemu);

/** Offsets of the CEDT's subtables of one type. */
function subtables(b: Uint8Array, type: number): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let off = 36; off + 4 <= b.length; ) {
    const len = dv.getUint16(off + 2, true);
    if (len < 4) break;
    if (b[off] === type) out.push(off);
    off += len;
  }
  return out;
}

function boot(mutate: (b: Uint8Array) => Uint8Array) {
  const m = bootMachine(topo, { profile, mutateCedt: mutate, dyndbg: true });
  const log = m.kernel.log.lines.map((l) => KernelLog.format(l, true));
  const ls = (p: string) => {
    try {
      return m.sysfs.readdir(p);
    } catch {
      return [];
    }
  };
  return { m, log, devices: ls('bus/cxl/devices') };
}

describe('cxl_acpi with a corrupted CEDT', () => {
  it('skips a CFMWS whose base is not 256 MiB aligned and keeps the others', () => {
    const { log, devices } = boot((b) => {
      const c = Uint8Array.from(b);
      const first = subtables(c, 1)[0] ?? 0;
      c[first + 8] = 0x10; // base |= 0x10
      return c;
    });
    expect(
      log.some((l) => l.includes('cxl_acpi ACPI0017:00: CFMWS Base HPA not 256MB aligned')),
    ).toBe(true);
    expect(log.some((l) => /^<3>.*Failed to add decode range \[0x11000001/.test(l))).toBe(true);
    expect(devices.filter((d) => d.startsWith('decoder0.'))).toHaveLength(2);
    expect(devices.filter((d) => /^mem\d+$/.test(d))).toHaveLength(5);
  });

  it('skips a window with invalid interleave ways', () => {
    const { log } = boot((b) => {
      const c = Uint8Array.from(b);
      const second = subtables(c, 1)[1] ?? 0;
      c[second + 0x18] = 5;
      return c;
    });
    expect(log.some((l) => l.includes('CFMWS Interleave Ways (5) invalid'))).toBe(true);
  });

  it('warns "No CHBS found" for a host bridge whose CHBS has base 0 and skips it', () => {
    let uid = -1;
    const { log, devices } = boot((b) => {
      const c = Uint8Array.from(b);
      const chbs = subtables(c, 0)[0] ?? 0;
      uid = new DataView(c.buffer).getUint32(chbs + 4, true);
      c.fill(0, chbs + 0x10, chbs + 0x18);
      return c;
    });
    const warn = new RegExp(
      `^<4>acpi ACPI0016:0\\d: No CHBS found for Host Bridge \\(UID ${uid}\\)$`,
    );
    expect(log.some((l) => warn.test(l.replace(/\[[ .0-9]+\] /, '')))).toBe(true);
    expect(devices).toContain('root0');
    expect(devices.filter((d) => /^port\d+$/.test(d)).length).toBeGreaterThan(0);
  });

  it('leaves no CXL root when the table has no usable subtables at all', () => {
    const { devices } = boot((b) => b.slice(0, 20));
    expect(devices).not.toContain('decoder0.0');
  });

  it('never crashes on random corruption', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(400), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
        (edits) => {
          const { m } = boot((b) => {
            const c = Uint8Array.from(b);
            for (const [at, v] of edits) if (at < c.length) c[at] = v;
            return c;
          });
          expect(m.sysfs.readdir('bus/cxl/devices')).toBeDefined();
        },
      ),
      { numRuns: Number(process.env.CXLSIM_PROP_RUNS ?? 40) },
    );
  });
});
