/**
 * DOC: the memdev's firmware upload ops (drivers/cxl/core/memdev.c cxl_memdev_fw_ops:
 * cxl_fw_prepare(), cxl_fw_write(), cxl_fw_poll_complete(), cxl_fw_cancel(), cxl_fw_cleanup();
 * cxl_mem_get_fw_info(), cxl_mem_activate_fw(), cxl_mem_abort_fw_xfer(); CXL 3.1 §8.2.9.3).
 *
 * - prepare: an empty image is invalid-file-size; "oneshot" when the Transfer FW header (128
 *   bytes) plus the whole image is smaller than the mailbox payload; Get FW Info gives the slot
 *   count and the active slot (hw-error when it fails); a cancel already asked is user-abort.
 * - write: the offset must be 128-byte aligned ("misaligned offset for FW transfer slice (%u)",
 *   read-write-error); each call sends min(remaining, payload size − 128) bytes with Transfer FW
 *   (Full to the next slot when oneshot, else Initiate at offset 0, End with the slot for the
 *   last part, Continue between), polled every 1 s up to 30 times when it runs in the
 *   background; the next slot is (active % slots) + 1. A failed transfer is read-write-error.
 *   After the Full or End part: dev_dbg "Activating firmware slot: %d" and Activate FW of that
 *   slot, always offline (on the next reset: the device stages it), as the kernel only does
 *   offline activation; a failure logs "Error activating firmware: %d" and is hw-error.
 * - a cancel (cancel attribute) sets a flag that prepare, write and poll_complete test and
 *   clear: write and poll_complete then abort the transfer (Transfer FW action Abort, "Error
 *   aborting FW transfer: %d" when that fails) and report user-abort.
 * - cleanup: forgets the next slot.
 */
import { Errno, errnoNumber } from '../../../kernel/errno.ts';
import { copiedWeakMap } from '../../../kernel/graph-copy.ts';
import type { FwOpSteps, FwUploadErr, FwUploadOps } from '../../firmware-loader/sysfs-upload.ts';
import { CXL_MBOX_OP, cxlInternalSendCmdSteps, type MboxPoll } from './mbox.ts';
import type { CxlDevState, CxlMemdev } from './memdev.ts';

/** CXL_MBOX_OP_TRANSFER_FW, CXL_MBOX_OP_ACTIVATE_FW. */
const OP_TRANSFER_FW = 0x0201;
const OP_ACTIVATE_FW = 0x0202;
/** sizeof(struct cxl_mbox_transfer_fw) without data; CXL_FW_TRANSFER_ALIGNMENT. */
const TRANSFER_HDR = 0x80;
const TRANSFER_ALIGN = 128;
/** enum cxl_fw_transfer_action. */
const XFER = { FULL: 0, INITIATE: 1, CONTINUE: 2, END: 3, ABORT: 4 } as const;
/** CXL_FW_ACTIVATE_OFFLINE. */
const ACTIVATE_OFFLINE = 1;
/** Transfer FW's mbox_cmd: poll_interval_ms = 1000, poll_count = 30. */
const TRANSFER_POLL: MboxPoll = { intervalMs: 1000, count: 30 };

/** struct cxl_fw_state. */
export interface CxlFwState {
  numSlots: number;
  curSlot: number;
  nextSlot: number;
  oneshot: boolean;
  /** CXL_FW_CANCEL bit of fw.state. */
  cancel: boolean;
}

const fwStates = copiedWeakMap<CxlDevState, CxlFwState>();

/** The driver's firmware state of a device (created empty). */
export function cxlFwState(cxlds: CxlDevState): CxlFwState {
  let f = fwStates.get(cxlds);
  if (!f) {
    f = { numSlots: 0, curSlot: 0, nextSlot: 0, oneshot: false, cancel: false };
    fwStates.set(cxlds, f);
  }
  return f;
}

/** test_and_clear_bit(CXL_FW_CANCEL, ...). */
function takeCancel(f: CxlFwState): boolean {
  const c = f.cancel;
  f.cancel = false;
  return c;
}

const errCode = (e: unknown): number => -errnoNumber(e instanceof Errno ? e.code : 'EIO');

/** cxl_mem_get_fw_info(): num_slots and the active slot. @throws the command's errno */
function* getFwInfo(cxlds: CxlDevState): Generator<number, void, void> {
  const info = yield* cxlInternalSendCmdSteps(
    cxlds,
    CXL_MBOX_OP.GET_FW_INFO,
    new Uint8Array(0),
    0x50,
  );
  const f = cxlFwState(cxlds);
  f.numSlots = info[0] ?? 0;
  f.curSlot = (info[1] ?? 0) & 7;
}

/** cxl_mem_abort_fw_xfer(): Transfer FW with action Abort. @throws the command's errno */
function* abortFwXfer(cxlds: CxlDevState): Generator<number, void, void> {
  const req = new Uint8Array(TRANSFER_HDR);
  req[0] = XFER.ABORT;
  yield* cxlInternalSendCmdSteps(cxlds, OP_TRANSFER_FW, req, 0, TRANSFER_POLL);
}

/** cxl_fw_do_cancel(): aborts the transfer; always user-abort. */
function* doCancel(cxlmd: CxlMemdev): FwOpSteps<FwUploadErr> {
  try {
    yield* abortFwXfer(cxlmd.cxlds);
  } catch (e) {
    void cxlmd.err('EIO', `Error aborting FW transfer: ${errCode(e)}`);
  }
  return 'user-abort';
}

/** cxl_mem_activate_fw(): offline activation of `slot`. @throws EINVAL bad slot; the command's errno */
function* activateFw(cxlds: CxlDevState, slot: number): Generator<number, void, void> {
  const f = cxlFwState(cxlds);
  if (slot === 0 || slot > f.numSlots) throw new Errno('EINVAL', 'bad slot');
  yield* cxlInternalSendCmdSteps(cxlds, OP_ACTIVATE_FW, Uint8Array.of(ACTIVATE_OFFLINE, slot), 0);
}

/** cxl_memdev_fw_ops for `cxlmd`. */
export function cxlMemdevFwOps(cxlmd: CxlMemdev): FwUploadOps {
  const cxlds = cxlmd.cxlds;
  const f = cxlFwState(cxlds);
  return {
    *prepare(_fw, _data, size) {
      if (!size) return 'invalid-file-size';
      f.oneshot = TRANSFER_HDR + size < cxlds.payloadSize;
      try {
        yield* getFwInfo(cxlds);
      } catch {
        return 'hw-error';
      }
      if (takeCancel(f)) return 'user-abort';
      return 'none';
    },
    *write(_fw, data, offset, size) {
      if (offset % TRANSFER_ALIGN !== 0) {
        void cxlmd.err('EIO', `misaligned offset for FW transfer slice (${offset})`);
        return { err: 'read-write-error', written: 0 };
      }
      const cur = Math.min(size, cxlds.payloadSize - TRANSFER_HDR);
      const remaining = size - cur;
      if (takeCancel(f)) return { err: yield* doCancel(cxlmd), written: 0 };
      f.nextSlot = (f.curSlot % f.numSlots) + 1;
      const req = new Uint8Array(TRANSFER_HDR + cur);
      new DataView(req.buffer).setUint32(4, offset / TRANSFER_ALIGN, true);
      req.set(data.subarray(offset, offset + cur), TRANSFER_HDR);
      if (f.oneshot) {
        req[0] = XFER.FULL;
        req[1] = f.nextSlot;
      } else if (offset === 0) req[0] = XFER.INITIATE;
      else if (remaining === 0) {
        req[0] = XFER.END;
        req[1] = f.nextSlot;
      } else req[0] = XFER.CONTINUE;
      try {
        yield* cxlInternalSendCmdSteps(cxlds, OP_TRANSFER_FW, req, 0, TRANSFER_POLL);
      } catch {
        return { err: 'read-write-error', written: 0 };
      }
      if (f.oneshot || remaining === 0) {
        cxlmd.dbg(`Activating firmware slot: ${f.nextSlot}`);
        try {
          yield* activateFw(cxlds, f.nextSlot);
        } catch (e) {
          void cxlmd.err('EIO', `Error activating firmware: ${errCode(e)}`);
          return { err: 'hw-error', written: 0 };
        }
      }
      return { err: 'none', written: cur };
    },
    *pollComplete() {
      if (takeCancel(f)) return yield* doCancel(cxlmd);
      return 'none';
    },
    cancel() {
      f.cancel = true;
    },
    cleanup() {
      f.nextSlot = 0;
    },
  };
}
