/**
 * DOC: the memdev character device's ioctls (drivers/cxl/core/mbox.c cxl_query_cmd,
 * cxl_send_cmd; include/uapi/linux/cxl_mem.h), backed by the real mailbox driver.
 *
 * QUERY returns the kernel's command table; SEND maps a command id to its opcode and runs it
 * through the doorbell protocol if the device's CEL enabled it (else ENOTTY, as
 * cxl_validate_cmd_from_user refuses it).
 */

import { Errno } from '../../../kernel/errno.ts';
import type { Kernel } from '../../../kernel/kernel.ts';
import type { CxlMemIoctl } from '../../../ndctl/lib/ioctl.ts';
import { runPendingWork } from '../../workqueue.ts';
import { cxlMboxSend } from './mbox.ts';
import { CxlMemdev } from './memdev.ts';

/** enum cxl_mem_command_id → opcode and payload sizes (cxl_mem_commands[], Linux 6.1). -1 = variable. */
export const CXL_MEM_COMMANDS: { id: number; opcode: number; sizeIn: number; sizeOut: number }[] = [
  { id: 1, opcode: 0x4000, sizeIn: 0, sizeOut: 0x43 },
  { id: 3, opcode: 0x0400, sizeIn: 0, sizeOut: -1 },
  { id: 4, opcode: 0x0200, sizeIn: 0, sizeOut: 0x50 },
  { id: 5, opcode: 0x4100, sizeIn: 0, sizeOut: 0x20 },
  { id: 6, opcode: 0x4102, sizeIn: 0x8, sizeOut: -1 },
  { id: 7, opcode: 0x4200, sizeIn: 0, sizeOut: 0x12 },
  { id: 8, opcode: 0x0401, sizeIn: 0x18, sizeOut: -1 },
  { id: 9, opcode: 0x4101, sizeIn: 0x0a, sizeOut: 0 },
  { id: 10, opcode: 0x4103, sizeIn: -1, sizeOut: 0 },
  { id: 11, opcode: 0x4201, sizeIn: 0, sizeOut: 0x10 },
  { id: 12, opcode: 0x4202, sizeIn: 0x0c, sizeOut: 0 },
  { id: 13, opcode: 0x4203, sizeIn: 0, sizeOut: 0x1 },
  { id: 14, opcode: 0x4204, sizeIn: 0x1, sizeOut: 0 },
  { id: 15, opcode: 0x4300, sizeIn: 0x10, sizeOut: -1 },
  { id: 16, opcode: 0x4301, sizeIn: 0x8, sizeOut: 0 },
  { id: 17, opcode: 0x4302, sizeIn: 0x48, sizeOut: 0 },
  { id: 18, opcode: 0x4303, sizeIn: 0x10, sizeOut: 0x4 },
  { id: 19, opcode: 0x4304, sizeIn: 0x11, sizeOut: 0 },
  { id: 20, opcode: 0x4305, sizeIn: 0, sizeOut: -1 },
];

/** What CXL_MEM_QUERY_COMMANDS returns: the same for every memdev, built once (read-only). */
const QUERY_TABLE = Object.freeze(
  CXL_MEM_COMMANDS.map((c) =>
    Object.freeze({ id: c.id, flags: 0, sizeIn: c.sizeIn, sizeOut: c.sizeOut }),
  ),
) as unknown as { id: number; flags: number; sizeIn: number; sizeOut: number }[];

/** The ioctl interface of every memdev of a kernel. */
export function memdevIoctl(kernel: Kernel): CxlMemIoctl {
  const find = (name: string) => {
    const d = kernel.find('cxl', name);
    return d instanceof CxlMemdev ? d : undefined;
  };
  return {
    queryCommands(memdev) {
      const m = find(memdev);
      if (!m) return new Errno('ENOENT');
      m.dbg('Query IOCTL');
      return QUERY_TABLE;
    },
    send(memdev, cmd) {
      const m = find(memdev);
      if (!m) return new Errno('ENOENT');
      m.dbg('Send IOCTL');
      // the mailbox is shared with the firmware upload worker: let it catch up first
      runPendingWork(m.ctx);
      const c = CXL_MEM_COMMANDS.find((x) => x.id === cmd.id);
      if (!c || !m.cxlds.enabledCmds.has(c.opcode)) return new Errno('ENOTTY');
      try {
        const r = cxlMboxSend(m.cxlds, c.opcode, cmd.payload, cmd.sizeOut);
        return { retval: r.rc, out: r.out };
      } catch (e) {
        if (e instanceof Errno) return e;
        throw e;
      }
    },
  };
}
