/**
 * DOC: a PCI function as the kernel's PCI core sees it (struct pci_dev, drivers/pci/probe.c).
 *
 * Everything is read from configuration space through the bus accessor: vendor/device/class,
 * header type, bridge bus numbers, the PCIe capability (port type, Link Capabilities Port
 * Number), extended capabilities (DVSEC, DSN, DOE) and BARs.
 */
import type { PciConfigBus } from '../../bus/index.ts';
import type { Device, KernelContext } from '../../kernel/device.ts';
import { Device as Dev } from '../../kernel/device.ts';
import { resetInCopies } from '../../kernel/graph-copy.ts';
import { env } from '../env.ts';

/** PCI capability ids used here. */
export const PCI_CAP_ID_EXP = 0x10;
/** PCIe device/port types (PCI_EXP_TYPE_*). */
export const PCI_EXP_TYPE_ENDPOINT = 0x0;
export const PCI_EXP_TYPE_ROOT_PORT = 0x4;
export const PCI_EXP_TYPE_UPSTREAM = 0x5;
export const PCI_EXP_TYPE_DOWNSTREAM = 0x6;

/** The `below` list of a function with nothing below it (frozen, shared). */
const NO_FUNCTIONS = Object.freeze([]) as unknown as PciDev[];

/**
 * `struct pci_dev`. Name is pci_name(): "0000:0c:00.0" — or, on the cxl_test mock platform, the
 * name of the mock's platform device that stands in its place (`cxl_mem.0`, see ./probe.ts),
 * which is then on the `platform` bus (`busName`), not on `pci`.
 */
export class PciDev extends Dev {
  readonly segment: number;
  readonly busNr: number;
  readonly devfn: number;
  vendor = 0;
  device = 0;
  /** 24-bit class code (class << 16 | subclass << 8 | prog-if). */
  classCode = 0;
  revision = 0;
  headerType = 0;
  /** Bridges: secondary and subordinate bus numbers. */
  secondary = 0;
  subordinate = 0;
  /**
   * Child functions below a bridge, in scan order: the shared frozen {@link NO_FUNCTIONS} for a
   * function with none (an endpoint); a scan gives the bridge its own list.
   */
  below: PciDev[] = NO_FUNCTIONS;

  constructor(
    ctx: KernelContext,
    parent: Device,
    segment: number,
    bus: number,
    devfn: number,
    name?: string,
    busName: 'pci' | 'platform' = 'pci',
  ) {
    const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
    super(
      ctx,
      name ?? `${h(segment, 4)}:${h(bus, 2)}:${h(devfn >> 3, 2)}.${devfn & 7}`,
      parent,
      busName,
    );
    this.segment = segment;
    this.busNr = bus;
    this.devfn = devfn;
  }

  /** The kernel's config accessor (looked up once: every probe step reads config space). */
  private cfg: PciConfigBus | undefined;
  private cfgBus(): PciConfigBus {
    this.cfg ??= env(this).hw.pci;
    return this.cfg;
  }

  /** Config read of 1, 2 or 4 bytes. */
  cfgRead(off: number, size: 1 | 2 | 4): number {
    return this.cfgBus().read(this.segment, this.busNr, this.devfn, off, size);
  }
  /** Config write. */
  cfgWrite(off: number, size: 1 | 2 | 4, v: number): void {
    this.cfgBus().write(this.segment, this.busNr, this.devfn, off, size, v);
  }

  /** True for a Type 1 (bridge) header. */
  get isBridge(): boolean {
    return (this.headerType & 0x7f) === 1;
  }

  /** pci_find_capability(): offset of a standard capability, 0 if absent. */
  findCapability(id: number): number {
    if (!(this.cfgRead(0x06, 2) & 0x10)) return 0;
    let pos = this.cfgRead(0x34, 1) & 0xfc;
    for (let ttl = 48; pos && ttl > 0; ttl--) {
      if (this.cfgRead(pos, 1) === id) return pos;
      pos = this.cfgRead(pos + 1, 1) & 0xfc;
    }
    return 0;
  }

  /** pci_find_ext_capability(): offset of an extended capability after `start`, 0 if absent. */
  findExtCapability(id: number, start = 0): number {
    let pos = 0x100;
    for (let ttl = 480; pos && ttl > 0; ttl--) {
      const hdr = this.cfgRead(pos, 4);
      if (hdr === 0 || hdr === 0xffffffff) return 0;
      if ((hdr & 0xffff) === id && pos > start) return pos;
      pos = (hdr >>> 20) & 0xffc;
      if (pos < 0x100) return 0;
    }
    return 0;
  }

  /**
   * pci_find_dvsec_capability(): DVSEC with this vendor and id, 0 if absent. The capability
   * chain is read-only hardware, so a position once found is kept (as cxl_pci keeps
   * cxlds->cxl_dvsec) instead of walking the chain again for every caller.
   */
  findDvsec(vendor: number, id: number): number {
    const key = vendor * 0x10000 + id;
    let pos = this.dvsecs?.get(key);
    if (pos === undefined) {
      pos = this.walkDvsec(vendor, id);
      this.dvsecs ??= new Map();
      this.dvsecs.set(key, pos);
    }
    return pos;
  }
  private dvsecs: Map<number, number> | undefined;

  private walkDvsec(vendor: number, id: number): number {
    let pos = 0;
    for (;;) {
      pos = this.findExtCapability(0x23, pos);
      if (!pos) return 0;
      const h1 = this.cfgRead(pos + 4, 4);
      const h2 = this.cfgRead(pos + 8, 2);
      if ((h1 & 0xffff) === vendor && h2 === id) return pos;
    }
  }

  /** pci_dev->pcie_cap: the PCIe capability's offset (0 = not PCIe), found once (set_pcie_port_type()). */
  pcieCap(): number {
    this.pcieCapPos ??= this.findCapability(PCI_CAP_ID_EXP);
    return this.pcieCapPos;
  }
  private pcieCapPos: number | undefined;
  /** pci_dev->pcie_flags_reg, read once with the capability. */
  private pcieFlags: number | undefined;

  /** PCIe device/port type from the PCIe capability (pci_pcie_type()), -1 when not PCIe. */
  pcieType(): number {
    const pos = this.pcieCap();
    if (!pos) return -1;
    this.pcieFlags ??= this.cfgRead(pos + 2, 2);
    return (this.pcieFlags >> 4) & 0xf;
  }

  /** Link Capabilities Port Number (PCI_EXP_LNKCAP_PN), the dport id of ports. */
  portNumber(): number {
    const pos = this.pcieCap();
    if (!pos) return 0;
    return this.cfgRead(pos + 0x0c, 4) >>> 24;
  }

  /** Device Serial Number (0 when there is no DSN capability). */
  serialNumber(): bigint {
    const pos = this.findExtCapability(0x03);
    if (!pos) return 0n;
    const lo = this.cfgRead(pos + 4, 4) >>> 0;
    const hi = this.cfgRead(pos + 8, 4) >>> 0;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Start address (HPA) of BAR `n` as assigned (64-bit BARs span two registers). */
  barStart(n: number): bigint {
    const off = 0x10 + n * 4;
    const lo = this.cfgRead(off, 4) >>> 0;
    if (lo & 1) return BigInt(lo & ~3);
    let base = BigInt((lo & ~0xf) >>> 0);
    if (((lo >> 1) & 3) === 2) base |= BigInt(this.cfgRead(off + 4, 4) >>> 0) << 32n;
    return base;
  }

  /** The full 4 KiB config space (sysfs `config`, lspci). */
  configBytes(): Uint8Array {
    const out = new Uint8Array(4096);
    for (let i = 0; i < 4096; i += 4) {
      const v = this.cfgRead(i, 4) >>> 0;
      out[i] = v & 0xff;
      out[i + 1] = (v >>> 8) & 0xff;
      out[i + 2] = (v >>> 16) & 0xff;
      out[i + 3] = v >>> 24;
    }
    return out;
  }
}

// DVSEC positions are read from the (copied, read-only) capability chain: a copy finds them again
resetInCopies(PciDev.prototype, ['dvsecs']);
