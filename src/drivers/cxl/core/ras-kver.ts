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
  /**
   * hpa=, region=, region_uuid= in cxl_general_media / cxl_dram ("cxl/core: Add region info to
   * cxl_general_media and cxl_dram events").
   */
  mediaEventRegion: '6.9',
  /**
   * cxl_dram's type decoded with the DRAM table (show_dram_mem_event_type(), "cxl/events: Fix
   * Trace DRAM Event Record", 53ab8678e718) instead of the General Media one.
   */
  dramEventTypeTable: '6.12',
  /**
   * The CXL 3.1 event record fields in the trace events ("cxl/events: Update … Event Record to
   * CXL spec rev 3.1"): the header's maint_op_sub_class and MAINT_OP_SUB_CLASS_VALID flag;
   * sub_type, comp_id PLDM flags, cme/cvme counts (general media, DRAM), sub_channel (DRAM),
   * event_sub_type and component id (memory module); the extra memory event, transaction and
   * module event types, MEM_CAPACITY_DEGRADED.
   */
  cxl31Records: '6.15',
  /**
   * `char` is unsigned on every architecture ("kbuild: treat char as always unsigned",
   * -funsigned-char): tracefs format files print signed:0 for char fields and __data_loc
   * char[] strings (signed:1 before on x86).
   */
  unsignedChar: '6.2',
  /** memX/trigger_poison_list and cxl_poison "List" events (cxl_trigger_poison_list()). */
  poisonList: '6.4',
  /** debugfs memX/inject_poison, clear_poison (cxl_inject_poison(), cxl_clear_poison()). */
  poisonInject: '6.5',
  /** security/sanitize, security/erase (cxl_mem_sanitize()). */
  sanitize: '6.5',
  /**
   * Sanitize runs asynchronously (drivers/cxl/pci.c, "cxl/mbox: Add sanitization handling
   * machinery"): __cxl_pci_mbox_send_cmd() returns once the device accepted it; the mailbox
   * background-command interrupt is requested, else cxl_mbox_sanitize_work() polls.
   */
  sanitizeAsync: '6.5',
  /**
   * "cxl/pci: Fix sanitize notifier setup": `sanitize_active` — the poll work runs for every
   * sanitize (the interrupt only kicks it), a second sanitize is refused with EBUSY,
   * security/state reads the flag; "Mailbox interrupts enabled" replaces "… are unsupported".
   */
  sanitizeActive: '6.7',
} as const;

/** True when the device's kernel has behaviour `k`. */
export function rasKver(dev: Device, k: keyof typeof RAS_KVER): boolean {
  return env(dev).since(RAS_KVER[k]);
}
