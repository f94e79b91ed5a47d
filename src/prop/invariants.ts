/**
 * DOC: invariants of region assembly, checked on a booted {@link Machine} (`cxlsim/invariants`).
 *
 * Each invariant reads the guest kernel's objects and the emulated hardware after any sequence
 * of region requests and returns the violations it finds (never throws for a violation):
 * - `hpa-disjoint`: every region's HPA range lies in its root decoder's window, and regions of
 *   one window do not overlap (drivers/cxl/core/region.c alloc_hpa(): one resource tree);
 * - `dpa-disjoint`: an endpoint's DPA reservations, skip included, do not overlap
 *   (core/hdm.c __cxl_dpa_reserve());
 * - `commit-order`: each port's enabled decoders are exactly ids 0…commit_end with ascending
 *   HPA (CXL 3.1 §8.2.4.20.12 commit-in-order rule; core/hdm.c cxl_decoder_commit());
 * - `hw-committed`: for every committed region, every HDM decoder on its route has COMMITTED set
 *   in the HDM registers and programs the driver's base (the hardware agrees with the driver);
 * - `data-roundtrip`: bytes stored through a committed region's HPA read back identical through
 *   the emulated hardware route, and translation (hardware decode vs driver) agrees. The bytes
 *   are restored, so the machine is left as it was;
 * - `refused-write` (see checkedWrite() in writes.ts): a write the kernel refuses leaves the CXL tree
 *   unchanged, except the kernel's documented side effects (a refused `dpa_size` has freed the
 *   old allocation first, core/hdm.c cxl_dpa_set_size(); a `targetN` write whose final
 *   cxl_region_setup_targets() fails leaves the target attached, core/region.c
 *   cxl_region_attach());
 * - `teardown` (see checkTeardown() in writes.ts, which changes the machine): destroying every region,
 *   last first, leaves every decoder disabled and out of every region and every DPA freeable.
 */
import type { Machine } from '../api/machine.ts';
import type { BootedMachine } from '../boot.ts';
import {
  type CxlDecoder,
  CxlEndpointDecoder,
  CxlRootDecoder,
} from '../drivers/cxl/core/decoder.ts';
import { CxlPort } from '../drivers/cxl/core/port.ts';
import type { CxlRegion } from '../drivers/cxl/core/region/index.ts';
import { CXL_CONFIG_COMMIT, isCxlRegion } from '../drivers/cxl/core/region/region.ts';
import { CTRL_COMMITTED, hdmBaseHigh, hdmBaseLow, hdmCtrl } from '../drivers/cxl/cxl.ts';
import type { Device } from '../kernel/device.ts';
import { Errno } from '../kernel/errno.ts';

/** One broken invariant: which, what, on which device. */
export interface Violation {
  invariant: InvariantName;
  message: string;
  device?: string;
}

/** The invariants' names (see the DOC block). */
export const INVARIANT_NAMES = [
  'hpa-disjoint',
  'dpa-disjoint',
  'commit-order',
  'hw-committed',
  'data-roundtrip',
  'refused-write',
  'teardown',
] as const;
export type InvariantName = (typeof INVARIANT_NAMES)[number];

/** A check on a machine's current state (does not change the machine). */
export interface Invariant {
  name: InvariantName;
  description: string;
  check(m: Machine | BootedMachine): Violation[];
}

/** The emulated machine behind a library Machine (or itself). */
export const rawOf = (m: Machine | BootedMachine): BootedMachine => ('raw' in m ? m.raw : m);
/** The devices on the guest's cxl bus. */
export const cxlDevices = (m: BootedMachine): Device[] => m.kernel.buses.get('cxl')?.devices ?? [];
const hex = (v: bigint) => `0x${v.toString(16)}`;

/** Test hook (`cxlsim prop --break`): makes one invariant report a false violation. */
let broken: { name: InvariantName; when: (m: BootedMachine) => boolean } | undefined;

/**
 * Deliberately breaks invariant `name` (a test hook): it then reports a violation whenever
 * `when(machine)` holds — by default when a committed region exists. `undefined` restores.
 */
export function breakInvariantForTest(
  name: InvariantName | undefined,
  when: (m: BootedMachine) => boolean = (m) =>
    cxlDevices(m).some((d) => isCxlRegion(d) && d.params.state === CXL_CONFIG_COMMIT),
): void {
  broken = name ? { name, when } : undefined;
}

/** The violation the test hook injects, if any. */
export function injected(name: InvariantName, m: BootedMachine): Violation[] {
  return broken?.name === name && broken.when(m)
    ? [{ invariant: name, message: 'cxlsim: deliberately broken invariant (test hook)' }]
    : [];
}

function hpaDisjoint(m0: Machine | BootedMachine): Violation[] {
  const m = rawOf(m0);
  const out: Violation[] = injected('hpa-disjoint', m);
  for (const rd of cxlDevices(m)) {
    if (!(rd instanceof CxlRootDecoder)) continue;
    const rs = rd.children
      .filter(isCxlRegion)
      .flatMap((r) => (r.params.res ? [[r, r.params.res] as const] : []));
    for (const [i, [r, a]] of rs.entries()) {
      if (a.start < rd.hpaRange.start || a.end > rd.hpaRange.end)
        out.push({
          invariant: 'hpa-disjoint',
          device: r.name,
          message: `HPA ${hex(a.start)}-${hex(a.end)} outside ${rd.name}'s window ${hex(rd.hpaRange.start)}-${hex(rd.hpaRange.end)}`,
        });
      for (const [r2, b] of rs.slice(i + 1))
        if (!(a.end < b.start || b.end < a.start))
          out.push({
            invariant: 'hpa-disjoint',
            device: r.name,
            message: `HPA ${hex(a.start)}-${hex(a.end)} overlaps ${r2.name}'s ${hex(b.start)}-${hex(b.end)}`,
          });
    }
  }
  return out;
}

function dpaDisjoint(m0: Machine | BootedMachine): Violation[] {
  const m = rawOf(m0);
  const out: Violation[] = injected('dpa-disjoint', m);
  for (const port of cxlDevices(m)) {
    if (!(port instanceof CxlPort) || !port.isEndpoint) continue;
    const res = port
      .decoders()
      .filter(
        (d): d is CxlEndpointDecoder => d instanceof CxlEndpointDecoder && d.dpaRes !== undefined,
      )
      .map((d) => ({ d, s: (d.dpaRes?.start ?? 0n) - d.skip, e: d.dpaRes?.end ?? 0n }));
    for (const [i, a] of res.entries())
      for (const b of res.slice(i + 1))
        if (!(a.e < b.s || b.e < a.s))
          out.push({
            invariant: 'dpa-disjoint',
            device: a.d.name,
            message: `DPA ${hex(a.s)}-${hex(a.e)} overlaps ${b.d.name}'s ${hex(b.s)}-${hex(b.e)}`,
          });
  }
  return out;
}

function commitOrder(m0: Machine | BootedMachine): Violation[] {
  const m = rawOf(m0);
  const out: Violation[] = injected('commit-order', m);
  for (const port of cxlDevices(m)) {
    if (!(port instanceof CxlPort) || port.isRoot) continue;
    const decs = port.decoders();
    const enabled = decs.filter((d) => d.enabled);
    const want = decs.slice(0, port.commitEnd + 1);
    if (enabled.map((d) => d.id).join() !== want.map((d) => d.id).join())
      out.push({
        invariant: 'commit-order',
        device: port.name,
        message: `enabled decoders ${enabled.map((d) => d.name).join(',') || 'none'} are not 0…commit_end (${port.commitEnd})`,
      });
    for (let i = 1; i < enabled.length; i++) {
      const a = enabled[i - 1] as CxlDecoder;
      const b = enabled[i] as CxlDecoder;
      if (!(b.hpaRange.start > a.hpaRange.end))
        out.push({
          invariant: 'commit-order',
          device: b.name,
          message: `HPA base ${hex(b.hpaRange.start)} not above ${a.name}'s end ${hex(a.hpaRange.end)}`,
        });
    }
  }
  return out;
}

/** Committed regions and, for each, the (port, decoder) pairs on its route with HDM registers. */
function committedRoutes(
  m: BootedMachine,
): { r: CxlRegion; hops: { p: CxlPort; d: CxlDecoder }[] }[] {
  const out: { r: CxlRegion; hops: { p: CxlPort; d: CxlDecoder }[] }[] = [];
  for (const r of cxlDevices(m)) {
    if (!isCxlRegion(r) || r.params.state !== CXL_CONFIG_COMMIT) continue;
    const hops: { p: CxlPort; d: CxlDecoder }[] = [];
    const seen = new Set<CxlDecoder>();
    for (const t of r.params.targets.slice(0, r.params.interleaveWays)) {
      for (let p: CxlPort | undefined = t?.port; p && !p.isRoot; p = p.parentPort()) {
        const d = p.decoders().find((x) => x.region === r);
        if (!d || seen.has(d)) continue;
        seen.add(d);
        hops.push({ p, d });
      }
    }
    out.push({ r, hops });
  }
  return out;
}

function hwCommitted(m0: Machine | BootedMachine): Violation[] {
  const m = rawOf(m0);
  const out: Violation[] = injected('hw-committed', m);
  const mmio = m.platform.bus.mmio;
  for (const { r, hops } of committedRoutes(m)) {
    for (const { p, d } of hops) {
      const hdm = p.hdm;
      if (!hdm || d.passthrough) continue;
      const at = (o: number) => hdm.base + BigInt(o);
      if ((mmio.read32(at(hdmCtrl(d.id))) & CTRL_COMMITTED) !== CTRL_COMMITTED)
        out.push({
          invariant: 'hw-committed',
          device: d.name,
          message: `${r.name} is committed but the HDM decoder's COMMITTED bit is clear`,
        });
      const base =
        (BigInt(mmio.read32(at(hdmBaseHigh(d.id))) >>> 0) << 32n) |
        BigInt(mmio.read32(at(hdmBaseLow(d.id))) >>> 0);
      if (base !== d.hpaRange.start)
        out.push({
          invariant: 'hw-committed',
          device: d.name,
          message: `HDM base ${hex(base)} but the driver's range starts at ${hex(d.hpaRange.start)}`,
        });
    }
  }
  return out;
}

/** Offsets probed per region: first bytes, one granule in, the last bytes. */
function probeOffsets(size: bigint, granularity: number): bigint[] {
  const g = BigInt(granularity);
  const offs = [0n, g, g * 3n + 8n, size - 16n];
  return [...new Set(offs.filter((o) => o >= 0n && o + 16n <= size))];
}

function dataRoundtrip(m0: Machine | BootedMachine): Violation[] {
  const m = rawOf(m0);
  const out: Violation[] = injected('data-roundtrip', m);
  const mem = m.platform.bus.mem;
  for (const r of cxlDevices(m)) {
    if (!isCxlRegion(r) || r.params.state !== CXL_CONFIG_COMMIT || !r.params.res) continue;
    const { start, end } = r.params.res;
    for (const off of probeOffsets(end - start + 1n, r.params.interleaveGranularity)) {
      const hpa = start + off;
      const saved = mem.read(hpa, 16);
      const pattern = new Uint8Array(16);
      for (let i = 0; i < 16; i++)
        pattern[i] = Number((hpa >> BigInt((i % 8) * 8)) & 0xffn) ^ (0x5a + i);
      const wrote = mem.write(hpa, pattern);
      const back = mem.read(hpa, 16);
      if (saved.ok) mem.write(hpa, saved.data);
      const route = m.platform.routeHpa(hpa);
      if (!wrote || !back.ok || !route.ok) {
        out.push({
          invariant: 'data-roundtrip',
          device: r.name,
          message: `HPA ${hex(hpa)} of a committed region is not decoded by the hardware${route.stop ? `: ${route.stop.reason}` : ''}`,
        });
        continue;
      }
      if (!back.data.every((b, i) => b === pattern[i]))
        out.push({
          invariant: 'data-roundtrip',
          device: r.name,
          message: `bytes stored at HPA ${hex(hpa)} read back different`,
        });
    }
  }
  return out;
}

/** The invariants that only read the machine's state, by name. */
export const INVARIANTS: Readonly<
  Record<Exclude<InvariantName, 'refused-write' | 'teardown'>, Invariant>
> = {
  'hpa-disjoint': {
    name: 'hpa-disjoint',
    description: 'regions lie in their window and do not overlap',
    check: hpaDisjoint,
  },
  'dpa-disjoint': {
    name: 'dpa-disjoint',
    description: "an endpoint's DPA reservations do not overlap",
    check: dpaDisjoint,
  },
  'commit-order': {
    name: 'commit-order',
    description: 'enabled decoders are 0…commit_end with ascending HPA',
    check: commitOrder,
  },
  'hw-committed': {
    name: 'hw-committed',
    description: 'HDM COMMITTED bits and bases agree with the driver',
    check: hwCommitted,
  },
  'data-roundtrip': {
    name: 'data-roundtrip',
    description: 'data stored through a committed region reads back',
    check: dataRoundtrip,
  },
};

/**
 * Runs the state invariants (`names`, default all) and returns every violation.
 * @throws Errno EINVAL for an unknown invariant name
 */
export function checkInvariants(
  m: Machine | BootedMachine,
  names?: readonly string[],
): Violation[] {
  const out: Violation[] = [];
  for (const n of names ?? Object.keys(INVARIANTS)) {
    if (n === 'refused-write' || n === 'teardown') continue;
    const inv = (INVARIANTS as Record<string, Invariant>)[n];
    if (!inv)
      throw new Errno(
        'EINVAL',
        `cxlsim: unknown invariant '${n}' (known: ${INVARIANT_NAMES.join(', ')})`,
      );
    out.push(...inv.check(m));
  }
  return out;
}

/** Throws an Error listing the violations, for use in a test (`fc.property` bodies). */
export function assertInvariants(m: Machine | BootedMachine, names?: readonly string[]): void {
  const v = checkInvariants(m, names);
  if (v.length)
    throw new Error(
      v.map((x) => `${x.invariant}: ${x.device ? `${x.device}: ` : ''}${x.message}`).join('\n'),
    );
}
