/**
 * Every CXL function's 4 KiB config space against the QEMU 7.2 captures (pci/<bdf>.config.xxd,
 * dumped by the running Linux 6.1 guest). cxlsim presents the state right after the firmware;
 * what differs in a capture is written by the firmware's own address choices or by the guest
 * kernel, and only those bits are masked here:
 *   - BAR and bridge-window *address* bits (firmware choice; type bits are compared),
 *   - Command (firmware + kernel pci_enable_device/pci_set_master), Status bit 3 (INTx state),
 *   - PCIe Device Control bits 3:0 (AER error reporting enables, kernel),
 *   - Slot Control bits 5:0 and Slot Status bit 4 (pciehp enables its interrupts; QEMU then
 *     reports Command Completed),
 *   - AER Root Error Command (kernel AER driver),
 *   - MSI control enable/MME, address, data, mask (kernel portdrv),
 *   - CXL Device DVSEC Control bit 2, Mem_Enable (kernel cxl_hdm_decode_init()).
 * Bus numbers, capability lists, IDs, DVSECs, DOE, DSN, AER defaults… are compared exactly.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PciConfigSpace } from '../../../src/hw/pci/config-space.ts';
import { CAP_ID, EXP, EXT_CAP_ID, PCI } from '../../../src/hw/pci/regs.ts';
import { buildPlatform } from '../../../src/hw/platform.ts';
import { PROFILES } from '../../../src/profile.ts';
import {
  FIXTURES,
  interleaveTopology,
  minimalTopology,
  readXxd,
  threewayTopology,
} from '../fixtures.ts';

const debian = PROFILES['debian-12'];
if (!debian) throw new Error('profile');

/** Bit masks (1 = ignore) per byte offset, derived from our own capability layout. */
function guestWrittenMask(cs: PciConfigSpace): Uint8Array {
  const m = new Uint8Array(4096);
  const ignore = (off: number, bytes: number[]) =>
    bytes.forEach((b, i) => {
      m[off + i] = (m[off + i] ?? 0) | b;
    });
  const bridge = (cs.get8(PCI.HEADER_TYPE) & 0x7f) === 1;
  ignore(PCI.COMMAND, [0xff, 0xff]);
  ignore(PCI.STATUS, [0x08]);
  for (let i = 0; i < (bridge ? 2 : 6); i++) {
    const decl = cs.bars[i];
    if (!decl) continue;
    ignore(PCI.BAR0 + 4 * i, [0xf0, 0xff, 0xff, 0xff]);
    if (decl.mem64) ignore(PCI.BAR0 + 4 * i + 4, [0xff, 0xff, 0xff, 0xff]);
  }
  if (bridge) {
    for (const off of [
      PCI.MEMORY_BASE,
      PCI.MEMORY_LIMIT,
      PCI.PREF_MEMORY_BASE,
      PCI.PREF_MEMORY_LIMIT,
    ])
      ignore(off, [0xf0, 0xff]);
    ignore(PCI.PREF_BASE_UPPER32, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  }
  const exp = cs.findCapability(CAP_ID.EXP);
  if (exp) {
    ignore(exp + EXP.DEVCTL, [0x0f]);
    ignore(exp + EXP.SLTCTL, [0x3f]);
    ignore(exp + EXP.SLTSTA, [0x10]);
  }
  const msi = cs.findCapability(CAP_ID.MSI);
  if (msi)
    ignore(
      msi + 2,
      [
        0x71, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff,
        0xff,
      ],
    );
  const aer = cs.findExtCapability(EXT_CAP_ID.ERR);
  if (aer && exp && ((cs.get16(exp + EXP.FLAGS) >> 4) & 0xf) === 4) ignore(aer + 0x2c, [0x07]);
  for (
    let off = cs.findExtCapability(EXT_CAP_ID.DVSEC);
    off;
    off = cs.findExtCapability(EXT_CAP_ID.DVSEC, cs.get32(off) >>> 20)
  ) {
    if (cs.get16(off + 8) === 0 && cs.get16(off + 4) === 0x1e98) ignore(off + 0x0c, [0x04]);
    if (cs.get32(off) >>> 20 === 0) break;
  }
  return m;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

for (const [scenario, topo] of [
  ['interleave', interleaveTopology],
  ['minimal', minimalTopology],
  ['threeway', threewayTopology],
] as const) {
  describe(`config spaces vs the ${scenario} capture`, () => {
    const p = buildPlatform(topo(), debian);
    const fns = p.functions();
    const dir = `${FIXTURES}/${scenario}/00-boot/pci`;
    const files = readdirSync(dir).filter((f) => f.endsWith('.config.xxd'));

    it('has exactly the captured CXL functions, at the captured BDFs (firmware bus numbering)', () => {
      expect([...fns.keys()].sort()).toEqual(files.map((f) => f.replace('.config.xxd', '')).sort());
    });

    for (const f of files) {
      const bdf = f.replace('.config.xxd', '');
      it(`${bdf} matches byte for byte outside firmware/guest-written bits`, () => {
        const fn = fns.get(bdf);
        expect(fn).toBeDefined();
        if (!fn) return;
        const cap = readXxd(`${dir}/${f}`);
        expect(cap.length).toBe(4096);
        const ours = fn.config.snapshot();
        const mask = guestWrittenMask(fn.config);
        const diffs: string[] = [];
        for (let o = 0; o < 4096; o++) {
          const keep = ~(mask[o] ?? 0) & 0xff;
          if (((ours[o] ?? 0) & keep) !== ((cap[o] ?? 0) & keep))
            diffs.push(
              `0x${o.toString(16)}: ours ${hex(ours[o] ?? 0)} capture ${hex(cap[o] ?? 0)}`,
            );
        }
        expect(diffs).toEqual([]);
      });
    }

    it('masks little: at least 95% of each config space is compared exactly', () => {
      for (const fn of fns.values()) {
        const mask = guestWrittenMask(fn.config);
        const masked = mask.reduce((n, b) => n + (b ? 1 : 0), 0);
        expect(masked).toBeLessThan(4096 * 0.05);
      }
    });
  });
}
