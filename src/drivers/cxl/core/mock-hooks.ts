/**
 * DOC: the cxl_test mock's hooks inside the cxl core paths (tools/testing/cxl/test/mem.c
 * cxl_mock_mbox_send(), tools/testing/cxl/test/cxl.c mock_cxl_endpoint_parse_cdat()): where the
 * kernel built for cxl_test runs the mock's code instead of the real one. They act only on a
 * mock platform (bus.mock); the mock's sysfs attributes are in ../mock-mem.ts.
 */
import { env } from '../../env.ts';
import type { PciDev } from '../../pci/pci-dev.ts';
import type { CxlDevState } from './memdev.ts';

/** FAKE_QTG_ID of tools/testing/cxl/test/cxl.c: the mock's QTG and every DPA range's qos_class. */
export const CXL_TEST_FAKE_QTG_ID = 42;

/**
 * mock_cxl_endpoint_parse_cdat() (in place of cxl_endpoint_parse_cdat() on the mock): each
 * partition with capacity gets dpa_perf_setup()'s qos_class FAKE_QTG_ID. Off a mock platform
 * nothing is set: QEMU's ACPI has no QTG _DSM, so the kernel finds no class (the latest
 * captures show no `ram/qos_class` / `pmem/qos_class`). @returns whether the mock handled it
 */
export function cxlMockEndpointParseCdat(pdev: PciDev, cxlds: CxlDevState): boolean {
  if (!env(pdev).hw.mock) return false;
  if (cxlds.ram.size > 0n) cxlds.ramQosClass = CXL_TEST_FAKE_QTG_ID;
  if (cxlds.pmem.size > 0n) cxlds.pmemQosClass = CXL_TEST_FAKE_QTG_ID;
  return true;
}

/** CXL_MBOX_OP_TRANSFER_FW. */
const OP_TRANSFER_FW = 0x0201;

/**
 * The time the cxl_test mock's mbox_send sleeps in a command, ms: mock_transfer_fw() ends with
 * usleep_range(1500, 2000) (taken as 2 ms); other commands, and every command off a mock
 * platform, take no time. The mailbox caller sleeps it after ringing the doorbell.
 */
export function cxlMockMboxDelayMs(pdev: PciDev, opcode: number): number {
  return opcode === OP_TRANSFER_FW && env(pdev).hw.mock ? 2 : 0;
}
