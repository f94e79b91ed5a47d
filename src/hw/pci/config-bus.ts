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

function findBelow(
  functions: PciFunctionModel[],
  bus: number,
  devfn: number,
): PciFunctionModel | undefined {
  for (const fn of functions) {
    if ((fn.config.get8(PCI.HEADER_TYPE) & 0x7f) !== 1) continue;
    const sec = fn.config.get8(PCI.SECONDARY_BUS);
    const sub = fn.config.get8(PCI.SUBORDINATE_BUS);
    if (sec === 0 || bus < sec || bus > sub) continue;
    if (bus === sec) return fn.children.find((c) => c.devfn === devfn);
    const hit = findBelow(fn.children, bus, devfn);
    if (hit) return hit;
  }
  return undefined;
}

/** The function a configuration access reaches, if any. */
export function findFunction(
  hbs: readonly HostBridgeModel[],
  segment: number,
  bus: number,
  devfn: number,
): PciFunctionModel | undefined {
  for (const hb of hbs) {
    if (hb.segment !== segment) continue;
    const fns = hb.rootPorts.map((rp) => rp.fn);
    if (bus === hb.busNr) return fns.find((f) => f.devfn === devfn);
    const hit = findBelow(fns, bus, devfn);
    if (hit) return hit;
  }
  return undefined;
}

/**
 * A {@link PciConfigBus} over the host bridges' hierarchies. Routing results (misses included)
 * are cached per (segment, bus, devfn) and forgotten whenever a write through this bus touches
 * a header's bus-number registers (0x18–0x1b) — the only guest-visible way routing changes.
 */
export function createConfigBus(hbs: readonly HostBridgeModel[]): PciConfigBus {
  let routes = new Map<number, PciFunctionModel | null>();
  const route = (segment: number, bus: number, devfn: number): PciFunctionModel | undefined => {
    const key = (segment * 0x10000 + bus) * 0x100 + devfn;
    let fn = routes.get(key);
    if (fn === undefined) {
      fn = findFunction(hbs, segment, bus, devfn) ?? null;
      routes.set(key, fn);
    }
    return fn ?? undefined;
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
      if (offset < PCI.SEC_LATENCY_TIMER + 1 && offset + size > PCI.PRIMARY_BUS) routes = new Map();
    },
  };
}
