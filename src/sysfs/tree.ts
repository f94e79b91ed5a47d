/**
 * DOC: the live /sys tree, rendered from the kernel's device objects (fs/sysfs + kernfs).
 *
 * `createSysfs(kernel)` returns a {@link SysfsView} over:
 * - `devices/<Device.devicePath()>/…` for every registered device reachable from
 *   `kernel.roots` (tree-device.ts: attributes, groups, links, uevent/subsystem/driver/dev);
 * - `bus/<bus>/…` with `devices/` links, `drivers/<drv>/` and the bus files (tree-bus.ts);
 * - `module/<name>/` (empty) for each module a driver's `module` link names;
 * - `kernel/debug/`: debugfs, mounted as on any systemd guest (ndctl 85 looks for
 *   `/sys/kernel/debug/cxl`); its content comes from the `debugfs` hook.
 *
 * Nothing is copied: attribute values, `isVisible` hooks, bindings and links are read from
 * the device objects on every access. What is cached is structure that only device_add/
 * device_del/driver_register change (`kernel.generation`): name indexes (tree-ctx.ts) and the
 * directories a path reaches through such stable hops, so that a read below a known device
 * directory is one lookup instead of a walk from the root through every symlink. Driver →
 * bound devices is cached until a binding changes (`kernel.bindings`).
 *
 * Path resolution follows symlinks like the VFS (at most 40 hops); symlink targets read
 * back in kernfs's relative form (kernfs-link.ts). Errors are Errno values: ENOENT, ENOTDIR,
 * EISDIR, EINVAL (readlink of a non-link), EACCES (kernfs open rules), E2BIG (a write
 * to a text attribute longer than a page), or the attribute's own error, unchanged.
 */

import type { Device } from '../kernel/device.ts';
import { Errno } from '../kernel/errno.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { kernfsLinkTarget } from './kernfs-link.ts';
import { busesDir, modulesDir } from './tree-bus.ts';
import { devicesDir, kernelDir, makeCtx } from './tree-ctx.ts';
import { devDir } from './tree-dev.ts';
import {
  DIR_ENTRY,
  type DirNode,
  fileEntry,
  LinkEntry,
  type LinkNode,
  type Node,
  type SysfsHooks,
  staticDir,
  type TreeCtx,
} from './tree-node.ts';
import { childPath, normSysPath, type SysEntry, type SysfsView, type SysListing } from './view.ts';

export type { DebugfsEntry, SysfsHooks } from './tree-node.ts';

/** Largest sysfs write (kernfs atomic_write_len = PAGE_SIZE). */
const PAGE_SIZE = 4096;
/** Symlink hops before giving up (MAXSYMLINKS). */
const MAX_HOPS = 40;

/**
 * A resolved path: the node and its canonical path (symlinks resolved, relative to /sys);
 * `stable` when every hop was generation-stable, `viaLink` when the last hop followed a link.
 */
interface Resolved {
  node: Node;
  path: string;
  stable: boolean;
  viaLink: boolean;
}

/** A relative path of plain names: no empty, '.' or '..' component, no outer blanks. */
function simpleName(name: string): boolean {
  const n = name.length;
  if (n === 0) return false;
  const first = name.charCodeAt(0);
  const last = name.charCodeAt(n - 1);
  // blanks trim() would remove are ≤ 0x20 or non-ASCII: leave those to the general walk
  if (first <= 0x20 || first >= 0x7f || last <= 0x20 || last >= 0x7f) return false;
  let start = 0;
  for (let i = 0; i <= n; i++) {
    if (i < n && name.charCodeAt(i) !== 0x2f) continue;
    const len = i - start;
    if (len === 0) return false; // '' component
    if (
      name.charCodeAt(start) === 0x2e &&
      (len === 1 || (len === 2 && name.charCodeAt(start + 1) === 0x2e))
    )
      return false; // '.' or '..'
    start = i + 1;
  }
  return true;
}

/** Why a soft walk found nothing. */
type Miss = 'ENOENT' | 'ENOTDIR';

/** The live view. See the DOC block. */
class LiveSysfs implements SysfsView {
  private readonly root: DirNode;
  private readonly kernel: Kernel;
  private readonly ctx: TreeCtx;
  /**
   * Directories reached by generation-stable hops only (child devices, bus directories,
   * `bus/<bus>/devices/` links), by normalized path; dropped when `kernel.generation` moves.
   * libcxl reads thousands of attributes below a handful of long paths, so a read is one
   * cache hit and one lookup instead of a walk from the root through every symlink.
   */
  private dirs = new Map<string, Resolved>();
  private dirsGen = -1;
  /**
   * {@link readAtIfExists}'s directories by the caller's own string (libcxl keeps one per
   * device, so its hash is computed once): stable directories, or null for "take the general
   * path". Emptied with the directory cache.
   */
  private atDirs = new Map<string, Resolved | null>();
  private atGen = -1;
  /**
   * The directory a link to a device reaches (see {@link deviceDirOf}), by device, as a link
   * hop gives it (`viaLink`), or null when it takes the general walk; emptied with the
   * directory cache. A link is followed without hashing its target path (cxlsim's speed note:
   * libcxl follows ~15 k links into /sys/devices per `cxl list` at 4096 endpoints).
   */
  private devDirs = new Map<Device, Resolved | null>();
  /**
   * Devices whose directory the walk from /sys reaches by stable hops ({@link deviceDirOf}'s
   * checks passed for them and their ancestors), emptied with the directory cache.
   */
  private reachable = new Set<Device>();
  /** {@link rootsByName}'s index and the generation it was built for. */
  private roots = new Map<string, Device>();
  private rootsGen = -1;

  constructor(kernel: Kernel, hooks: SysfsHooks) {
    const ctx = makeCtx(kernel, hooks);
    this.ctx = ctx;
    this.kernel = kernel;
    // each top-level directory node is made once: its lookups read the kernel when called
    // (cxlsim's speed note: libcxl's access() of /sys/kernel/debug/cxl/memN/inject_poison per
    // memdev built the debugfs directory nodes again each time)
    const once = (make: () => DirNode): (() => DirNode) => {
      let node: DirNode | undefined;
      return () => {
        node ??= make();
        return node;
      };
    };
    const entries = new Map<string, () => Node | undefined>([
      ['bus', once(() => busesDir(ctx))],
      ['dev', once(() => devDir(ctx))],
      ['devices', once(() => devicesDir(ctx))],
      ['kernel', once(() => kernelDir(ctx))],
      ['module', once(() => modulesDir(ctx))],
    ]);
    this.root = staticDir(() => entries, new Set(['bus', 'devices', 'kernel']));
  }

  /** The directory cache, emptied when the device set changed. */
  private cache(): Map<string, Resolved> {
    if (this.dirsGen !== this.kernel.generation) {
      this.dirsGen = this.kernel.generation;
      this.dirs = new Map();
      this.devDirs = new Map();
      this.reachable = new Set();
    }
    return this.dirs;
  }

  /**
   * One hop from `dir` to `name`; a link is followed when `follow`. Records stable directories
   * in the cache under `key`. A missing entry (or a walk through a file) throws ENOENT /
   * ENOTDIR, or with `soft` is returned as that code: misses are common (libcxl probes
   * optional attributes) and an exception each would cost more than the lookup.
   */
  private step(
    dir: Resolved,
    name: string,
    follow: boolean,
    hops: number,
    key: string,
    soft: boolean,
  ): Resolved | Miss {
    const node = dir.node;
    const cur = dir.path;
    if (node.t !== 'dir') {
      if (soft) return 'ENOTDIR';
      throw new Errno('ENOTDIR', `/sys/${cur}: Not a directory`);
    }
    let child = dir.stable ? node.lookupStable?.(name) : undefined;
    const stable = child !== undefined;
    child ??= node.lookup(name);
    if (!child) {
      if (soft) return 'ENOENT';
      throw new Errno('ENOENT', `/sys/${childPath(cur, name)}: No such file or directory`);
    }
    let r: Resolved;
    if (child.t === 'link' && follow) {
      if (hops >= MAX_HOPS) {
        if (soft) return 'ENOENT';
        throw new Errno(
          'ENOENT',
          `/sys/${childPath(cur, name)}: Too many levels of symbolic links`,
        );
      }
      // a link into a device directory known by its device, else already resolved (its
      // canonical path is the key), else walked
      const t =
        (child.dev ? this.devDir(child) : undefined) ??
        this.cache().get(child.to) ??
        this.resolve(child.to, true, soft, hops + 1);
      if (typeof t === 'string') return t;
      // devDir()'s entries are link hops already (shared: a Resolved is never changed)
      r =
        t.viaLink && (stable || !t.stable)
          ? t
          : { node: t.node, path: t.path, stable: stable && t.stable, viaLink: true };
    } else r = { node: child, path: childPath(cur, name), stable, viaLink: false };
    if (key && r.stable && r.node.t === 'dir') this.cache().set(key, r);
    return r;
  }

  /**
   * What following `link` (a link to a device) gives when {@link deviceDirOf} can tell it from
   * the device objects, as a link hop (`viaLink`, stable), once per device and generation;
   * undefined otherwise.
   */
  private devDir(link: LinkNode): Resolved | undefined {
    const dev = link.dev as Device;
    this.cache(); // empties the device cache when the device set changed
    let e = this.devDirs.get(dev);
    if (e === undefined) {
      const r = this.deviceDirOf(dev, link.to);
      e = r ? { node: r.node, path: r.path, stable: true, viaLink: true } : null;
      this.devDirs.set(dev, e);
    }
    return e ?? undefined;
  }

  /**
   * What resolve(`to`) gives for `to` = devPath(dev), when it can be told from the device
   * objects: the device and each ancestor registered, each the child its parent's directory
   * lists under its name (TreeCtx.child) and none in a class glue directory, the top one the
   * first registered root so named — the walk from /sys would then take only such stable hops
   * and end at the device's directory node. Undefined otherwise (the caller walks the path).
   * cxlsim's speed note: libcxl follows thousands of links into /sys/devices (bus/cxl/devices/
   * memN, uport, dportN and their physical_node); walking each target's path string from the
   * nearest cached ancestor cost ~10 µs per first visit at 4096 endpoints.
   */
  private deviceDirOf(dev: Device, to: string): Resolved | undefined {
    // the checks stop at an ancestor already found reachable (devices share their ancestors)
    const reach = this.reachable;
    let d = dev;
    for (let parent = d.parent; parent !== undefined && !reach.has(d); parent = d.parent) {
      if (!d.registered || d.glueDir() !== undefined || this.ctx.child(parent, d.name) !== d)
        return undefined;
      d = parent;
    }
    if (!reach.has(d) && (!d.registered || this.rootsByName().get(d.name) !== d)) return undefined;
    for (let x: Device | undefined = dev; x !== undefined && x !== d; x = x.parent) reach.add(x);
    reach.add(d);
    // not entered in the path cache: a link is followed by its device (devDir()), and a path
    // into the device's directory caches the directories it passes when first walked
    return { node: this.ctx.deviceNode(dev), path: to, stable: true, viaLink: false };
  }

  /** The first registered root device of each name (what /sys/devices lists), per generation. */
  private rootsByName(): Map<string, Device> {
    this.cache(); // drops the index with the directory cache when the device set changed
    if (this.rootsGen !== this.dirsGen) {
      this.rootsGen = this.dirsGen;
      this.roots = new Map();
      for (const r of this.kernel.roots)
        if (r.registered && !this.roots.has(r.name)) this.roots.set(r.name, r);
    }
    return this.roots;
  }

  /** Walks `path`; symlinks on the way are followed, the last one only with `followLast`. */
  private walk(path: string, followLast: boolean): Resolved {
    return this.resolve(path, followLast, false, 0) as Resolved;
  }

  /** {@link walk}, with misses returned as their code when `soft`. */
  private resolve(path: string, followLast: boolean, soft: boolean, hops: number): Resolved | Miss {
    let norm: string;
    try {
      norm = normSysPath(path);
    } catch (e) {
      if (soft && e instanceof Errno && e.code === 'ENOENT') return 'ENOENT';
      throw e;
    }
    const cache = this.cache();
    // Most accesses are files in a known directory: one lookup from the cached parent. The
    // entry reached is not entered in the cache (it is one lookup away already; a directory
    // is entered when a path below it is first walked, by the loop further down): a walk of
    // thousands of device directories (libcxl's, through atDir()) adds no entry per directory
    const slash = norm.lastIndexOf('/');
    if (slash > 0) {
      const parent = cache.get(norm.slice(0, slash));
      if (parent) return this.step(parent, norm.slice(slash + 1), followLast, hops, '', soft);
    }
    const hit = cache.get(norm);
    if (hit && (followLast || !hit.viaLink)) return hit;
    let r: Resolved = { node: this.root, path: '', stable: true, viaLink: false };
    if (norm === '') return r;
    // Start from the longest cached ancestor (a first visit below a known device directory,
    // a path through a group directory or a link), else from the root.
    let at = 0;
    for (
      let end = norm.lastIndexOf('/', slash - 1);
      end > 0;
      end = norm.lastIndexOf('/', end - 1)
    ) {
      const anc = cache.get(norm.slice(0, end));
      if (anc) {
        r = anc;
        at = end + 1;
        break;
      }
    }
    const parts = norm.slice(at).split('/');
    let key = norm.slice(0, at > 0 ? at - 1 : 0);
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i] as string;
      key = childPath(key, name);
      const next = this.step(r, name, i < parts.length - 1 || followLast, hops, key, soft);
      if (typeof next === 'string') return next;
      r = next;
    }
    return r;
  }

  lstat(path: string): SysEntry | undefined {
    let r: Resolved | Miss;
    try {
      r = this.resolve(path, false, true, 0);
    } catch (e) {
      if (e instanceof Errno && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return undefined;
      throw e;
    }
    if (typeof r === 'string') return undefined;
    return LiveSysfs.entryOf(r);
  }

  lstatAt(dir: string, name: string): SysEntry | undefined {
    const d = simpleName(name) && !name.includes('/') ? this.atDir(dir) : null;
    if (!d) return this.lstat(childPath(dir, name));
    // a device directory tells the entry's kind without making its node
    const node = d.node as DirNode;
    if (node.lstatEntry) return node.lstatEntry(d.path, name);
    const r = this.step(d, name, false, 0, '', true);
    return typeof r === 'string' ? undefined : LiveSysfs.entryOf(r);
  }

  /** What lstat() reports for a resolved entry. */
  private static entryOf(r: Resolved): SysEntry {
    const n = r.node;
    if (n.t === 'dir') return DIR_ENTRY;
    if (n.t === 'link') {
      const p = r.path;
      const slash = p.lastIndexOf('/');
      return new LinkEntry(slash < 0 ? '' : p.slice(0, slash), p.slice(slash + 1), n.to);
    }
    return fileEntry(n.mode, n.binary);
  }

  readIfExists(path: string): string | Uint8Array | Miss {
    const r = this.resolve(path, true, true, 0);
    if (typeof r === 'string') return r;
    if (r.node.t !== 'file') throw new Errno('EISDIR', `/sys/${r.path}: Is a directory`);
    return r.node.read();
  }

  readAtIfExists(dir: string, name: string): string | Uint8Array | Miss {
    const d = simpleName(name) ? this.atDir(dir) : null;
    // the lookups step() would make, without its bookkeeping, for the common case: a file
    // (or a file of a group directory, GROUP/ATTR)
    const direct = d ? (d.node as DirNode).readFile?.(name) : undefined;
    if (direct !== undefined) return direct; // a file's content, or 'ENOENT'

    if (d && !name.includes('/')) {
      const node = d.node as DirNode;
      const child = node.lookupStable?.(name) ?? node.lookup(name);
      if (!child) return 'ENOENT';
      if (child.t === 'file') return child.read();
    }
    const r = d ? this.walkFrom(d, name, true) : this.resolve(`${dir}/${name}`, true, true, 0);
    if (typeof r === 'string') return r;
    if (r.node.t !== 'file') throw new Errno('EISDIR', `/sys/${r.path}: Is a directory`);
    return r.node.read();
  }

  realpathAtIfExists(dir: string, name: string): string | undefined {
    const d = simpleName(name) ? this.atDir(dir) : null;
    const r = d ? this.walkFrom(d, name, true) : this.resolve(`${dir}/${name}`, true, true, 0);
    return typeof r === 'string' ? undefined : r.path;
  }

  /**
   * The stable directory `dir` resolves to, by the caller's own string (libcxl keeps one per
   * device, so its hash is computed once), or null when it is not one (then the general walk
   * is taken).
   */
  private atDir(dir: string): Resolved | null {
    this.cache(); // drops both caches when the device set changed
    if (this.atGen !== this.dirsGen) {
      this.atGen = this.dirsGen;
      this.atDirs = new Map();
    }
    let d = this.atDirs.get(dir);
    if (d === undefined) {
      const r = this.resolve(dir, true, true, 0);
      d = typeof r !== 'string' && r.stable && r.node.t === 'dir' ? r : null;
      this.atDirs.set(dir, d);
    }
    return d;
  }

  /** Walks the components of `rel` (plain names) from `from`, as resolve() would. */
  private walkFrom(from: Resolved, rel: string, followLast: boolean): Resolved | Miss {
    if (!rel.includes('/')) return this.step(from, rel, followLast, 0, '', true);
    const parts = rel.split('/');
    let r = from;
    for (let i = 0; i < parts.length; i++) {
      const next = this.step(
        r,
        parts[i] as string,
        i < parts.length - 1 || followLast,
        0,
        '',
        true,
      );
      if (typeof next === 'string') return next;
      r = next;
    }
    return r;
  }

  realpathIfExists(path: string): string | undefined {
    const r = this.resolve(path, true, true, 0);
    return typeof r === 'string' ? undefined : r.path;
  }

  readdir(path: string): string[] {
    const r = this.walk(path, true);
    if (r.node.t !== 'dir') throw new Errno('ENOTDIR', `/sys/${r.path}: Not a directory`);
    return r.node.list();
  }

  listing(dir: string): SysListing {
    const r = this.walk(dir, true);
    if (r.node.t !== 'dir') throw new Errno('ENOTDIR', `/sys/${r.path}: Not a directory`);
    return this.listingOf(r);
  }

  /**
   * The listing of a resolved directory; its entries and subdirectories are looked up from it
   * (lstat()'s last step) and not remembered.
   */
  private listingOf(r: Resolved): SysListing {
    const node = r.node as DirNode;
    return {
      names: node.list(),
      entry: (name) => {
        const e = this.step(r, name, false, 0, '', true);
        if (typeof e === 'string') return undefined;
        const n = e.node;
        return n.t === 'file' ? [LiveSysfs.entryOf(e), () => n.read()] : [LiveSysfs.entryOf(e)];
      },
      sub: (name) => {
        const e = this.step(r, name, false, 0, '', true);
        return typeof e === 'string' || e.node.t !== 'dir' ? undefined : this.listingOf(e);
      },
    };
  }

  readlink(path: string): string {
    const r = this.walk(path, false);
    if (r.node.t !== 'link') throw new Errno('EINVAL', `/sys/${r.path}: not a symbolic link`);
    return kernfsLinkTarget(r.path, r.node.to);
  }

  read(path: string): string | Uint8Array {
    const r = this.walk(path, true);
    if (r.node.t !== 'file') throw new Errno('EISDIR', `/sys/${r.path}: Is a directory`);
    return r.node.read();
  }

  write(path: string, value: string): void {
    const r = this.walk(path, true);
    if (r.node.t !== 'file') throw new Errno('EISDIR', `/sys/${r.path}: Is a directory`);
    if (value === '') return;
    // a text attribute takes one page (kernfs_fop_write_iter()); a binary one any length
    if (!r.node.binary && Buffer.byteLength(value) > PAGE_SIZE) throw new Errno('E2BIG');
    r.node.write(value);
  }

  realpath(path: string): string {
    return this.walk(path, true).path;
  }
}

/**
 * The live /sys of a kernel. `hooks` connect `bind`, `unbind`, `drivers_probe` and
 * `bus/cxl/flush` to the driver core; without them those writes fail with EOPNOTSUPP
 * (bind/unbind) or do nothing (probe, flush).
 */
export function createSysfs(kernel: Kernel, hooks: SysfsHooks = {}): SysfsView {
  return new LiveSysfs(kernel, hooks);
}
