/**
 * DOC: the normalized topology — what a QEMU command line, a topology file or a preset becomes.
 *
 * This is the contract between the input layer (topology/) and the emulated platform (hw/).
 * It describes *what the user asked QEMU to build*, not what the firmware or the guest did with
 * it: PCI bus numbers below the host bridges, BAR addresses and window bases are assigned by
 * hw/platform.ts the way QEMU and its firmware do, unless a topology file pins them.
 *
 * Units: sizes and addresses are bytes as bigint; granularities are bytes as number.
 * Order matters and is kept as given: host bridges in creation (command line) order, root ports
 * and switch downstream ports in creation order, windows in index order.
 */

import type { CpuConfig } from './qemu-cpu.ts';

/**
 * Machine type: QEMU's `q35` (x86_64), `pc` (i440fx, x86_64: a PCI root bus `pci.0`, so no
 * CXL host bridge can sit on it; placed like q35 by cxlsim) or arm `virt` (aarch64).
 */
export type MachineType = 'q35' | 'pc' | 'virt';

/** HDM decoder capability a component advertises (CXL 3.1 §8.2.4.20.1). */
export interface HdmCaps {
  /** Decoders implemented (1, 2, 4 … 16). */
  decoderCount: number;
  /** Targets per decoder (switch / host bridge), 1, 2, 4 or 8. */
  targetCount: number;
  /** A11to8 interleave capable (bit 8). */
  a11to8: boolean;
  /** A14to12 interleave capable (bit 9). */
  a14to12: boolean;
  /** 3, 6, 12-way capable (bit 11). */
  iw3612: boolean;
  /** 16-way capable (bit 12). */
  iw16: boolean;
}

/**
 * An HDM decoder committed before the OS (by firmware), for auto-assembly. Base/size are HPA
 * bytes; `targets` are dport port numbers (switch / host bridge) in interleave order; `skip` is
 * the DPA skip in bytes (endpoints).
 */
export interface PreCommittedDecoder {
  index: number;
  base: bigint;
  size: bigint;
  ways: number;
  granularity: number;
  targets?: number[];
  skip?: bigint;
  lock?: boolean;
}

/** Where a PCI function sits on its parent bus (`addr=SLOT.FN`). */
export interface PciAddr {
  slot: number;
  fn: number;
}

/** A CXL type-3 memory expander (`-device cxl-type3`). */
export interface Type3Dev {
  kind: 'type3';
  /** QEMU id= (may be generated, e.g. 'type3#2', when absent). */
  id: string;
  addr?: PciAddr;
  /** `sn=`: PCIe Device Serial Number; undefined = no DSN capability (kernel serial 0). */
  serial?: bigint;
  /** Volatile capacity in bytes (DPA 0 ..). */
  volatileSize: bigint;
  /** Persistent capacity in bytes (after the volatile partition). */
  persistentSize: bigint;
  /** Label storage area size in bytes (0 = none). */
  lsaSize: bigint;
  /** HDM capability override (topology files / cxl_test); else the QEMU version's default. */
  hdm?: HdmCaps;
  /** Decoders committed by firmware before boot. */
  committed?: PreCommittedDecoder[];
  /** Backend ids, for messages ("memory backend cxl-mem1 can't be used multiple times."). */
  backends?: { volatile?: string; persistent?: string; lsa?: string };
}

/** A CXL type-2 accelerator (passed through with vfio-pci, or described in a topology file). */
export interface Type2Dev {
  kind: 'type2';
  id: string;
  addr?: PciAddr;
  /** Host function BDF for vfio-pci `host=`, e.g. '0002:81:00.0'. */
  host?: string;
  /** Device-attached memory (DPA) size in bytes. */
  dpaSize: bigint;
  /** HDM decoder 0 committed and locked by (host) firmware. */
  firmwareCommitted: boolean;
  /** `vfio-pci-nohotplug` (cannot be hot-added). */
  noHotplug?: boolean;
  serial?: bigint;
  hdm?: HdmCaps;
}

/** A CXL switch: upstream port (`cxl-upstream`) and its downstream ports (`cxl-downstream`). */
export interface SwitchDev {
  kind: 'switch';
  id: string;
  addr?: PciAddr;
  /** `port=` of cxl-upstream: its Link Capabilities Port Number (QEMU's default 0). */
  port?: number;
  serial?: bigint;
  hdm?: HdmCaps;
  /** A `cxl-switch-mailbox-cci` function sits beside the upstream port (its addr). */
  mailboxCci?: PciAddr;
  downstream: DownstreamPort[];
  committed?: PreCommittedDecoder[];
}

/** What can sit below a root port or a downstream port. */
export type Endpointish = Type3Dev | Type2Dev | SwitchDev;

/** A switch downstream port (`cxl-downstream`). `port` is its PCIe port number (dport id). */
export interface DownstreamPort {
  id: string;
  port: number;
  addr?: PciAddr;
  chassis?: number;
  slot?: number;
  child?: Endpointish;
}

/** A CXL root port (`cxl-rp`). `port` is its PCIe Link Capabilities Port Number (dport id). */
export interface RootPort {
  id: string;
  port: number;
  addr?: PciAddr;
  chassis?: number;
  slot?: number;
  child?: Endpointish;
}

/** A CXL host bridge (`pxb-cxl`): ACPI0016 with a CHBS; `busNr` is its root bus and _UID. */
export interface HostBridge {
  id: string;
  busNr: number;
  /** PCI segment (topology files only; QEMU lines are segment 0). */
  segment: number;
  /** `hdm_for_passthrough=on`: keep HDM decoders even with a single root port (QEMU ≥ 8). */
  hdmForPassthrough?: boolean;
  /** ACPI _UID override (topology files); default = busNr as QEMU does. */
  uid?: number;
  hdm?: HdmCaps;
  rootPorts: RootPort[];
  committed?: PreCommittedDecoder[];
  /**
   * Restricted CXL Host (RCH, CXL 1.1): the CHBS is CXL 1.1 (8 KiB RCRB) and there is no CXL
   * port object; `rootPorts` is empty and the device below it is `rcd` (cxl_test's
   * cxl_host_bridge.3). Optional addition to the contract; absent = a CXL 2.0 host bridge.
   */
  rch?: boolean;
  /** The Restricted CXL Device (RCiEP memory device) of an RCH (cxl_test's cxl_rcd.10). */
  rcd?: Type3Dev;
}

/** A CXL fixed memory window (`cxl-fmw.N`), one CFMWS. */
export interface FixedWindow {
  index: number;
  /** Host bridge ids (pxb-cxl id=) in interleave order. */
  targets: string[];
  /** Bytes; a multiple of 256 MiB. */
  size: bigint;
  /** Host bridge interleave granularity in bytes (256 … 16384). */
  granularity: number;
  /** Pinned base HPA (topology files); else placed as QEMU does for the machine. */
  base?: bigint;
  /** CFMWS restrictions bitmask (QEMU: 0x0f). */
  restrictions?: number;
  /** Interleave arithmetic: modulo (QEMU) or XOR (needs a matching CXIMS). */
  arithmetic?: 'modulo' | 'xor';
  qtgId?: number;
}

/** A CXIMS entry (XOR interleave math) for XOR windows. */
export interface Cxims {
  granularity: number;
  xormaps: bigint[];
}

/** Machine-level settings that decide where things land in HPA space. */
export interface MachineConfig {
  type: MachineType;
  /** `-m` size in bytes (default 128 MiB as QEMU). */
  ramSize: bigint;
  /** `-m ...,maxmem=` in bytes. */
  maxMem?: bigint;
  /** `-m ...,slots=`. */
  slots?: number;
  /** `cxl=on` given. */
  cxl: boolean;
  /** arm virt `highmem-mmio-size=` in bytes. */
  highmemMmioSize?: bigint;
  /** Other `-machine` key=values as given (kept for `-v`). */
  options: Record<string, string>;
  /** `-cpu` as parsed (absent: the machine's default CPU, see machineCpu()). */
  cpu?: CpuConfig;
}

/** Where the topology came from, for messages and state. */
export type TopologySource =
  | { kind: 'qemu'; path?: string }
  | { kind: 'file'; path?: string }
  | { kind: 'preset'; name: string };

/** The whole input. */
export interface Topology {
  name: string;
  source: TopologySource;
  machine: MachineConfig;
  hostBridges: HostBridge[];
  windows: FixedWindow[];
  cxims: Cxims[];
  /** Non-CXL arguments accepted and ignored (listed by `boot -v`), as given. */
  ignored: string[];
  /**
   * CXL devices QEMU accepts outside any CXL hierarchy (a cxl-type3 on pcie.0, a
   * cxl-downstream on a root port), as their options: not built by cxlsim, listed by `boot -v`.
   */
  outsideCxl?: string[];
  /**
   * cxl-type3 devices on the machine's root bus (`-device cxl-type3,bus=pcie.0`): QEMU realizes
   * them as PCIe endpoints there; the guest's cxl_pci registers a memdev, but no CXL host bridge
   * decodes for them (no port, no endpoint, no region). `addr` is their devfn on bus 0.
   */
  rootBus?: Type3Dev[];
  /** Platform-level mock (cxl_test): names devices as tools/testing/cxl does. */
  mock?: boolean;
  /**
   * The cxl_test module's load arguments ("interleave_arithmetic=1"), with {@link mock}: the
   * topology already follows the ones the guest's cxl_test declares; the guest kernel logs the
   * others as unknown at load (kernel/params.c).
   */
  mockArgs?: string[];
}
