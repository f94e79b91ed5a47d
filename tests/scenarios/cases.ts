/**
 * Region cases shared by the scenario tests: a topology, a profile and an ndctl create-region
 * request (memdevs by serial number, in position order), on modulo and XOR windows, through
 * switches, with 2 to 16 ways.
 */
import type { BootedMachine } from '../../src/boot.ts';
import { type CxlRegion, isCxlRegion } from '../../src/drivers/cxl/core/region/index.ts';
import { resolveProfile } from '../../src/profile.ts';
import type { Topology } from '../../src/topology/model.ts';
import { cxlTestTopology } from '../../src/topology/presets/cxl-test.ts';
import { getPreset } from '../../src/topology/presets/index.ts';
import { boot, cxl, loadTopology, memdevsBySerial } from './helpers.ts';

/** One region to create. */
export interface Case {
  name: string;
  profile: string;
  topology: () => Topology;
  /** create-region arguments after the memdevs are looked up by serial. */
  root: string;
  type: 'pmem' | 'ram';
  granularity: number;
  /** Device serial numbers in position order (several orders: the first that ndctl accepts). */
  orders: bigint[][];
}

export const latest = (name: string) => () => getPreset(name, resolveProfile('latest').qemu);
export const CASES: Case[] = [
  {
    name: 'default: 2-way through the switch (256 B)',
    profile: 'latest',
    topology: latest('default'),
    root: 'decoder0.0',
    type: 'pmem',
    granularity: 256,
    orders: [[1n, 2n]],
  },
  {
    name: 'default: 4-way across host bridges, root ports and the switch',
    profile: 'latest',
    topology: latest('default'),
    root: 'decoder0.1',
    type: 'pmem',
    granularity: 4096,
    orders: [[1n, 4n, 3n, 5n]],
  },
  {
    name: 'default (debian-12): 4-way, Linux 6.1 granularity rules',
    profile: 'debian-12',
    topology: () => getPreset('default', '7.2'),
    root: 'decoder0.1',
    type: 'pmem',
    granularity: 4096,
    orders: [[1n, 4n, 3n, 5n]],
  },
  {
    name: 'threeway: 3-way modulo-3 window',
    profile: 'latest',
    topology: latest('threeway'),
    root: 'decoder0.0',
    type: 'pmem',
    granularity: 4096,
    orders: [
      [1n, 2n, 3n],
      [1n, 3n, 2n],
      [2n, 1n, 3n],
      [2n, 3n, 1n],
      [3n, 1n, 2n],
      [3n, 2n, 1n],
    ],
  },
  {
    name: 'cxl_test XOR: 4-way over 2 host bridges (256 B)',
    profile: 'latest',
    topology: () => cxlTestTopology({ interleaveArithmetic: 1 }),
    root: 'decoder0.1',
    type: 'pmem',
    granularity: 256,
    orders: [[2n, 1n, 6n, 5n]],
  },
  {
    name: 'hb4_rp4_16way: 16-way modulo',
    profile: 'latest',
    topology: () => loadTopology('hb4_rp4_16way'),
    root: 'decoder0.0',
    type: 'ram',
    granularity: 256,
    orders: [[...Array(16).keys()].map((p) => BigInt(((p % 4) << 4) | (p >> 2)))],
  },
  {
    name: 'hb12_xor_12way: 12-way XOR',
    profile: 'latest',
    topology: () => loadTopology('hb12_xor_12way'),
    root: 'decoder0.0',
    type: 'ram',
    granularity: 256,
    orders: [[...Array(12).keys()].map((p) => BigInt(p + 1))],
  },
];

/** Boots the case and creates its region with the first order ndctl accepts. */
export function setup(c: Case): { m: BootedMachine; r: CxlRegion } {
  for (const order of c.orders) {
    const m = boot(c.topology(), c.profile, false);
    const by = memdevsBySerial(m);
    const mems = order.map((s) => by.get(s) as string);
    const res = cxl(
      m,
      'create-region',
      '-m',
      '-t',
      c.type,
      '-d',
      c.root,
      '-w',
      String(order.length),
      '-g',
      String(c.granularity),
      ...mems,
    );
    if (res.code !== 0 || !res.stderr.includes('created 1 region')) continue;
    const r = (m.kernel.buses.get('cxl')?.devices ?? [])
      .filter(isCxlRegion)
      .find((x) => x.cxlrd.name === c.root);
    if (r) return { m, r };
  }
  throw new Error(`${c.name}: no order was accepted`);
}
