/**
 * DOC: the pieces of the live /sys tree that are not path resolution (tree.ts): the shared
 * context with its generation-keyed indexes (children of a device, devices of a bus in kernfs
 * order, driver → bound devices per binding change, one directory node per device), and the
 * `/sys/devices` and `/sys/kernel` (debugfs) directories.
 */
import type { Device, Driver } from '../kernel/device.ts';
import { copiedWeakMap } from '../kernel/graph-copy.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { kernfsOrder } from './kernfs-hash.ts';
import { deviceDir } from './tree-device.ts';
import {
  type DebugfsEntry,
  type DirNode,
  fileNode,
  type Node,
  type SysfsHooks,
  staticDir,
  type TreeCtx,
} from './tree-node.ts';

/** Up to this many children, {@link TreeCtx.child} scans them rather than building an index. */
const CHILD_SCAN_MAX = 16;

/** The children index of a device without children (most attributes' parents). */
const NO_CHILDREN: ReadonlyMap<string, Device> = new Map();

/** `drivers_autoprobe` per bus, per kernel (bus_type private state; follows copies). */
const autoprobes = copiedWeakMap<Kernel, Map<string, boolean>>();

/** The kernel's `drivers_autoprobe` values. */
function autoprobeOf(kernel: Kernel): Map<string, boolean> {
  let m = autoprobes.get(kernel);
  if (!m) {
    m = new Map();
    autoprobes.set(kernel, m);
  }
  return m;
}

/** Builds the shared context with its generation-keyed caches. */
export function makeCtx(kernel: Kernel, hooks: SysfsHooks): TreeCtx {
  let gen = -1;
  // cxlsim's speed note: plain Maps, emptied when the device set changes, rather than WeakMaps:
  // a WeakMap whose old-space keys (the machine's devices) map to young values is re-examined
  // by every scavenge, and a listing at 4096 endpoints adds ~40 k entries
  let childCache = new Map<Device, Map<string, Device>>();
  const busCache = new Map<string, { byName: Map<string, Device>; order: string[] }>();
  let boundGen = -1;
  let boundBindings = -1;
  const bound = new Map<Driver, Map<string, Device>>();
  let listings = new Map<Device, { names: readonly string[]; order: readonly string[] }>();
  let listingsGen = -1;
  const check = () => {
    if (kernel.generation !== gen) {
      gen = kernel.generation;
      childCache = new Map();
      busCache.clear();
    }
  };
  const ctx: TreeCtx = {
    kernel,
    hooks,
    // looked up when used: in a copy of the machine the view is made before the copied kernel's
    // side-table entries are filled in (graph-copy's rebuildable contract). A plain property,
    // not a getter: an accessor in a per-copy literal kept every copy alive through V8's
    // young-generation collections (docs/performance.md, h-clone)
    autoprobe: () => autoprobeOf(kernel),
    child(dev, name) {
      const kids = dev.children;
      if (kids.length > CHILD_SCAN_MAX) return ctx.children(dev).get(name);
      // children()'s rule: the first registered child so named outside a glue directory
      for (let i = 0; i < kids.length; i++) {
        const c = kids[i] as Device;
        if (c.name === name && c.registered && c.glueDir() === undefined) return c;
      }
      return undefined;
    },
    children(dev) {
      if (dev.children.length === 0) return NO_CHILDREN;
      check();
      let m = childCache.get(dev);
      if (!m) {
        m = new Map();
        // class devices in a glue directory (memN/firmware/memN) are listed by that directory
        for (const c of dev.children)
          if (c.registered && !m.has(c.name) && c.glueDir() === undefined) m.set(c.name, c);
        childCache.set(dev, m);
      }
      return m;
    },
    busIndex(bus) {
      check();
      let e = busCache.get(bus);
      if (!e) {
        const byName = new Map<string, Device>();
        // the names in the Map's key order (first insertion), for the listing below
        const names: string[] = [];
        // an index loop: once per generation over the whole bus, in cold code (see Kernel.find)
        const devs = kernel.buses.get(bus)?.devices ?? [];
        for (let i = 0; i < devs.length; i++) {
          const d = devs[i] as Device;
          if (!d.registered) continue;
          if (!byName.has(d.name)) names.push(d.name);
          byName.set(d.name, d);
        }
        // the kernfs order (a sort of every name: 30 k on bus/cxl at 4096 endpoints) only
        // when the directory is listed, not for a lookup by name
        let order: string[] | undefined;
        e = {
          byName,
          get order(): string[] {
            order ??= kernfsOrder(names);
            return order;
          },
        };
        busCache.set(bus, e);
      }
      return e;
    },
    boundTo(drv) {
      if (boundGen !== kernel.generation || boundBindings !== kernel.bindings) {
        boundGen = kernel.generation;
        boundBindings = kernel.bindings;
        bound.clear();
      }
      let m = bound.get(drv);
      if (!m) {
        m = new Map();
        for (const [n, d] of ctx.busIndex(drv.bus).byName) if (d.driver === drv) m.set(n, d);
        bound.set(drv, m);
      }
      return m;
    },
    deviceNode(dev) {
      return deviceDir(ctx, dev);
    },
    listings() {
      // emptied when the device set changes rather than kept for devices that are gone
      if (listingsGen !== kernel.generation) {
        listingsGen = kernel.generation;
        listings = new Map();
      }
      return listings;
    },
  };
  return ctx;
}

/** `/sys/devices`: the registered root devices. */
export function devicesDir(ctx: TreeCtx): DirNode {
  const roots = (): Map<string, Device> => {
    const m = new Map<string, Device>();
    for (const d of ctx.kernel.roots) if (d.registered && !m.has(d.name)) m.set(d.name, d);
    return m;
  };
  const lookup = (name: string): Node | undefined => {
    const d = roots().get(name);
    return d ? ctx.deviceNode(d) : undefined;
  };
  return { t: 'dir', list: () => kernfsOrder(roots().keys()), lookup, lookupStable: lookup };
}

/**
 * A debugfs directory node over entries produced on demand: one object (its methods on the
 * class), where a node of closures was made for each directory an access walked through
 * (cxlsim's speed note: ndctl 85 looks up /sys/kernel/debug/cxl/memN/inject_poison per memdev).
 */
class DebugfsDirNode implements DirNode {
  readonly t = 'dir';
  private readonly entries: () => Map<string, DebugfsEntry>;
  private readonly one: ((name: string) => DebugfsEntry | undefined) | undefined;

  constructor(
    entries: () => Map<string, DebugfsEntry>,
    one?: (name: string) => DebugfsEntry | undefined,
  ) {
    this.entries = entries;
    this.one = one;
  }

  list(): string[] {
    return kernfsOrder(this.entries().keys());
  }

  lookup(name: string): Node | undefined {
    const e = this.one ? this.one(name) : this.entries().get(name);
    if (!e) return undefined;
    return e.kind === 'dir'
      ? new DebugfsDirNode(e.entries, e.lookup)
      : fileNode(e.mode, e.show, e.store);
  }
}

/**
 * debugfs's mount point: as {@link DebugfsDirNode}, and its permanent directories (see
 * DebugfsEntry) are generation-stable, so that /sys/kernel/debug/cxl is cached and a path
 * below it walked from there (ndctl 85: cxl/memN/inject_poison per memdev).
 */
class DebugfsMountNode extends DebugfsDirNode {
  private readonly top: () => Map<string, DebugfsEntry>;

  constructor(top: () => Map<string, DebugfsEntry>) {
    super(top);
    this.top = top;
  }

  lookupStable(name: string): Node | undefined {
    const e = this.top().get(name);
    return e?.kind === 'dir' && e.permanent ? new DebugfsDirNode(e.entries, e.lookup) : undefined;
  }
}

/** `/sys/kernel` entries that never change (see {@link kernelDir}). */
const KERNEL_STABLE: ReadonlySet<string> = new Set(['debug', 'tracing']);

/** `/sys/kernel`: the debugfs mount point, and tracefs's when the tracefs hook is given. */
export function kernelDir(ctx: TreeCtx): DirNode {
  const top = (): Map<string, DebugfsEntry> => {
    if (ctx.hooks.debugfs) return ctx.hooks.debugfs();
    const m = new Map<string, DebugfsEntry>();
    if (ctx.kernel.buses.has('cxl')) m.set('cxl', { kind: 'dir', entries: () => new Map() });
    return m;
  };
  const debug = new DebugfsMountNode(top);
  const tracefs = ctx.hooks.tracefs;
  const tracing = tracefs ? new DebugfsDirNode(() => tracefs()) : undefined;
  const entries = new Map<string, () => Node | undefined>([['debug', () => debug]]);
  if (tracing) entries.set('tracing', () => tracing);
  // both mount points are there for the kernel's life: a path below them resolves from the
  // cached mount point (ndctl 85 looks up /sys/kernel/debug/cxl/memN/inject_poison per memdev)
  return staticDir(() => entries, KERNEL_STABLE);
}
