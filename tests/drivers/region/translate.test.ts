/**
 * DPA ↔ HPA translation: the published test vectors (ndctl test/cxl-translate.sh, from the CXL
 * Driver Writer's Guide XOR tables, run there through the same math as the kernel's
 * cxl_translate module), the kernel's parameter-validation table, random round trips, and the
 * region wrappers checked against the emulated platform's own decode of the committed HDM
 * decoders (an HPA must reach the memdev and DPA the driver computes).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../../src/boot.ts';
import { cxledToMemdev } from '../../../src/drivers/cxl/core/region/region.ts';
import {
  cxlCalculateDpaOffset,
  cxlCalculateHpaOffset,
  cxlCalculatePosition,
  cxlDoXormapCalc,
  cxlDpaToHpa,
  cxlRegionHpaToDpa,
  cxlValidateTranslationParams,
  regionIsUnalignedMod3,
  ULLONG_MAX,
} from '../../../src/drivers/cxl/core/region/translate.ts';
import { resolveProfile } from '../../../src/profile.ts';
import { getPreset } from '../../../src/topology/presets/index.ts';
import { bootDefault, fixture, memdevs, NameMap, ndctlCreateRegion, regionDev } from './helpers.ts';

const RUNS = Number(process.env.CXLSIM_PROP_RUNS ?? 100);

/** XOR maps of the vectors (HBIG 0), applied by number as hbiw_to_nr_maps says. */
const XORMAPS = [0x2020900n, 0x4041200n, 0x1010400n, 0x800n];
const eiwToWays = (eiw: number) => (eiw < 8 ? 1 << eiw : 3 << (eiw - 8));

/** to_hpa / to_dpa / to_pos of the test module. */
function toHpa(
  dpa: bigint,
  pos: number,
  eiw: number,
  eig: number,
  hbEiw: number,
  xor: boolean,
): bigint {
  const h = cxlCalculateHpaOffset(dpa, pos, eiw, eig);
  return xor && h !== ULLONG_MAX ? cxlDoXormapCalc(XORMAPS, h, eiwToWays(hbEiw)) : h;
}
function unXor(hpa: bigint, hbEiw: number, xor: boolean): bigint {
  return xor ? cxlDoXormapCalc(XORMAPS, hpa, eiwToWays(hbEiw)) : hpa;
}

/** Sample sets: [dpa, r_eiw, r_eig, hb_eiw], expected modulo HPA per pos, expected XOR HPA per pos. */
const SAMPLES: [string, bigint[], bigint[]][] = [
  ['0 2 0 2', [0n, 256n, 512n, 768n], [0n, 256n, 512n, 768n]],
  ['256 2 0 2', [1024n, 1280n, 1536n, 1792n], [1024n, 1280n, 1536n, 1792n]],
  ['2048 2 0 2', [8192n, 8448n, 8704n, 8960n], [8192n, 8448n, 8704n, 8960n]],
  [
    '0 10 0 10',
    [0n, 256n, 512n, 768n, 1024n, 1280n, 1536n, 1792n, 2048n, 2304n, 2560n, 2816n],
    [0n, 256n, 512n, 768n, 1024n, 1280n, 1536n, 1792n, 2304n, 2048n, 2816n, 2560n],
  ],
  [
    '512 10 0 10',
    [6144n, 6400n, 6656n, 6912n, 7168n, 7424n, 7680n, 7936n, 8192n, 8448n, 8704n, 8960n],
    [6912n, 6656n, 6400n, 6144n, 7936n, 7680n, 7424n, 7168n, 8192n, 8448n, 8704n, 8960n],
  ],
];

/** XOR tables: "dpa pos r_eiw r_eig hb_eiw xor_hpa". */
const XOR_TABLES = [
  // 4-way region, 4 host bridges
  '248 0 2 0 2 248',
  '16 1 2 0 2 272',
  '16 2 2 0 2 528',
  '32 3 2 0 2 800',
  '288 0 2 0 2 1056',
  '288 1 2 0 2 1312',
  '288 2 2 0 2 1568',
  '288 3 2 0 2 1824',
  '544 1 2 0 2 2080',
  '544 0 2 0 2 2336',
  '544 3 2 0 2 2592',
  '1040 2 2 0 2 4112',
  '1568 3 2 0 2 6176',
  '32784 1 2 0 2 131088',
  '65552 2 2 0 2 262160',
  '98336 3 2 0 2 393248',
  '98328 2 2 0 2 393496',
  '98352 2 2 0 2 393520',
  '443953523 0 2 0 2 1775813747',
  // 8-way region, 4 host bridges
  '248 0 3 0 2 248',
  '16 1 3 0 2 272',
  '16 2 3 0 2 528',
  '32 3 3 0 2 800',
  '272 1 3 0 2 2064',
  '528 2 3 0 2 4112',
  '800 3 3 0 2 6176',
  '16400 1 3 0 2 131088',
  '32784 2 3 0 2 262160',
  '49184 3 3 0 2 393248',
  '49176 2 3 0 2 393496',
  '49200 2 3 0 2 393520',
  '116520373 3 3 0 2 932162229',
  '244690459 5 3 0 2 1957525275',
  '292862215 5 3 0 2 2342899463',
  '30721158 4 3 0 2 245769350',
  '246386959 4 3 0 2 1971096847',
  '72701249 5 3 0 2 581610561',
  '529382429 5 3 0 2 4235060509',
  '191132300 2 3 0 2 1529057420',
  '18589081 1 3 0 2 148712089',
  '344295715 7 3 0 2 2754367011',
  // 12-way region, 12 host bridges
  '224 0 10 0 10 224',
  '16 1 10 0 10 272',
  '16 2 10 0 10 528',
  '32 3 10 0 10 800',
  '32 4 10 0 10 1056',
  '32 5 10 0 10 1312',
  '32 6 10 0 10 1568',
  '32 7 10 0 10 1824',
  '32 9 10 0 10 2080',
  '32 8 10 0 10 2336',
  '32 11 10 0 10 2592',
  '32 10 10 0 10 2848',
  '288 0 10 0 10 3360',
  '299017087 7 10 0 10 3588205439',
  '329210435 0 10 0 10 3950524995',
  '151050637 11 10 0 10 1812608653',
  '145169214 2 10 0 10 1742030654',
  '328998732 10 10 0 10 3947985996',
  '159252439 3 10 0 10 1911027415',
  '342098916 5 10 0 10 4105186020',
  '97970344 8 10 0 10 1175645096',
  '214995572 8 10 0 10 2579948404',
  '101289661 7 10 0 10 1215475645',
  '40424079 7 10 0 10 485088911',
  '231458716 7 10 0 10 2777503900',
];

describe('translation math against the published vectors', () => {
  it('sample sets: modulo and XOR HPA for every position, and back', () => {
    for (const [params, modulo, xor] of SAMPLES) {
      const [dpa = 0n, eiw = 0n, eig = 0n, hb = 0n] = params.split(' ').map(BigInt);
      for (let pos = 0; pos < eiwToWays(Number(eiw)); pos++) {
        for (const [isXor, want] of [
          [false, modulo[pos]],
          [true, xor[pos]],
        ] as const) {
          const hpa = toHpa(dpa, pos, Number(eiw), Number(eig), Number(hb), isXor);
          expect(hpa, `${params} pos ${pos} ${isXor ? 'xor' : 'modulo'}`).toBe(want);
          const back = unXor(hpa, Number(hb), isXor);
          expect(cxlCalculateDpaOffset(back, Number(eiw), Number(eig))).toBe(dpa);
          expect(cxlCalculatePosition(back, Number(eiw), Number(eig))).toBe(pos);
        }
      }
    }
  });

  it('XOR tables of the CXL driver writer’s guide', () => {
    for (const v of XOR_TABLES) {
      const [dpa = 0n, pos = 0n, eiw = 0n, eig = 0n, hb = 0n, want = 0n] = v
        .split(/\s+/)
        .map(BigInt);
      const hpa = toHpa(dpa, Number(pos), Number(eiw), Number(eig), Number(hb), true);
      expect(hpa, v).toBe(want);
      const back = unXor(hpa, Number(hb), true);
      expect(cxlCalculateDpaOffset(back, Number(eiw), Number(eig)), v).toBe(dpa);
      expect(cxlCalculatePosition(back, Number(eiw), Number(eig)), v).toBe(Number(pos));
    }
  });

  it('parameter validation (the kernel module’s table)', () => {
    const table: [number, number, number, boolean][] = [
      [0, 0, 0, true],
      [0, 3, 0, true],
      [0, 6, 0, true],
      [1, 0, 0, true],
      [1, 3, 1, true],
      [1, 6, 1, true],
      [2, 0, 0, true],
      [2, 3, 3, true],
      [2, 6, 3, true],
      [3, 0, 0, true],
      [3, 3, 7, true],
      [3, 6, 7, true],
      [4, 0, 0, true],
      [4, 3, 15, true],
      [4, 6, 15, true],
      [8, 0, 0, true],
      [8, 3, 2, true],
      [8, 6, 2, true],
      [9, 0, 0, true],
      [9, 3, 5, true],
      [9, 6, 5, true],
      [10, 0, 0, true],
      [10, 3, 11, true],
      [10, 6, 11, true],
      [5, 0, 0, false],
      [7, 0, 0, false],
      [0xb, 0, 0, false],
      [0xff, 0, 0, false],
      [1, 7, 0, false],
      [2, 0x10, 0, false],
      [3, 0xffff, 0, false],
      [1, 0, -1, false],
      [1, 0, 2, false],
      [2, 0, 4, false],
      [3, 0, 8, false],
      [4, 0, 16, false],
      [8, 0, 3, false],
      [9, 0, 6, false],
      [10, 0, 12, false],
    ];
    for (const [eiw, eig, pos, ok] of table) {
      expect(cxlValidateTranslationParams(eiw, eig, pos), `${eiw} ${eig} ${pos}`).toBe(ok);
      if (!ok) expect(cxlCalculateHpaOffset(0x1000n, pos, eiw, eig)).toBe(ULLONG_MAX);
    }
  });

  it('random DPA → HPA → (DPA, position) round trips', () => {
    const eiws = [0, 1, 2, 3, 4, 8, 9, 10];
    fc.assert(
      fc.property(
        fc.constantFrom(...eiws),
        fc.integer({ min: 0, max: 6 }),
        fc.nat(),
        fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }),
        (eiw, eig, p, dpa) => {
          const pos = p % eiwToWays(eiw);
          const hpa = cxlCalculateHpaOffset(dpa, pos, eiw, eig);
          return (
            cxlCalculateDpaOffset(hpa, eiw, eig) === dpa &&
            cxlCalculatePosition(hpa, eiw, eig) === pos
          );
        },
      ),
      { numRuns: RUNS * 10 },
    );
  });
});

describe('region translation agrees with the platform decode of the committed decoders', () => {
  const m = bootDefault('debian-12', false);
  const names = new NameMap(fixture('interleave/00-boot/sysfs.txt'), m);
  const cmd = names.ours(fixture('interleave', '03-region-4way', 'step/cmd.txt'));
  const memdevs = [...cmd.matchAll(/\bmem\d+\b/g)].map((x) => x[0]);
  const created = ndctlCreateRegion(m, 'decoder0.1', memdevs, { ways: 4, granularity: 4096 });
  const r = regionDev(m, created.region);

  it('every DPA of every member maps to the HPA the hardware routes back to it', () => {
    const members = r.params.targets.slice(0, 4).filter((t) => t !== undefined);
    expect(members.length).toBe(4);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.bigInt({ min: 0n, max: 0x10000000n - 1n }),
        (i, off) => {
          const t = members[i];
          if (!t?.dpaRes) return false;
          const md = cxledToMemdev(t);
          const dpa = t.dpaRes.start + off;
          const hpa = cxlDpaToHpa(r, md, dpa);
          const route = m.platform.routeHpa(hpa);
          const back = cxlRegionHpaToDpa(r, hpa);
          return (
            route.ok &&
            route.endpoint === md.parent?.name &&
            route.dpa === dpa &&
            back?.cxlmd === md &&
            back.dpa === dpa
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('an HPA outside the region and a memdev outside it do not translate', () => {
    const res = r.params.res;
    if (!res) throw new Error('no HPA');
    expect(cxlRegionHpaToDpa(r, res.end + 1n)).toBeUndefined();
    const outsider = m.kernel.buses
      .get('cxl')
      ?.devices.find((d) => /^mem\d+$/.test(d.name) && !memdevs.includes(d.name));
    if (outsider) expect(cxlDpaToHpa(r, outsider as never, 0n)).toBe(ULLONG_MAX);
  });
});

describe('unaligned MOD3: a 3-way region off the 768 MiB grid (threeway, latest)', () => {
  const p = resolveProfile('latest');
  const m = bootMachine(getPreset('threeway', p.qemu), { profile: p });
  const mds = memdevs(m);
  const orders = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ];
  let region = '';
  for (const o of orders) {
    const r = ndctlCreateRegion(
      m,
      'decoder0.0',
      o.map((i) => mds[i] as string),
      { ways: 3, granularity: 4096 },
    );
    if (!r.failed) {
      region = r.region;
      break;
    }
  }

  it('the search translation agrees with the platform decode both ways', () => {
    const r = regionDev(m, region);
    expect(regionIsUnalignedMod3(r)).toBe(true);
    const members = r.params.targets.slice(0, 3).filter((t) => t !== undefined);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.bigInt({ min: 0n, max: 0x10000000n - 1n }),
        (i, off) => {
          const t = members[i];
          if (!t?.dpaRes) return false;
          const md = cxledToMemdev(t);
          const dpa = t.dpaRes.start + off;
          const hpa = cxlDpaToHpa(r, md, dpa);
          const route = m.platform.routeHpa(hpa);
          const back = cxlRegionHpaToDpa(r, hpa);
          return (
            route.ok &&
            route.endpoint === md.parent?.name &&
            route.dpa === dpa &&
            back?.cxlmd === md &&
            back.dpa === dpa
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});
