/**
 * DOC: shared/tools/cxl-mbox-shim.c as a {@link CxlMemIoctl} — what the captures' reference run used.
 *
 * CXL_MEM_QUERY_COMMANDS answers Linux 6.1's command table (drivers/cxl/core/mbox.c
 * cxl_mem_commands[]: 21 slots indexed by command id, RAW and id 0 left empty, flags 0).
 * CXL_MEM_SEND_COMMAND answers IDENTIFY with a 0x43-byte payload built from the memdev's sysfs
 * (firmware_version, ram/size, pmem/size, label_storage_size; partition_align 0) and fails every
 * other command with ENOTTY, as 6.1 does for commands a QEMU 7.2 device's CEL does not enable.
 */
import { Errno } from '../../src/kernel/errno.ts';
import { CXL_CAPACITY_MULTIPLIER, type CxlMemIoctl, IDENTIFY } from '../../src/ndctl/lib/ioctl.ts';
import { strtoull } from '../../src/ndctl/util/cstr.ts';
import type { SysfsView } from '../../src/sysfs/view.ts';

const VAR = -1; // CXL_VARIABLE_PAYLOAD as the __s32 libcxl reads

/** drivers/cxl/core/mbox.c cxl_mem_commands[] (6.1) without RAW: [id, size_in, size_out]. */
const COMMANDS: Array<[number, number, number]> = [
  [1, 0, 0x43], // IDENTIFY
  [3, 0, VAR], // GET_SUPPORTED_LOGS
  [4, 0, 0x50], // GET_FW_INFO
  [5, 0, 0x20], // GET_PARTITION_INFO
  [6, 0x8, VAR], // GET_LSA
  [7, 0, 0x12], // GET_HEALTH_INFO
  [8, 0x18, VAR], // GET_LOG
  [9, 0x0a, 0], // SET_PARTITION_INFO
  [10, VAR, 0], // SET_LSA
  [11, 0, 0x10], // GET_ALERT_CONFIG
  [12, 0xc, 0], // SET_ALERT_CONFIG
  [13, 0, 0x1], // GET_SHUTDOWN_STATE
  [14, 0x1, 0], // SET_SHUTDOWN_STATE
  [15, 0x10, VAR], // GET_POISON
  [16, 0x8, 0], // INJECT_POISON
  [17, 0x48, 0], // CLEAR_POISON
  [18, 0x10, 0x4], // GET_SCAN_MEDIA_CAPS
  [19, 0x11, 0], // SCAN_MEDIA
  [20, 0, VAR], // GET_SCAN_MEDIA
];

/** The shim's 21-slot table: slot i holds command i (ids 0 and 2 are empty entries). */
function table(): Array<{ id: number; flags: number; sizeIn: number; sizeOut: number }> {
  const out = Array.from({ length: 21 }, () => ({ id: 0, flags: 0, sizeIn: 0, sizeOut: 0 }));
  for (const [id, sizeIn, sizeOut] of COMMANDS) out[id] = { id, flags: 0, sizeIn, sizeOut };
  return out;
}

/** The shim's attr(): first line of the memdev attribute, '' when unreadable. */
function attr(view: SysfsView, memdev: string, name: string): string {
  try {
    const v = view.read(`bus/cxl/devices/${memdev}/${name}`);
    const s = typeof v === 'string' ? v : Buffer.from(v).toString('latin1');
    return s.split('\n')[0] ?? '';
  } catch {
    return '';
  }
}

/** strtoull(attr, NULL, 0) */
function num(view: SysfsView, memdev: string, name: string): bigint {
  return strtoull(attr(view, memdev, name));
}

function putLe(buf: Uint8Array, off: number, v: bigint, bytes: number): void {
  for (let i = 0; i < bytes; i++) buf[off + i] = Number((v >> BigInt(8 * i)) & 0xffn);
}

/** The cxl-mbox-shim.c behaviour over the tree the list runs on. */
export function mboxShim(view: SysfsView): CxlMemIoctl {
  return {
    queryCommands: () => table(),
    send(memdev, cmd) {
      if (cmd.id !== 1) return new Errno('ENOTTY');
      if (cmd.payload.length !== 0 || cmd.sizeOut < IDENTIFY.SIZE) return new Errno('ENOMEM');
      const id = new Uint8Array(IDENTIFY.SIZE);
      const ram = num(view, memdev, 'ram/size');
      const pmem = num(view, memdev, 'pmem/size');
      const fw = Buffer.from(attr(view, memdev, 'firmware_version'), 'latin1').subarray(0, 16);
      id.set(fw, IDENTIFY.FW_REVISION);
      putLe(id, IDENTIFY.TOTAL_CAPACITY, (ram + pmem) / CXL_CAPACITY_MULTIPLIER, 8);
      putLe(id, IDENTIFY.VOLATILE_CAPACITY, ram / CXL_CAPACITY_MULTIPLIER, 8);
      putLe(id, IDENTIFY.PERSISTENT_CAPACITY, pmem / CXL_CAPACITY_MULTIPLIER, 8);
      putLe(id, IDENTIFY.PARTITION_ALIGN, 0n, 8);
      putLe(id, IDENTIFY.LSA_SIZE, num(view, memdev, 'label_storage_size'), 4);
      return { retval: 0, out: id };
    },
  };
}
