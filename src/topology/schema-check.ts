/**
 * DOC: cross-field rules of a topology file, checked after its shape.
 *
 * * device ids are unique across the file (windows name host bridges by id);
 * * host bridge bus numbers are unique within a PCI segment;
 * * root-port numbers are unique within a host bridge, downstream-port numbers within a
 *   switch (they are the dport ids, CXL 3.1 §8.2.4.20.6 target list entries);
 * * an RCH (`rch: true`) has no root ports; `rcd` only on an RCH;
 * * window indexes are unique; a window names 1, 2, 3, 4, 6, 8, 12 or 16 distinct existing
 *   host bridges; its size is a non-zero multiple of 256 MiB and its base (if pinned) is
 *   256 MiB aligned (ACPI CEDT CFMWS rules, as cxl_acpi checks them).
 * Each rule reports the path of the first offending field.
 */
import type { Endpointish, FixedWindow, HostBridge } from './model.ts';

/** "hostBridges[0].rootPorts[1].port" from a zod-style path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? String(k) : `.${String(k)}`;
  }
  return out;
}

const WAYS = new Set([1, 2, 3, 4, 6, 8, 12, 16]);
const MiB256 = 256n << 20n;

/** What the rules look at. */
export interface CheckedShape {
  hostBridges: HostBridge[];
  windows: (Omit<FixedWindow, 'index'> & { index?: number | undefined })[];
}

/**
 * Returns the first broken rule as "<path>: <problem>", or undefined when all hold.
 */
export function checkTopology(t: CheckedShape): string | undefined {
  const ids = new Map<string, string>();
  const claim = (id: string, where: string): string | undefined => {
    const prev = ids.get(id);
    if (prev !== undefined) return `${where}.id: duplicate id '${id}' (also ${prev})`;
    ids.set(id, where);
    return undefined;
  };
  const walkChild = (c: Endpointish, where: string): string | undefined => {
    const dup = claim(c.id, where);
    if (dup) return dup;
    if (c.kind !== 'switch') return undefined;
    const ports = new Map<number, string>();
    for (const [i, dp] of c.downstream.entries()) {
      const w = `${where}.downstream[${i}]`;
      const d = claim(dp.id, w);
      if (d) return d;
      const other = ports.get(dp.port);
      if (other !== undefined) return `${w}.port: port ${dp.port} already used by '${other}'`;
      ports.set(dp.port, dp.id);
      if (dp.child) {
        const e = walkChild(dp.child, `${w}.child`);
        if (e) return e;
      }
    }
    return undefined;
  };
  const busNrs = new Map<string, string>();
  for (const [h, hb] of t.hostBridges.entries()) {
    const w = `hostBridges[${h}]`;
    const d = claim(hb.id, w);
    if (d) return d;
    const key = `${hb.segment}:${hb.busNr}`;
    const other = busNrs.get(key);
    if (other !== undefined) return `${w}.busNr: bus ${hb.busNr} already used by '${other}'`;
    busNrs.set(key, hb.id);
    if (hb.rch && hb.rootPorts.length > 0) return `${w}.rootPorts: an RCH has no root ports`;
    if (hb.rcd && !hb.rch) return `${w}.rcd: only an RCH (rch: true) has an RCD`;
    if (hb.rcd) {
      const e = walkChild(hb.rcd, `${w}.rcd`);
      if (e) return e;
    }
    const ports = new Map<number, string>();
    for (const [r, rp] of hb.rootPorts.entries()) {
      const rw = `${w}.rootPorts[${r}]`;
      const e = claim(rp.id, rw);
      if (e) return e;
      const prev = ports.get(rp.port);
      if (prev !== undefined) return `${rw}.port: port ${rp.port} already used by '${prev}'`;
      ports.set(rp.port, rp.id);
      if (rp.child) {
        const c = walkChild(rp.child, `${rw}.child`);
        if (c) return c;
      }
    }
  }
  const hbIds = new Set(t.hostBridges.map((hb) => hb.id));
  const indexes = new Set<number>();
  for (const [i, win] of t.windows.entries()) {
    const w = `windows[${i}]`;
    const index = win.index ?? i;
    if (indexes.has(index)) return `${w}.index: duplicate window index ${index}`;
    indexes.add(index);
    if (!WAYS.has(win.targets.length))
      return `${w}.targets: ${win.targets.length} targets (interleave ways must be 1, 2, 3, 4, 6, 8, 12 or 16)`;
    for (const [j, tg] of win.targets.entries())
      if (!hbIds.has(tg)) return `${w}.targets[${j}]: unknown host bridge '${tg}'`;
    if (win.size === 0n || win.size % MiB256 !== 0n)
      return `${w}.size: must be a non-zero multiple of 256 MiB`;
    if (win.base !== undefined && win.base % MiB256 !== 0n)
      return `${w}.base: must be 256 MiB aligned`;
  }
  return undefined;
}
