/**
 * DOC: CXL_MEM_QUERY_COMMANDS and CXL_MEM_SEND_COMMAND as the ioctl's caller sees them
 * (drivers/cxl/core/mbox.c cxl_query_cmd(), cxl_send_cmd(), cxl_validate_cmd_from_user(),
 * cxl_to_mem_cmd(); include/uapi/linux/cxl_mem.h), over a memdev's {@link CxlMemIoctl}.
 *
 * QUERY: n_commands 0 asks for the table's size (ARRAY_SIZE(cxl_mem_commands): one slot per
 * command id, CXL_MEM_COMMAND_ID_MAX); otherwise the first min(n_commands, size) slots are
 * copied, a slot whose id has no command being all zero.
 * SEND (before the mailbox runs): an id of 0 or ≥ CXL_MEM_COMMAND_ID_MAX → ENOTTY; unknown
 * flags or a non-zero reserved field → EINVAL; a fixed-size input whose in.size differs, or a
 * fixed-size output larger than out.size → ENOMEM; a command the device's CEL does not enable
 * → ENOTTY (the memdev ioctl). The mailbox's return code is `retval` (the ioctl succeeds), and
 * out.size becomes the length of the output payload.
 */
import { Errno } from '../../../kernel/errno.ts';
import { CXL_MEM_COMMAND_ID, type CxlMemIoctl } from '../../../ndctl/lib/ioctl.ts';

/** One struct cxl_command_info (sizes: -1 = CXL_VARIABLE_PAYLOAD, sent as 0xffffffff). */
export interface CommandInfo {
  id: number;
  flags: number;
  sizeIn: number;
  sizeOut: number;
}

/** The query table as slots indexed by command id (zero slots where no command). */
export function queryCommandSlots(table: readonly CommandInfo[]): CommandInfo[] {
  const n = Math.max(CXL_MEM_COMMAND_ID.MAX, ...table.map((c) => c.id + 1));
  const slots: CommandInfo[] = Array.from({ length: n }, () => ({
    id: 0,
    flags: 0,
    sizeIn: 0,
    sizeOut: 0,
  }));
  for (const c of table) slots[c.id] = c;
  return slots;
}

/** struct cxl_send_command as passed in (payload bytes already copied from the caller). */
export interface SendCommand {
  id: number;
  flags: number;
  /** The union of raw.opcode and raw.rsvd (or the 32-bit rsvd). */
  raw: number;
  /** in.size bytes. */
  payload: Uint8Array;
  /** out.size: room for the output payload, bytes. */
  outSize: number;
}

/**
 * cxl_send_cmd() of one memdev: validates as the kernel does, then runs the command.
 * @returns retval (the mailbox return code) and the output bytes, or the ioctl's Errno
 */
export function cxlSendCmd(
  ioctl: CxlMemIoctl,
  memdev: string,
  s: SendCommand,
): { retval: number; out: Uint8Array } | Errno {
  if (s.id === 0 || s.id >= CXL_MEM_COMMAND_ID.MAX) return new Errno('ENOTTY');
  const table = ioctl.queryCommands(memdev);
  if (table instanceof Errno) return table;
  const info = table.find((c) => c.id === s.id);
  if (s.id !== CXL_MEM_COMMAND_ID.RAW) {
    if (s.flags !== 0) return new Errno('EINVAL');
    if (s.raw !== 0) return new Errno('EINVAL');
  }
  if (!info) return new Errno('ENOTTY');
  if (info.sizeIn !== -1 && info.sizeIn !== s.payload.length) return new Errno('ENOMEM');
  if (info.sizeOut !== -1 && s.outSize < info.sizeOut) return new Errno('ENOMEM');
  const r = ioctl.send(memdev, {
    id: s.id,
    payload: s.payload,
    sizeOut: info.sizeOut === -1 ? s.outSize : info.sizeOut,
  });
  if (r instanceof Errno) return r;
  return { retval: r.retval, out: r.out.subarray(0, s.outSize) };
}
