/**
 * DOC: configuration access routing (ECAM / CF8-CFC): segment, bus, devfn → function.
 *
 * Routing follows the bridges' *current* bus number registers, as hardware does: a pxb-cxl
 * root bus holds its root ports; a type 1 function forwards accesses for buses within
 * [secondary, subordinate] — to its own secondary bus's functions when the bus equals
 * `secondary`, further down otherwise. Absent functions read all-ones and ignore writes.
 */
import type { PciConfigBus } from '../../bus/index.ts';
import type { HostBridgeModel, PciFunctionModel } from '../dev/model.ts';
import { PCI } from './regs.ts';

/**
 * The function lists an access to `bus` consults, in order (findFunction() below, without the
 * devfn): below a host bridge, every bridge whose [secondary, subordinate] holds the bus,
 * depth first; a bridge whose secondary bus it is contributes its children and ends the
 * search at its level (the levels above go on with their next bridge).
 */
function listsBelow(
  functions: readonly PciFunctionModel[],
  bus: number,
  out: PciFunctionModel[][],
): void {
  for (const fn of functions) {
    if ((fn.config.get8(PCI.HEADER_TYPE) & 0x7f) !== 1) continue;
    const sec = fn.config.get8(PCI.SECONDARY_BUS);
    const sub = fn.config.get8(PCI.SUBORDINATE_BUS);
    if (sec === 0 || bus < sec || bus > sub) continue;
    if (bus === sec) {
      // the bridge whose secondary bus it is answers alone at this level, hit or miss
      out.push(fn.children);
      return;
    }
    listsBelow(fn.children, bus, out);
  }
}

/** Host bridges with their root-bus functions, by segment (fixed once the platform is built). */
type Segments = Map<number, { busNr: number; fns: PciFunctionModel[] }[]>;

function segmentsOf(hbs: readonly HostBridgeModel[]): Segments {
  const m: Segments = new Map();
  for (const hb of hbs) {
    const list = m.get(hb.segment) ?? [];
    list.push({ busNr: hb.busNr, fns: hb.rootPorts.map((rp) => rp.fn) });
    m.set(hb.segment, list);
  }
  return m;
}

/**
 * Where an access to (segment, bus) is looked for: the host bridges of the segment in order;
 * the root bus of one ends the search (its functions or nothing), otherwise the bridges below
 * each host bridge that decode the bus, depth first. The first list holding the devfn wins.
 */
function routeBus(segs: Segments, segment: number, bus: number): PciFunctionModel[][] {
  const out: PciFunctionModel[][] = [];
  for (const hb of segs.get(segment) ?? []) {
    if (bus === hb.busNr) {
      out.push(hb.fns);
      break;
    }
    listsBelow(hb.fns, bus, out);
  }
  return out;
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
export function createConfigBus(hbs: readonly HostBridgeModel[]): PciConfigBus {
  const segs = segmentsOf(hbs);
  let routes = new Map<number, PciFunctionModel[][]>();
  // the last function reached (drivers talk to one function many times in a row)
  let lastKey = -1;
  let lastFn: PciFunctionModel | undefined;
  const route = (segment: number, bus: number, devfn: number): PciFunctionModel | undefined => {
    const key = (segment * 0x10000 + bus) * 0x100 + devfn;
    if (key === lastKey) return lastFn;
    const busKey = segment * 0x10000 + bus;
    let lists = routes.get(busKey);
    if (lists === undefined) {
      lists = routeBus(segs, segment, bus);
      routes.set(busKey, lists);
    }
    lastKey = key;
    lastFn = pick(lists, devfn);
    return lastFn;
  };
  return {
    read(segment, bus, devfn, offset, size) {
      const fn = route(segment, bus, devfn);
      if (!fn || offset % size !== 0) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
      return fn.config.read(offset, size);
    },
    write(segment, bus, devfn, offset, size, value) {
      if (offset % size !== 0) return;
      route(segment, bus, devfn)?.config.write(offset, size, value);
      if (offset < PCI.SEC_LATENCY_TIMER + 1 && offset + size > PCI.PRIMARY_BUS) {
        routes = new Map();
        lastKey = -1;
      }
    },
  };
}
