/**
 * DOC: which QEMU version first has each type-3 mailbox command and device behaviour — the
 * compat table of the mailbox layer (QEMU hw/cxl/cxl-mailbox-utils.c cxl_cmd_set[][] and
 * hw/mem/cxl_type3.c across releases).
 *
 * Only three versions are modelled ('7.2', '10.0', '11.1'); an entry names the first upstream
 * release with the command, so the comparison is numeric. Evidence: the 7.2 CEL is 52 bytes
 * (13 commands, the debian-12 capture's "Found LOG type … of size 52"); the 11.1 CEL is 124
 * bytes (31 commands, the latest capture's "Found LOG … of size 124" and its "Opcode 0x…"
 * lines). 10.0 has no debug capture: its set follows the upstream history (media operations
 * and background abort merged for 10.0 in March 2025; maintenance/soft-PPR for 10.1) and the
 * debian-13 captures (no alert configuration: QEMU_COMPAT.alertConfig). Entries shared with
 * other layers come from src/hw/qemu-compat.ts.
 */
import type { QemuVersion } from '../../../profile.ts';
import { qemuAtLeast } from '../../../profile.ts';
import { QEMU_COMPAT } from '../../qemu-compat.ts';

/** First QEMU release whose type-3 primary mailbox implements each opcode. */
export const QEMU_MBOX_SINCE: ReadonlyMap<number, string> = new Map([
  /** Background Operation Abort (cmd_infostat_bg_op_abort). */
  [0x0005, '10.0'],
  /** Events: stubs in 7.2, real logs (cxl-events.c) since 8.0. */
  [0x0100, '7.2'],
  [0x0101, '7.2'],
  [0x0102, '7.2'],
  [0x0103, '7.2'],
  [0x0200, '7.2'],
  /** Transfer / Activate FW. */
  [0x0201, '9.1'],
  [0x0202, '9.1'],
  [0x0300, '7.2'],
  [0x0301, '7.2'],
  [0x0400, '7.2'],
  [0x0401, '7.2'],
  /** Features: Get Supported / Get / Set Feature. */
  [0x0500, '9.1'],
  [0x0501, '9.1'],
  [0x0502, '9.1'],
  /** Perform Maintenance. */
  [0x0600, '10.1'],
  [0x4000, '7.2'],
  [0x4100, '7.2'],
  [0x4102, '7.2'],
  [0x4103, '7.2'],
  /** Get / Set Alert Configuration: not in 10.0 (debian-13 `cxl list -vvv` has no alert_config). */
  [0x4201, QEMU_COMPAT.alertConfig],
  [0x4202, QEMU_COMPAT.alertConfig],
  /** Get Poison List / Inject / Clear. */
  [0x4300, '8.1'],
  [0x4301, '8.1'],
  [0x4302, '8.1'],
  /** Get Scan Media Capabilities / Scan Media / Get Scan Media Results. */
  [0x4303, '9.0'],
  [0x4304, '9.0'],
  [0x4305, '9.0'],
  /** Sanitize (overwrite). */
  [0x4400, QEMU_COMPAT.sanitizeCommand],
  /** Media Operations. */
  [0x4402, '10.0'],
  /** Get Security State. */
  [0x4500, '8.2'],
]);

/** Device behaviours (not commands) that changed between the modelled QEMU versions. */
export const QEMU_SINCE = {
  /** Event logs hold records (cxl-events.c); 7.2's event commands are zero-filling stubs. */
  eventLogs: '8.0',
  /** The mailbox hands the handler a copy of the input and keeps the opcode in Command. */
  mboxCopyInput: '8.0',
  /** Background commands (Background Command Status register, CXL_MBOX_BG_STARTED). */
  background: '8.2',
  /**
   * Mailbox Capabilities advertise the doorbell and background-completion interrupts with their
   * MSI-X message number (7.2: none) (between 7.2 and 10.0: the first modelled release after 7.2).
   */
  mboxInterrupts: '10.0',
  /** IDENTIFY is 0x45 bytes with a poison list maximum of 256 (7.2: 0x43 bytes, 0) (between 7.2 and 10.0). */
  identifyPoisonFields: '10.0',
  /**
   * Get Log checks the length alone and answers an unknown log with Invalid Log (7.2: offset +
   * length against the payload, Unsupported) (between 7.2 and 10.0).
   */
  getLogChecks: '10.0',
  /** Set LSA without a payload fails Invalid Payload Length (7.2: Success) (between 7.2 and 10.0). */
  setLsaEmptyChecked: '10.0',
  /**
   * Get FW Info: capacities must be 256 MiB multiples and the slot info follows the FW state
   * (7.2: any capacity of 256 MiB or more, a fixed "BWFW VERSION 0" in slot 1) (between 7.2 and 10.0).
   */
  fwInfoState: '10.0',
} as const;

/** True when QEMU version `q` has the mailbox behaviour `k` of {@link QEMU_SINCE}. */
export function qemuMboxHas(q: QemuVersion, k: keyof typeof QEMU_SINCE): boolean {
  return qemuAtLeast(q, QEMU_SINCE[k]);
}

/** True when QEMU version `q` has the opcode in its type-3 command set. */
export function qemuHasOpcode(q: QemuVersion, opcode: number): boolean {
  const v = QEMU_MBOX_SINCE.get(opcode);
  return v !== undefined && qemuAtLeast(q, v);
}
