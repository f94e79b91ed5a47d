/**
 * DOC: sanitize and secure erase, guest side (drivers/cxl/core/mbox.c cxl_mem_sanitize(),
 * __cxl_mem_sanitize(); core/memdev.c security_sanitize_store(), security_erase_store();
 * drivers/cxl/pci.c the background-command path of __cxl_pci_mbox_send_cmd()).
 *
 * A write of a true value to security/sanitize (or erase) asks for the command: refused with
 * EBUSY unless the memdev has an endpoint with no committed decoder (an active region, or any
 * committed decoder, keeps the device mapped); Get Security State must show no user passphrase
 * (and for erase, not locked), else EINVAL ("Failed to get security state : %d" when it fails);
 * then Sanitize / Secure Erase goes to the device ("Failed to sanitize device : %d" on error).
 * The device runs it in the background and the write returns at once; security/state reads
 * "sanitize" until the poll work (or the mailbox interrupt) sees it complete
 * (core/pci-sanitize.ts). A sanitize while one runs fails with EBUSY ("Failed to get security
 * state : -16": only Get Health Info reaches the device meanwhile).
 */
import { Errno, errnoNumber } from '../../../kernel/errno.ts';
import { CXL_MBOX_OP, cxlInternalSendCmd, le } from './mbox.ts';
import type { CxlMemdev } from './memdev.ts';

/** CXL_PMEM_SEC_STATE_USER_PASS_SET, CXL_PMEM_SEC_STATE_LOCKED. */
const SEC_USER_PASS_SET = 1 << 0;
const SEC_LOCKED = 1 << 2;

/**
 * cxl_mem_sanitize(): Sanitize (0x4400) or Secure Erase (0x4401) of a memdev.
 * @throws EBUSY while any endpoint decoder is committed (or no endpoint); EINVAL for another
 *   opcode or a passphrase-protected device; the mailbox command's errno
 */
export function cxlMemSanitize(cxlmd: CxlMemdev, op: number): void {
  const endpoint = cxlmd.endpoint;
  if (!endpoint || endpoint.commitEnd >= 0)
    throw new Errno('EBUSY', 'sanitize with mapped decoders', cxlmd.name);
  if (op !== CXL_MBOX_OP.SANITIZE && op !== CXL_MBOX_OP.SECURE_ERASE)
    throw new Errno('EINVAL', 'not a sanitize command', cxlmd.name);
  const cxlds = cxlmd.cxlds;
  const dev = cxlds.pdev;
  let state: Uint8Array;
  try {
    state = cxlInternalSendCmd(cxlds, CXL_MBOX_OP.GET_SECURITY_STATE, new Uint8Array(0), 4);
  } catch (e) {
    const code = e instanceof Errno ? e.code : 'EIO';
    void dev.err(code, `Failed to get security state : -${errnoNumber(code)}`);
    throw e;
  }
  const flags = le.u32(state, 0);
  if (flags & SEC_USER_PASS_SET) throw new Errno('EINVAL', 'user passphrase set', cxlmd.name);
  if (op === CXL_MBOX_OP.SECURE_ERASE && flags & SEC_LOCKED)
    throw new Errno('EINVAL', 'locked', cxlmd.name);
  try {
    cxlInternalSendCmd(cxlds, op, new Uint8Array(0), 0);
  } catch (e) {
    const code = e instanceof Errno ? e.code : 'EIO';
    void dev.err(code, `Failed to sanitize device : -${errnoNumber(code)}`);
    throw e;
  }
}
