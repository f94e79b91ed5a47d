/**
 * DOC: the kernel instance: log, top-level devices and bus registries.
 *
 * `/sys/devices/<root>/…` is rendered from {@link Kernel.roots} (devices without a parent,
 * e.g. 'platform', 'pci0000:0c', 'LNXSYSTM:00'), `/sys/bus/<bus>/devices` from the bus's
 * device list in registration order, and `/sys/bus/<bus>/drivers/<drv>` from the registered
 * drivers and the devices bound to them.
 */

import { deviceAttach, driverAttach } from './dd.ts';
import { Device, type Driver, type KernelContext } from './device.ts';
import { shareWithCopies } from './graph-copy.ts';
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
  /** See {@link KernelContext.probeFailDevErr}. */
  probeFailDevErr = false;
  readonly roots: Device[] = [];
  readonly buses = new Map<string, BusType>();
  /**
   * Bumped on every device_add()/device_del() and driver_register(): caches keyed on the
   * device set (the sysfs tree's name indexes) compare it to know when to rebuild.
   */
  generation = 0;
  /** Bumped whenever a device's bound driver changes (caches of driver → devices). */
  bindings = 0;
  /** First device of each name per bus (bus_find_device_by_name()), rebuilt per generation. */
  private nameIndex = new Map<string, Map<string, Device>>();
  private nameIndexGen = -1;

  /** bus_register(). Idempotent. */
  bus(name: string): BusType {
    let b = this.buses.get(name);
    if (!b) {
      b = { name, devices: [], drivers: [] };
      this.buses.set(name, b);
    }
    return b;
  }

  /** driver_register(): lists the driver on its bus and binds the devices it matches. */
  registerDriver(drv: Driver): void {
    const b = this.bus(drv.bus);
    if (b.drivers.includes(drv)) return;
    b.drivers.push(shareWithCopies(drv));
    this.generation++;
    driverAttach(drv, b.devices);
  }

  /** bus_probe_device(): a device just added is offered to its bus's drivers. */
  attach(dev: Device): void {
    if (dev.bus) deviceAttach(dev, this.buses.get(dev.bus)?.drivers ?? []);
  }

  onAdd(dev: Device): void {
    this.generation++;
    if (!dev.parent && !dev.listedAsRoot) {
      dev.listedAsRoot = true;
      this.roots.push(dev);
    }
    if (dev.bus && !dev.listedOnBus) {
      dev.listedOnBus = true;
      this.bus(dev.bus).devices.push(dev);
    }
  }

  onBind(_dev: Device): void {
    this.bindings++;
  }

  onDel(dev: Device): void {
    this.generation++;
    if (!dev.parent && dev.listedAsRoot) {
      dev.listedAsRoot = false;
      const i = this.roots.indexOf(dev);
      if (i >= 0) this.roots.splice(i, 1);
    }
    if (dev.bus && dev.listedOnBus) {
      dev.listedOnBus = false;
      const b = this.bus(dev.bus);
      const i = b.devices.indexOf(dev);
      if (i >= 0) b.devices.splice(i, 1);
    }
  }

  /** Creates (does not add) a device in this kernel. */
  device(name: string, parent?: Device, bus?: string, devtype?: string): Device {
    return new Device(this, name, parent, bus, devtype);
  }

  /**
   * Finds a device on a bus by name: the first so named in registration order. The name index
   * is built on the first lookup after the device set changed (device names never change).
   */
  find(bus: string, name: string): Device | undefined {
    if (this.nameIndexGen !== this.generation) {
      this.nameIndexGen = this.generation;
      this.nameIndex = new Map();
    }
    let names = this.nameIndex.get(bus);
    if (!names) {
      names = new Map();
      // an index loop: this runs once per generation over every device of the bus (30 k on
      // cxl at 4096 endpoints), in cold code, where for-of makes an object per element
      const devs = this.buses.get(bus)?.devices ?? [];
      for (let i = 0; i < devs.length; i++) {
        const d = devs[i] as Device;
        if (!names.has(d.name)) names.set(d.name, d);
      }
      this.nameIndex.set(bus, names);
    }
    return names.get(name);
  }
}
