/**
 * DOC: the kernel instance: log, top-level devices and bus registries.
 *
 * `/sys/devices/<root>/…` is rendered from {@link Kernel.roots} (devices without a parent,
 * e.g. 'platform', 'pci0000:0c', 'LNXSYSTM:00'), `/sys/bus/<bus>/devices` from the bus's
 * device list in registration order, and `/sys/bus/<bus>/drivers/<drv>` from the registered
 * drivers and the devices bound to them.
 */
import { Device, type Driver, type KernelContext } from './device.ts';
import { KernelLog } from './log.ts';

/** A bus type (`struct bus_type`) with its devices and drivers. */
export interface BusType {
  name: string;
  devices: Device[];
  drivers: Driver[];
}

/** The kernel: implements {@link KernelContext} for every device created through it. */
export class Kernel implements KernelContext {
  readonly log = new KernelLog();
  readonly roots: Device[] = [];
  readonly buses = new Map<string, BusType>();
  /**
   * Bumped on every device_add()/device_del() and driver_register(): caches keyed on the
   * device set (the sysfs tree's name indexes) compare it to know when to rebuild.
   */
  generation = 0;
  /** Bumped whenever a device's bound driver changes (caches of driver → devices). */
  bindings = 0;
  /** Membership of {@link roots} and of each bus's device list (O(1) add/del checks). */
  private readonly rootSet = new Set<Device>();
  private readonly busSets = new Map<string, Set<Device>>();
  /** First device of each name per bus (bus_find_device_by_name() without the list walk). */
  private readonly byName = new Map<string, Map<string, Device>>();

  /** bus_register(). Idempotent. */
  bus(name: string): BusType {
    let b = this.buses.get(name);
    if (!b) {
      b = { name, devices: [], drivers: [] };
      this.buses.set(name, b);
    }
    return b;
  }

  /** driver_register(). */
  registerDriver(drv: Driver): void {
    const b = this.bus(drv.bus);
    if (!b.drivers.includes(drv)) b.drivers.push(drv);
    this.generation++;
  }

  onAdd(dev: Device): void {
    this.generation++;
    if (!dev.parent && !this.rootSet.has(dev)) {
      this.rootSet.add(dev);
      this.roots.push(dev);
    }
    if (dev.bus) {
      const b = this.bus(dev.bus);
      let set = this.busSets.get(dev.bus);
      if (!set) {
        set = new Set(b.devices);
        this.busSets.set(dev.bus, set);
      }
      if (!set.has(dev)) {
        set.add(dev);
        b.devices.push(dev);
        let names = this.byName.get(dev.bus);
        if (!names) {
          names = new Map();
          this.byName.set(dev.bus, names);
        }
        if (!names.has(dev.name)) names.set(dev.name, dev);
      }
    }
  }

  onBind(_dev: Device): void {
    this.bindings++;
  }

  onDel(dev: Device): void {
    this.generation++;
    if (!dev.parent && this.rootSet.delete(dev)) {
      const i = this.roots.indexOf(dev);
      if (i >= 0) this.roots.splice(i, 1);
    }
    if (dev.bus) {
      const b = this.bus(dev.bus);
      this.busSets.get(dev.bus)?.delete(dev);
      const i = b.devices.indexOf(dev);
      if (i >= 0) b.devices.splice(i, 1);
      const names = this.byName.get(dev.bus);
      if (names?.get(dev.name) === dev) {
        names.delete(dev.name);
        const next = b.devices.find((d) => d.name === dev.name);
        if (next) names.set(dev.name, next);
      }
    }
  }

  /** Creates (does not add) a device in this kernel. */
  device(name: string, parent?: Device, bus?: string, devtype?: string): Device {
    return new Device(this, name, parent, bus, devtype);
  }

  /**
   * Finds a device on a bus by name: the first so named in registration order. Indexed; a
   * device renamed after device_add() falls back to the list walk.
   */
  find(bus: string, name: string): Device | undefined {
    const hit = this.byName.get(bus)?.get(name);
    if (hit && hit.name === name) return hit;
    return this.buses.get(bus)?.devices.find((d) => d.name === name);
  }
}
