import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildCedt,
  type Cedt,
  type CedtEntry,
  eigToGranularity,
  eiwToWays,
  parseCedt,
  qemuCedtHeader,
} from '../../../src/hw/acpi/cedt.ts';
import { byteSum } from '../../../src/hw/acpi/sdt.ts';
import { buildPlatform } from '../../../src/hw/platform.ts';
import { PROFILES } from '../../../src/profile.ts';
import {
  FIXTURES,
  interleaveTopology,
  minimalTopology,
  readXxd,
  threewayTopology,
} from '../fixtures.ts';

const debian = PROFILES['debian-12'] ?? PROFILES.latest;
if (!debian) throw new Error('no profile');

const scenarios = [
  ['interleave', interleaveTopology],
  ['minimal', minimalTopology],
  ['threeway', threewayTopology],
] as const;

describe('CEDT bytes', () => {
  for (const [name, topo] of scenarios) {
    it(`equal the ${name} capture's acpi/CEDT.xxd byte for byte`, () => {
      const want = readXxd(`${FIXTURES}/${name}/00-boot/acpi/CEDT.xxd`);
      const p = buildPlatform(topo(), debian);
      expect(Buffer.from(p.cedt).toString('hex')).toBe(Buffer.from(want).toString('hex'));
      expect(Buffer.from(p.bus.acpi.table('CEDT') ?? []).equals(Buffer.from(want))).toBe(true);
    });
  }

  it('parses the captures: checksum valid, CHBS then CFMWS, UIDs are bus_nr', () => {
    const c = parseCedt(readXxd(`${FIXTURES}/interleave/00-boot/acpi/CEDT.xxd`));
    expect(c.checksumOk).toBe(true);
    expect(c.problems).toEqual([]);
    expect(c.header).toMatchObject({
      revision: 1,
      oemId: 'BOCHS ',
      oemTableId: 'BXPC    ',
      creatorId: 'BXPC',
    });
    const types = c.entries.map((e) => e.type);
    expect(types).toEqual(['chbs', 'chbs', 'cfmws', 'cfmws', 'cfmws']);
    const w = c.entries.filter((e) => e.type === 'cfmws');
    // cxl-fmw.1: 2 targets, 4k granularity; every QEMU window has restrictions 0x0f, modulo.
    expect(
      w.map((x) =>
        x.type === 'cfmws'
          ? [eiwToWays(x.eniw), eigToGranularity(x.hbig), x.restrictions, x.arithmetic]
          : [],
      ),
    ).toEqual([
      [1, 256, 0x0f, 0],
      [2, 4096, 0x0f, 0],
      [1, 256, 0x0f, 0],
    ]);
  });

  it('the hook rewrites what the guest is served', () => {
    const p = buildPlatform(minimalTopology(), debian, {
      mutateCedt: (b) => {
        b[36 + 4] = 0x99; // first CHBS UID
        return b;
      },
    });
    const c = parseCedt(p.bus.acpi.table('CEDT') ?? new Uint8Array());
    expect(c.entries[0]).toMatchObject({ type: 'chbs', uid: 0x99 });
    expect(c.checksumOk).toBe(false);
  });
});

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const entry: fc.Arbitrary<CedtEntry> = fc.oneof(
  fc.record({
    type: fc.constant('chbs' as const),
    uid: u32,
    cxlVersion: u32,
    base: u64,
    length: u64,
  }),
  fc.record({
    type: fc.constant('cfmws' as const),
    base: u64,
    size: u64,
    eniw: fc.integer({ min: 0, max: 255 }),
    arithmetic: fc.integer({ min: 0, max: 255 }),
    hbig: u32,
    restrictions: fc.integer({ min: 0, max: 0xffff }),
    qtgId: fc.integer({ min: 0, max: 0xffff }),
    targets: fc.array(u32, { maxLength: 16 }),
  }),
  fc.record({
    type: fc.constant('cxims' as const),
    hbig: fc.integer({ min: 0, max: 255 }),
    xormaps: fc.array(u64, { maxLength: 8 }),
  }),
);
const ascii = (n: number) =>
  fc.string({
    minLength: n,
    maxLength: n,
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 '.split('')),
  });
const cedt: fc.Arbitrary<Cedt> = fc.record({
  header: fc.record({
    revision: fc.integer({ min: 0, max: 255 }),
    oemId: ascii(6),
    oemTableId: ascii(8),
    oemRevision: u32,
    creatorId: ascii(4),
    creatorRevision: u32,
  }),
  entries: fc.array(entry, { maxLength: 12 }),
});

describe('CEDT build → bytes → parse', () => {
  it('is the identity (and the checksum always balances)', () => {
    fc.assert(
      fc.property(cedt, (c) => {
        const bytes = buildCedt(c);
        expect(byteSum(bytes)).toBe(0);
        const back = parseCedt(bytes);
        expect(back.checksumOk).toBe(true);
        expect(back.problems).toEqual([]);
        expect({ header: back.header, entries: back.entries }).toEqual(c);
        expect(Buffer.from(buildCedt(back)).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('parse → build reproduces each capture', () => {
    for (const [name] of scenarios) {
      const want = readXxd(`${FIXTURES}/${name}/00-boot/acpi/CEDT.xxd`);
      expect(Buffer.from(buildCedt(parseCedt(want))).equals(Buffer.from(want))).toBe(true);
    }
  });

  it('never throws on garbage, reports problems instead', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const r = parseCedt(b);
        expect(Array.isArray(r.entries)).toBe(true);
      }),
    );
    expect(parseCedt(new Uint8Array(10)).problems.length).toBeGreaterThan(0);
    const c = buildCedt({
      header: qemuCedtHeader(),
      entries: [{ type: 'chbs', uid: 1, cxlVersion: 1, base: 1n, length: 2n }],
    });
    expect(parseCedt(c.subarray(0, c.length - 4)).problems.length).toBeGreaterThan(0);
  });
});
