/**
 * DOC: which kernel first has each memory-device RAS behaviour modelled by cxlsim (the first
 * upstream release; only 6.1, 6.12 and 7.3 are modelled, so versions between are the best
 * reading of the history).
 */
import type { Device } from '../../../kernel/device.ts';
import { env } from '../../env.ts';

/** Kernel switches of the RAS paths. */
export const RAS_KVER = {
  /** Event records drained at probe and traced (cxl_event_config(), trace.h events). */
  events: '6.3',
  /** memX/trigger_poison_list and cxl_poison "List" events (cxl_trigger_poison_list()). */
  poisonList: '6.4',
  /** debugfs memX/inject_poison, clear_poison (cxl_inject_poison(), cxl_clear_poison()). */
  poisonInject: '6.5',
  /** security/sanitize, security/erase (cxl_mem_sanitize()). */
  sanitize: '6.5',
} as const;

/** True when the device's kernel has behaviour `k`. */
export function rasKver(dev: Device, k: keyof typeof RAS_KVER): boolean {
  return env(dev).since(RAS_KVER[k]);
}
