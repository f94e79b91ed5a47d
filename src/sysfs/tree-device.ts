/**
 * DOC: a device's directory in /sys/devices (drivers/base/core.c device_add() and the
 * sysfs group/link calls drivers make).
 *
 * Entries: registered child devices (directories), attributes of unnamed groups (files),
 * named groups (subdirectories; groups sharing a name merge, as sysfs_merge_group() does),
 * the device's named links, and the driver core's own entries:
 * - `uevent` (0644): dev_uevent() order — MAJOR/MINOR/DEVNAME (and DEVMODE/DEVUID/DEVGID),
 *   DEVTYPE, DRIVER, then the bus's variables with MODALIAS last (taken from the device's
 *   `modalias` attribute unless `ueventVars()` supplies it), as the captures show;
 * - `subsystem` → `bus/<bus>` for devices on a bus;
 * - `driver` → `bus/<bus>/drivers/<driver>` while bound;
 * - `dev` (0444, "MAJ:MIN") when the device has a devt (MAJOR/MINOR uevent variables).
 * `isVisible` hooks are evaluated on every lookup and listing.
 */
import type { Attribute, AttributeGroup, Device } from '../kernel/device.ts';
import { Errno, isErrno } from '../kernel/errno.ts';
import { KERN } from '../kernel/log.ts';
import { kernfsOrder } from './kernfs-hash.ts';
import {
  DeviceLinkNode,
  DIR_ENTRY,
  type DirNode,
  devPath,
  type FileNode,
  fileEntry,
  fileNode,
  LinkEntry,
  type Node,
  type TreeCtx,
  ueventStore,
} from './tree-node.ts';
import type { SysEntry } from './view.ts';

/** uevent variables dev_uevent() emits before DEVTYPE= (the devt block). */
const DEVT_KEYS = new Set(['MAJOR', 'MINOR', 'DEVNAME', 'DEVMODE', 'DEVUID', 'DEVGID']);

function visibleGroups(dev: Device): AttributeGroup[] {
  return dev.groups.filter((g) => g.isVisible?.(dev) ?? true);
}

function attrVisible(dev: Device, a: Attribute): boolean {
  return a.isVisible?.(dev) ?? true;
}

function groupVisible(dev: Device, g: AttributeGroup): boolean {
  return g.isVisible?.(dev) ?? true;
}

/**
 * Name index of a device's attribute groups: unnamed-group attributes by name (with their
 * group, in group then attribute order) and named groups by name. Built once per distinct list
 * of groups and shared by every device whose groups array holds the same groups in the same
 * order (CXL devices share one frozen array per type; each PCI function has its own array with
 * the same shared group in it: an index per array was ~16 MB at 4096 endpoints). Looked up
 * again if the device's array grew. Visibility hooks are still evaluated on every lookup.
 */
interface GroupIndex {
  /** The groups indexed, in order (a copy: the device's array may grow later). */
  groups: readonly AttributeGroup[];
  attrs: Map<string, { g: AttributeGroup; a: Attribute }[]>;
  named: Map<string, AttributeGroup[]>;
}
/** Each groups array's index (shared: see {@link byFirstGroup}). */
const groupIndexes = new WeakMap<AttributeGroup[], GroupIndex>();
/** The indexes built, by their first group (a device without groups has none). */
const byFirstGroup = new WeakMap<AttributeGroup, GroupIndex[]>();
/** The index of a device without groups. */
const NO_GROUPS: GroupIndex = { groups: [], attrs: new Map(), named: new Map() };

/** Whether `a` holds the same groups as `b`, in the same order. */
function sameGroups(a: readonly AttributeGroup[], b: readonly AttributeGroup[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function groupIndex(dev: Device): GroupIndex {
  const groups = dev.groups;
  let idx = groupIndexes.get(groups);
  if (idx && idx.groups.length === groups.length) return idx;
  const first = groups[0];
  if (first === undefined) return NO_GROUPS;
  const known = byFirstGroup.get(first) ?? [];
  idx = known.find((k) => sameGroups(k.groups, groups));
  if (!idx) {
    idx = buildGroupIndex(groups);
    known.push(idx);
    byFirstGroup.set(first, known);
  }
  groupIndexes.set(groups, idx);
  return idx;
}

/** The index of `groups` (see {@link GroupIndex}). */
function buildGroupIndex(groups: readonly AttributeGroup[]): GroupIndex {
  const idx: GroupIndex = { groups: [...groups], attrs: new Map(), named: new Map() };
  for (const g of groups) {
    if (g.name !== undefined) {
      const list = idx.named.get(g.name);
      if (list) list.push(g);
      else idx.named.set(g.name, [g]);
      continue;
    }
    for (const a of g.attrs) {
      const list = idx.attrs.get(a.name);
      if (list) list.push({ g, a });
      else idx.attrs.set(a.name, [{ g, a }]);
    }
  }
  return idx;
}

/** The first visible attribute called `name` among the visible unnamed groups. */
function findAttr(dev: Device, name: string, idx = groupIndex(dev)): Attribute | undefined {
  const list = idx.attrs.get(name);
  if (list === undefined) return undefined;
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as { g: AttributeGroup; a: Attribute };
    if (groupVisible(dev, e.g) && attrVisible(dev, e.a)) return e.a;
  }
  return undefined;
}

/** True when a visible group is called `name`. */
function hasGroupDir(dev: Device, name: string, idx = groupIndex(dev)): boolean {
  const list = idx.named.get(name);
  if (list === undefined) return false;
  for (let i = 0; i < list.length; i++)
    if (groupVisible(dev, list[i] as AttributeGroup)) return true;
  return false;
}

/** Reading an attribute file: kernfs's open rules, then show() or the binary read(). */
function attrRead(dev: Device, a: Attribute): string | Uint8Array {
  if ((a.mode & 0o444) === 0) throw new Errno('EACCES');
  if (a.read) return a.read(dev);
  if (a.show) return a.show(dev);
  throw new Errno('EIO');
}

/** The file node of one attribute of one device (kernfs open rules as {@link fileNode}). */
class AttrFile implements FileNode {
  readonly t = 'file';
  readonly mode: number;
  readonly binary: boolean;
  private readonly dev: Device;
  private readonly a: Attribute;

  constructor(dev: Device, a: Attribute) {
    this.dev = dev;
    this.a = a;
    this.mode = a.mode;
    this.binary = a.read !== undefined;
  }

  read(): string | Uint8Array {
    return attrRead(this.dev, this.a);
  }

  write(buf: string): void {
    if ((this.mode & 0o222) === 0) throw new Errno('EACCES');
    const { store } = this.a;
    if (!store) throw new Errno('EIO');
    store(this.dev, buf);
  }
}

/** A file node for an attribute of `dev`. */
export function attrNode(dev: Device, a: Attribute): FileNode {
  return new AttrFile(dev, a);
}

/**
 * The `uevent` file content, in dev_uevent() order (see the DOC block). Ends with "\n"
 * unless empty (a bus-less, type-less device such as `pci0000:0c` reads as an empty file).
 */
export function ueventText(dev: Device): string {
  const vars = dev.ueventVars();
  const lines: string[] = [];
  for (const [k, v] of vars) if (DEVT_KEYS.has(k)) lines.push(`${k}=${v}`);
  if (dev.devtype) lines.push(`DEVTYPE=${dev.devtype}`);
  if (dev.driver) lines.push(`DRIVER=${dev.driver.name}`);
  let modalias = false;
  for (const [k, v] of vars) {
    if (DEVT_KEYS.has(k)) continue;
    if (k === 'MODALIAS') modalias = true;
    lines.push(`${k}=${v}`);
  }
  if (!modalias) {
    const a = findAttr(dev, 'modalias');
    if (a?.show) {
      try {
        const m = a.show(dev).replace(/\n$/, '');
        if (m) lines.push(`MODALIAS=${m}`);
      } catch (e) {
        if (!isErrno(e)) throw e;
      }
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** `uevent` store on a device: logs as kobject_synth_uevent() and uevent_store() do. */
function deviceUeventStore(dev: Device, buf: string): void {
  try {
    ueventStore(buf);
  } catch {
    dev.ctx.log.printk(
      KERN.WARNING,
      `synth uevent: /${devPath(dev)}: unknown uevent action string`,
    );
    throw dev.err('EINVAL', 'uevent: failed to send synthetic uevent: -22');
  }
}

/** "MAJ:MIN\n" from the MAJOR/MINOR uevent variables, or undefined without a devt. */
function devt(dev: Device): string | undefined {
  const vars = dev.ueventVars();
  const major = vars.find(([k]) => k === 'MAJOR')?.[1];
  const minor = vars.find(([k]) => k === 'MINOR')?.[1];
  return major !== undefined && minor !== undefined ? `${major}:${minor}\n` : undefined;
}

/** Driver-core entries (uevent, subsystem, driver, dev) not overridden by the device. */
function builtin(dev: Device, name: string): Node | undefined {
  switch (name) {
    case 'uevent':
      return fileNode(
        0o644,
        () => ueventText(dev),
        (b) => deviceUeventStore(dev, b),
      );
    case 'subsystem':
      if (dev.cls !== undefined) return { t: 'link', to: `class/${dev.cls}` };
      return dev.bus ? { t: 'link', to: `bus/${dev.bus}` } : undefined;
    case 'driver':
      return dev.driver
        ? { t: 'link', to: `bus/${dev.driver.bus}/drivers/${dev.driver.name}` }
        : undefined;
    case 'dev': {
      const s = devt(dev);
      return s === undefined ? undefined : fileNode(0o444, () => s, undefined);
    }
    default:
      return undefined;
  }
}

/** A named group's directory (all visible groups with that name, merged). */
function groupDir(dev: Device, name: string): DirNode {
  const attrs = () => {
    const out = new Map<string, Attribute>();
    for (const g of visibleGroups(dev))
      if (g.name === name)
        for (const a of g.attrs) if (!out.has(a.name) && attrVisible(dev, a)) out.set(a.name, a);
    return out;
  };
  return {
    t: 'dir',
    list: () => kernfsOrder(attrs().keys()),
    lookup: (n) => {
      const a = attrs().get(n);
      return a ? attrNode(dev, a) : undefined;
    },
  };
}

function linkNode(dev: Device, name: string): Node | undefined {
  const t = dev.linkTarget(name);
  if (!t) return undefined;
  return 'sysPath' in t ? { t: 'link', to: t.sysPath } : new DeviceLinkNode(t);
}

/** Registered class devices of `dev` in the glue directory `name` (memN/firmware/…), by name. */
function glued(dev: Device, name: string): Map<string, Device> {
  const m = new Map<string, Device>();
  for (const c of dev.children)
    if (c.registered && c.glueDir() === name && !m.has(c.name)) m.set(c.name, c);
  return m;
}

/**
 * Whether a registered class device of `dev` sits in the glue directory `name`: a child of
 * class `name` when `dev` is not of that class (Device.glueDir(), without a call per child).
 */
function hasGlued(dev: Device, name: string): boolean {
  if (dev.cls === name) return false;
  const kids = dev.children;
  for (let i = 0; i < kids.length; i++) {
    const c = kids[i] as Device;
    if (c.cls === name && c.registered) return true;
  }
  return false;
}

/** A class glue directory (a bare kobject: its class devices and nothing else). */
function glueDirNode(ctx: TreeCtx, dev: Device, name: string): DirNode | undefined {
  if (!hasGlued(dev, name)) return undefined;
  return {
    t: 'dir',
    list: () => kernfsOrder(glued(dev, name).keys()),
    lookup: (n) => {
      const c = glued(dev, name).get(n);
      return c ? ctx.deviceNode(c) : undefined;
    },
  };
}

/**
 * readFile() of `GROUP/ATTR` (one slash at `slash`): what lookup(GROUP) — a named group's
 * directory, {@link groupDir} — then its lookup(ATTR).read() give, without building either
 * node; 'ENOENT' when GROUP is a visible group directory without a visible ATTR (what the
 * group directory's lookup() gives); undefined when GROUP is not a group directory (then the
 * caller takes the general walk).
 */
function groupFileRead(
  ctx: TreeCtx,
  dev: Device,
  name: string,
  slash: number,
): string | Uint8Array | 'ENOENT' | undefined {
  const group = name.slice(0, slash);
  const attr = name.slice(slash + 1);
  if (attr.includes('/') || ctx.child(dev, group) || hasGlued(dev, group)) return undefined;
  // groupDir()'s attrs(): the first visible attribute so named among the visible groups so named
  const groups = groupIndex(dev).named.get(group);
  if (!groups) return undefined;
  let dir = false;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as AttributeGroup;
    if (!groupVisible(dev, g)) continue;
    dir = true;
    const attrs = g.attrs;
    for (let j = 0; j < attrs.length; j++) {
      const a = attrs[j] as Attribute;
      if (a.name === attr && attrVisible(dev, a)) return attrRead(dev, a);
    }
  }
  return dir ? 'ENOENT' : undefined;
}

/** `sorted` without the repeats of a name (equal names are next to each other). */
function dropRepeats(sorted: string[]): string[] {
  let w = 1;
  for (let r = 1; r < sorted.length; r++) {
    const n = sorted[r] as string;
    if (n !== sorted[w - 1]) sorted[w++] = n;
  }
  if (sorted.length > w) sorted.length = w;
  return sorted;
}

/** Whether two name lists hold the same names in the same order. */
function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The directory node of a device: one object with two fields (the methods live on the class),
 * where an object of four closures over a context each was most of what a 4096-endpoint listing
 * left behind; made per lookup, not kept per device (TreeCtx.deviceNode()). The last listing's
 * names and their kernfs order are kept per device (TreeCtx.listings()): libcxl lists a port's
 * directory once per kind of child (ports, endpoints, decoders, dports), and the names are
 * collected again each time (visibility is evaluated on every listing) but sorted only when
 * they changed.
 */
class DeviceDirNode implements DirNode {
  readonly t = 'dir';
  private readonly ctx: TreeCtx;
  private readonly dev: Device;

  constructor(ctx: TreeCtx, dev: Device) {
    this.ctx = ctx;
    this.dev = dev;
  }

  list(): string[] {
    // every name the directory shows, collected in any order and possibly twice (an
    // attribute and a link of one name), then sorted — equal names end up side by side and
    // one is kept: the set lookup() answers for, without a Set or an iterator per listing
    const dev = this.dev;
    const names: string[] = [];
    const kids = dev.children;
    for (let i = 0; i < kids.length; i++) {
      const c = kids[i] as Device;
      if (c.registered) names.push(c.glueDir() ?? c.name); // a child or its glue directory
    }
    const groups = dev.groups;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] as AttributeGroup;
      if (!groupVisible(dev, g)) continue;
      if (g.name !== undefined) {
        names.push(g.name);
        continue;
      }
      const attrs = g.attrs;
      for (let j = 0; j < attrs.length; j++) {
        const a = attrs[j] as Attribute;
        if (attrVisible(dev, a)) names.push(a.name);
      }
    }
    for (const n of dev.linkNames()) if (dev.linkTarget(n)) names.push(n);
    names.push('uevent');
    if (dev.cls !== undefined || dev.bus) names.push('subsystem');
    if (dev.driver) names.push('driver');
    if (devt(dev) !== undefined) names.push('dev');
    const listings = this.ctx.listings();
    const last = listings.get(dev);
    if (last && sameNames(names, last.names)) return last.order.slice();
    const order = dropRepeats(kernfsOrder(names));
    listings.set(dev, { names, order });
    return order.slice();
  }

  lookupStable(name: string): Node | undefined {
    const child = this.ctx.child(this.dev, name);
    return child ? this.ctx.deviceNode(child) : undefined;
  }

  lookup(name: string): Node | undefined {
    const { ctx, dev } = this;
    const child = ctx.child(dev, name);
    if (child) return ctx.deviceNode(child);
    const glue = glueDirNode(ctx, dev, name);
    if (glue) return glue;
    if (hasGroupDir(dev, name)) return groupDir(dev, name);
    const a = findAttr(dev, name);
    if (a) return attrNode(dev, a);
    return linkNode(dev, name) ?? builtin(dev, name);
  }

  lstatEntry(at: string, name: string): SysEntry | undefined {
    // lookup()'s order, reporting the kind of what it finds instead of making its node
    const { ctx, dev } = this;
    if (ctx.child(dev, name) || hasGlued(dev, name)) return DIR_ENTRY;
    const idx = groupIndex(dev); // once for both lookups
    if (hasGroupDir(dev, name, idx)) return DIR_ENTRY;
    const a = findAttr(dev, name, idx);
    if (a) return fileEntry(a.mode, a.read !== undefined);
    const t = dev.linkTarget(name);
    if (t) return new LinkEntry(at, name, 'sysPath' in t ? t.sysPath : devPath(t));
    switch (name) {
      case 'uevent':
        return fileEntry(0o644, false);
      case 'driver': {
        const drv = dev.driver;
        return drv ? new LinkEntry(at, name, drv) : undefined;
      }
      default: {
        const n = builtin(dev, name);
        if (!n) return undefined;
        return n.t === 'link'
          ? new LinkEntry(at, name, n.to)
          : n.t === 'file'
            ? fileEntry(n.mode, n.binary)
            : DIR_ENTRY;
      }
    }
  }

  readFile(name: string): string | Uint8Array | 'ENOENT' | undefined {
    // lookup(name).read() when lookup() would give an attribute's file; else undefined
    const { ctx, dev } = this;
    const slash = name.indexOf('/');
    if (slash >= 0) return groupFileRead(ctx, dev, name, slash);
    if (ctx.child(dev, name)) return undefined;
    const idx = groupIndex(dev); // once for both lookups
    if (hasGroupDir(dev, name, idx) || hasGlued(dev, name)) return undefined;
    const a = findAttr(dev, name, idx);
    return a ? attrRead(dev, a) : undefined;
  }
}

/** The directory node of a device. */
export function deviceDir(ctx: TreeCtx, dev: Device): DirNode {
  return new DeviceDirNode(ctx, dev);
}
