/**
 * DOC: the cxl_test mock's hooks inside the cxl core paths (tools/testing/cxl/test/mem.c
 * cxl_mock_mbox_send(), tools/testing/cxl/test/cxl.c mock_cxl_endpoint_parse_cdat()): where the
 * kernel built for cxl_test runs the mock's code instead of the real one. They act only on a
 * mock platform (bus.mock); the mock's sysfs attributes are in ../mock-mem.ts.
 */
import type { Device } from '../../../kernel/device.ts';
import { env } from '../../env.ts';
import { PciDev } from '../../pci/pci-dev.ts';
import { CXL_KVER } from '../kver.ts';
import type { CxlSwitchDecoder } from './decoder.ts';
import type { CxlDevState } from './memdev.ts';
import type { CxlPort } from './port.ts';

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

/**
 * mock_cxl_port_enumerate_dports() (tools/testing/cxl/test/cxl.c, in place of
 * devm_cxl_port_enumerate_dports() for a mock port): it registers the port's dports like the real
 * one but returns 0, not their count, in every version of the mock (v6.1's, the 6.5-era whole
 * file, today's). So on a mock platform cxl_port_probe() never sees "one dport": Linux 6.1's
 * `rc == 1` branch to devm_cxl_add_passthrough_decoder() (whose mock,
 * mock_cxl_add_passthrough_decoder(), would only print "unexpected passthrough decoder for
 * cxl_test" and fail -EOPNOTSUPP) is not taken, and the single-root-port host bridge
 * (cxl_host_bridge.2) gets the mock's HDM decoders like the others. Later kernels ask for the
 * HDM capability first (cxl_switch_port_probe()), which the mock always provides, so the count
 * no longer matters there.
 * @param n the dports the enumeration registered
 * @returns what cxl_port_probe() sees: 0 on a mock platform, else `n`
 */
export function cxlMockPortEnumerateDportsRc(port: CxlPort, n: number): number {
  return env(port).hw.mock ? 0 : n;
}

/** A device's index among its parent's children (registration order). */
const order = (d: Device) => d.parent?.children.indexOf(d) ?? 0;

/**
 * mock_cxl_enumerate_decoders() of the cxl_test mock before Linux 6.3 (tools/testing/cxl/test/
 * cxl.c; 6.3 replaced it with default_mock_decoder() — ways 1 — and the auto region's
 * mock_init_hdm_decoder()), in place of init_hdm_decoder() for a host-bridge or switch port's
 * decoder that is not committed: interleave ways = the decoder's target count
 * (min_not_zero(target_count, 1)), granularity 4096 (SZ_4K), and a target map that
 * map_targets() fills with the ids of the uport's child devices in registration order (the
 * dport ids: root ports below a host bridge, downstream ports below a switch), the remaining
 * slots 0. 6.1's decoder_populate_targets() then resolves all nr_targets slots of that map.
 * @returns the target map to register the decoder with; undefined when the mock does not
 *   apply (not a mock platform, Linux ≥ 6.3, or a committed decoder)
 */
export function cxlMockSwitchDecoderInit(
  port: CxlPort,
  cxld: CxlSwitchDecoder,
  committed: boolean,
): number[] | undefined {
  const e = env(port);
  if (!e.hw.mock || e.since(CXL_KVER.mockHdmDecoderInit) || committed) return undefined;
  // the uport's children are its dports' devices; in registration order (PCI scan order here,
  // platform_device_add() order in the mock: the same)
  const ids = port.dports
    .filter((d) => d.dport instanceof PciDev)
    .sort((a, b) => order(a.dport) - order(b.dport))
    .map((d) => d.portId);
  cxld.interleaveWays = Math.max(cxld.nrTargets, 1);
  cxld.interleaveGranularity = 4096;
  const map = new Array<number>(8).fill(0);
  ids.slice(0, cxld.nrTargets).forEach((id, i) => {
    map[i] = id;
  });
  return map;
}
