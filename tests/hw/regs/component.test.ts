import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type ComponentKind,
  createComponentRegisters,
  defaultHdmCaps,
} from '../../../src/hw/regs/component.ts';
import { Errno } from '../../../src/kernel/errno.ts';
import { hdmOffset, walkCachemem } from './hdm-driver.ts';

const FIX = new URL('../../../sysfs-fixtures/interleave-dyndbg/00-boot/', import.meta.url);
const dmesg = readFileSync(new URL('dmesg-raw.txt', FIX), 'utf8').split('\n');

/** Per device: the {id, ptr} list cxl_probe_component_regs() printed (6.1 prints RAS as unknown). */
function capsFromDmesg(): Map<string, { id: number; ptr: number }[]> {
  const out = new Map<string, { id: number; ptr: number }[]>();
  const re =
    /^<7>\[\s*[\d.]+\] (?:cxl_port|cxl_pci) (\S+): (?:Unknown CM cap ID: (\d+) \(0x([0-9a-f]+)\)|found HDM decoder capability \(0x([0-9a-f]+)\))$/;
  for (const line of dmesg) {
    const m = re.exec(line);
    if (!m) continue;
    const dev = m[1] ?? '';
    const list = out.get(dev) ?? [];
    if (m[2] !== undefined) list.push({ id: Number(m[2]), ptr: Number.parseInt(m[3] ?? '', 16) });
    else list.push({ id: 5, ptr: Number.parseInt(m[4] ?? '', 16) });
    out.set(dev, list);
  }
  return out;
}

/** Which kind each port of the capture is, from the "portN added to …" lines. */
function kindOf(dev: string): ComponentKind {
  if (dev.startsWith('endpoint') || /^[0-9a-f]{4}:/.test(dev)) return 'type3';
  const added = dmesg.find((l) => l.includes(`: ${dev} added to `));
  if (!added) throw new Error(`no "added to" line for ${dev}`);
  return added.endsWith('added to root0') ? 'host-bridge' : 'usp';
}

describe('component register block: CXL.cachemem capability array', () => {
  const seen = capsFromDmesg();

  it('the capture probed host bridges, a switch port and endpoints', () => {
    const kinds = [...seen.keys()].map(kindOf);
    expect(kinds).toContain('host-bridge');
    expect(kinds).toContain('usp');
    expect(kinds).toContain('type3');
  });

  for (const [dev, caps] of capsFromDmesg()) {
    it(`QEMU 7.2 ${dev} (${kindOf(dev)}) walks like the capture's dmesg`, () => {
      const regs = createComponentRegisters(kindOf(dev), undefined, { qemu: '7.2' });
      expect(walkCachemem(regs)).toEqual(caps);
    });
  }

  it('array header: ID 1, version 1, cachemem version 1, array size', () => {
    const regs = createComponentRegisters('host-bridge', undefined, { qemu: '7.2' });
    const h = regs.read32(0x1000);
    expect(h & 0xffff).toBe(1);
    expect((h >>> 16) & 0xf).toBe(1);
    expect((h >>> 20) & 0xf).toBe(1);
    expect(h >>> 24).toBe(walkCachemem(regs).length);
  });

  it('headers, CXL.io and the area above 0x2000 are read-only', () => {
    const regs = createComponentRegisters('usp', undefined, { qemu: '7.2' });
    const before = [0x1000, 0x1004, 0x1008, 0x100c].map((o) => regs.read32(o));
    for (const o of [0x0, 0x1000, 0x1004, 0x1008, 0x100c, 0x2000]) regs.write32(o, 0xffffffff);
    expect([0x1000, 0x1004, 0x1008, 0x100c].map((o) => regs.read32(o))).toEqual(before);
    expect(regs.read32(0x0)).toBe(0);
    expect(regs.read32(0x2000)).toBe(0);
  });

  it('DSPs have RAS and Link only; 7.2 root ports also HDM, Ext. Security and Snoop', () => {
    expect(
      walkCachemem(createComponentRegisters('dsp', undefined, { qemu: '7.2' })).map((c) => c.id),
    ).toEqual([2, 4]);
    expect(createComponentRegisters('dsp', undefined, { qemu: '11.1' }).hdm).toBeUndefined();
    const rp = createComponentRegisters('root-port', undefined, { qemu: '7.2' });
    expect(walkCachemem(rp).map((c) => c.id)).toEqual([2, 4, 5, 6, 8]);
  });

  it('QEMU 10.1: NULL RAS slot on host bridges, NULL HDM slot on root ports, r3.1-sized Link/IDE', () => {
    const hb = walkCachemem(createComponentRegisters('host-bridge', undefined, { qemu: '11.1' }));
    // QEMU >= 9.0 include/hw/cxl/cxl_component.h: Link 0x50 bytes, HDM room for 10 decoders,
    // Ext. Security 8 * 256 + 4, IDE 0x24.
    const hdm = 0x80 + 0x58 + 0x50;
    const ext = hdm + 0x10 + 0x20 * 10;
    expect(hb).toEqual([
      { id: 0, ptr: 0 },
      { id: 4, ptr: 0xd8 },
      { id: 5, ptr: hdm },
      { id: 6, ptr: ext },
      { id: 8, ptr: ext + 8 * 256 + 4 + 0x24 },
    ]);
    const rp = createComponentRegisters('root-port', undefined, { qemu: '11.1' });
    expect(walkCachemem(rp).map((c) => c.id)).toEqual([2, 4, 0, 6, 8]);
    expect(rp.hdm).toBeUndefined();
  });

  it('passthrough host bridge (10.1): HDM header ID reads 0, pointer kept, no decoders exposed', () => {
    const hb = createComponentRegisters('host-bridge', undefined, {
      qemu: '11.1',
      passthrough: true,
    });
    expect(walkCachemem(hb)[2]).toEqual({ id: 0, ptr: 0x80 + 0x58 + 0x50 });
    expect(hb.hdm).toBeUndefined();
    expect(hb.passthrough).toBe(true);
    const old = createComponentRegisters('host-bridge', undefined, {
      qemu: '7.2',
      passthrough: true,
    });
    expect(old.passthrough).toBe(false);
    expect(old.hdm).toBeDefined();
  });

  it('HDM capability register: 7.2 one decoder, 8 targets on host bridges; 10.1 four decoders', () => {
    const cap = (kind: ComponentKind, qemu: '7.2' | '11.1') => {
      const r = createComponentRegisters(kind, undefined, { qemu });
      return r.read32(hdmOffset(r));
    };
    const hb = cap('host-bridge', '7.2');
    expect(hb & 0xf).toBe(0);
    expect((hb >>> 4) & 0xf).toBe(8);
    expect(hb & 0x300).toBe(0x300);
    expect(hb & 0x1800).toBe(0);
    expect((cap('usp', '11.1') >>> 4) & 0xf).toBe(8);
    const t3 = cap('type3', '11.1');
    expect(t3 & 0xf).toBe(2);
    expect((t3 >>> 4) & 0xf).toBe(1);
    expect(t3 & 0x1800).toBe(0x1800);
    expect(cap('type3', '7.2') & 0x1800).toBe(0);
  });

  it('HdmCaps overrides set count, targets and capability bits; structures after HDM move up', () => {
    const regs = createComponentRegisters(
      'host-bridge',
      { decoderCount: 16, targetCount: 4, a11to8: false, a14to12: true, iw3612: true, iw16: false },
      { qemu: '11.1' },
    );
    const cap = regs.read32(hdmOffset(regs));
    expect(cap & 0xf).toBe(8);
    expect((cap >>> 4) & 0xf).toBe(4);
    expect(cap & 0x1b00).toBe(0x0a00);
    expect(regs.hdm?.decoderCount).toBe(16);
    const ext = walkCachemem(regs).find((c) => c.id === 6);
    expect(ext?.ptr).toBeGreaterThanOrEqual(hdmOffset(regs) - 0x1000 + 0x10 + 0x20 * 16);
  });

  it('rejects an HdmCaps the registers cannot encode with EINVAL', () => {
    const bad = { ...(defaultHdmCaps('usp', '11.1') ?? ({} as never)), decoderCount: 3 };
    expect(() => createComponentRegisters('usp', bad, { qemu: '11.1' })).toThrow(Errno);
    const t = { ...bad, decoderCount: 4, targetCount: 3 };
    expect(() => createComponentRegisters('usp', t, { qemu: '11.1' })).toThrow(/target count 3/);
  });
});

describe('RAS capability (RW1C status, masked RW masks)', () => {
  const RAS = 0x1080;
  it('injected errors read back, write-1-to-clear, first error pointer', () => {
    const regs = createComponentRegisters('type3', undefined, { qemu: '11.1' });
    expect(regs.read32(RAS + 0x14)).toBe(0x200);
    expect(regs.ras?.inject('uncorrectable', 3)).toBe(false); // masked at reset
    regs.write32(RAS + 0x04, 0);
    expect(regs.ras?.inject('uncorrectable', 3)).toBe(true);
    expect(regs.read32(RAS)).toBe(0x8);
    expect(regs.read32(RAS + 0x14) & 0x3f).toBe(3);
    regs.write32(RAS, 0);
    expect(regs.read32(RAS)).toBe(0x8);
    regs.write32(RAS, 0x8);
    expect(regs.read32(RAS)).toBe(0);
  });

  it('mask and severity keep only defined bits; capability/control is read-only', () => {
    const regs = createComponentRegisters('usp', undefined, { qemu: '7.2' });
    regs.write32(RAS + 0x04, 0xffffffff);
    expect(regs.read32(RAS + 0x04)).toBe(0x1cfff);
    regs.write32(RAS + 0x10, 0xffffffff);
    expect(regs.read32(RAS + 0x10)).toBe(0x7f);
    regs.write32(RAS + 0x14, 0);
    expect(regs.read32(RAS + 0x14)).toBe(0x200);
    regs.reset();
    regs.write32(RAS + 0x10, 0);
    expect(regs.ras?.inject('correctable', 1)).toBe(true);
    expect(regs.read32(RAS + 0x0c)).toBe(0x2);
  });
});
