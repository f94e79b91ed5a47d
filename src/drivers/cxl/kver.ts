/**
 * DOC: kernel-version switches of the CXL core outside the region driver (boot-time
 * enumeration, driver definitions, sysfs), one named entry per behaviour with the first kernel
 * version that has it (compare with `env(dev).since()`).
 *
 * Three kernels are checked against captures: 6.1 (debian-12), 6.12 (debian-13) and 7.3
 * (latest, latest-arm64). Where the captures only bound a change (absent in one, present in
 * the next), the entry names the upstream release that introduced it when the history is known
 * and says so otherwise; docs/profiles.md lists each with the capture that shows it.
 */
import type { KernelContext } from '../../kernel/device.ts';
import type { KernelVersion } from '../../profile.ts';
import { env } from '../env.ts';

/** Kernel-behaviour switches of cxl_core / cxl_acpi / cxl_port / cxl_pmem / dax_cxl. */
export const CXL_KVER = {
  /**
   * add_host_bridge_dport()/add_host_bridge_uport() register the root dport and the host-bridge
   * port for `pci_root->bus->bridge` (pciSSSS:BB), not the ACPI0016 device (v6.3, the RCH series).
   */
  hostBridgePciDev: '6.3',
  /** cxl_nvdimm_bridge, cxl_nvdimm and cxl_pmem_region set suppress_bind_attrs (v6.2 pmem rework). */
  pmemSuppressBindAttrs: '6.2',
  /** drivers/dax/cxl.c: the `cxl_dax_region` driver (module dax_cxl, suppress_bind_attrs) (v6.3). */
  daxCxlDriver: '6.3',
  /** bus/cxl/drivers/cxl_port/module → module/cxl_port (absent in the 6.1 capture, present in 6.12). */
  cxlPortModuleLink: '6.12',
  /** cxl_switch_port_probe() reads the switch upstream port's CDAT (read_cdat_data(), v6.8 QoS). */
  switchPortCdat: '6.8',
  /**
   * Switch and host-bridge ports get their dports on demand, when an endpoint below a port
   * attaches (devm_cxl_add_dport_by_dev(), "cxl: Defer dport allocation for switch ports",
   * v6.18); ports without a device below keep no dport. 6.12 enumerates every root/downstream
   * port at cxl_port probe.
   */
  lazyDports: '6.18',
  /**
   * devm_cxl_setup_fw_upload(): the firmware upload device memN/firmware/memN (v6.5,
   * CONFIG_FW_UPLOAD): in the 6.12 and 7.3 captures' sysfs.txt, absent from 6.1's.
   */
  fwUpload: '6.5',
  /**
   * cxl_endpoint_parse_cdat() at endpoint probe and the memdev's `ram/qos_class`,
   * `pmem/qos_class` (struct cxl_dpa_perf, v6.8 QoS series); shown only for a valid class.
   */
  memdevQosClass: '6.8',
  /**
   * add_host_bridge_uport() reports each host bridge on its `pciSSSS:BB` device, "host supports
   * CXL" (a VH host bridge, once its port is added) or "host supports CXL (restricted)" (RCH)
   * (v6.3 with the RCH series; the 6.1 capture logs neither).
   */
  hostSupportsCxlInfo: '6.3',
  /**
   * cxl_nvdimm_probe() sets the device's dirty shutdown state (Set Shutdown State 0x4204) and
   * warns "GPF: could not set dirty shutdown state" when the device refuses (QEMU does not
   * implement the command) (v6.15, GPF dirty shutdown tracking; absent from the 6.12 capture).
   */
  gpfDirtyShutdown: '6.15',
  /**
   * The nvdimm (`pmemN`) of a memdev with persistent capacity is registered by cxl_mem_probe()
   * once the port topology is found (devm_cxl_add_nvdimm(parent_port, cxlmd), "register %s" on
   * the memdev: "cxl_mem mem2: register pmem2" in the latest capture), not by cxl_pci_probe()
   * ("%s: register %s" on the PCI device, the 6.1 capture) — v6.2, "cxl/pmem: Refactor nvdimm
   * device registration". A memdev whose ports cannot be enumerated gets none.
   */
  nvdimmInMemProbe: '6.2',
  /**
   * cxl_acpi_cfmws_verify() accepts XOR interleave arithmetic (with CXIMS) and words a refusal
   * "CFMWS Unknown Interleave Arithmetic: %d" (6.1: modulo only, "CFMWS Unsupported Interleave
   * Arithmetic") (v6.2, "cxl/acpi: Support CXL XOR Interleave Math (CXIMS)").
   */
  cfmwsXorArithmetic: '6.2',
  /** cxl_parse_cfmws() stores the window's QTG ID as the root decoder's `qos_class` (ABI: v6.5). */
  rootDecoderQosClass: '6.5',
  /**
   * cxl_parse_cfmws(): a window target without a root dport leaves the slot empty (6.1 fails the
   * window: "missing root dport").
   */
  rootTargetMissingDportTolerated: '6.3',
  /** cxl_acpi's add_host_bridge_dport(): dev_dbg "UID found: %lld" (absent from the 6.1 dyndbg capture). */
  uidFoundDbg: '6.3',
  /** cxl_get_chbs_iter(): a CXL 2.0 CHBS must be 0x10000 bytes long, else it is skipped. */
  chbsCxl2LengthCheck: '6.15',
  /**
   * cxl_parse_cfmws() messages: dbg "decode range: node: -1 range [...]", err "Failed to add
   * decode range: [...] (%d)" (6.1: "add: decoderX.Y node: -1 range [...]", "Failed to add decode
   * range [...]") — interleave-dyndbg dmesg; docs/profiles.md "CFMWS debug line".
   */
  cfmwsDecodeRangeMsgs: '6.3',
  /**
   * cxl_decoder_add_locked()/decoder_populate_targets(): only `interleave_ways` slots of a switch
   * decoder's target map are resolved and a missing dport leaves its slot empty (6.1: the
   * `nr_targets` slots up to the first missing dport, which fails only an enabled decoder;
   * upstream switched the bound to interleave_ways in d6488fee6647, posted 2023-12-21 for
   * v6.7/v6.8, also in 6.1-stable 6.1.75, which Debian 12's 6.1.192 has) — docs/profiles.md
   * "switch decoder target resolution".
   */
  switchTargetsByWays: '6.3',
  /**
   * cxl_switch_port_probe(): a port with one dport uses its HDM registers when present and falls
   * back to a passthrough decoder only without them (6.1: always passthrough) — the minimal
   * capture's `decoder1.0`; docs/profiles.md "port with exactly one dport".
   */
  singleDportReadsHdm: '6.3',
  /**
   * tools/testing/cxl: mock_init_hdm_decoder() and the mock's idle decoders at 1 way (with
   * region autodiscovery); before it, mock_cxl_enumerate_decoders()/map_targets() give an idle
   * host-bridge or switch decoder ways = its target count and the uport's dports
   * (core/mock-hooks.ts cxlMockSwitchDecoderInit(); the cxl_test preset's auto region).
   */
  mockHdmDecoderInit: '6.3',
  /** cxl_decoder_reset() leaves a locked decoder (CXL_DECODER_F_LOCK) committed (v7.0). */
  lockedDecoderNoReset: '7.0',
  /** devm_cxl_add_port(): the `parent_dport` link (captures; ABI v6.3). */
  parentDportLink: '6.3',
  /** port and endpoint `decoders_committed` (ABI v6.7). */
  decodersCommittedAttr: '6.7',
  /** cxl_probe_component_regs() maps the RAS capability, "found RAS capability" (6.1: "Unknown CM cap ID: 2"; interleave-dyndbg dmesg). */
  rasCapability: '6.2',
  /** cxl_enumerate_cmds(): the driver knows the events, timestamp, sanitize, security and features commands (6.1's smaller list; interleave-dyndbg dmesg). */
  mboxCommandsLatest: '6.2',
  /** The type-2 accelerator API (devm_cxl_add_memdev() for accelerators, cxl_accel) as NVIDIA's 7.0 tree carries it. */
  accelApi: '7.0',
  /**
   * tools/testing/cxl/test/mem.c cxl_mock_mem attributes, each from the upstream release whose
   * mem.c added it (no capture: cxl_test is not captured; history from the mailing-list series):
   * `security_lock` with the mock security commands (v6.2), `event_trigger` with the mock event
   * logs (v6.3), `fw_buf_checksum` with the mock firmware update (v6.5), `sanitize_timeout`
   * with the sanitize notifier test (v6.6). 6.1 has none; 6.12 and 7.3 have all four.
   */
  mockSecurityLock: '6.2',
  mockEventTrigger: '6.3',
  mockFwBufChecksum: '6.5',
  mockSanitizeTimeout: '6.6',
} as const;

/** True when the device's kernel has the behaviour `k`. */
export function cxlKver(
  dev: KernelContext | { ctx: KernelContext },
  k: keyof typeof CXL_KVER,
): boolean {
  return env(dev).since(CXL_KVER[k]);
}

/**
 * The character-device major of /dev/cxl/memN (`dev`, uevent MAJOR=). cxl_core takes a dynamic
 * major (alloc_chrdev_region()), handed out from 254 downwards in registration order, so the
 * value is a property of the distribution kernel's module set and load order, not of the CXL
 * code: 247 on Debian's 6.1, 250 on 6.12, 249 on 7.3 (the captures' `dev` files). No capture
 * exists for 7.0-nvidia-bos: cxlsim shows 7.3's value there.
 */
export const CXL_MEM_MAJOR: Record<KernelVersion, number> = {
  '6.1': 247,
  '6.12': 250,
  '7.3': 249,
  '7.0-nvidia-bos': 249,
};
