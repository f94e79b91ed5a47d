/**
 * DOC: CXL DVSEC layout (drivers/cxl/cxlpci.h; include/uapi/linux/pci_regs.h PCI_DVSEC_CXL_*).
 * Offsets are relative to the DVSEC capability. CXL 3.1 §8.1.
 */

/** PCI_DVSEC_VENDOR_ID_CXL. */
export const PCI_VENDOR_ID_CXL = 0x1e98;
/** PCI extended capability id for DVSEC. */
export const PCI_EXT_CAP_ID_DVSEC = 0x23;
/** PCI extended capability id for DSN (Device Serial Number). */
export const PCI_EXT_CAP_ID_DSN = 0x03;
/** PCI extended capability id for DOE. */
export const PCI_EXT_CAP_ID_DOE = 0x2e;

/** DVSEC ids (CXL 3.1 Table 8-2). */
export const CXL_DVSEC_PCIE_DEVICE = 0;
export const CXL_DVSEC_FUNCTION_MAP = 2;
export const CXL_DVSEC_PORT_EXTENSIONS = 3;
export const CXL_DVSEC_PORT_GPF = 4;
export const CXL_DVSEC_DEVICE_GPF = 5;
export const CXL_DVSEC_PCIE_FLEXBUS_PORT = 7;
export const CXL_DVSEC_REG_LOCATOR = 8;

/** PCIe DVSEC for CXL Device (CXL 3.1 §8.1.3). */
export const CXL_DVSEC_CAP_OFFSET = 0x0a;
export const CXL_DVSEC_MEM_CAPABLE = 1 << 2;
export const CXL_DVSEC_CACHE_CAPABLE = 1 << 0;
export const CXL_DVSEC_HDM_COUNT_SHIFT = 4;
export const CXL_DVSEC_HDM_COUNT_MASK = 0x3 << 4;
export const CXL_DVSEC_CTRL_OFFSET = 0x0c;
export const CXL_DVSEC_MEM_ENABLE = 1 << 2;
export const CXL_DVSEC_LOCK_OFFSET = 0x14;
/** Range i registers: size high/low, base high/low. */
export const cxlDvsecRangeSizeHigh = (i: number) => 0x18 + i * 0x10;
export const cxlDvsecRangeSizeLow = (i: number) => 0x1c + i * 0x10;
export const cxlDvsecRangeBaseHigh = (i: number) => 0x20 + i * 0x10;
export const cxlDvsecRangeBaseLow = (i: number) => 0x24 + i * 0x10;
export const CXL_DVSEC_MEM_INFO_VALID = 1 << 0;
export const CXL_DVSEC_MEM_ACTIVE = 1 << 1;
export const CXL_DVSEC_MEM_SIZE_LOW_MASK = 0xf0000000;

/** Register Locator DVSEC (CXL 3.1 §8.1.9): entries from 0x0c, 8 bytes each. */
export const CXL_DVSEC_REG_LOCATOR_BLOCK1_OFFSET = 0x0c;
export const CXL_DVSEC_REG_LOCATOR_BIR_MASK = 0x7;
export const CXL_DVSEC_REG_LOCATOR_BLOCK_ID_SHIFT = 8;
export const CXL_DVSEC_REG_LOCATOR_BLOCK_ID_MASK = 0xff00;
export const CXL_DVSEC_REG_LOCATOR_BLOCK_OFF_LOW_MASK = 0xffff0000;

/** Register block identifiers (enum cxl_regloc_type). */
export const CXL_REGLOC_RBI_EMPTY = 0;
export const CXL_REGLOC_RBI_COMPONENT = 1;
export const CXL_REGLOC_RBI_VIRT = 2;
export const CXL_REGLOC_RBI_MEMDEV = 3;
export const CXL_REGLOC_RBI_PMU = 4;
