import { env } from '../../env.ts';
import { initDelayedWork, modDelayedWork, queueDelayedWork } from '../../workqueue.ts';
import { CXLDEV_MBOX_BG_CMD_STATUS_OFFSET, CXLDEV_MBOX_CTRL_OFFSET } from '../cxl.ts';
import type { CxlDevState, CxlSecurityState } from './memdev.ts';
import { rasKver } from './ras-kver.ts';

/** CXLDEV_MBOX_CAP_BG_CMD_IRQ, CXLDEV_MBOX_CAP_IRQ_MSGNUM_MASK (bits 10:7). */
const CAP_BG_CMD_IRQ = 1 << 6;
const CAP_IRQ_MSGNUM_SHIFT = 7;
const CAP_IRQ_MSGNUM_MASK = 0xf;
/** CXLDEV_MBOX_CTRL_BG_CMD_IRQ. */
const CTRL_BG_CMD_IRQ = 1 << 2;
/** CXL_MBOX_OP_SANITIZE. */
const OP_SANITIZE = 0x4400;
/** The poll interval's ceiling (s): min(15 * 60, timeout). */
const POLL_TMO_MAX_SECS = 15 * 60;

/** The Background Command Status register (opcode [15:0], percentage [22:16]). */
function bgStatus(cxlds: CxlDevState): bigint {
  return env(cxlds.pdev).hw.mmio.read64(cxlds.mboxBase + BigInt(CXLDEV_MBOX_BG_CMD_STATUS_OFFSET));
}

/** cxl_mbox_background_complete(): the percentage field reads 100. */
export function cxlMboxBackgroundComplete(cxlds: CxlDevState): boolean {
  return ((bgStatus(cxlds) >> 16n) & 0x7fn) === 100n;
}

/**
 * The tail of cxl_pci_setup_mailbox() (kernel ≥ 6.5): the sanitize state and poll work, then
 * the background-command interrupt on the vector the capabilities name, when the device
 * offers one (`caps` = Mailbox Capabilities) and the platform delivers MSI-X. Before 6.7, a
 * device without it polls ("Mailbox interrupts are unsupported").
 */
export function cxlPciSetupMboxIrq(cxlds: CxlDevState, caps: number): void {
  const pdev = cxlds.pdev;
  if (!rasKver(pdev, 'sanitizeAsync')) return;
  const sec: CxlSecurityState = {
    poll: false,
    pollTmoSecs: 0,
    sanitizeActive: false,
    pollDwork: initDelayedWork(cxlMboxSanitizeWork, cxlds),
  };
  cxlds.security = sec;
  const since67 = rasKver(pdev, 'sanitizeActive');
  const irq = env(pdev).hw.irq;
  if (caps & CAP_BG_CMD_IRQ && irq) {
    const msgnum = (caps >> CAP_IRQ_MSGNUM_SHIFT) & CAP_IRQ_MSGNUM_MASK;
    irq.request(pdev.segment, pdev.busNr, pdev.devfn, msgnum, cxlPciMboxIrq, cxlds);
    if (since67) pdev.dbg('Mailbox interrupts enabled');
    const mmio = env(pdev).hw.mmio;
    const ctrl = cxlds.mboxBase + BigInt(CXLDEV_MBOX_CTRL_OFFSET);
    mmio.write32(ctrl, mmio.read32(ctrl) | CTRL_BG_CMD_IRQ);
    return;
  }
  if (!since67) {
    sec.poll = true;
    pdev.dbg('Mailbox interrupts are unsupported');
  }
}

/**
 * cxl_pci_mbox_irq(): a completed background command. For a Sanitize, 6.7+ runs the poll
 * work now; 6.5–6.6 notify security/state here ("Sanitization operation ended"). Other
 * commands' waiters poll the register themselves in cxlsim (the kernel's rcuwait wake-up).
 */
export function cxlPciMboxIrq(cxlds: CxlDevState): void {
  const sec = cxlds.security;
  if (!sec || !cxlMboxBackgroundComplete(cxlds)) return;
  if (Number(bgStatus(cxlds) & 0xffffn) !== OP_SANITIZE) return;
  if (rasKver(cxlds.pdev, 'sanitizeActive')) {
    modDelayedWork(cxlds.pdev.ctx, sec.pollDwork, 0);
    return;
  }
  cxlds.pdev.dbg('Sanitization operation ended');
}

/**
 * cxl_mbox_sanitize_work(): done → `poll_tmo_secs` 0, security/state notified,
 * `sanitize_active` cleared, "Sanitization operation ended"; else polls again
 * `poll_tmo_secs` + 10 s later (the interval kept at most 15 min).
 */
export function cxlMboxSanitizeWork(cxlds: CxlDevState): void {
  const sec = cxlds.security;
  if (!sec) return;
  if (cxlMboxBackgroundComplete(cxlds)) {
    sec.pollTmoSecs = 0;
    sec.sanitizeActive = false;
    cxlds.pdev.dbg('Sanitization operation ended');
    return;
  }
  const timeout = sec.pollTmoSecs + 10;
  sec.pollTmoSecs = Math.min(POLL_TMO_MAX_SECS, timeout);
  queueDelayedWork(cxlds.pdev.ctx, sec.pollDwork, timeout * 1000);
}

/**
 * The sanitize branch of __cxl_pci_mbox_send_cmd(), once the device answered BACKGROUND:
 * 6.7+ refuses a second one (EBUSY), marks it active and polls 1 s later; 6.5–6.6 poll only
 * without an interrupt. @returns the errno name to fail with, or undefined (started)
 */
export function cxlPciSanitizeStarted(cxlds: CxlDevState): 'EBUSY' | undefined {
  const sec = cxlds.security;
  if (!sec) return undefined;
  const since67 = rasKver(cxlds.pdev, 'sanitizeActive');
  if (since67 && sec.sanitizeActive) return 'EBUSY';
  if (since67 || sec.poll) {
    sec.pollTmoSecs = 1;
    if (since67) sec.sanitizeActive = true;
    queueDelayedWork(cxlds.pdev.ctx, sec.pollDwork, 1000);
  }
  cxlds.pdev.dbg('Sanitization operation started');
  return undefined;
}

/**
 * The check at the top of __cxl_pci_mbox_send_cmd(): while a sanitize is polled
 * (`poll_tmo_secs` > 0) only Get Health Info (0x4200) reaches the device.
 * @returns true when the command is refused (-EBUSY, no message)
 */
export function cxlSanitizeBlocks(cxlds: CxlDevState, opcode: number): boolean {
  const sec = cxlds.security;
  return sec !== undefined && sec.pollTmoSecs > 0 && opcode !== 0x4200;
}

/**
 * security_state_show()'s sanitize test: 6.7+ the driver's `sanitize_active`; 6.5–6.6 the
 * device's Background Command Status (Sanitize at less than 100 %).
 */
export function cxlSanitizeRunning(cxlds: CxlDevState): boolean {
  const sec = cxlds.security;
  if (!sec) return false;
  if (rasKver(cxlds.pdev, 'sanitizeActive')) return sec.sanitizeActive;
  const reg = bgStatus(cxlds);
  return Number(reg & 0xffffn) === OP_SANITIZE && ((reg >> 16n) & 0x7fn) !== 100n;
}
