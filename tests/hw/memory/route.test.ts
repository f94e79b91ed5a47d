import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Type3Model } from '../../../src/hw/dev/model.ts';
import { windowPosition } from '../../../src/hw/memory/route.ts';
import type { PlacedWindow } from '../../../src/hw/placement.ts';
import { buildPlatform, type Platform } from '../../../src/hw/platform.ts';
import { PROFILES } from '../../../src/profile.ts';
import { chbcr, commitDecoder, findRegBlock, hdmCap } from '../driver.ts';
import { interleaveTopology, minimalTopology } from '../fixtures.ts';

const debian = PROFILES['debian-12'];
const latest = PROFILES.latest;
if (!debian || !latest) throw new Error('profiles');
const GiB = 1n << 30n;

function type3ById(p: Platform, id: string): Type3Model {
  const fn = [...p.functions().values()].find((f) => f.id === id);
  if (fn?.device.kind !== 'type3') throw new Error(`no type-3 ${id}`);
  return fn.device;
}

function fnBdf(p: Platform, id: string) {
  const fn = [...p.functions().values()].find((f) => f.id === id);
  if (!fn) throw new Error(`no function ${id}`);
  return fn;
}

/**
 * A 4-way region in the interleave capture's 2-way window (cxl.0 + cxl.1, 4 KiB): positions
 * 0..3 = pmem1 (cxl.0 → rp0 → switch us0 → ds0), pmem4 (cxl.1 → rp2), pmem3 (cxl.0 → rp1),
 * pmem5 (cxl.1 → rp3) — host bridge = position % 2, root port = (position / 2) % 2.
 */
const REGION = {
  ways: 4,
  granularity: 4096,
  size: 1n * GiB,
  order: ['cxl-pmem1', 'cxl-pmem4', 'cxl-pmem3', 'cxl-pmem5'],
};

function programRegion(p: Platform, base: bigint): void {
  const bus = p.bus;
  const must = (v: bigint | undefined) => {
    if (v === undefined) throw new Error('register block not found');
    return v;
  };
  for (const uid of [12, 64]) {
    const hdm = must(hdmCap(bus, must(chbcr(bus, uid))));
    expect(
      commitDecoder(bus, hdm, 0, {
        base,
        size: REGION.size,
        ways: 2,
        granularity: 8192,
        targets: [0, 1],
      }),
    ).toBe(true);
  }
  const usp = must(hdmCap(bus, must(findRegBlock(bus, fnBdf(p, 'us0'), 1))));
  expect(
    commitDecoder(bus, usp, 0, {
      base,
      size: REGION.size,
      ways: 1,
      granularity: 8192,
      targets: [0],
    }),
  ).toBe(true);
  for (const id of REGION.order) {
    const hdm = must(hdmCap(bus, must(findRegBlock(bus, fnBdf(p, id), 1))));
    expect(
      commitDecoder(bus, hdm, 0, { base, size: REGION.size, ways: 4, granularity: 4096 }),
    ).toBe(true);
  }
}

/** Region math (independent of the platform): device and DPA of a region offset. */
function expected(offset: bigint): { id: string; dpa: bigint } {
  const g = BigInt(REGION.granularity);
  const pos = Number((offset / g) % BigInt(REGION.ways));
  return {
    id: REGION.order[pos] ?? '',
    dpa: (offset / (g * BigInt(REGION.ways))) * g + (offset % g),
  };
}

describe('data path through a 2-way window over 2 host bridges and a switch (QEMU 7.2)', () => {
  let p: Platform;
  let base: bigint;
  beforeAll(() => {
    p = buildPlatform(interleaveTopology(), debian);
    base = p.windows[1]?.base ?? 0n;
    expect(base).toBe(0x210000000n);
    programRegion(p, base);
  });

  it('bytes written at an HPA land in the predicted device at the predicted DPA', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: REGION.size - 1024n }),
        fc.uint8Array({ minLength: 1, maxLength: 700 }),
        (off, data) => {
          expect(p.bus.mem.write(base + off, data)).toBe(true);
          for (let i = 0; i < data.length; i += 97) {
            const e = expected(off + BigInt(i));
            expect(type3ById(p, e.id).state.store.read(e.dpa, 1)[0]).toBe(data[i]);
          }
          const back = p.bus.mem.read(base + off, data.length);
          expect(back.ok).toBe(true);
          expect(Buffer.from(back.data).equals(Buffer.from(data))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('routeHpa reports window, host bridge, port numbers, endpoint BDF and DPA', () => {
    const r = p.routeHpa(base + 0x1000n * 4n + 0x10n); // offset 16 KiB + 16: position 0, second stripe
    expect(r).toMatchObject({
      ok: true,
      window: 1,
      position: 0,
      hostBridge: 12,
      ports: [0, 0],
      endpoint: '0000:0f:00.0',
      dpa: 0x1010n,
    });
    expect(r.decoders.map((d) => d.component)).toEqual(['cxl.0', 'us0', 'cxl-pmem1']);
    const r3 = p.routeHpa(base + 0x3000n);
    expect(r3).toMatchObject({
      ok: true,
      hostBridge: 64,
      ports: [1],
      endpoint: '0000:42:00.0',
      dpa: 0n,
    });
  });

  it('undecoded addresses read zeros with ok false and drop writes', () => {
    const outside = p.windows[0]?.base ?? 0n; // window 0: nothing committed for it
    expect(p.bus.mem.write(outside, Uint8Array.of(1, 2, 3))).toBe(false);
    expect(p.bus.mem.read(outside, 3)).toEqual({ data: new Uint8Array(3), ok: false });
    expect(p.routeHpa(outside).stop).toEqual({
      at: 'cxl.0',
      reason: 'no committed HDM decoder decodes this address',
    });
    expect(p.routeHpa(0x1000n).stop?.at).toBe('platform');
    // Beyond the committed region but inside the window.
    expect(p.routeHpa(base + REGION.size).ok).toBe(false);
  });

  it('decommitting an endpoint decoder stops decode there', () => {
    const q = buildPlatform(interleaveTopology(), debian);
    programRegion(q, base);
    const ep = findRegBlock(q.bus, fnBdf(q, 'cxl-pmem4'), 1);
    const hdm = ep === undefined ? undefined : hdmCap(q.bus, ep);
    if (hdm === undefined) throw new Error('no HDM');
    q.bus.mmio.write32(hdm + 0x20n, 0); // COMMIT = 0
    expect(q.routeHpa(base + 0x1000n)).toMatchObject({ ok: false, stop: { at: 'cxl-pmem4' } });
    expect(q.routeHpa(base).ok).toBe(true);
  });
});

describe('QEMU 10.1 passthrough host bridge', () => {
  it('routes a single-root-port host bridge without HDM decoders to its port', () => {
    const p = buildPlatform(minimalTopology(), latest);
    const base = p.windows[0]?.base ?? 0n;
    const uid = 12;
    const hbBlock = chbcr(p.bus, uid);
    expect(hbBlock).toBeDefined();
    expect(hdmCap(p.bus, hbBlock ?? 0n)).toBeUndefined();
    const ep = findRegBlock(p.bus, fnBdf(p, 'cxl-pmem0'), 1);
    const hdm = ep === undefined ? undefined : hdmCap(p.bus, ep);
    if (hdm === undefined) throw new Error('no endpoint HDM');
    expect(
      commitDecoder(p.bus, hdm, 0, { base, size: 256n << 20n, ways: 1, granularity: 256 }),
    ).toBe(true);
    expect(p.bus.mem.write(base + 0x123n, Uint8Array.of(0xab))).toBe(true);
    expect(type3ById(p, 'cxl-pmem0').state.store.read(0x123n, 1)[0]).toBe(0xab);
    expect(p.routeHpa(base).decoders.map((d) => d.component)).toEqual(['cxl-pmem0']);
  });
});

describe('window interleave arithmetic', () => {
  const w = (arith: 'modulo' | 'xor', ways: number, granularity: number): PlacedWindow => ({
    index: 0,
    base: 0x410000000n,
    size: 16n * GiB,
    ways,
    granularity,
    targets: Array.from({ length: ways }, (_, i) => i),
    restrictions: 0x0f,
    arithmetic: arith,
    qtgId: 0,
  });

  it('modulo uses the absolute HPA: 3-way 256 B of 0x410000000 starts at position (0x410000000/256) % 3', () => {
    // 0x410000000 / 256 = 0x4100000 = 68157440 ≡ 2 (mod 3)
    expect(windowPosition(w('modulo', 3, 256), 0x410000000n, [])).toBe(2);
    expect(windowPosition(w('modulo', 3, 256), 0x410000100n, [])).toBe(0);
    expect(windowPosition(w('modulo', 4, 1024), 0x410000c00n, [])).toBe(3);
  });

  it('XOR takes the parity of HPA & map (cxl_test CXIMS map 0x404100)', () => {
    const maps = [{ granularity: 256, xormaps: [0x404100n] }];
    expect(windowPosition(w('xor', 2, 256), 0x410000000n, maps)).toBe(0);
    expect(windowPosition(w('xor', 2, 256), 0x410000100n, maps)).toBe(1);
    expect(windowPosition(w('xor', 2, 256), 0x410004100n, maps)).toBe(0);
    expect(windowPosition(w('xor', 2, 256), 0x410404100n, maps)).toBe(1);
    expect(windowPosition(w('xor', 2, 512), 0x410000100n, maps)).toBeUndefined();
  });
});
