/**
 * DOC: the only door between the guest drivers and the emulated hardware.
 *
 * Drivers (src/drivers) see the platform exactly as a kernel does: ACPI table bytes and the
 * ACPI namespace's device objects, PCI configuration space by segment/bus/devfn, and
 * memory-mapped registers by host physical address. hw/ implements these interfaces;
 * drivers/ never imports hw/.
 *
 * Accesses are little-endian. Config accesses are 1, 2 or 4 bytes, naturally aligned.
 * MMIO accesses are 32-bit (CXL 3.1 §8.2.2) or 64-bit where the spec allows (mailbox
 * command/status registers); `readBytes`/`writeBytes` copy a mailbox payload.
 * Addresses are HPA bytes (bigint).
 */

/** An ACPI namespace device the OS enumerates (what the DSDT declares). */
export interface AcpiNode {
  /** _HID, e.g. 'ACPI0016', 'ACPI0017'. */
  hid: string;
  /** _CID list (e.g. ['PNP0A08', 'PNP0A03'] for host bridges). */
  cid: string[];
  /** _UID (integer for host bridges). */
  uid?: number;
  /** Namespace path, e.g. '\\_SB_.PC0C'. */
  path: string;
  /** _ADR if present. */
  adr?: number;
  /** For PCI host bridges: _SEG and _BBN (root bus number). */
  pciRoot?: { segment: number; bus: number };
  /** _STA value (0x0f = present, enabled, shown, functioning) when the node has _STA. */
  sta?: number;
  /**
   * The platform device a platform driver registers as this node's companion instead of the
   * ACPI core's `<HID>:<NN>` (tools/testing/cxl registers `cxl_acpi.0` for its ACPI0017 mock).
   */
  platformDevice?: string;
}

/** ACPI: tables by signature and the namespace's devices in namespace order. */
export interface AcpiBus {
  /** Whole table bytes (header included), or undefined when the table does not exist. */
  table(signature: string): Uint8Array | undefined;
  /** Devices under \_SB in the order the namespace lists them (ACPI0016:00, :01, …). */
  devices(): readonly AcpiNode[];
}

/** PCI configuration space access (ECAM / CF8-CFC in the real world). */
export interface PciConfigBus {
  /** Reads `size` (1, 2, 4) bytes; absent functions read all-ones (0xff…). */
  read(segment: number, bus: number, devfn: number, offset: number, size: 1 | 2 | 4): number;
  /** Writes `size` bytes; writes to absent functions are dropped. */
  write(
    segment: number,
    bus: number,
    devfn: number,
    offset: number,
    size: 1 | 2 | 4,
    value: number,
  ): void;
}

/** Memory-mapped I/O by host physical address (register blocks: CHBCR, BARs). */
export interface MmioBus {
  read32(addr: bigint): number;
  write32(addr: bigint, value: number): void;
  read64(addr: bigint): bigint;
  write64(addr: bigint, value: bigint): void;
  /** Copies `len` bytes out of an MMIO region (memcpy_fromio). */
  readBytes(addr: bigint, len: number): Uint8Array;
  /** Copies bytes into an MMIO region (memcpy_toio). */
  writeBytes(addr: bigint, data: Uint8Array): void;
}

/**
 * The memory data path: CPU loads/stores at HPA routed through the platform's windows and the
 * *committed* HDM decoders (cxl-host.c cxl_cfmws_find_device). Undecoded reads return zeros and
 * `ok: false`; undecoded writes are dropped and return false.
 */
export interface MemoryBus {
  read(hpa: bigint, len: number): { data: Uint8Array; ok: boolean };
  write(hpa: bigint, data: Uint8Array): boolean;
}

/**
 * The boot CPU's identification as the guest kernel reads it (CPUID on x86, MIDR on arm64):
 * only what the CXL stack depends on.
 */
export interface CpuBus {
  /** Guest architecture: q35/pc machines are x86, `virt` is arm64. */
  arch: 'x86' | 'arm64';
  /** CPUID.1:ECX[31], X86_FEATURE_HYPERVISOR (QEMU sets it unless `-cpu …,-hypervisor`). */
  hypervisor: boolean;
}

/**
 * MSI-X delivery (request_irq() on a function's vector): `handler(arg)` runs when the device
 * signals that vector (QEMU msix_notify()); `arg` is request_irq()'s `dev_id`, kept as data
 * (a copy of the machine copies the reference, no closure is made per vector).
 */
export interface IrqBus {
  request<T>(
    segment: number,
    bus: number,
    devfn: number,
    vector: number,
    handler: (arg: T) => void,
    arg: T,
  ): void;
}

/** Everything the guest can touch. */
export interface HostBus {
  acpi: AcpiBus;
  pci: PciConfigBus;
  mmio: MmioBus;
  mem: MemoryBus;
  cpu: CpuBus;
  /** MSI-X delivery (absent on hand-built buses: no interrupts). */
  irq?: IrqBus;
  /**
   * The cxl_test mock's test hooks on its memdevs (tools/testing/cxl/test/mem.c), present only
   * on a mock platform: `eventTrigger` fills the device's event logs as the mock's
   * `event_trigger` attribute does. @returns false when no mock memdev is at that address
   */
  mock?: {
    eventTrigger(segment: number, bus: number, devfn: number): boolean;
    /** fw_buf_checksum_show(): sha256 (hex) of the mock's firmware buffer; undefined: no mock memdev. */
    fwBufChecksum(segment: number, bus: number, devfn: number): string | undefined;
    /**
     * The mock's sanitize_timeout (ms a Sanitize takes, mem.c mock_sanitize()): sets it when
     * `ms` is given, and returns it; undefined: no mock memdev there.
     */
    sanitizeTimeout(segment: number, bus: number, devfn: number, ms?: number): number | undefined;
    /**
     * The name of the mock's platform device that stands where this function is
     * (tools/testing/cxl/test/cxl.c cxl_test_init(): `cxl_root_port.N`, `cxl_switch_uport.N`,
     * `cxl_switch_dport.N`, `cxl_mem.N`); undefined: no mock device there.
     */
    deviceName(segment: number, bus: number, devfn: number): string | undefined;
    /**
     * The mock host bridge's platform device whose root bus is `bus`: its name
     * (`cxl_host_bridge.N`) and the link cxl_test_init() makes from it to itself —
     * `physical_node` for the CXL 2.0 bridges, `firmware_node` for the RCH (cxl_rch_init()).
     */
    hostBridge(
      segment: number,
      bus: number,
    ): { name: string; selfLink: 'physical_node' | 'firmware_node' } | undefined;
  };
  /**
   * msleep(): the guest waits `ms` milliseconds of the machine's virtual clock
   * (QEMU_CLOCK_VIRTUAL), so that device background work progresses. Absent: no waiting.
   */
  delay?(ms: number): void;
  /**
   * The machine's virtual clock (QEMU_CLOCK_VIRTUAL) in ns, as the guest's ktime reads it.
   * Absent on hand-built buses: deferred kernel work then runs at once.
   */
  now?(): bigint;
  /**
   * The platform's device timers on the virtual clock (QEMU timer_mod() on QEMU_CLOCK_VIRTUAL),
   * e.g. a mailbox background command's completion and its MSI-X. `next()` is the earliest
   * pending deadline (ns) or undefined; `run()` fires every timer due by now(). Absent on
   * hand-built buses (device state is then only brought up to date when read).
   */
  timers?: { next(): bigint | undefined; run(): void };
}

/** Bus/device/function helpers: devfn = slot << 3 | fn. */
export function devfn(slot: number, fn: number): number {
  return ((slot & 0x1f) << 3) | (fn & 7);
}

/** "SSSS:BB:DD.F" (lower-case hex), the kernel's pci_name(). */
export function pciName(segment: number, bus: number, df: number): string {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${h(segment, 4)}:${h(bus, 2)}:${h(df >> 3, 2)}.${df & 7}`;
}
