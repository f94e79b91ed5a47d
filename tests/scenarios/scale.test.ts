/**
 * Scale scenarios under the `latest` profile (issue 3 "done when"): a 16-way region across four
 * host bridges × four root ports (modulo window) and a 12-way region across twelve host bridges
 * under an XOR window with its CXIMS. Each is created with ndctl's create-region, committed,
 * carries data — stores at random HPAs land at the memdev and DPA predicted from the spec's
 * interleave arithmetic (CXL 3.1 §8.2.4.20.13 device decode, §9.18.1.4 XOR host-bridge
 * selection), and hardware decode and driver translation agree — and is torn down, after which
 * no HDM decoder decodes the range any more and every DPA is free.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BootedMachine } from '../../src/boot.ts';
import { CxlEndpointDecoder } from '../../src/drivers/cxl/core/decoder.ts';
import { boot, checkStore, cxl, hx, loadTopology, memdevsBySerial } from './helpers.ts';

const RUNS = Number(process.env.CXLSIM_PROP_RUNS ?? 50);
const SZ_512M = 512n << 20n;

/** Parity of the set bits of v. */
function parity(v: bigint): bigint {
  let p = 0n;
  for (let x = v; x; x >>= 1n) p ^= x & 1n;
  return p;
}

interface Layout {
  base: bigint;
  size: bigint;
  ways: number;
  granularity: bigint;
  /** memdev at each interleave position. */
  order: string[];
  /** Position of an HPA (the spec's arithmetic for the window). */
  position: (hpa: bigint) => number;
}

/** Creates the region with ndctl, checks what it reports; returns the layout. */
function create(
  m: BootedMachine,
  order: string[],
  granularity: number,
): { base: bigint; size: bigint } {
  const r = cxl(
    m,
    'create-region',
    '-m',
    '-t',
    'ram',
    '-d',
    'decoder0.0',
    '-w',
    String(order.length),
    '-g',
    String(granularity),
    ...order,
  );
  expect(r.stderr).toBe('cxl region: cmd_create_region: created 1 region\n');
  expect(r.code).toBe(0);
  const j = JSON.parse(r.stdout) as {
    resource: number;
    size: number;
    interleave_ways: number;
    decode_state: string;
    mappings: { position: number; memdev: string }[];
  };
  expect(j.interleave_ways).toBe(order.length);
  expect(j.decode_state).toBe('commit');
  expect([...j.mappings].sort((a, b) => a.position - b.position).map((x) => x.memdev)).toEqual(
    order,
  );
  return { base: BigInt(j.resource), size: BigInt(j.size) };
}

/** Random HPAs of the region: each lands at the predicted memdev and DPA; then teardown. */
function carryDataAndTearDown(m: BootedMachine, l: Layout): void {
  const wayBytes = l.granularity * BigInt(l.ways);
  expect(l.size).toBe(SZ_512M * BigInt(l.ways));
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: l.size - 16n }), (off) => {
      const hpa = l.base + (off & ~15n);
      const o = hpa - l.base;
      const dpa = (o / wayBytes) * l.granularity + (o % l.granularity);
      checkStore(m, hpa, l.order[l.position(hpa)] as string, dpa);
    }),
    { numRuns: RUNS },
  );
  // every position reached once at the start of the region
  for (let p = 0; p < l.ways; p++) {
    const hits = [...Array(l.ways).keys()]
      .map((i) => l.base + BigInt(i) * l.granularity)
      .filter((h) => l.position(h) === p);
    expect(hits.length, `position ${p}`).toBe(1);
  }
  const d = cxl(m, 'destroy-region', '-f', 'region0');
  expect(d.stderr).toBe('cxl region: cmd_destroy_region: destroyed 1 region\n');
  for (const hpa of [l.base, l.base + l.size - 1n])
    expect(m.platform.routeHpa(hpa).ok, hx(hpa)).toBe(false);
  const eds = (m.kernel.buses.get('cxl')?.devices ?? []).filter(
    (x): x is CxlEndpointDecoder => x instanceof CxlEndpointDecoder,
  );
  expect(eds.filter((x) => x.dpaRes !== undefined || x.enabled).map((x) => x.name)).toEqual([]);
}

describe('16-way region across 4 host bridges × 4 root ports (latest)', () => {
  it('creates, commits, carries data to the predicted memdev/DPA and tears down', () => {
    const m = boot(loadTopology('hb4_rp4_16way'), 'latest', false);
    const bySerial = memdevsBySerial(m);
    // position = HB index (root level, least significant) + 4 × root port index
    const order = [...Array(16).keys()].map(
      (p) => bySerial.get(BigInt(((p % 4) << 4) | (p >> 2))) as string,
    );
    const { base, size } = create(m, order, 256);
    const ports = (m.kernel.buses.get('cxl')?.devices ?? []).filter((d) =>
      /^decoder[1-4]\.0$/.test(d.name),
    );
    for (const d of ports) {
      const dec = d as unknown as { interleaveWays: number; interleaveGranularity: number };
      // host bridges: 4 root ports at parent_ig × parent_iw = 256 × 4
      expect([dec.interleaveWays, dec.interleaveGranularity], d.name).toEqual([4, 1024]);
    }
    carryDataAndTearDown(m, {
      base,
      size,
      ways: 16,
      granularity: 256n,
      order,
      position: (hpa) => Number(((hpa - base) / 256n) % 16n),
    });
  });
});

describe('12-way XOR region across 12 host bridges (latest)', () => {
  it('creates, commits, carries data to the predicted memdev/DPA and tears down', () => {
    const t = loadTopology('hb12_xor_12way');
    const maps = t.cxims[0]?.xormaps ?? [];
    expect(maps.length).toBe(2);
    const m = boot(t, 'latest', false);
    const bySerial = memdevsBySerial(m);
    const order = [...Array(12).keys()].map((p) => bySerial.get(BigInt(p + 1)) as string);
    const { base, size } = create(m, order, 256);
    // CXL 3.1 §9.18.1.4: 12-way XOR = 2 XOR bits (one per CXIMS map) + the modulo-3 digit above
    const position = (hpa: bigint) =>
      Number(
        parity(hpa & (maps[0] as bigint)) |
          (parity(hpa & (maps[1] as bigint)) << 1n) |
          (((hpa >> 10n) % 3n) << 2n),
      );
    carryDataAndTearDown(m, { base, size, ways: 12, granularity: 256n, order, position });
  });
});
