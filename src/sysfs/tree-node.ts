/**
 * DOC: the nodes of the live /sys tree (kernfs nodes in miniature) and the shared context.
 *
 * A directory node lists its names and looks one up; a link node holds its target as a
 * path relative to /sys (readlink() turns it into the kernfs relative form); a file node
 * has a mode and read/write functions that enforce the kernfs open rules
 * (fs/kernfs/file.c kernfs_fop_open() with KERNFS_ROOT_EXTRA_OPEN_PERM_CHECK): no read bit
 * → EACCES on read, no write bit → EACCES on write, whatever the caller's privileges.
 * Nodes are built on demand and hold no copy of device state, so every read reflects the
 * device objects at that moment.
 */
import type { Device, Driver } from '../kernel/device.ts';
import { Errno } from '../kernel/errno.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { kernfsOrder } from './kernfs-hash.ts';
import { kernfsLinkTarget } from './kernfs-link.ts';
import type { SysEntry } from './view.ts';

/**
 * A directory: `list()` in kernfs order, `lookup()` of one name. `lookupStable()`, when
 * present, answers only for entries that can change only with `kernel.generation` (child
 * device directories, bus directories, `bus/<bus>/devices/` links) and gives what `lookup()`
 * would; the tree caches paths made of such hops (see tree.ts).
 */
export interface DirNode {
  t: 'dir';
  list(): string[];
  lookup(name: string): Node | undefined;
  lookupStable?(name: string): Node | undefined;
  /**
   * Optional shortcut: what `lookup(name)` then `read()` give when the entry is a plain file,
   * without building its node; undefined when it is anything else (then use lookup()). A
   * device directory also answers `GROUP/ATTR`, a file of one of its named groups, and
   * 'ENOENT' when GROUP is a group directory without a visible ATTR.
   */
  readFile?(name: string): string | Uint8Array | 'ENOENT' | undefined;
  /**
   * Optional shortcut: what lstat() reports for the entry `name` — the kind of what
   * `lookup(name)` gives — without building its node; undefined when there is no such entry.
   * `at` is this directory's path relative to /sys (a link's relative target is computed from
   * it when asked for).
   */
  lstatEntry?(at: string, name: string): SysEntry | undefined;
}

/** The entry that lstat() reports for any directory (one object: it holds nothing but the kind). */
export const DIR_ENTRY: SysEntry = Object.freeze({ kind: 'dir' });

/**
 * The entry that lstat() reports for the symlink `name` of the directory `dir` (relative to
 * /sys), pointing at `to` (a path relative to /sys, or a driver: `bus/<bus>/drivers/<name>`).
 * The link's path and its relative target are made when asked for (is_enabled() only wants
 * the kind): a getter on the class rather than a closure or a string per entry.
 */
export class LinkEntry {
  readonly kind = 'link';
  private readonly dir: string;
  private readonly name: string;
  private readonly to: string | Driver;
  private cached: string | undefined;

  constructor(dir: string, name: string, to: string | Driver) {
    this.dir = dir;
    this.name = name;
    this.to = to;
  }

  /** readlink(2)'s text: the target relative to the link's directory (kernfs-link.ts). */
  get target(): string {
    if (this.cached === undefined) {
      const to = this.to;
      const at = this.dir ? `${this.dir}/${this.name}` : this.name;
      this.cached = kernfsLinkTarget(
        at,
        typeof to === 'string' ? to : `bus/${to.bus}/drivers/${to.name}`,
      );
    }
    return this.cached;
  }
}

/** The file entries that lstat reports, one per (mode, binary): they hold nothing else. */
const FILE_ENTRIES = new Map<number, SysEntry>();

/** What lstat() reports for a file of mode `mode` (permission bits), binary or text. */
export function fileEntry(mode: number, binary: boolean): SysEntry {
  const key = binary ? mode + 0x10000 : mode;
  let e = FILE_ENTRIES.get(key);
  if (!e) {
    e = Object.freeze({ kind: 'file', mode, binary });
    FILE_ENTRIES.set(key, e);
  }
  return e;
}

/**
 * A symlink; `to` is the target path relative to /sys. `dev`, when set, is the device whose
 * directory `to` names (`to` is devPath(dev)): the tree can then reach the target without
 * walking its path (tree.ts).
 */
export interface LinkNode {
  t: 'link';
  to: string;
  dev?: Device;
}

/**
 * A link to a device's directory: its target path made when read (a walk follows it by its
 * device, tree.ts, and does not need the path string).
 */
export class DeviceLinkNode implements LinkNode {
  readonly t = 'link';
  readonly dev: Device;

  constructor(dev: Device) {
    this.dev = dev;
  }

  /** devPath() of the device. */
  get to(): string {
    return devPath(this.dev);
  }
}

/** A regular file (attribute). */
export interface FileNode {
  t: 'file';
  mode: number;
  binary: boolean;
  read(): string | Uint8Array;
  write(buf: string): void;
}

export type Node = DirNode | LinkNode | FileNode;

/**
 * A debugfs entry under /sys/kernel/debug, as drivers create them (debugfs_create_dir(),
 * debugfs_create_file()). Directories list their entries on demand.
 */
export type DebugfsEntry =
  | {
      kind: 'dir';
      entries: () => Map<string, DebugfsEntry>;
      /** Optional shortcut: what `entries().get(name)` gives, without building the others. */
      lookup?: (name: string) => DebugfsEntry | undefined;
      /**
       * The directory stays, once created, for the kernel's life (a module's top directory,
       * never removed): paths through it may be cached like /sys/devices' (tree.ts).
       */
      permanent?: boolean;
    }
  | { kind: 'file'; mode: number; show?: () => string; store?: (buf: string) => void };

/**
 * Callbacks into the driver core for the files that bind, unbind or probe (bus and driver
 * directories). Each throws an Errno as the kernel's store would return it.
 */
export interface SysfsHooks {
  /** `bind` (drivers/base/bus.c bind_store → device_driver_attach). */
  bind?(drv: Driver, dev: Device): void;
  /** `unbind` (unbind_store → device_release_driver); called only when dev is bound to drv. */
  unbind?(drv: Driver, dev: Device): void;
  /** `drivers_probe` (bus_rescan_devices_helper → device_attach). */
  probe?(dev: Device): void;
  /** `/sys/bus/cxl/flush` (drivers/cxl/core/port.c flush_store → flush_workqueue). */
  flush?(): void;
  /**
   * The top-level entries of /sys/kernel/debug. Without this hook, debugfs holds only
   * cxl_core's `cxl/` directory (debugfs_create_dir("cxl") in cxl_core_init()) once the
   * cxl bus exists.
   */
  debugfs?(): Map<string, DebugfsEntry>;
  /**
   * The top-level entries of /sys/kernel/tracing (tracefs, mounted there by systemd on every
   * guest that has it). Without this hook no tracefs is mounted.
   */
  tracefs?(): Map<string, DebugfsEntry>;
}

/** What every node factory needs: the kernel, the hooks and the name indexes. */
export interface TreeCtx {
  kernel: Kernel;
  hooks: SysfsHooks;
  /** Registered children of a device by name (cached per kernel generation). */
  children(dev: Device): ReadonlyMap<string, Device>;
  /**
   * `children(dev).get(name)`; a device with few children is scanned instead of indexed (most
   * have one to a handful, and a Map for each was most of what a listing left behind).
   */
  child(dev: Device, name: string): Device | undefined;
  /** Devices of a bus by name, and their names in kernfs order (cached). */
  busIndex(bus: string): { byName: Map<string, Device>; order: string[] };
  /** Devices bound to a driver by name, in bus order (cached until a bind, unbind or device change). */
  boundTo(drv: Driver): Map<string, Device>;
  /**
   * The directory node of a device: made on each call (a node holds nothing but its context
   * and device; the directories a walk reaches are cached with their nodes in tree.ts), so a
   * walk of ~20 k device directories adds no per-device entry to a table for it.
   */
  deviceNode(dev: Device): DirNode;
  /**
   * The last listing of each device directory listed since the device set last changed: the
   * names as collected and their kernfs order (see tree-device.ts DeviceDirNode.list()).
   */
  listings(): Map<Device, { names: readonly string[]; order: readonly string[] }>;
  /** `drivers_autoprobe` value per bus (bus_type private state), looked up when called. */
  autoprobe(): Map<string, boolean>;
}

/**
 * A directory from a fixed name → node function table; the entries named in `stable` are
 * generation-stable (see {@link DirNode.lookupStable}).
 *
 * cxlsim's note on speed: the node is one object literal in each case. Adding the
 * `lookupStable` closure to the finished object instead made V8 keep it (and through it the
 * machine) alive through young-generation collections until the next full collection — every
 * copy of a machine, whose /sys view is built over the copied kernel, outlived its use
 * (docs/performance.md, "Clone and collector work").
 */
export function staticDir(
  entries: () => Map<string, () => Node | undefined>,
  stable?: ReadonlySet<string>,
): DirNode {
  const list = (): string[] => {
    const names: string[] = [];
    for (const [n, f] of entries()) if (f()) names.push(n);
    return kernfsOrder(names);
  };
  const lookup = (name: string): Node | undefined => entries().get(name)?.();
  if (!stable) return { t: 'dir', list, lookup };
  return {
    t: 'dir',
    list,
    lookup,
    lookupStable: (name) => (stable.has(name) ? entries().get(name)?.() : undefined),
  };
}

/** An empty directory (e.g. /sys/module/<name> in this model). */
export const emptyDir: DirNode = { t: 'dir', list: () => [], lookup: () => undefined };

/**
 * /sys path of a device's directory. Not remembered per device (the device remembers its
 * path below /sys/devices): an entry in a side table cost each of the 30 k devices of a
 * 4096-endpoint machine ~400 bytes the first time a link to it was read (sysfs dump reads them
 * all), while the string made here dies young.
 */
export function devPath(dev: Device): string {
  return `devices/${dev.devicePath()}`;
}

/**
 * A file with kernfs permission checks. `show` missing on a readable file reads as EIO
 * (dev_attr_show), `store` missing on a writable file writes as EIO (dev_attr_store).
 */
export function fileNode(
  mode: number,
  show: (() => string | Uint8Array) | undefined,
  store: ((buf: string) => void) | undefined,
  binary = false,
): FileNode {
  return {
    t: 'file',
    mode,
    binary,
    read: () => {
      if ((mode & 0o444) === 0) throw new Errno('EACCES');
      if (!show) throw new Errno('EIO');
      return show();
    },
    write: (buf) => {
      if ((mode & 0o222) === 0) throw new Errno('EACCES');
      if (!store) throw new Errno('EIO');
      store(buf);
    },
  };
}

/** kobject_action_type() names accepted by a write to `uevent` (lib/kobject_uevent.c). */
const UEVENT_ACTIONS = ['add', 'remove', 'change', 'move', 'online', 'offline', 'bind', 'unbind'];

/**
 * `uevent` store (kobject_synth_uevent): an action name, optionally followed by a space and
 * a UUID and KEY=VALUE arguments. The synthetic event itself has no effect in this model.
 * @throws EINVAL for an unknown action
 */
export function ueventStore(buf: string): void {
  const s = buf.endsWith('\n') ? buf.slice(0, -1) : buf;
  const action = s.split(' ', 1)[0] ?? '';
  if (!UEVENT_ACTIONS.includes(action)) throw new Errno('EINVAL');
}
