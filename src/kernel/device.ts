/**
 * DOC: the driver model drivers run on (drivers/base/core.c, dd.c in miniature).
 *
 * A {@link Device} has a name, a parent, a bus ('cxl', 'pci', 'platform', 'acpi' or none for
 * class-less container devices such as `pci0000:0c`), an optional device type name (`devtype`,
 * e.g. 'cxl_port') and a bound {@link Driver}. Its sysfs presence is described by attribute
 * groups (each optionally in a named subdirectory and with an `isVisible` hook, as
 * `struct attribute_group`) and named links (`uport`, `dport12`, `physical_node`…).
 * The sysfs layer renders /sys from these objects; nothing here formats paths except
 * {@link Device.devicePath}.
 *
 * Logging follows `dev_printk()`: the prefix is "<driver name> <device name>: " when a driver
 * is bound, else "<bus name> <device name>: ". `dev.err(code, msg)` logs at KERN_ERR and
 * returns the {@link Errno} to throw, so that the log line and the error cannot disagree.
 */
import { Errno, type ErrnoName } from './errno.ts';
import { shareWithCopies } from './graph-copy.ts';
import { type CheckEvent, KERN, type KernelLog } from './log.ts';

/** One sysfs attribute (`struct device_attribute`). Mode is the octal permission (0o444…). */
export interface Attribute<D extends Device = Device> {
  name: string;
  mode: number;
  /** Text value, already formatted as the kernel's show() prints it (with its trailing "\n"). */
  show?: (dev: D) => string;
  /** Binary value (CDAT, PCI config); presence makes the file binary. */
  read?: (dev: D) => Uint8Array;
  /** Parses `buf` (what `echo` wrote, newline included); throws Errno with state untouched. */
  store?: (dev: D, buf: string) => void;
  /** `is_visible`: false hides the file. */
  isVisible?: (dev: D) => boolean;
}

/** `struct attribute_group`: attributes, optionally inside a named subdirectory. */
export interface AttributeGroup<D extends Device = Device> {
  name?: string;
  attrs: Attribute<D>[];
  /** Hides the whole group (directory included) when false. */
  isVisible?: (dev: D) => boolean;
}

/**
 * A driver (`struct device_driver`): name, the bus it belongs to, and its callbacks. A driver
 * with `match` and `probe` is bound by the driver core (kernel/dd.ts) as the kernel binds: when
 * a matching device is added (device_add → device_initial_probe) and when the driver is
 * registered (driver_register → driver_attach), and through /sys/bus/<bus>/drivers/<drv>/bind.
 */
export interface Driver {
  name: string;
  bus: string;
  /** Directory name under /sys/module for the `module` link (e.g. cxl_core for cxl_region). */
  module?: string;
  /** Manual bind/unbind attributes are suppressed (suppress_bind_attrs). */
  suppressBindAttrs?: boolean;
  /**
   * For drivers whose definition changed between kernels: whether `suppressBindAttrs` and the
   * `module` link apply on the kernel `k` (absent: on every kernel).
   */
  appliesOn?: {
    suppressBindAttrs?: (k: KernelContext) => boolean;
    module?: (k: KernelContext) => boolean;
  };
  /** The bus's match for this driver (cxl_bus_match(): the device's type id). */
  match?(dev: Device): boolean;
  /** probe(): throws an Errno to refuse; the driver core logs it and leaves the device unbound. */
  probe?(dev: Device): void;
  /** remove(): runs on unbind before the device's devres actions are released. */
  remove?(dev: Device): void;
}

/** A link target: another device, or a path relative to /sys (e.g. 'module/cxl_mem'). */
export type LinkTarget = Device | { sysPath: string };

/** The kernel context a device lives in: its log and the bus registry (see kernel.ts). */
export interface KernelContext {
  log: KernelLog;
  /** Called by device_add()/device_del() so that buses can list their devices. */
  onAdd?(dev: Device): void;
  onDel?(dev: Device): void;
  /** Called when a device's bound driver changes (bind, unbind, failed probe). */
  onBind?(dev: Device): void;
  /** device_add()'s bus_probe_device(): binds a matching registered driver. */
  attach?(dev: Device): void;
  /**
   * The driver core logs a failed probe as dev_err "probe with driver %s failed with error %d"
   * (v6.10) rather than pr_warn "%s: probe of %s failed with error %d"; set from the kernel
   * version at boot (drivers/env.ts).
   */
  readonly probeFailDevErr?: boolean;
}

/** The default `ueventVars`: none. */
const noUeventVars = (): [string, string][] => [];

/** A devres action (struct action_devres): the function and its data. */
interface DevresAction {
  action: (data: unknown) => void;
  data: unknown;
}

/**
 * The children list of a device that has none (frozen: {@link Device.add} gives the parent its
 * own list first).
 */
const NO_CHILDREN = Object.freeze([]) as unknown as Device[];

/** A device in the driver model. Subclasses carry the object state (ports, decoders…). */
export class Device {
  name: string;
  parent: Device | undefined;
  /** Bus name ('cxl', 'pci', 'platform', 'acpi'); undefined for bus-less devices. */
  bus: string | undefined;
  /** Device type name shown in `devtype` / DEVTYPE= (e.g. 'cxl_decoder_root'). */
  devtype: string | undefined;
  private bound: Driver | undefined = undefined;
  /**
   * Registered children, in registration order: the shared frozen {@link NO_CHILDREN} until the
   * first is added (most devices — decoders, class devices — never have one; a copy of the
   * machine shares it), then the device's own list.
   */
  children: Device[] = NO_CHILDREN;
  groups: AttributeGroup[] = [];
  /**
   * Named links, allocated on first use (most devices have none): the target itself (sysfs
   * resolves it to a path when listed), a field a copy of the machine copies as a reference.
   */
  private linkMap: Map<string, LinkTarget> | undefined = undefined;
  /**
   * Extra uevent variables (MAJOR/MINOR/DEVNAME…), in order: a module-level function called as
   * a method of the device (`this`), shared by copies of the machine (no closure per device).
   */
  ueventVars: (this: Device) => [string, string][] = noUeventVars;
  /**
   * Class name for a class device (`struct class`, e.g. 'firmware'). A class device whose parent
   * is not of that class lives in a glue directory named after the class below its parent
   * (drivers/base/core.c get_device_parent(): memN/firmware/memN), and its `subsystem` link
   * points at class/<name>.
   */
  cls: string | undefined = undefined;
  /**
   * The bound driver's private data (dev_set_drvdata()/dev_get_drvdata(), pci_set_drvdata()):
   * set by a driver's probe, cleared when the driver is released.
   */
  driverData: unknown = undefined;
  /** Device registered (device_add) and not yet deleted. */
  registered = false;
  /** devres: undo actions registered with {@link Device.devmAdd}, released in reverse. */
  private devresList: DevresAction[] | undefined = undefined;
  readonly ctx: KernelContext;
  /** The device whose `children` holds this one (O(1) add checks). */
  private listedIn: Device | undefined = undefined;
  private pathMemo: string | undefined = undefined;
  /** Kept by the kernel registry: the device is on `kernel.roots` / on its bus's device list. */
  listedAsRoot = false;
  listedOnBus = false;

  constructor(ctx: KernelContext, name: string, parent?: Device, bus?: string, devtype?: string) {
    this.ctx = ctx;
    this.name = name;
    this.parent = parent;
    this.bus = bus;
    this.devtype = devtype;
  }

  /** The bound driver (dev->driver); a change is reported to the kernel context. */
  get driver(): Driver | undefined {
    return this.bound;
  }
  set driver(drv: Driver | undefined) {
    if (drv === this.bound) return;
    // drivers are module-level: copies of the machine share them
    this.bound = drv && shareWithCopies(drv);
    this.ctx.onBind?.(this);
  }

  /**
   * Named links in this device's directory (besides driver/subsystem, which sysfs adds), by
   * name: the device (or /sys path) each points at (sysfs_create_link()).
   */
  get links(): Map<string, LinkTarget> {
    this.linkMap ??= new Map();
    return this.linkMap;
  }

  /** The target of the link called `name`, if any (reads without allocating the table). */
  linkTarget(name: string): LinkTarget | undefined {
    return this.linkMap?.get(name);
  }

  /** Names of the device's links, in the order they were set. */
  linkNames(): Iterable<string> {
    return this.linkMap?.keys() ?? [];
  }

  /** Sets the attribute groups (typed for the subclass). */
  setGroups<D extends Device>(this: D, groups: AttributeGroup<D>[]): void {
    this.groups = groups as unknown as AttributeGroup[];
  }

  /**
   * device_add(): attach to the parent's children (in registration order), then let the bus
   * bind a matching driver (bus_probe_device()).
   */
  add(): this {
    const p = this.parent;
    if (p && !(this.listedIn === p && p.children.includes(this))) {
      if (p.children === NO_CHILDREN) p.children = [];
      p.children.push(this);
      this.listedIn = p;
    }
    this.registered = true;
    this.ctx.onAdd?.(this);
    this.ctx.attach?.(this);
    return this;
  }

  /**
   * devm_add_action(): `action(data)` (the kernel's arguments: dev, action, data) runs when this device's driver is unbound
   * or the device is deleted (devres_release_all()), after every action registered later.
   * `action` is a module-level function and `data` kept as data (a copy of the machine copies
   * it; no closure per device).
   */
  devmAdd<A>(action: (data: A) => void, data: A): void {
    this.devresList ??= [];
    this.devresList.push({ action: action as (data: unknown) => void, data });
  }

  /** devres_release_all(): runs the registered undo actions, newest first. */
  devresRelease(): void {
    const list = this.devresList;
    this.devresList = undefined;
    if (list)
      for (let i = list.length - 1; i >= 0; i--) {
        const r = list[i] as DevresAction;
        r.action(r.data);
      }
  }

  /** device_del(): detach from the parent, recursively deleting children first. */
  del(): void {
    for (const c of [...this.children].reverse()) c.del();
    if (this.parent) {
      const i = this.parent.children.indexOf(this);
      if (i >= 0) this.parent.children.splice(i, 1);
    }
    this.listedIn = undefined;
    this.registered = false;
    this.driver = undefined;
    this.ctx.onDel?.(this);
  }

  /** The class glue directory this device sits in below its parent (get_device_parent()), if any. */
  glueDir(): string | undefined {
    return this.cls !== undefined && this.parent !== undefined && this.parent.cls !== this.cls
      ? this.cls
      : undefined;
  }

  /** Path below /sys/devices, e.g. 'platform/ACPI0017:00/root0/port1'. */
  devicePath(): string {
    // names and parents never change once a device exists: computed once
    const glue = this.glueDir();
    this.pathMemo ??= this.parent
      ? `${this.parent.devicePath()}/${glue === undefined ? '' : `${glue}/`}${this.name}`
      : this.name;
    return this.pathMemo;
  }

  /** `dev_driver_string()`: bound driver name, else bus name, else class name (dev_bus_name()), else ''. */
  driverString(): string {
    return this.driver?.name ?? this.bus ?? this.cls ?? '';
  }

  /**
   * dev_printk prefix "cxl_port port1: " — dev_printk_emit()'s "%s %s: " over
   * dev_driver_string() and dev_name(), so a device without driver or bus (a `pciSSSS:BB` host
   * bridge) reads " pci0000:0c: host supports CXL", leading space included, as the captures show.
   */
  prefix(): string {
    return `${this.driverString()} ${this.name}: `;
  }

  /**
   * dev_dbg(): logged at KERN_DEBUG (visible with dynamic debug; no work without it). `check`:
   * the failing check the line reports (a structured event beside the text, see CheckEvent).
   */
  dbg(msg: string, check?: CheckEvent): void {
    const log = this.ctx.log;
    if (log.dyndbg) log.printk(KERN.DEBUG, this.prefix() + msg, check);
  }
  /** dev_info(). */
  info(msg: string): void {
    this.ctx.log.printk(KERN.INFO, this.prefix() + msg);
  }
  /** dev_warn(). */
  warn(msg: string): void {
    this.ctx.log.printk(KERN.WARNING, this.prefix() + msg);
  }
  /**
   * dev_WARN(): a kernel WARN splat whose message carries the device prefix
   * ("<driver or bus> <device>: "). cxlsim prints its first line, the message and its last
   * line; the location, module list, registers and call trace of the real splat are the real
   * machine's state and are not printed.
   */
  devWarn(msg: string, check?: CheckEvent): void {
    const log = this.ctx.log;
    log.printk(KERN.INFO, '------------[ cut here ]------------');
    log.printk(KERN.WARNING, this.prefix() + msg, check);
    log.printk(KERN.WARNING, '---[ end trace 0000000000000000 ]---');
  }
  /** dev_err() + the Errno to throw; `check` as for {@link dbg} (its errno is `code`). */
  err(code: ErrnoName, msg: string, check?: CheckEvent): Errno {
    this.ctx.log.printk(KERN.ERR, this.prefix() + msg, check && { ...check, errno: code });
    return new Errno(code, msg, this.name);
  }
  /**
   * dev_dbg() + the Errno to throw (expected rejections the kernel logs at debug level);
   * `check` as for {@link dbg} (its errno is `code`).
   */
  dbgErr(code: ErrnoName, msg: string, check?: CheckEvent): Errno {
    this.dbg(msg, check && { ...check, errno: code });
    return new Errno(code, msg, this.name);
  }

  /** Walks up the parent chain. */
  *ancestors(): Generator<Device> {
    for (let d = this.parent; d; d = d.parent) yield d;
  }
}
