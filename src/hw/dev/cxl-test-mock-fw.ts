/**
 * DOC: the firmware of the kernel's cxl_test mock memdev (tools/testing/cxl/test/mem.c
 * mock_fw_info(), mock_transfer_fw(), mock_activate_fw(), fw_buf_checksum_show()), for the
 * `cxl_test` preset's type-3 devices, whose mailbox otherwise follows QEMU.
 * - Get FW Info: 3 slots (FW_SLOTS), slot info = active | staged << 3 (active slot 2 at probe,
 *   none staged), no online activation, revisions "cxl_test_fw_001" … "cxl_test_fw_003".
 * - Transfer FW: data at offset × 128 into one 64 MiB buffer (FW_SIZE; past it: invalid input);
 *   Full must start at 0; Full and End need a slot 1..3 and set the firmware size to the end of
 *   their data; Initiate / Continue just copy; Abort does nothing. It completes at once (no
 *   background operation); the mock's usleep_range(1500, 2000) is the guest's
 *   (drivers/cxl/core/mock-hooks.ts cxlMockMboxDelayMs()).
 * - Activate FW: slot 1..3; online makes it active and clears the staged slot, offline stages it.
 * - `fw_buf_checksum`: sha256 of the buffer's first "firmware size" bytes, lower-case hex.
 */
import { createHash } from 'node:crypto';
import { le, MBOX_RC, type MboxContext, rc } from '../regs/mailbox/types.ts';
import type { FwState } from '../regs/ras-state.ts';

/** The mock's FW_SLOTS and FW_SIZE (bytes). */
export const CXL_TEST_FW_SLOTS = 3;
const CXL_TEST_FW_SIZE = 64 * 1024 * 1024;
const XFER_HDR = 0x80;
const ALIGN = 128;

/** The mock's firmware state at probe (mdata->fw_slot = 2). */
export function cxlTestFwState(): FwState {
  return {
    activeSlot: 2,
    stagedSlot: 0,
    slots: [true, true, true],
    transferring: false,
    prevOffset: 0,
    prevLen: 0,
    currAction: 0,
    currSlot: 0,
    mock: { buf: new Uint8Array(0), size: 0 },
  };
}

/** mock_fw_info(). */
export function mockFwInfo(ctx: MboxContext, fw: FwState) {
  const p = le(ctx.out);
  ctx.out.fill(0, 0, 0x50);
  p.set8(0, CXL_TEST_FW_SLOTS);
  p.set8(1, (fw.activeSlot & 7) | ((fw.stagedSlot & 7) << 3));
  p.set8(2, 0);
  for (let i = 1; i <= CXL_TEST_FW_SLOTS; i++) p.ascii(0x10 * i, `cxl_test_fw_00${i}`, 0x10);
  return rc(MBOX_RC.SUCCESS, 0x50);
}

/** mock_transfer_fw(). */
export function mockTransferFw(ctx: MboxContext, fw: FwState) {
  const mock = fw.mock;
  if (!mock || ctx.input.length < XFER_HDR) return rc(MBOX_RC.INPUT);
  const p = le(ctx.input);
  const action = p.u8(0);
  const slot = p.u8(1);
  const offset = p.u32(4) * ALIGN;
  const length = ctx.input.length - XFER_HDR;
  if (offset + length > CXL_TEST_FW_SIZE) return rc(MBOX_RC.INPUT);
  // actions: 0 Full, 1 Initiate, 2 Continue, 3 End, 4 Abort
  if (action === 4) return rc(MBOX_RC.SUCCESS);
  if (action > 4) return rc(MBOX_RC.INPUT);
  if (action === 0 && offset !== 0) return rc(MBOX_RC.INPUT);
  if (action === 0 || action === 3) {
    if (slot === 0 || slot > CXL_TEST_FW_SLOTS) return rc(MBOX_RC.INPUT);
    mock.size = offset + length;
  }
  if (offset + length > mock.buf.length) {
    const grown = new Uint8Array(
      Math.min(CXL_TEST_FW_SIZE, Math.max(offset + length, mock.buf.length * 2)),
    );
    grown.set(mock.buf);
    mock.buf = grown;
  }
  mock.buf.set(ctx.input.subarray(XFER_HDR), offset);
  return rc(MBOX_RC.SUCCESS);
}

/** mock_activate_fw(). */
export function mockActivateFw(ctx: MboxContext, fw: FwState) {
  const action = ctx.input[0] ?? 0;
  const slot = ctx.input[1] ?? 0;
  if (slot === 0 || slot > CXL_TEST_FW_SLOTS) return rc(MBOX_RC.INPUT);
  if (action === 0) {
    fw.activeSlot = slot;
    fw.stagedSlot = 0;
  } else if (action === 1) fw.stagedSlot = slot;
  else return rc(MBOX_RC.INPUT);
  return rc(MBOX_RC.SUCCESS);
}

/** fw_buf_checksum_show() without its newline. */
export function mockFwBufChecksum(fw: FwState): string | undefined {
  const mock = fw.mock;
  if (!mock) return undefined;
  const h = createHash('sha256');
  h.update(mock.buf.subarray(0, mock.size));
  if (mock.size > mock.buf.length) h.update(new Uint8Array(mock.size - mock.buf.length));
  return h.digest('hex');
}
