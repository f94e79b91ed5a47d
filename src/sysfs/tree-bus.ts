/**
 * DOC: /sys/bus/<bus> (drivers/base/bus.c, driver.c) and /sys/module stubs.
 *
 * `bus/<bus>/` holds `devices/` (one symlink per device on the bus), `drivers/`,
 * `drivers_autoprobe` (0644, "1"), `drivers_probe` (0200) and `uevent` (0200); the cxl bus
 * adds `flush` (0200, drivers/cxl/core/port.c). `drivers/<drv>/` holds `bind`/`unbind`
 * (0200, absent with suppress_bind_attrs), `uevent` (0200), the `module` link (only when
 * the Driver names a module) and one link per bound device. Stores follow bus.c: devices
 * are found by name with sysfs_streq() semantics (one trailing newline ignored) and a miss
 * is -ENODEV.
 */
import type { Device, Driver, KernelContext } from '../kernel/device.ts';
import { Errno } from '../kernel/errno.ts';
import { cstr, sysfsStreq } from './format.ts';
import { kernfsOrder } from './kernfs-hash.ts';
import {
  DeviceLinkNode,
  type DirNode,
  emptyDir,
  fileNode,
  type Node,
  staticDir,
  type TreeCtx,
  ueventStore,
} from './tree-node.ts';

/**
 * Module directory a driver's `module` link points to; '' when the driver has none (a
 * built-in driver without a module name: in the 6.1 capture cxl_port has no link, while the
 * built-in cxl_region links to cxl_core).
 */
export function moduleName(drv: Driver, k?: KernelContext): string {
  const on = drv.appliesOn?.module;
  if (on && k && !on(k)) return '';
  return drv.module ?? '';
}

/** Whether a driver's bind/unbind attributes are suppressed on the kernel `k`. */
function bindAttrsSuppressed(drv: Driver, k: KernelContext): boolean {
  if (!drv.suppressBindAttrs) return false;
  const on = drv.appliesOn?.suppressBindAttrs;
  return on === undefined || on(k);
}

/** bus_find_device_by_name(): the bus's device named `buf` (trailing newline ignored). */
function findByName(ctx: TreeCtx, bus: string, raw: string): Device | undefined {
  const buf = cstr(raw);
  const name = buf.endsWith('\n') ? buf.slice(0, -1) : buf;
  return ctx.busIndex(bus).byName.get(name);
}

/** bind_store(): -ENODEV for no such device, -EBUSY when it already has a driver. */
function bindStore(ctx: TreeCtx, drv: Driver, buf: string): void {
  const dev = findByName(ctx, drv.bus, buf);
  if (!dev?.registered) throw new Errno('ENODEV');
  if (dev.driver) throw new Errno('EBUSY');
  if (!ctx.hooks.bind)
    throw new Errno('EOPNOTSUPP', 'bind is not modelled by this kernel', dev.name);
  ctx.hooks.bind(drv, dev);
}

/** unbind_store(): -ENODEV unless the device is bound to this driver. */
function unbindStore(ctx: TreeCtx, drv: Driver, buf: string): void {
  const dev = findByName(ctx, drv.bus, buf);
  if (!dev || dev.driver !== drv) throw new Errno('ENODEV');
  if (!ctx.hooks.unbind)
    throw new Errno('EOPNOTSUPP', 'unbind is not modelled by this kernel', dev.name);
  ctx.hooks.unbind(drv, dev);
}

/** Devices bound to a driver. */
function boundDevices(ctx: TreeCtx, drv: Driver): Map<string, Device> {
  return ctx.boundTo(drv);
}

/** `bus/<bus>/drivers/<drv>/`. */
function driverDir(ctx: TreeCtx, drv: Driver): DirNode {
  const fixed = (): Map<string, () => Node | undefined> => {
    const m = new Map<string, () => Node | undefined>();
    if (!bindAttrsSuppressed(drv, ctx.kernel)) {
      m.set('bind', () => fileNode(0o200, undefined, (b) => bindStore(ctx, drv, b)));
      m.set('unbind', () => fileNode(0o200, undefined, (b) => unbindStore(ctx, drv, b)));
    }
    m.set('uevent', () => fileNode(0o200, undefined, ueventStore));
    const mod = moduleName(drv, ctx.kernel);
    if (mod) m.set('module', () => ({ t: 'link', to: `module/${mod}` }));
    return m;
  };
  return {
    t: 'dir',
    list: () => kernfsOrder([...fixed().keys(), ...boundDevices(ctx, drv).keys()]),
    lookup: (name) => {
      const f = fixed().get(name);
      if (f) return f();
      const d = boundDevices(ctx, drv).get(name);
      return d ? new DeviceLinkNode(d) : undefined;
    },
  };
}

/** `bus/<bus>/`. */
function busDir(ctx: TreeCtx, bus: string): DirNode {
  const devLink = (name: string): Node | undefined => {
    const d = ctx.busIndex(bus).byName.get(name);
    return d ? new DeviceLinkNode(d) : undefined;
  };
  const devices: DirNode = {
    t: 'dir',
    list: () => ctx.busIndex(bus).order,
    lookup: devLink,
    lookupStable: devLink,
  };
  const drivers = (): Map<string, Driver> => {
    const m = new Map<string, Driver>();
    for (const d of ctx.kernel.buses.get(bus)?.drivers ?? []) m.set(d.name, d);
    return m;
  };
  const driversDir: DirNode = {
    t: 'dir',
    list: () => kernfsOrder(drivers().keys()),
    lookup: (name) => {
      const d = drivers().get(name);
      return d ? driverDir(ctx, d) : undefined;
    },
  };
  const autoprobe = fileNode(
    0o644,
    () => `${(ctx.autoprobe().get(bus) ?? true) ? 1 : 0}\n`,
    (b) => void ctx.autoprobe().set(bus, b[0] !== '0'),
  );
  const probe = fileNode(0o200, undefined, (b) => {
    const dev = findByName(ctx, bus, b);
    if (!dev) throw new Errno('ENODEV');
    if (!dev.driver) ctx.hooks.probe?.(dev);
  });
  const flush = fileNode(0o200, undefined, (b) => {
    if (!sysfsStreq(b, '1')) throw new Errno('EINVAL');
    ctx.hooks.flush?.();
  });
  const entries = new Map<string, () => Node | undefined>([
    ['devices', () => devices],
    ['drivers', () => driversDir],
    ['drivers_autoprobe', () => autoprobe],
    ['drivers_probe', () => probe],
    ['uevent', () => fileNode(0o200, undefined, ueventStore)],
    ['flush', () => (bus === 'cxl' ? flush : undefined)],
  ]);
  return staticDir(() => entries, STABLE_BUS_ENTRIES);
}

/** `bus/<bus>/` entries whose lookups change only with the device set. */
const STABLE_BUS_ENTRIES: ReadonlySet<string> = new Set(['devices']);

/** `/sys/bus`. */
export function busesDir(ctx: TreeCtx): DirNode {
  const lookup = (name: string): Node | undefined =>
    ctx.kernel.buses.has(name) ? busDir(ctx, name) : undefined;
  return {
    t: 'dir',
    list: () => kernfsOrder(ctx.kernel.buses.keys()),
    lookup,
    lookupStable: lookup,
  };
}

/** `/sys/module`: one (empty) directory per module a registered driver names. */
export function modulesDir(ctx: TreeCtx): DirNode {
  const names = (): Set<string> => {
    const s = new Set<string>();
    for (const b of ctx.kernel.buses.values())
      for (const d of b.drivers) {
        const m = moduleName(d, ctx.kernel);
        if (m) s.add(m);
      }
    return s;
  };
  return {
    t: 'dir',
    list: () => kernfsOrder(names()),
    lookup: (name) => (names().has(name) ? emptyDir : undefined),
  };
}
