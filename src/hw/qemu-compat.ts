/**
 * DOC: QEMU version switches of the emulated CXL platform — one named entry per behaviour with
 * the first QEMU release that has it (compare with {@link qemuAtLeast}).
 *
 * Three QEMU versions are checked against captures: 7.2 (debian-12), 10.0 (debian-13) and 11.1
 * (latest, latest-arm64). docs/profiles.md lists each entry with the capture that shows it.
 * Entries whose first release is not pinned say "between 7.2 and 10.0": the debian-12 capture
 * (7.2) lacks the behaviour and the debian-13 one (10.0) has it; they are switched at 10.0.
 */
import { type QemuVersion, qemuAtLeast } from '../profile.ts';

/** QEMU-behaviour switches. */
export const QEMU_COMPAT = {
  /**
   * The type-3 mailbox implements Sanitize (0x4400, a background command) and lists it in the
   * CEL (hw/cxl/cxl-mailbox-utils.c cmd_sanitize_overwrite, QEMU 8.2); with a 6.5+ kernel the
   * memdev gets `security/sanitize` (0200).
   */
  sanitizeCommand: '8.2',
  /**
   * Get/Set Alert Configuration 0x4201/0x4202: not in 10.0 (debian-13 captures: ndctl 81's
   * `cxl list -vvv` has no alert_config), present in 11.1 (latest captures: QEMU's defaults
   * 75/40/35/10/25/20). First release 10.1.
   */
  alertConfig: '10.1',
  /** cxl-rp: MSI (2 vectors, interrupts_init before the PCIe capability) and the AER
   *  interrupt message number 1 in Root Error Status (between 7.2 and 10.0). */
  rootPortMsi: '10.0',
  /** Ports and endpoints advertise link speed/width (root port 64 GT/s x32, switch ports
   *  64 GT/s x16, endpoints 32 GT/s x16) and a bridge's link status mirrors the device below
   *  (between 7.2 and 10.0; 7.2 reports 2.5 GT/s x1 or nothing). */
  pcieLinkSpeedWidth: '10.0',
  /**
   * cxl-rp without io-reserve: I/O decode (Command bit 0) is read-only (between 7.2 and 10.0).
   * cxl_rp_realize() clears the I/O window's write mask too, but the 10.0 and 11.1 captures
   * read I/O Base 0xf0 (a disabled window the firmware wrote), so the window stays writable
   * here: the capture wins.
   */
  rootPortNoIo: '10.0',
  /** CXL r3.x register layouts: revision 2 Flex Bus Port DVSEC (0x20 bytes), revision 3 CXL
   *  Device DVSEC (0x3c), a Flex Bus Port DVSEC on type-3 devices, RAS capability version 3 and
   *  the larger snoop capability offset (between 7.2 and 10.0). */
  r3Layouts: '10.0',
  /** Type-3 and type-2 endpoints: AER and device error reporting, 8 MSI-X vectors (7.2: 1)
   *  (between 7.2 and 10.0). */
  endpointAerMsix: '10.0',
  /** pc_memory_init() leaves out a CXL fixed memory window past the CPU's physical address
   *  limit (7.2 places every window) (between 7.2 and 10.0). */
  windowPhysLimit: '10.0',
  /** HDM decoder COMMIT validated per the spec (Error Not Committed on bad IW/IG/order); 7.2 is
   *  modelled as the captures' stack behaves: COMMITTED without checks (between 7.2 and 10.0). */
  hdmCommitChecks: '10.0',
  /** Four HDM decoders per component (7.2: one); type-3 decoders take the wide IW/IG set
   *  (between 7.2 and 10.0). */
  hdmFourDecoders: '10.0',
  /** pxb-cxl `hdm_for_passthrough`: a host bridge with one root port may keep HDM decoders
   *  (between 7.2 and 10.0). */
  hdmForPassthrough: '10.0',
  /** CXL r3.1 link capability size in the cachemem area (0x50; 7.2: 0x38), moving the HDM
   *  capability to 0x128 (QEMU 9.0). */
  linkCapR31: '9.0',
  /** Device Status capability version 2 (7.2: 1) (between 7.2 and 10.0). */
  deviceStatusV2: '10.0',
  /**
   * Every PCIe function advertises Extended Tag Field Supported (DevCap bit 5): pcie_cap_init()
   * under the `x-pcie-ext-tag` property (hw/pci/pci.c), off for machines ≤ 9.1 (hw_compat_9_1).
   */
  pcieExtTag: '9.2',
  /**
   * AER Uncorrectable Error Mask resets to PCI_ERR_UNC_MASK_DEFAULT (Uncorrectable Internal
   * Error | TLP Prefix Blocked, 0x02400000): pcie_aer_init() under `x-pcie-err-unc-mask`
   * (hw/pci/pcie_aer.c), off for machines ≤ 7.2 (hw_compat_7_2).
   */
  aerUncMaskDefault: '8.0',
  /**
   * A slot's Power Indicator resets to Off even when populated (pcie_cap_slot_reset(),
   * hw/pci/pcie.c, commit "pcie: set power indicator to off on reset by default", QEMU 8.0).
   */
  slotPowerIndicatorOff: '8.0',
  /**
   * cxl-upstream: the Device Serial Number slot (`sn=`) is always reserved, so the DVSECs start
   * at CXL_UPSTREAM_PORT_DVSEC_OFFSET = AER + PCI_ERR_SIZEOF + PCI_EXT_CAP_DSN_SIZEOF (0x154)
   * with or without a serial number (cxl_usp_realize(), hw/pci-bridge/cxl_upstream.c, the
   * serial-number patch of the 8.2 cycle; 7.2 captures: 0x148, 10.0: 0x154).
   */
  uspSerialNumberSlot: '8.2',
  /**
   * AER Correctable Error Mask resets to 0xc000 (Advisory Non-Fatal unmasked; 10.0: 0xe000,
   * PCI_ERR_COR_MASK_DEFAULT) on every function. Derived from the captures (debian-13 vs
   * latest/latest-arm64); the QEMU change was not located in the source, so this is pinned at
   * 11.1 ("between 10.0 and 11.1").
   */
  aerCorAdvNonFatalUnmasked: '11.1',
  /**
   * cxl-type3: the CDAT DOE capability follows the DVSECs (0x19c, after the 0x20-byte Flex Bus
   * Port DVSEC at 0x17c); in 10.0 it sits at the fixed 0x190 of ct3_realize() (hw/mem/
   * cxl_type3.c), overlapping the Flex Bus DVSEC's last 12 bytes. From the captures
   * (between 10.0 and 11.1).
   */
  type3DoeAfterDvsecs: '11.1',
  /**
   * CXL root and downstream ports run in 256B flit mode: Flex Bus Port DVSEC status without
   * 68B Flit and VH Enabled (0x06; build_dvsecs() of cxl_root_port.c / cxl_downstream.c wrote
   * 0x26) and, with nothing below, PCIe Link Status 2 Flit Mode Status (bit 10) set. From the
   * captures (between 10.0 and 11.1); a port with a device below mirrors the device's link.
   */
  portFlitMode: '11.1',
} as const;

/**
 * pcie_aer_init() options of a QEMU version (hw/pci/pcie_aer.c): the Uncorrectable and
 * Correctable Error Mask reset values. `multiHeader` false for functions without aer_log_max.
 */
export function aerOptions(
  q: QemuVersion,
  multiHeader = true,
): { uncMaskDefault: boolean; corAdvNonFatalUnmasked: boolean; multiHeader: boolean } {
  return {
    uncMaskDefault: qemuHas(q, 'aerUncMaskDefault'),
    corAdvNonFatalUnmasked: qemuHas(q, 'aerCorAdvNonFatalUnmasked'),
    multiHeader,
  };
}

/** True when QEMU `q` has the behaviour `k`. */
export function qemuHas(q: QemuVersion, k: keyof typeof QEMU_COMPAT): boolean {
  return qemuAtLeast(q, QEMU_COMPAT[k]);
}
