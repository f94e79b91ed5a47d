/**
 * DOC: /sys/dev — the device-number index (drivers/base/core.c device_create_sys_dev_entry()):
 * `char/MAJ:MIN` and `block/MAJ:MIN` are links to every registered device that has a devt,
 * named by its `dev` attribute. libdaxctl resolves a dax device's subsystem through
 * /sys/dev/char/MAJ:MIN/subsystem (device_model_is_dax_bus()). cxlsim models no block
 * devices, so `block/` is empty. Built on demand from the buses' registered devices, once per
 * device generation (a devt is set before device_add() and never changes; an export or dump
 * lists and looks up every entry, which walking the buses each time made quadratic).
 */
import type { Device } from '../kernel/device.ts';
import { kernfsOrder } from './kernfs-hash.ts';
import { type DirNode, devPath, type Node, staticDir, type TreeCtx } from './tree-node.ts';

/** "MAJ:MIN" of a device's `dev` attribute, or undefined when it has no devt. */
function devtOf(ctx: TreeCtx, d: Device): string | undefined {
  const node = ctx.deviceNode(d);
  const f = node.lookup('dev');
  if (f?.t !== 'file') return undefined;
  try {
    const v = f.read();
    return (typeof v === 'string' ? v : Buffer.from(v).toString('latin1')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Registered devices with a devt, by "MAJ:MIN" (the first registered wins a duplicate). */
function byDevt(ctx: TreeCtx): Map<string, Device> {
  const m = new Map<string, Device>();
  for (const bus of ctx.kernel.buses.values())
    for (const d of bus.devices) {
      if (!d.registered) continue;
      const n = devtOf(ctx, d);
      if (n !== undefined && !m.has(n)) m.set(n, d);
    }
  return m;
}

/** The /sys/dev directory of a kernel's tree. */
export function devDir(ctx: TreeCtx): DirNode {
  let cached: { generation: number; byDevt: Map<string, Device> } | undefined;
  const index = (): Map<string, Device> => {
    const generation = ctx.kernel.generation;
    if (cached?.generation !== generation) cached = { generation, byDevt: byDevt(ctx) };
    return cached.byDevt;
  };
  const char: DirNode = {
    t: 'dir',
    list: () => kernfsOrder(index().keys()),
    lookup: (name: string): Node | undefined => {
      const d = index().get(name);
      return d ? { t: 'link', to: devPath(d), dev: d } : undefined;
    },
  };
  const block: DirNode = { t: 'dir', list: () => [], lookup: () => undefined };
  const entries = new Map<string, () => Node | undefined>([
    ['block', () => block],
    ['char', () => char],
  ]);
  return staticDir(() => entries);
}
