/**
 * DOC: cxl_core's debugfs tree, /sys/kernel/debug/cxl (drivers/cxl/core/port.c
 * cxl_debugfs_create_dir(), drivers/cxl/mem.c cxl_mem_probe()).
 *
 * cxl_core_init() creates `cxl/`; cxl_mem_probe() creates `cxl/memN/` for every memdev it binds
 * and, when the CEL enabled the commands (v6.5, "cxl/memdev: Add support for the Inject Poison
 * mailbox command"), `inject_poison` (0200, Inject Poison 0x4301) and `clear_poison` (0200,
 * Clear Poison 0x4302). ndctl 80+ reports a memdev `poison_injectable` when `inject_poison`
 * exists. The stores take a DPA as kstrtoull(buf, 0) does and run cxl_inject_poison() /
 * cxl_clear_poison() (core/poison.ts).
 * Not modelled: `dpamem` (the DPA resource dump) and the port-level EINJ files.
 */

import type { Kernel } from '../../../kernel/kernel.ts';
import type { DebugfsEntry } from '../../../sysfs/tree-node.ts';
import { env } from '../../env.ts';
import { CXL_MBOX_OP } from './mbox.ts';
import { CxlMemdev } from './memdev.ts';
import { cxlClearPoison, cxlInjectPoison, debugfsU64 } from './poison.ts';
import { RAS_KVER } from './ras-kver.ts';

/** First kernel with the inject_poison / clear_poison debugfs files. */
const POISON_DEBUGFS_SINCE = RAS_KVER.poisonInject;

/** The `inject_poison` / `clear_poison` entry of a memdev's debugfs directory, when it has it. */
function memEntry(m: CxlMemdev, name: string): DebugfsEntry | undefined {
  if (name !== 'inject_poison' && name !== 'clear_poison') return undefined;
  if (!env(m).since(POISON_DEBUGFS_SINCE)) return undefined;
  if (name === 'inject_poison')
    return m.cxlds.enabledCmds.has(CXL_MBOX_OP.INJECT_POISON)
      ? { kind: 'file', mode: 0o200, store: (buf) => cxlInjectPoison(m, debugfsU64(buf)) }
      : undefined;
  return m.cxlds.enabledCmds.has(CXL_MBOX_OP.CLEAR_POISON)
    ? { kind: 'file', mode: 0o200, store: (buf) => cxlClearPoison(m, debugfsU64(buf)) }
    : undefined;
}

/** A memdev's debugfs directory, `cxl/memN/` (its entries in creation order). */
function memDir(m: CxlMemdev): DebugfsEntry {
  return {
    kind: 'dir',
    entries: () => {
      const e = new Map<string, DebugfsEntry>();
      for (const name of ['inject_poison', 'clear_poison']) {
        const f = memEntry(m, name);
        if (f) e.set(name, f);
      }
      return e;
    },
    // one file by name without making the others (ndctl looks up inject_poison per memdev)
    lookup: (name) => memEntry(m, name),
  };
}

/** The memdevs among `devs`, the first of each name. */
function memdevsByName(devs: readonly unknown[]): Map<string, CxlMemdev> {
  const m = new Map<string, CxlMemdev>();
  for (let i = 0; i < devs.length; i++) {
    const d = devs[i];
    if (d instanceof CxlMemdev && !m.has(d.name)) m.set(d.name, d);
  }
  return m;
}

/** The top-level debugfs entries cxl_core and cxl_mem create: `cxl/` and `cxl/memN/…`. */
export function cxlDebugfs(kernel: Kernel): Map<string, DebugfsEntry> {
  const top = new Map<string, DebugfsEntry>();
  const bus = kernel.buses.get('cxl');
  if (!bus) return top;
  // the memdevs by name, per device generation: the directories debugfs_create_dir() names
  // after them (an index of the bus's memdevs only, not of its 30 k devices at 4096 endpoints)
  let byName = new Map<string, CxlMemdev>();
  let byNameGen = -1;
  top.set('cxl', {
    kind: 'dir',
    // cxl_core_init()'s directory, removed only when cxl_core is unloaded
    permanent: true,
    entries: () => {
      const m = new Map<string, DebugfsEntry>();
      for (const d of bus.devices)
        if (d instanceof CxlMemdev && d.driver?.name === 'cxl_mem') m.set(d.name, memDir(d));
      return m;
    },
    // one memdev by name without listing them all (ndctl looks up cxl/memN per memdev)
    lookup: (name) => {
      if (byNameGen !== kernel.generation) {
        byNameGen = kernel.generation;
        byName = memdevsByName(bus.devices);
      }
      const d = byName.get(name);
      return d && d.driver?.name === 'cxl_mem' ? memDir(d) : undefined;
    },
  });
  return top;
}
