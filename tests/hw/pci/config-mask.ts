/**
 * The bits of a CXL function's config space that a capture may hold but cxlsim's hardware
 * does not: what the firmware (SeaBIOS on q35, EDK2 on arm virt) and the guest kernel wrote
 * before the dump. cxlsim presents the state right after its own firmware model; everything
 * else is compared exactly. One rule for every stack (QEMU 7.2, 10.0, 11.1; x86 and arm64),
 * located through our own capability layout (1 = ignore):
 *   - Command (firmware + kernel pci_enable_device()/pci_set_master()), Status bit 3 (INTx
 *     state);
 *   - BAR *address* bits and bridge memory / prefetchable window *address* bits (the
 *     firmware's choice; BAR type bits, window type nibbles and the disabled I/O window the
 *     firmware leaves, base 0xf0 limit 0x00, are compared);
 *   - PCIe Device Control bits 3:0 (AER error reporting enables, kernel pci_aer_init());
 *   - Slot Control bits 5:0 and Slot Status bit 4 (pciehp enables its interrupts; QEMU then
 *     reports Command Completed);
 *   - MSI control Enable / Multiple Message Enable, address, data, mask (kernel portdrv);
 *   - MSI-X control Enable / Function Mask (kernel pci_alloc_irq_vectors() in cxl_pci);
 *   - AER Root Error Command (kernel AER driver) and, on root ports with MSI, Root Error
 *     Status [31:27], the Advanced Error Interrupt Message Number QEMU derives from the MSI
 *     vectors the kernel enabled (cxl_rp_aer_vector());
 *   - CXL Device DVSEC Control bit 2, Mem_Enable (kernel cxl_hdm_decode_init());
 *   - GPF DVSEC for CXL Ports: Phase 1/2 Control timeout base and scale (kernel ≥ 6.15
 *     cxl_gpf_port_setup() → update_gpf_port_dvsec(), on every dport with an endpoint below).
 * Bus numbers, capability lists, IDs, interrupt line, DVSECs, DOE, DSN, AER defaults… are
 * compared exactly.
 */
import type { PciConfigSpace } from '../../../src/hw/pci/config-space.ts';
import { CAP_ID, EXP, EXT_CAP_ID, PCI } from '../../../src/hw/pci/regs.ts';

const CXL_VENDOR = 0x1e98;
const DVSEC_CXL_DEVICE = 0;
const DVSEC_GPF_PORT = 4;

/** The DVSECs of a config space: [offset, vendor, DVSEC ID]. */
export function dvsecs(cs: PciConfigSpace): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let off = 0x100, n = 0; off && n < 64; n++) {
    const hdr = cs.get32(off);
    if (hdr === 0) break;
    if ((hdr & 0xffff) === EXT_CAP_ID.DVSEC) out.push([off, cs.get16(off + 4), cs.get16(off + 8)]);
    off = hdr >>> 20;
  }
  return out;
}

/** Bit masks (1 = ignore) per byte offset, derived from our own capability layout. */
export function guestWrittenMask(cs: PciConfigSpace): Uint8Array {
  const m = new Uint8Array(4096);
  const ignore = (off: number, bytes: number[]) =>
    bytes.forEach((b, i) => {
      m[off + i] = (m[off + i] ?? 0) | b;
    });
  const bridge = (cs.get8(PCI.HEADER_TYPE) & 0x7f) === 1;
  ignore(PCI.COMMAND, [0xff, 0xff]);
  ignore(PCI.STATUS, [0x08]);
  for (let i = 0; i < (bridge ? 2 : 6); i++) {
    const decl = cs.bars[i];
    if (!decl) continue;
    ignore(PCI.BAR0 + 4 * i, [0xf0, 0xff, 0xff, 0xff]);
    if (decl.mem64) ignore(PCI.BAR0 + 4 * i + 4, [0xff, 0xff, 0xff, 0xff]);
  }
  if (bridge) {
    for (const off of [
      PCI.MEMORY_BASE,
      PCI.MEMORY_LIMIT,
      PCI.PREF_MEMORY_BASE,
      PCI.PREF_MEMORY_LIMIT,
    ])
      ignore(off, [0xf0, 0xff]);
    ignore(PCI.PREF_BASE_UPPER32, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  }
  const exp = cs.findCapability(CAP_ID.EXP);
  if (exp) {
    ignore(exp + EXP.DEVCTL, [0x0f]);
    ignore(exp + EXP.SLTCTL, [0x3f]);
    ignore(exp + EXP.SLTSTA, [0x10]);
  }
  const msi = cs.findCapability(CAP_ID.MSI);
  if (msi)
    ignore(
      msi + 2,
      [
        0x71, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff,
        0xff,
      ],
    );
  const msix = cs.findCapability(CAP_ID.MSIX);
  if (msix) ignore(msix + 3, [0xc0]);
  const aer = cs.findExtCapability(EXT_CAP_ID.ERR);
  if (aer && exp && ((cs.get16(exp + EXP.FLAGS) >> 4) & 0xf) === 4) {
    ignore(aer + 0x2c, [0x07]);
    if (msi) ignore(aer + 0x33, [0xf8]);
  }
  for (const [off, vendor, id] of dvsecs(cs)) {
    if (vendor !== CXL_VENDOR) continue;
    if (id === DVSEC_CXL_DEVICE) ignore(off + 0x0c, [0x04]);
    if (id === DVSEC_GPF_PORT) ignore(off + 0x0c, [0x0f, 0x0f, 0x0f, 0x0f]);
  }
  return m;
}

/** Bytes with at least one compared bit. */
export function comparedBytes(mask: Uint8Array): number {
  return mask.reduce((n, b) => n + (b === 0xff ? 0 : 1), 0);
}
