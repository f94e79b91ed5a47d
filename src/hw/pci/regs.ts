/**
 * DOC: PCI / PCIe configuration register offsets and IDs (include/uapi/linux/pci_regs.h,
 * PCI Local Bus 3.0 §6, PCIe 6.0 §7). Only what the emulated CXL functions use.
 */

/** Type 0/1 common header. */
export const PCI = {
  VENDOR_ID: 0x00,
  DEVICE_ID: 0x02,
  COMMAND: 0x04,
  STATUS: 0x06,
  REVISION_ID: 0x08,
  CLASS_PROG: 0x09,
  CACHE_LINE_SIZE: 0x0c,
  LATENCY_TIMER: 0x0d,
  HEADER_TYPE: 0x0e,
  BAR0: 0x10,
  SUBSYSTEM_VENDOR_ID: 0x2c,
  SUBSYSTEM_ID: 0x2e,
  CAPABILITY_LIST: 0x34,
  INTERRUPT_LINE: 0x3c,
  INTERRUPT_PIN: 0x3d,
  /** Type 1 (bridge) header. */
  PRIMARY_BUS: 0x18,
  SECONDARY_BUS: 0x19,
  SUBORDINATE_BUS: 0x1a,
  SEC_LATENCY_TIMER: 0x1b,
  IO_BASE: 0x1c,
  IO_LIMIT: 0x1d,
  SEC_STATUS: 0x1e,
  MEMORY_BASE: 0x20,
  MEMORY_LIMIT: 0x22,
  PREF_MEMORY_BASE: 0x24,
  PREF_MEMORY_LIMIT: 0x26,
  PREF_BASE_UPPER32: 0x28,
  PREF_LIMIT_UPPER32: 0x2c,
  BRIDGE_CONTROL: 0x3e,
} as const;

export const COMMAND = {
  IO: 0x1,
  MEMORY: 0x2,
  MASTER: 0x4,
  PARITY: 0x40,
  SERR: 0x100,
  INTX_DISABLE: 0x400,
} as const;

export const STATUS = {
  INTERRUPT: 0x8,
  CAP_LIST: 0x10,
  /** RW1C error bits (PARITY, SIG/REC TARGET ABORT, REC MASTER ABORT, SIG SERR, DETECTED PARITY). */
  W1C: 0x0100 | 0x0800 | 0x1000 | 0x2000 | 0x4000 | 0x8000,
} as const;

/** Header type values (bit 7 = multi-function). */
export const HEADER_TYPE = { NORMAL: 0x00, BRIDGE: 0x01, MULTI_FUNCTION: 0x80 } as const;

/** BAR type bits. */
export const BAR = {
  SPACE_IO: 0x1,
  MEM_TYPE_64: 0x4,
  MEM_PREFETCH: 0x8,
} as const;

/** Capability IDs (legacy list). */
export const CAP_ID = { MSI: 0x05, SSVID: 0x0d, EXP: 0x10, MSIX: 0x11 } as const;

/** Extended capability IDs. */
export const EXT_CAP_ID = {
  ERR: 0x0001,
  DSN: 0x0003,
  ACS: 0x000d,
  DVSEC: 0x0023,
  DOE: 0x002e,
} as const;

/** Class codes (class << 16 | subclass << 8 | prog-if). */
export const CLASS = {
  BRIDGE_PCI: 0x060400,
  /** CXL memory device (type-3): memory controller / CXL, prog-if 0x10. */
  MEMORY_CXL: 0x050210,
  /** Processing accelerator. */
  ACCELERATOR: 0x120000,
  /** Serial bus / other — QEMU's switch mailbox CCI. */
  SERIAL_OTHER: 0x0c0b00,
} as const;

/** Vendor/device IDs QEMU uses for the CXL functions (k->vendor_id/device_id). */
export const IDS = {
  /** cxl-rp (hw/pci-bridge/cxl_root_port.c). */
  ROOT_PORT: { vendor: 0x8086, device: 0x7075, revision: 0 },
  /** cxl-upstream (Huawei). */
  USP: { vendor: 0x19e5, device: 0xa128, revision: 0 },
  /** cxl-downstream (Huawei). */
  DSP: { vendor: 0x19e5, device: 0xa129, revision: 0 },
  /** cxl-switch-mailbox-cci (Huawei). */
  SWITCH_CCI: { vendor: 0x19e5, device: 0xa123, revision: 0 },
  /** cxl-type3 (Intel 0x0d93, revision 1). */
  TYPE3: { vendor: 0x8086, device: 0x0d93, revision: 1 },
  /** QEMU's default subsystem vendor/device for type-0 functions (Red Hat, QEMU). */
  SUBSYSTEM: { vendor: 0x1af4, device: 0x1100 },
} as const;

/** PCIe capability register offsets (relative to the capability). */
export const EXP = {
  FLAGS: 0x02,
  DEVCAP: 0x04,
  DEVCTL: 0x08,
  DEVSTA: 0x0a,
  LNKCAP: 0x0c,
  LNKCTL: 0x10,
  LNKSTA: 0x12,
  SLTCAP: 0x14,
  SLTCTL: 0x18,
  SLTSTA: 0x1a,
  RTCTL: 0x1c,
  RTCAP: 0x1e,
  RTSTA: 0x20,
  DEVCAP2: 0x24,
  DEVCTL2: 0x28,
  LNKCAP2: 0x2c,
  LNKCTL2: 0x30,
  LNKSTA2: 0x32,
  SIZEOF: 0x3c,
} as const;

/** PCIe Device/Port Type field values. */
export const EXP_TYPE = { ENDPOINT: 0, ROOT_PORT: 4, UPSTREAM: 5, DOWNSTREAM: 6 } as const;
