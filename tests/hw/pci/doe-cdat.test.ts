import { describe, expect, it } from 'vitest';
import type { PciConfigBus } from '../../../src/bus/index.ts';
import { CDAT_TYPE, cdatTableBytes, type3CdatEntries } from '../../../src/hw/pci/cdat.ts';
import { DOE_CTRL, DOE_REG, DOE_STATUS } from '../../../src/hw/pci/doe.ts';
import { EXT_CAP_ID } from '../../../src/hw/pci/regs.ts';
import { buildPlatform } from '../../../src/hw/platform.ts';
import { PROFILES } from '../../../src/profile.ts';
import { armTwoHbSwitchesTopology, interleaveTopology, readFixture } from '../fixtures.ts';

const debian = PROFILES['debian-12'];
const latest = PROFILES.latest;
if (!debian || !latest) throw new Error('profiles');

interface Fn {
  segment: number;
  bus: number;
  devfn: number;
}

/** Finds an extended capability by walking config space through the bus. */
function findExt(cfg: PciConfigBus, f: Fn, id: number): number {
  let off = 0x100;
  for (let n = 0; off >= 0x100 && n < 100; n++) {
    const h = cfg.read(f.segment, f.bus, f.devfn, off, 4);
    if ((h & 0xffff) === id) return off;
    off = h >>> 20;
  }
  return 0;
}

/** One DOE exchange, as drivers/pci/doe.c does it: request dwords, Go, then drain the response. */
function doeExchange(cfg: PciConfigBus, f: Fn, doe: number, req: number[]): number[] {
  for (const dw of req) cfg.write(f.segment, f.bus, f.devfn, doe + DOE_REG.WRITE_MBOX, 4, dw);
  cfg.write(f.segment, f.bus, f.devfn, doe + DOE_REG.CTRL, 4, DOE_CTRL.GO);
  const out: number[] = [];
  while (cfg.read(f.segment, f.bus, f.devfn, doe + DOE_REG.STATUS, 4) & DOE_STATUS.READY) {
    out.push(cfg.read(f.segment, f.bus, f.devfn, doe + DOE_REG.READ_MBOX, 4));
    cfg.write(f.segment, f.bus, f.devfn, doe + DOE_REG.READ_MBOX, 4, 0);
    if (out.length > 1 && out.length === ((out[1] ?? 0) & 0x3ffff)) break;
  }
  return out;
}

/** cxl_cdat_read_table(): entry handles from 0 until 0xffff, payloads concatenated. */
function readCdat(cfg: PciConfigBus, f: Fn): Uint8Array {
  const doe = findExt(cfg, f, EXT_CAP_ID.DOE);
  expect(doe).toBeGreaterThan(0);
  const parts: number[] = [];
  let handle = 0;
  for (let guard = 0; handle !== 0xffff && guard < 64; guard++) {
    const rsp = doeExchange(cfg, f, doe, [0x1e98 | (2 << 16), 3, handle << 16]);
    expect(rsp.length).toBeGreaterThanOrEqual(3);
    const bytes = new Uint8Array(Uint32Array.from(rsp.slice(3)).buffer);
    const len = handle === 0 ? 16 : (bytes[2] ?? 0) | ((bytes[3] ?? 0) << 8);
    parts.push(...bytes.subarray(0, len));
    handle = (rsp[2] ?? 0) >>> 16;
  }
  return Uint8Array.from(parts);
}

/** The capture's CDAT file ('X' entry, hex lines) of the endpoint whose memdev has `serial`. */
function captureCdat(): Uint8Array {
  const lines = readFixture('interleave', '00-boot', 'sysfs.txt').split('\n');
  const i = lines.findIndex((l) => /^X\t.*\/endpoint\d+\/CDAT\t/.test(l));
  const hex: string[] = [];
  for (let j = i + 1; lines[j]?.startsWith('|'); j++) hex.push((lines[j] ?? '').slice(1));
  return Uint8Array.from(Buffer.from(hex.join(''), 'hex'));
}

describe('CDAT over DOE (type-3, QEMU 7.2)', () => {
  it('a kernel-style DOE read of every type-3 yields the 160-byte CDAT of the capture', () => {
    const want = captureCdat();
    expect(want.length).toBe(160);
    const p = buildPlatform(interleaveTopology(), debian);
    const t3 = [...p.functions().values()].filter((f) => f.kind === 'type3');
    expect(t3.length).toBe(5);
    for (const f of t3)
      expect(Buffer.from(readCdat(p.bus.pci, f)).toString('hex')).toBe(
        Buffer.from(want).toString('hex'),
      );
  });

  it('the table checksums to zero and lists DSMAS, 4 × DSLBIS, DSEMTS', () => {
    const t = cdatTableBytes(type3CdatEntries(0n, 256n << 20n));
    expect(t.reduce((s, b) => (s + b) & 0xff, 0)).toBe(0);
    const types: number[] = [];
    for (let o = 16; o < t.length; o += (t[o + 2] ?? 0) | ((t[o + 3] ?? 0) << 8))
      types.push(t[o] ?? -1);
    expect(types).toEqual([
      CDAT_TYPE.DSMAS,
      CDAT_TYPE.DSLBIS,
      CDAT_TYPE.DSLBIS,
      CDAT_TYPE.DSLBIS,
      CDAT_TYPE.DSLBIS,
      CDAT_TYPE.DSEMTS,
    ]);
  });

  it('DOE discovery lists discovery and CXL table access, then ends', () => {
    const p = buildPlatform(interleaveTopology(), debian);
    const f = p.functions().get('0000:41:00.0');
    if (!f) throw new Error('missing');
    const doe = findExt(p.bus.pci, f, EXT_CAP_ID.DOE);
    const r0 = doeExchange(p.bus.pci, f, doe, [0x0001, 3, 0]);
    expect(r0[2]).toBe(0x0001 | (0 << 16) | (1 << 24));
    const r1 = doeExchange(p.bus.pci, f, doe, [0x0001, 3, 1]);
    expect(r1[2]).toBe(0x1e98 | (2 << 16) | (0 << 24));
  });

  it('a request whose length field disagrees with the dwords sent is discarded', () => {
    const p = buildPlatform(interleaveTopology(), debian);
    const f = p.functions().get('0000:41:00.0');
    if (!f) throw new Error('missing');
    const doe = findExt(p.bus.pci, f, EXT_CAP_ID.DOE);
    expect(doeExchange(p.bus.pci, f, doe, [0x1e98 | (2 << 16), 4, 0])).toEqual([]);
  });
});

describe('CDAT of switch upstream ports and 10.1 devices', () => {
  it('a USP serves two SSLBIS over its DSP port numbers', () => {
    const p = buildPlatform(interleaveTopology(), debian);
    const usp = p.functions().get('0000:0d:00.0');
    if (!usp) throw new Error('missing');
    const t = readCdat(p.bus.pci, usp);
    expect(t.reduce((s, b) => (s + b) & 0xff, 0)).toBe(0);
    // each SSLBIS: 16-byte header + 8 bytes per DSP
    expect([t[16], t[16 + 32]]).toEqual([CDAT_TYPE.SSLBIS, CDAT_TYPE.SSLBIS]);
    // entries: port_x = 0x100 (USP), port_y = DSP port 0 then 1
    expect([t[32 + 2], t[32 + 10]]).toEqual([0, 1]);
  });

  it('a 10.1 volatile type-3 reports a volatile DSMAS (flags 0) and EFI_MEMORY_SP DSEMTS', () => {
    const p = buildPlatform(armTwoHbSwitchesTopology(), latest);
    const vmem = [...p.functions().values()].find((f) => f.id === 'cxl-vmem2');
    if (!vmem) throw new Error('missing');
    const t = readCdat(p.bus.pci, vmem);
    expect(t.length).toBe(160);
    expect(t[16 + 5]).toBe(0);
    expect(t[16 + 5 * 24 + 5]).toBe(1);
  });
});

describe('CDAT checksum over tables of 256 bytes or more', () => {
  it('a volatile + persistent type-3 table (304 bytes) still sums to zero', () => {
    const t = cdatTableBytes(type3CdatEntries(256n << 20n, 512n << 20n));
    expect(t.length).toBe(16 + 2 * 144);
    expect(t.reduce((s, b) => (s + b) & 0xff, 0)).toBe(0);
  });
});
