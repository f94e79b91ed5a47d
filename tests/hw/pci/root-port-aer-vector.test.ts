/**
 * cxl_rp_aer_vector() through cxl_rp_write_config(): a cxl-rp's Root Error Status [31:27]
 * (Advanced Error Interrupt Message Number) follows the MSI vectors the guest enabled — 0 after
 * reset and with one vector (the x86 captures), 1 with two (the latest-arm64 capture, whose
 * kernel enables Multiple Message Enable = 2 vectors). QEMU 7.2's cxl-rp has no MSI.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAP_ID } from '../../../src/hw/pci/regs.ts';
import { buildPlatform } from '../../../src/hw/platform.ts';
import { resolveProfile } from '../../../src/profile.ts';
import { parseQemuCommandLine } from '../../../src/topology/qemu-cmdline.ts';
import { FIXTURES } from '../fixtures.ts';

function rootPort(profileName: string) {
  const profile = resolveProfile(profileName);
  const text = readFileSync(join(FIXTURES, 'minimal', 'host', 'qemu-cmdline.sh'), 'utf8');
  const p = buildPlatform(parseQemuCommandLine(text, { qemu: profile.qemu }), profile);
  const fn = p.functions().get('0000:0c:00.0');
  if (!fn) throw new Error('no root port');
  return fn.config;
}

describe('cxl-rp AER interrupt message number', () => {
  it('is 0 after reset and follows Multiple Message Enable (QEMU ≥ 10.0)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), (mme) => {
        const cs = rootPort('latest');
        const msi = cs.findCapability(CAP_ID.MSI);
        expect(msi).toBe(0x60);
        expect(cs.get32(0x100 + 0x30) >>> 27).toBe(0);
        cs.write(msi + 2, 2, (cs.get16(msi + 2) & ~0x70) | (mme << 4));
        // MME is writable up to the 2 vectors MMC offers (QEMU's wmask keeps 3 bits)
        const enabled = 1 << ((cs.get16(msi + 2) >> 4) & 7);
        expect(cs.get32(0x100 + 0x30) >>> 27).toBe(enabled === 2 ? 1 : 0);
      }),
      { numRuns: 16 },
    );
  });

  it('QEMU 7.2: no MSI, message number stays 0', () => {
    const cs = rootPort('debian-12');
    expect(cs.findCapability(CAP_ID.MSI)).toBe(0);
    expect(cs.get32(0x100 + 0x30) >>> 27).toBe(0);
  });
});
