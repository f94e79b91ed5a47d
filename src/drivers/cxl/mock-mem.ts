/**
 * DOC: the cxl_test mock memdev's test attribute `event_trigger` (tools/testing/cxl/test/mem.c
 * event_trigger_store()), on a mock platform only. On Linux it belongs to the mock's platform
 * device `cxl_mem.N`; cxlsim's cxl_test memdevs sit on PCI functions, so it is the function's
 * attribute (`/sys/bus/pci/devices/<host>/event_trigger`). Any write refills the device's
 * event logs with the mock's records and the driver drains them (bus.mock, the event interrupt).
 * `fw_buf_checksum` (fw_buf_checksum_show()) is the sha256 of the firmware image the mock last
 * received, as cxl-update-firmware.sh compares it with the file's.
 */
import type { Attribute, AttributeGroup } from '../../kernel/device.ts';
import { env } from '../env.ts';
import type { PciDev } from '../pci/pci-dev.ts';
import type { CxlDevState } from './core/memdev.ts';

const EVENT_TRIGGER: Attribute<PciDev> = {
  name: 'event_trigger',
  mode: 0o200,
  store: (d) => {
    env(d).hw.mock?.eventTrigger(d.segment, d.busNr, d.devfn);
  },
};

/** fw_buf_checksum_show(): sha256 of the firmware the mock received, "%s\n". */
const FW_BUF_CHECKSUM: Attribute<PciDev> = {
  name: 'fw_buf_checksum',
  mode: 0o444,
  show: (d) => `${env(d).hw.mock?.fwBufChecksum(d.segment, d.busNr, d.devfn) ?? ''}\n`,
};

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

/** Adds the mock's attributes to a cxl_pci function when the platform is the cxl_test mock. */
export function cxlMockMemAttrs(pdev: PciDev): void {
  if (!env(pdev).hw.mock) return;
  pdev.groups.push({ attrs: [EVENT_TRIGGER, FW_BUF_CHECKSUM] } as unknown as AttributeGroup);
}
