/**
 * DOC: register layout and emulation masks of the vfio-cxl variant (NVIDIA vfio-cxl series as
 * carried in NVIDIA/NV-Kernels: drivers/vfio/pci/cxl/vfio_cxl_priv.h, include/uapi/cxl/cxl_regs.h;
 * CXL r4.0 §8.1.3 PCIe DVSEC for CXL Devices, §8.2.4.20 HDM Decoder Capability Structure).
 *
 * DVSEC offsets are relative to the CXL Device DVSEC; HDM offsets to the HDM Decoder Capability
 * (inside the CXL.mem area that starts 0x1000 into the component register block). 16-bit DVSEC
 * registers, 32-bit HDM registers; masks are plain unsigned numbers.
 */

/** PCI_VENDOR_ID_CXL / PCI_DVSEC_VENDOR_ID_CXL. */
export const PCI_VENDOR_ID_CXL = 0x1e98;
/** PCI_EXT_CAP_ID_DVSEC. */
export const PCI_EXT_CAP_ID_DVSEC = 0x23;
/** PCI_EXT_CAP_ID_DSN (Device Serial Number). */
export const PCI_EXT_CAP_ID_DSN = 0x03;
/** DVSEC ids (CXL r4.0 Table 8-2). */
export const DVSEC_CXL_DEVICE = 0;
export const DVSEC_FLEXBUS_PORT = 7;
export const DVSEC_REG_LOCATOR = 8;
/** PCI_CLASS_MEMORY_CXL (class 0x0502, any prog-if): type-3 memory expanders are not ours. */
export const PCI_CLASS_MEMORY_CXL = 0x0502;

/** PCIe DVSEC for CXL Devices registers (offsets from the DVSEC) — CXL r4.0 §8.1.3. */
export const DVSEC = {
  HEADER1: 0x04,
  HEADER2: 0x08,
  CAP: 0x0a,
  CTRL: 0x0c,
  STATUS: 0x0e,
  CTRL2: 0x10,
  STATUS2: 0x12,
  LOCK: 0x14,
  CAP2: 0x16,
  RANGE1_SIZE_HI: 0x18,
  RANGE1_SIZE_LO: 0x1c,
  RANGE1_BASE_HI: 0x20,
  RANGE1_BASE_LO: 0x24,
  RANGE2_SIZE_HI: 0x28,
  RANGE2_SIZE_LO: 0x2c,
  RANGE2_BASE_HI: 0x30,
  RANGE2_BASE_LO: 0x34,
  CAP3: 0x38,
} as const;

/** DVSEC CXL Capability (§8.1.3.1): HwInit. */
export const CAP_CACHE_CAPABLE = 1 << 0;
export const CAP_IO_CAPABLE = 1 << 1;
export const CAP_MEM_CAPABLE = 1 << 2;
export const CAP_MEM_HWINIT_MODE = 1 << 3;
export const CAP_HDM_COUNT_SHIFT = 4;
export const CAP_HDM_COUNT_MASK = 0x3 << 4;
export const CAP_CACHE_WBI_CAPABLE = 1 << 6;
export const CAP_CXL_RESET_CAPABLE = 1 << 7;
export const CAP_CXL_RESET_MEM_CLR_CAPABLE = 1 << 11;
export const CAP_VIRAL_CAPABLE = 1 << 14;

/** DVSEC CXL Control (§8.1.3.2): RWL, locked by CONFIG_LOCK. */
export const CTRL_CACHE_ENABLE = 1 << 0;
export const CTRL_IO_ENABLE = 1 << 1;
export const CTRL_MEM_ENABLE = 1 << 2;
export const CTRL_P2P_MEM_ENABLE = 1 << 12;
export const CTRL_VIRAL_ENABLE = 1 << 14;
/** CXL_CTRL_RESERVED_MASK: bits 13 and 15 are RsvdP and always discarded. */
export const CTRL_RESERVED_MASK = (1 << 13) | (1 << 15);

/** DVSEC CXL Status (§8.1.3.3): bit 14 Viral_Status RW1C, bits 13:0 and 15 RsvdZ. */
export const STATUS_VIRAL = 1 << 14;

/** DVSEC CXL Control2 (§8.1.3.4). */
export const CTRL2_DISABLE_CACHING = 1 << 0;
export const CTRL2_INITIATE_CACHE_WBI = 1 << 1;
export const CTRL2_INITIATE_CXL_RESET = 1 << 2;
export const CTRL2_CXL_RESET_MEM_CLR = 1 << 3;
export const CTRL2_DESIRED_VOLATILE_HDM = 1 << 4;
export const CTRL2_MOD_COMPLETION_ENABLE = 1 << 5;
/** CXL_CTRL2_RESERVED_MASK (15:6). */
export const CTRL2_RESERVED_MASK = 0xffc0;
/** CXL_CTRL2_HW_BITS_MASK: the doorbells, never stored in the shadow (read 0). */
export const CTRL2_HW_BITS_MASK = CTRL2_INITIATE_CACHE_WBI | CTRL2_INITIATE_CXL_RESET;

/** DVSEC CXL Status2 (§8.1.3.5). */
export const STATUS2_CACHE_INVALID = 1 << 0;
export const STATUS2_CXL_RESET_COMPLETE = 1 << 1;
export const STATUS2_CXL_RESET_ERROR = 1 << 2;
export const STATUS2_VOLATILE_HDM_PRES_ERROR = 1 << 3;
export const STATUS2_PM_INIT_COMPLETION = 1 << 15;

/** DVSEC CXL Lock (§8.1.3.6): bit 0 CONFIG_LOCK RWO, bits 15:1 RsvdP. */
export const LOCK_CONFIG_LOCK = 1 << 0;
export const LOCK_RESERVED_MASK = 0xfffe;

/** DVSEC CXL Capability2 (§8.1.3.7): Modified Completion capable gates Control2 bit 5. */
export const CAP2_MOD_COMPLETION_CAPABLE = 1 << 6;
/** DVSEC CXL Capability3 (§8.1.3.14): gates Control2 bit 4 / Status2 bit 3, Control bit 12. */
export const CAP3_VOLATILE_HDM_CONFIGURABILITY = 1 << 3;
export const CAP3_P2P_MEM_CAPABLE = 1 << 4;

/** Range Size Low: Memory_Info_Valid, Memory_Active; size/base low registers keep bits 31:28. */
export const RANGE_MEM_INFO_VALID = 1 << 0;
export const RANGE_MEM_ACTIVE = 1 << 1;
/** CXL_BASE_LO_RESERVED_MASK (27:0). */
export const RANGE_BASE_LO_RESERVED_MASK = 0x0fffffff;

/** Component register block layout (CXL r4.0 §8.2.3). */
export const CXL_CM_OFFSET = 0x1000;
export const CXL_COMPONENT_REG_BLOCK_SIZE = 0x10000;
/** CXL Capability Header: ID 1; capability headers: id [15:0], pointer [31:20]. */
export const CM_CAP_HDR_CAP_ID = 1;
export const CM_CAP_ID_HDM = 5;

/** HDM Decoder Capability registers (offsets from the HDM capability) — CXL r4.0 §8.2.4.20. */
export const HDM_CAP = 0x00;
export const HDM_GLOBAL_CTRL = 0x04;
export const HDM_FIRST_DECODER = 0x10;
export const HDM_DECODER_STRIDE = 0x20;
/** Per-decoder register offsets from the decoder's block. */
export const HDM_N = {
  BASE_LO: 0x00,
  BASE_HI: 0x04,
  SIZE_LO: 0x08,
  SIZE_HI: 0x0c,
  CTRL: 0x10,
  TL_LO: 0x14,
  TL_HI: 0x18,
  RSVD: 0x1c,
} as const;
/** Decoder n register offset (from the HDM capability). */
export const hdmReg = (n: number, reg: number) => HDM_FIRST_DECODER + n * HDM_DECODER_STRIDE + reg;

/** HDM Decoder Capability bits used by the emulation. */
export const HDM_CAP_DECODER_COUNT_MASK = 0xf;
export const HDM_CAP_POISON_ON_DECODE_ERR = 1 << 10;
export const HDM_CAP_UIO_CAPABLE = 1 << 13;
/** Global Control: bit 0 Poison On Decode Error Enable, bit 1 HDM Decoder Enable, 31:2 reserved. */
export const GLOBAL_POISON_EN = 1 << 0;
export const GLOBAL_HDM_ENABLE = 1 << 1;
export const GLOBAL_RESERVED_MASK = 0xfffffffc;

/** Decoder n Control bits (§8.2.4.20.7). */
export const HDM_CTRL_IG_MASK = 0xf;
export const HDM_CTRL_IW_MASK = 0xf0;
export const HDM_CTRL_LOCK = 1 << 8;
export const HDM_CTRL_COMMIT = 1 << 9;
export const HDM_CTRL_COMMITTED = 1 << 10;
export const HDM_CTRL_ERR = 1 << 11;
export const HDM_CTRL_HOSTONLY = 1 << 12;
/** CXL_HDM_DECODER_CTRL_RO_BITS_MASK: COMMITTED and ERR belong to the emulation. */
export const HDM_CTRL_RO_BITS = HDM_CTRL_COMMITTED | HDM_CTRL_ERR;
/** CXL_HDM_DECODER_CTRL_DEVICE_BITS_RO: the target device type is the device's (HwInit). */
export const HDM_CTRL_DEVICE_BITS_RO = HDM_CTRL_HOSTONLY;
/** CXL_HDM_DECODER_CTRL_RESERVED_MASK: bit 15 and 31:28. */
export const HDM_CTRL_RESERVED = ((1 << 15) | 0xf0000000) >>> 0;
/** CXL_HDM_DECODER_CTRL_DEVICE_RESERVED: UIG/UIW (23:16) are for switches and host bridges. */
export const HDM_CTRL_DEVICE_RESERVED = 0x00ff0000;
/** CXL_HDM_DECODER_CTRL_UIO_RESERVED: UIO (14) and ISP (27:24) without UIO capability. */
export const HDM_CTRL_UIO_RESERVED = ((1 << 14) | 0x0f000000) >>> 0;
/** CXL_HDM_DECODER_CTRL_BI_RESERVED: BI (13) on a device without CXL.cache. */
export const HDM_CTRL_BI_RESERVED = 1 << 13;
/** Base/size low: bits 27:0 reserved (CXL_HDM_DECODER_BASE_LO_RESERVED_MASK). */
export const HDM_LO_RESERVED_MASK = 0x0fffffff;

/** VFIO UAPI of the series (include/uapi/linux/vfio.h additions). */
export const VFIO_DEVICE_FLAGS_PCI = 1 << 1;
/** VFIO_DEVICE_FLAGS_CXL (bit 9, as the series numbers it). */
export const VFIO_DEVICE_FLAGS_CXL = 1 << 9;
/** VFIO_DEVICE_INFO_CAP_CXL: capability id 6, version 1. */
export const VFIO_DEVICE_INFO_CAP_CXL = 6;
export const VFIO_CXL_CAP_FIRMWARE_COMMITTED = 1 << 0;
export const VFIO_CXL_CAP_CACHE_CAPABLE = 1 << 1;
/** Region type PCI_VENDOR_ID_CXL | VFIO_REGION_TYPE_PCI_VENDOR_TYPE and its subtypes. */
export const VFIO_REGION_TYPE_PCI_VENDOR_TYPE = 1 << 31;
export const VFIO_REGION_SUBTYPE_CXL = 1;
export const VFIO_REGION_SUBTYPE_CXL_COMP_REGS = 2;
export const VFIO_REGION_INFO_FLAG_READ = 1 << 0;
export const VFIO_REGION_INFO_FLAG_WRITE = 1 << 1;
export const VFIO_REGION_INFO_FLAG_MMAP = 1 << 2;
/** VFIO_PCI_NUM_REGIONS: BAR0-5, ROM, config, VGA; device regions are numbered after them. */
export const VFIO_PCI_NUM_REGIONS = 9;
