/**
 * DOC: PCI / PCIe capabilities as QEMU initialises them (hw/pci/pcie.c, msi.c, msix.c,
 * pcie_aer.c, pci_bridge.c). Each function mirrors one QEMU init function: it adds the
 * capability, fills its reset value and opens the bits QEMU makes writable or RW1C.
 */

import type { MmioRegion } from '../mmio-region.ts';
import { slabDwords } from '../slab.ts';
import type { PciConfigSpace } from './config-space.ts';
import { CAP_ID, EXP, EXT_CAP_ID } from './regs.ts';

/** Link speed codes (LNKCAP Max Link Speed / LNKSTA Current Link Speed). */
export const LINK_SPEED = { GT2_5: 1, GT5: 2, GT8: 3, GT16: 4, GT32: 5, GT64: 6 } as const;

/** A link as QEMU describes it; speed 0 / width 0 reproduce QEMU 7.2's unset slot props. */
export interface LinkParams {
  speed: number;
  width: number;
}

/**
 * pcie_cap_init() (v2) with pcie_cap_v1_fill(): Device/Port Type, DevCap RBER (+ Extended Tag
 * Field Supported with `extTag`, QEMU_COMPAT.pcieExtTag), LnkCap (port number, ASPM L0s, x1,
 * 2.5 GT/s), LnkSta x1 2.5 GT/s, DevCap2 EFF | EETLPP.
 * @returns the capability offset
 */
export function pcieCapInit(
  cs: PciConfigSpace,
  offset: number,
  type: number,
  port: number,
  opts: { extTag?: boolean } = {},
): number {
  const pos = cs.addCapability(CAP_ID.EXP, offset, EXP.SIZEOF);
  cs.set16(pos + EXP.FLAGS, ((type << 4) & 0xf0) | 2);
  cs.set32(pos + EXP.DEVCAP, 0x8000 | (opts.extTag ? 0x20 : 0));
  cs.set32(pos + EXP.LNKCAP, ((port & 0xff) << 24) | 0x400 | (1 << 4) | LINK_SPEED.GT2_5);
  cs.set16(pos + EXP.LNKSTA, (1 << 4) | LINK_SPEED.GT2_5);
  cs.set32(pos + EXP.DEVCAP2, 0x100000 | 0x200000);
  cs.setMask16(pos + EXP.DEVCTL2, 0x8000); // EETLPPB
  return pos;
}

/**
 * pcie_cap_fill_lnk(): advertises `link` in LnkCap (and, as pcie_cap_fill_link_ep_usp() does
 * for endpoints/USPs, LnkSta); > 2.5 GT/s adds Target Link Speed, > 5 GT/s the Supported Link
 * Speeds vector of LnkCap2. Only downstream-facing ports (`setStatus` false) get DLLLARC and
 * LBNC (> 2.5 GT/s or wider than x1): the 10.0/11.1 captures' endpoints and upstream ports
 * have neither.
 */
export function pcieFillLink(
  cs: PciConfigSpace,
  pos: number,
  link: LinkParams,
  setStatus: boolean,
): void {
  const cap = cs.get32(pos + EXP.LNKCAP) & ~0x3ff;
  let lnkcap = cap | ((link.width & 0x3f) << 4) | (link.speed & 0xf);
  if (!setStatus && (link.width > 1 || link.speed > LINK_SPEED.GT2_5)) lnkcap |= 0x200000; // LBNC
  if (link.speed > LINK_SPEED.GT2_5) {
    if (!setStatus) lnkcap |= 0x100000; // DLLLARC
    cs.set16(pos + EXP.LNKCTL2, (cs.get16(pos + EXP.LNKCTL2) & ~0xf) | link.speed);
  }
  cs.set32(pos + EXP.LNKCAP, lnkcap >>> 0);
  if (link.speed > LINK_SPEED.GT5) {
    let sls = 0;
    for (let s = 1; s <= link.speed; s++) sls |= 1 << s;
    cs.set32(pos + EXP.LNKCAP2, sls);
  }
  if (setStatus)
    cs.set16(
      pos + EXP.LNKSTA,
      (cs.get16(pos + EXP.LNKSTA) & ~0x3ff) | ((link.width & 0x3f) << 4) | (link.speed & 0xf),
    );
}

/** pcie_cap_deverr_init(): error reporting enables writable, error status RW1C. */
export function pcieCapDeverrInit(cs: PciConfigSpace, pos: number): void {
  cs.set32(pos + EXP.DEVCAP, cs.get32(pos + EXP.DEVCAP) | 0x8000);
  cs.orMask16(pos + EXP.DEVCTL, 0x000f);
  cs.setW1c16(pos + EXP.DEVSTA, 0x000f);
}

/** pcie_cap_flr_init(): Function Level Reset capable, Initiate FLR writable. */
export function pcieCapFlrInit(cs: PciConfigSpace, pos: number): void {
  cs.set32(pos + EXP.DEVCAP, cs.get32(pos + EXP.DEVCAP) | 0x10000000);
  cs.orMask16(pos + EXP.DEVCTL, 0x8000);
}

/** pcie_cap_arifwd_init(): ARI Forwarding Supported (downstream-facing ports). */
export function pcieCapArifwdInit(cs: PciConfigSpace, pos: number): void {
  cs.set32(pos + EXP.DEVCAP2, cs.get32(pos + EXP.DEVCAP2) | 0x20);
  cs.orMask16(pos + EXP.DEVCTL2, 0x20);
}

/** pcie_cap_root_init(): system error enables of Root Control writable. */
export function pcieCapRootInit(cs: PciConfigSpace, pos: number): void {
  cs.setMask16(pos + EXP.RTCTL, 0x7);
}

/**
 * pcie_cap_slot_init() + pcie_cap_slot_reset() + the cold-plug part of pcie_cap_slot_plug_cb():
 * slot implemented, physical slot number, EIP|PIP|AIP|ABP|HPS|HPC (+PCP for root ports),
 * indicators off, Attention Indicator off after reset, Power Indicator on/off by population
 * (PCP only; always off with `powerIndicatorOff`, QEMU_COMPAT.slotPowerIndicatorOff),
 * Presence Detect State and Data Link Layer Link Active when populated.
 */
export function pcieCapSlotInit(
  cs: PciConfigSpace,
  pos: number,
  slot: number,
  opts: { powerController: boolean; populated: boolean; powerIndicatorOff?: boolean },
): void {
  cs.set16(pos + EXP.FLAGS, cs.get16(pos + EXP.FLAGS) | 0x100);
  let sltcap = ((slot & 0x1fff) << 19) | 0x20000 | 0x10 | 0x8 | 0x1 | 0x20 | 0x40;
  if (opts.powerController) sltcap |= 0x2;
  cs.set32(pos + EXP.SLTCAP, sltcap >>> 0);
  // SLTCTL writable: PIC | AIC | HPIE | CCIE | PDCE | ABPE | EIC (+ PCC with a power controller).
  cs.setMask16(
    pos + EXP.SLTCTL,
    0x0300 |
      0x00c0 |
      0x0020 |
      0x0010 |
      0x0008 |
      0x0001 |
      0x0800 |
      (opts.powerController ? 0x0400 : 0),
  );
  cs.setW1c16(pos + EXP.SLTSTA, 0x0001 | 0x0008 | 0x0010);
  // After reset: AIC off; with a power controller PIC on (populated) or off + PCC (empty);
  // from QEMU 8.0 PIC off on every slot (pcie_cap_slot_reset()).
  let sltctl = 0x00c0;
  if (opts.powerController)
    sltctl |= opts.populated ? (opts.powerIndicatorOff ? 0x0300 : 0x0100) : 0x0300 | 0x0400;
  else if (opts.powerIndicatorOff) sltctl |= 0x0300;
  cs.set16(pos + EXP.SLTCTL, sltctl);
  if (opts.populated) {
    cs.set16(pos + EXP.SLTSTA, 0x0040);
    cs.set16(pos + EXP.LNKSTA, cs.get16(pos + EXP.LNKSTA) | 0x2000);
  }
  // pcie_cap_slot_write_config(): a write to Slot Control is one command, completed at once —
  // Electromechanical Interlock Control toggles the interlock status and reads back 0, and
  // Command Completed is reported in Slot Status.
  cs.onWrite(pos + EXP.SLTCTL, pos + EXP.SLTCTL + 2, slotControlWritten, cs);
}

/**
 * pcie_cap_slot_write_config() for the PCIe capability of `cs` (found as QEMU keeps it,
 * dev->exp.exp_cap: the function's one PCI Express capability).
 */
function slotControlWritten(_o: number, _size: number, _v: number, cs: PciConfigSpace): void {
  const pos = cs.findCapability(CAP_ID.EXP);
  let sta = cs.get16(pos + EXP.SLTSTA);
  if (cs.get16(pos + EXP.SLTCTL) & 0x0800) {
    cs.set16(pos + EXP.SLTCTL, cs.get16(pos + EXP.SLTCTL) & ~0x0800);
    sta ^= 0x0080;
  }
  cs.set16(pos + EXP.SLTSTA, sta | 0x0010);
}

/**
 * msi_init(): MSI capability with `vectors` (power of two) and the 64-bit / per-vector-mask
 * options; control (QSIZE, ENABLE), address, data and the used mask bits writable.
 */
export function msiInit(
  cs: PciConfigSpace,
  offset: number,
  vectors: number,
  is64: boolean,
  perVectorMask: boolean,
): number {
  const capSize = is64 ? (perVectorMask ? 0x18 : 0x0e) : perVectorMask ? 0x14 : 0x0a;
  const pos = cs.addCapability(CAP_ID.MSI, offset, capSize);
  const mmc = Math.log2(vectors) | 0;
  cs.set16(pos + 2, (is64 ? 0x80 : 0) | (perVectorMask ? 0x100 : 0) | (mmc << 1));
  cs.setMask16(pos + 2, 0x70 | 0x1);
  cs.setMask32(pos + 4, 0xfffffffc);
  if (is64) cs.setMask32(pos + 8, 0xffffffff);
  const dataOff = is64 ? 0x0c : 0x08;
  cs.setMask16(pos + dataOff, 0xffff);
  if (perVectorMask)
    cs.setMask32(pos + dataOff + 4, vectors >= 32 ? 0xffffffff : (1 << vectors) - 1);
  return pos;
}

/**
 * msix_init_exclusive_bar(): a 4 KiB (or larger) 32-bit memory BAR `bar` holding the vector
 * table at 0 and the PBA at half the BAR; MSI-X capability at the first free offset.
 * @returns the BAR size in bytes
 */
export function msixInitExclusiveBar(cs: PciConfigSpace, entries: number, bar: number): bigint {
  let barSize = 4096;
  let pbaOffset = barSize / 2;
  const pbaSize = (Math.ceil(entries / 64) * 64) / 8;
  if (entries * 16 > pbaOffset) pbaOffset = entries * 16;
  if (pbaOffset + pbaSize > 4096) barSize = pbaOffset + pbaSize;
  barSize = 2 ** Math.ceil(Math.log2(barSize));
  const pos = cs.addCapability(CAP_ID.MSIX, 0, 12);
  cs.set16(pos + 2, (entries - 1) & 0x7ff);
  cs.setMask16(pos + 2, 0xc000);
  cs.set32(pos + 4, 0 | bar);
  cs.set32(pos + 8, pbaOffset | bar);
  cs.registerBar({ index: bar, size: BigInt(barSize), mem64: false, prefetch: false });
  return BigInt(barSize);
}

/** PCI_ERR_SIZEOF. */
export const AER_SIZEOF = 0x48;

/** Options of the AER capability (see {@link aerInit}) that depend on the QEMU version or the device. */
export interface AerOptions {
  /** Uncorrectable Error Mask reset value PCI_ERR_UNC_MASK_DEFAULT (QEMU_COMPAT.aerUncMaskDefault). */
  uncMaskDefault?: boolean;
  /** Correctable Error Mask 0xc000 instead of 0xe000 (QEMU_COMPAT.aerCorAdvNonFatalUnmasked). */
  corAdvNonFatalUnmasked?: boolean;
  /**
   * Multiple Header Recording Capable: true when `aer_log_max` > 0, which only PCIe ports
   * have as a property (hw/pci/pcie_port.c); a type-3 endpoint's log_max is 0. Default true.
   */
  multiHeader?: boolean;
}

/**
 * pcie_aer_init(): AER v2 with severity 0x00462030, correctable mask 0xe000 (see
 * {@link AerOptions}), ECRC generation and check capable, multiple header recording capable
 * when log_max > 0, status bits RW1C; pcie_aer_root_init() for root ports (Root Error Command
 * writable).
 */
export function aerInit(
  cs: PciConfigSpace,
  offset: number,
  rootPort: boolean,
  opts: AerOptions = {},
): void {
  cs.addExtCapability(EXT_CAP_ID.ERR, 2, offset, AER_SIZEOF);
  const UNC_SUPPORTED = 0x03fff030;
  const COR_SUPPORTED = 0x0000f1c1;
  cs.setW1c32(offset + 0x04, UNC_SUPPORTED);
  if (opts.uncMaskDefault) cs.set32(offset + 0x08, 0x02400000);
  cs.setMask32(offset + 0x08, UNC_SUPPORTED);
  cs.set32(offset + 0x0c, 0x00462030);
  cs.setMask32(offset + 0x0c, UNC_SUPPORTED);
  cs.setW1c32(offset + 0x10, COR_SUPPORTED);
  cs.set32(offset + 0x14, opts.corAdvNonFatalUnmasked ? 0x0000c000 : 0x0000e000);
  cs.setMask32(offset + 0x14, COR_SUPPORTED);
  cs.set32(offset + 0x18, 0x20 | 0x80 | (opts.multiHeader === false ? 0 : 0x200));
  cs.setMask32(offset + 0x18, 0x40 | 0x100 | 0x400);
  if (rootPort) {
    cs.setMask32(offset + 0x2c, 0x7);
    cs.setW1c32(offset + 0x30, 0x7f);
  }
}

/** pcie_acs_init() for a downstream-facing port: SV TB RR CR UF DT capable, controls writable. */
export function acsInit(cs: PciConfigSpace, offset: number): void {
  cs.addExtCapability(EXT_CAP_ID.ACS, 1, offset, 8);
  cs.set16(offset + 4, 0x5f);
  cs.setMask16(offset + 6, 0x5f);
}

/** pcie_dev_ser_num_init(): Device Serial Number capability (12 bytes). */
export function dsnInit(cs: PciConfigSpace, offset: number, serial: bigint): void {
  cs.addExtCapability(EXT_CAP_ID.DSN, 1, offset, 0x0c);
  cs.set32(offset + 4, Number(serial & 0xffffffffn));
  cs.set32(offset + 8, Number((serial >> 32n) & 0xffffffffn));
}

/** pci_bridge_ssvid_init(): Bridge Subsystem Vendor ID capability (8 bytes). */
export function ssvidInit(
  cs: PciConfigSpace,
  offset: number,
  vendor: number,
  device: number,
): void {
  const pos = cs.addCapability(CAP_ID.SSVID, offset, 8);
  cs.set16(pos + 4, vendor);
  cs.set16(pos + 6, device);
}

/**
 * pcie_sync_bridge_lnk() (QEMU ≥ 8): a downstream-facing port's Link Status reports the link
 * negotiated with the device at devfn 0 below it — the smaller of the two widths and speeds.
 * With `flit` (QEMU_COMPAT.portFlitMode) a port with nothing below reports Flit Mode Status in
 * Link Status 2 (the 11.1 captures' empty root and downstream ports); a device below that does
 * not report flit mode leaves it clear.
 */
export function pcieSyncBridgeLink(
  cs: PciConfigSpace,
  pos: number,
  child: { cs: PciConfigSpace; pos: number } | undefined,
  flit = false,
): void {
  if (flit) {
    const childFlit = child ? child.cs.get16(child.pos + EXP.LNKSTA2) & 0x400 : 0x400;
    cs.set16(pos + EXP.LNKSTA2, (cs.get16(pos + EXP.LNKSTA2) & ~0x400) | childFlit);
  }
  const lnkcap = cs.get32(pos + EXP.LNKCAP);
  let sta = lnkcap & 0x3ff;
  if (child) {
    const c = child.cs.get16(child.pos + EXP.LNKSTA);
    const width = Math.min((c >> 4) & 0x3f || 1, (lnkcap >> 4) & 0x3f);
    const speed = Math.min(c & 0xf || 1, lnkcap & 0xf);
    sta = (width << 4) | speed;
  }
  cs.set16(pos + EXP.LNKSTA, (cs.get16(pos + EXP.LNKSTA) & ~0x3ff) | sta);
}

/**
 * The MSI-X exclusive BAR's contents (msix_init()): the vector table at 0 (16 bytes per entry,
 * each vector masked at reset) and the pending bit array at `pbaOffset`. Plain 32-bit memory.
 */
export function msixBarRegion(
  barSize: number,
  entries: number,
): import('../mmio-region.ts').MmioRegion {
  // The table's dwords are kept densely; anything else in the BAR (PBA, padding) is stored
  // only once written, so thousands of functions do not each zero a whole BAR.
  const table = slabDwords(entries * 4);
  for (let i = 0; i < entries; i++) table[i * 4 + 3] = 1; // Vector Control: masked
  return new MsixBar(barSize, table);
}

/** The region of {@link msixBarRegion}. */
class MsixBar implements MmioRegion {
  readonly size: number;
  private readonly table: Uint32Array;
  private rest: Map<number, number> | undefined;
  constructor(size: number, table: Uint32Array) {
    this.size = size;
    this.table = table;
  }
  read32(o: number): number {
    if (o & 3 || o >= this.size) return 0;
    const i = o >> 2;
    return i < this.table.length ? (this.table[i] ?? 0) : (this.rest?.get(i) ?? 0);
  }
  write32(o: number, v: number): void {
    if ((o & 3) !== 0 || o >= this.size) return;
    const i = o >> 2;
    if (i < this.table.length) this.table[i] = v >>> 0;
    else {
      this.rest ??= new Map();
      this.rest.set(i, v >>> 0);
    }
  }
}
