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

/** The top-level debugfs entries cxl_core and cxl_mem create: `cxl/` and `cxl/memN/…`. */
export function cxlDebugfs(kernel: Kernel): Map<string, DebugfsEntry> {
  const top = new Map<string, DebugfsEntry>();
  const bus = kernel.buses.get('cxl');
  if (!bus) return top;
  const memEntries = (m: CxlMemdev) => (): Map<string, DebugfsEntry> => {
    const e = new Map<string, DebugfsEntry>();
    if (!env(m).since(POISON_DEBUGFS_SINCE)) return e;
    const cmds = m.cxlds.enabledCmds;
    if (cmds.has(CXL_MBOX_OP.INJECT_POISON))
      e.set('inject_poison', {
        kind: 'file',
        mode: 0o200,
        store: (buf) => cxlInjectPoison(m, debugfsU64(buf)),
      });
    if (cmds.has(CXL_MBOX_OP.CLEAR_POISON))
      e.set('clear_poison', {
        kind: 'file',
        mode: 0o200,
        store: (buf) => cxlClearPoison(m, debugfsU64(buf)),
      });
    return e;
  };
  top.set('cxl', {
    kind: 'dir',
    entries: () => {
      const m = new Map<string, DebugfsEntry>();
      for (const d of bus.devices)
        if (d instanceof CxlMemdev && d.driver?.name === 'cxl_mem')
          m.set(d.name, { kind: 'dir', entries: memEntries(d) });
      return m;
    },
    // one memdev by name without listing them all (ndctl looks up cxl/memN per memdev)
    lookup: (name) => {
      const d = kernel.find('cxl', name);
      return d instanceof CxlMemdev && d.driver?.name === 'cxl_mem'
        ? { kind: 'dir', entries: memEntries(d) }
        : undefined;
    },
  });
  return top;
}
