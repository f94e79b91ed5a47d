/**
 * DOC: the memdev character device interface libcxl uses (/dev/cxl/memN ioctls).
 *
 * include/uapi/linux/cxl_mem.h: CXL_MEM_QUERY_COMMANDS returns the kernel's command table,
 * CXL_MEM_SEND_COMMAND runs one command by id (enum cxl_mem_command_id). The list emulation only
 * needs the read-only commands: IDENTIFY, GET_PARTITION_INFO, GET_HEALTH_INFO, GET_ALERT_CONFIG and
 * GET_FW_INFO. Payload layouts are those of ndctl's cxl/lib/private.h (little endian, packed) and
 * the CXL specification's mailbox commands (CXL 3.1 §8.2.9.9).
 */
import type { Errno } from '../../kernel/errno.ts';

/** The memdev ioctls as libcxl sees them. */
export interface CxlMemIoctl {
  /** CXL_MEM_QUERY_COMMANDS for /dev/cxl/<memdev>; an Errno (e.g. ENOTTY) when the ioctl fails. */
  queryCommands(
    memdev: string,
  ): Array<{ id: number; flags: number; sizeIn: number; sizeOut: number }> | Errno;
  /** CXL_MEM_SEND_COMMAND: id from enum cxl_mem_command_id (include/uapi/linux/cxl_mem.h), raw opcode for RAW; returns the mailbox return code and output payload. */
  send(
    memdev: string,
    cmd: { id: number; opcode?: number; payload: Uint8Array; sizeOut: number },
  ): { retval: number; out: Uint8Array } | Errno;
}

/** enum cxl_mem_command_id (include/uapi/linux/cxl_mem.h, Linux 6.1). */
export const CXL_MEM_COMMAND_ID = {
  INVALID: 0,
  IDENTIFY: 1,
  RAW: 2,
  GET_SUPPORTED_LOGS: 3,
  GET_FW_INFO: 4,
  GET_PARTITION_INFO: 5,
  GET_LSA: 6,
  GET_HEALTH_INFO: 7,
  GET_LOG: 8,
  SET_PARTITION_INFO: 9,
  SET_LSA: 10,
  GET_ALERT_CONFIG: 11,
  SET_ALERT_CONFIG: 12,
  GET_SHUTDOWN_STATE: 13,
  SET_SHUTDOWN_STATE: 14,
  GET_POISON: 15,
  INJECT_POISON: 16,
  CLEAR_POISON: 17,
  GET_SCAN_MEDIA_CAPS: 18,
  SCAN_MEDIA: 19,
  GET_SCAN_MEDIA: 20,
  MAX: 21,
} as const;

/** Capacity fields count 256 MiB units (CXL_CAPACITY_MULTIPLIER). */
export const CXL_CAPACITY_MULTIPLIER = 256n << 20n;

/** Identify Memory Device output (CXL 3.1 §8.2.9.9.1.1), as struct cxl_cmd_identify. */
export const IDENTIFY = {
  FW_REVISION: 0x00, // char[16]
  TOTAL_CAPACITY: 0x10, // le64, 256 MiB units
  VOLATILE_CAPACITY: 0x18,
  PERSISTENT_CAPACITY: 0x20,
  PARTITION_ALIGN: 0x28,
  LSA_SIZE: 0x38, // le32, bytes
  SIZE: 0x43,
} as const;

/** Get Partition Info output (CXL 3.1 §8.2.9.9.2.1), le64 fields in 256 MiB units. */
export const PARTITION_INFO = {
  ACTIVE_VOLATILE: 0x00,
  ACTIVE_PERSISTENT: 0x08,
  NEXT_VOLATILE: 0x10,
  NEXT_PERSISTENT: 0x18,
  SIZE: 0x20,
} as const;

/** Get Health Info output (CXL 3.1 §8.2.9.9.3.1), as struct cxl_cmd_get_health_info. */
export const HEALTH_INFO = {
  HEALTH_STATUS: 0x00, // u8
  MEDIA_STATUS: 0x01, // u8
  EXT_STATUS: 0x02, // u8
  LIFE_USED: 0x03, // u8, 0xff = not implemented
  TEMPERATURE: 0x04, // le16, 0xffff = not implemented
  DIRTY_SHUTDOWNS: 0x06, // le32
  VOLATILE_ERRORS: 0x0a, // le32
  PMEM_ERRORS: 0x0e, // le32
  SIZE: 0x12,
} as const;

/** Get Alert Configuration output (CXL 3.1 §8.2.9.9.3.2), as struct cxl_cmd_get_alert_config. */
export const ALERT_CONFIG = {
  VALID_ALERTS: 0x00, // u8
  PROGRAMMABLE_ALERTS: 0x01, // u8
  LIFE_USED_CRIT: 0x02, // u8
  LIFE_USED_PROG_WARN: 0x03, // u8
  OVER_TEMP_CRIT: 0x04, // le16
  UNDER_TEMP_CRIT: 0x06,
  OVER_TEMP_PROG_WARN: 0x08,
  UNDER_TEMP_PROG_WARN: 0x0a,
  CORR_VOLATILE_PROG_WARN: 0x0c,
  CORR_PMEM_PROG_WARN: 0x0e,
  SIZE: 0x10,
} as const;

/** Get FW Info output (CXL 3.1 §8.2.9.3.1), as struct cxl_cmd_get_fw_info. */
export const FW_INFO = {
  NUM_SLOTS: 0x00, // u8
  SLOT_INFO: 0x01, // u8: [2:0] active slot, [5:3] staged slot
  ACTIVATION_CAP: 0x02, // u8: bit 0 online activation
  SLOT_REVISION: 0x10, // char[16] × 4
  SIZE: 0x50,
} as const;

/** Little-endian unsigned field of `bytes` bytes at `off` (zero beyond the buffer). */
export function leField(buf: Uint8Array, off: number, bytes: number): bigint {
  let v = 0n;
  for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[off + i] ?? 0);
  return v;
}

/** NUL-terminated string in a fixed-size char array. */
export function cString(buf: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    const c = buf[off + i] ?? 0;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}
