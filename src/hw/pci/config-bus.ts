/**
 * DOC: configuration access routing (ECAM / CF8-CFC): segment, bus, devfn → function.
 *
 * Routing follows the bridges' *current* bus number registers, as QEMU's pci_find_bus_nr()
 * does: a pxb-cxl root bus holds its root ports; a type 1 function forwards accesses for buses
 * within [secondary, subordinate]. Host bridges are passed in the machine's root-bus child-list
 * order (reverse creation order in QEMU), which decides who answers when numbers collide.
 * Absent functions read all-ones and ignore writes.
 */
import type { PciConfigBus } from '../../bus/index.ts';
import type { HostBridgeModel, PciFunctionModel } from '../dev/model.ts';
import { PCI } from './regs.ts';

/** A bus as QEMU's pci_find_bus_nr() walks them: its number, range and functions. */
interface BusNode {
  /** pci_bus_num(): a root bus's bus_nr, a bridge's secondary bus register. */
  num: number;
  root: boolean;
  /** The bridge providing the bus (undefined for a root bus). */
  bridge?: PciFunctionModel;
  fns: readonly PciFunctionModel[];
}

function isBridgeFn(fn: PciFunctionModel): boolean {
  return (fn.config.get8(PCI.HEADER_TYPE) & 0x7f) === 1;
}

/** The secondary buses of the bridges on a bus (its QEMU child-bus list). */
function childBuses(fns: readonly PciFunctionModel[]): BusNode[] {
  return fns.filter(isBridgeFn).map((fn) => ({
    num: fn.config.get8(PCI.SECONDARY_BUS),
    root: false,
    bridge: fn,
    fns: fn.children,
  }));
}

/** pci_secondary_bus_in_range(): secondary ≤ bus ≤ subordinate of a bridge. */
function secondaryInRange(fn: PciFunctionModel, bus: number): boolean {
  const sec = fn.config.get8(PCI.SECONDARY_BUS);
  const sub = fn.config.get8(PCI.SUBORDINATE_BUS);
  return sec <= bus && bus <= sub;
}

/**
 * hw/pci/pci.c pci_find_bus_nr() from the machine's root bus, whose children are the pxb root
 * buses in child-list order: at each level the first child bus that either *is* `bus` (its
 * number equals it) or holds it (a root bus: one of its bridges' [secondary, subordinate]
 * ranges; a bridge's bus: that bridge's range) wins, and the walk goes on below it only.
 * So when a bridge's secondary number equals another pxb's bus_nr, whichever comes first in
 * the list answers — QEMU's rule when bus_nr values are closer than the buses a pxb needs.
 */
function findBusNr(roots: readonly BusNode[], bus: number): readonly PciFunctionModel[] {
  let level = roots;
  for (;;) {
    let next: BusNode | undefined;
    for (const b of level) {
      if (b.num === bus) return b.fns;
      const holds = b.root
        ? b.fns.some((f) => isBridgeFn(f) && secondaryInRange(f, bus))
        : b.bridge !== undefined && secondaryInRange(b.bridge, bus);
      if (holds) {
        next = b;
        break;
      }
    }
    if (!next) return [];
    level = childBuses(next.fns);
  }
}

/** Host bridges with their root-bus functions, by segment (fixed once the platform is built). */
type Segments = Map<number, BusNode[]>;

function segmentsOf(
  hbs: readonly HostBridgeModel[],
  rootFns: readonly PciFunctionModel[] = [],
): Segments {
  const m: Segments = new Map();
  // pcie.0 itself (bus 0 of segment 0), when CXL devices are modelled on it: it holds no
  // bridge in the model, so it only answers for bus 0
  if (rootFns.length > 0) m.set(0, [{ num: 0, root: true, fns: rootFns }]);
  for (const hb of hbs) {
    const list = m.get(hb.segment) ?? [];
    list.push({ num: hb.busNr, root: true, fns: hb.rootPorts.map((rp) => rp.fn) });
    m.set(hb.segment, list);
  }
  return m;
}

/**
 * The functions on the bus an access to (segment 0… , bus) reaches right now (live registers,
 * no cache): what the firmware's config cycles see while it numbers the buses.
 * @param hbs host bridges in root-bus child-list order
 */
export function busFunctions(
  hbs: readonly HostBridgeModel[],
  segment: number,
  bus: number,
): readonly PciFunctionModel[] {
  return findBusNr(segmentsOf(hbs).get(segment) ?? [], bus);
}

/** The functions of the bus an access to (segment, bus) reaches. */
function routeBus(segs: Segments, segment: number, bus: number): PciFunctionModel[][] {
  return [[...findBusNr(segs.get(segment) ?? [], bus)]];
}

function pick(lists: readonly PciFunctionModel[][], devfn: number): PciFunctionModel | undefined {
  for (const list of lists) for (const f of list) if (f.devfn === devfn) return f;
  return undefined;
}

/** The function a configuration access reaches, if any. */
export function findFunction(
  hbs: readonly HostBridgeModel[],
  segment: number,
  bus: number,
  devfn: number,
): PciFunctionModel | undefined {
  return pick(routeBus(segmentsOf(hbs), segment, bus), devfn);
}

/**
 * A {@link PciConfigBus} over the host bridges' hierarchies. Routes are computed per
 * (segment, bus) and kept until a write through this bus touches a header's bus-number
 * registers (0x18–0x1b) — the only guest-visible way routing changes.
 */
export function createConfigBus(
  hbs: readonly HostBridgeModel[],
  rootFns: readonly PciFunctionModel[] = [],
): PciConfigBus {
  return new RoutedConfigBus(hbs, rootFns);
}

/** The {@link PciConfigBus} of {@link createConfigBus}. */
class RoutedConfigBus implements PciConfigBus {
  private readonly segs: ReturnType<typeof segmentsOf>;
  private routes = new Map<number, PciFunctionModel[][]>();
  // the last function reached (drivers talk to one function many times in a row)
  private lastKey = -1;
  private lastFn: PciFunctionModel | undefined;

  constructor(hbs: readonly HostBridgeModel[], rootFns: readonly PciFunctionModel[]) {
    this.segs = segmentsOf(hbs, rootFns);
  }

  private route(segment: number, bus: number, devfn: number): PciFunctionModel | undefined {
    const key = (segment * 0x10000 + bus) * 0x100 + devfn;
    if (key === this.lastKey) return this.lastFn;
    const busKey = segment * 0x10000 + bus;
    let lists = this.routes.get(busKey);
    if (lists === undefined) {
      lists = routeBus(this.segs, segment, bus);
      this.routes.set(busKey, lists);
    }
    this.lastKey = key;
    this.lastFn = pick(lists, devfn);
    return this.lastFn;
  }

  read(segment: number, bus: number, devfn: number, offset: number, size: 1 | 2 | 4): number {
    const fn = this.route(segment, bus, devfn);
    if (!fn || offset % size !== 0) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    return fn.config.read(offset, size);
  }

  write(
    segment: number,
    bus: number,
    devfn: number,
    offset: number,
    size: 1 | 2 | 4,
    value: number,
  ): void {
    if (offset % size !== 0) return;
    this.route(segment, bus, devfn)?.config.write(offset, size, value);
    if (offset < PCI.SEC_LATENCY_TIMER + 1 && offset + size > PCI.PRIMARY_BUS) {
      this.routes = new Map();
      this.lastKey = -1;
    }
  }
}
