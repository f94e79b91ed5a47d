/**
 * DOC: what the host kernel's vfio-pci-core sees of a physical function, and the host's log.
 *
 * The vfio-cxl variant runs in the *host* kernel, below the VMM: it reaches the physical
 * device through its configuration space (pci_read_config_*), its BARs (ioremap + readl/writel)
 * and the host physical memory the device's committed HDM decoder claims (memremap of the
 * region's HPA range). {@link HostFunction} is that door; hw/vmm implements it over the
 * physical device model, so this layer never touches hw/ directly (as guest drivers reach the
 * hardware only through bus/).
 *
 * Units: HPAs, BAR lengths and offsets into memory are bytes (bigint); BAR register offsets are
 * bytes (number); config and register values are unsigned numbers.
 */
import { Errno, type ErrnoName } from '../../kernel/errno.ts';

/** The physical PCI function as vfio-pci-core reaches it. */
export interface HostFunction {
  /** Host BDF, "SSSS:BB:DD.F" (pci_name()). */
  readonly bdf: string;
  /** pci_read_config_{byte,word,dword}(). */
  cfgRead(offset: number, size: 1 | 2 | 4): number;
  /** pci_write_config_{byte,word,dword}(). */
  cfgWrite(offset: number, size: 1 | 2 | 4, value: number): void;
  /** pci_resource_len(): BAR length in bytes, 0n when the BAR is absent. */
  barLength(bar: number): bigint;
  /** readl() through an ioremap of BAR `bar` at byte `offset`. */
  barRead32(bar: number, offset: number): number;
  /** writel() through an ioremap of BAR `bar` at byte `offset`. */
  barWrite32(bar: number, offset: number, value: number): void;
  /** Loads from host physical memory (the CXL.mem path through the device's decoders). */
  memRead(hpa: bigint, len: number): { data: Uint8Array; ok: boolean };
  /** Stores to host physical memory; false when nothing decodes the range. */
  memWrite(hpa: bigint, data: Uint8Array): boolean;
  /**
   * Resets the function — 'flr' (Function Level Reset) or 'cxl' (CXL Reset, CXL r4.0 §9.7;
   * `memClear` = CXL Reset Mem Clr Enable) — and lets host firmware restore what it owns (HDM
   * decoder 0 re-committed when the platform does that). Returns 0 or a negative errno.
   */
  reset(kind: 'flr' | 'cxl', opts: { memClear: boolean }): number;
}

/** One host kernel log line (dmesg of the host, not of the guest). */
export interface HostLogLine {
  level: 'err' | 'warn' | 'info' | 'dbg';
  text: string;
}

/**
 * The host's dmesg for one function, with the prefix pci_{err,warn,info,dbg}() print
 * ("vfio-pci 0002:81:00.0: "). Debug lines are recorded always (the host has dynamic debug on
 * for drivers/vfio in cxlsim's model).
 */
export class HostLog {
  readonly lines: HostLogLine[] = [];
  private readonly prefix: string;

  constructor(driver: string, bdf: string) {
    this.prefix = `${driver} ${bdf}: `;
  }

  private add(level: HostLogLine['level'], msg: string): void {
    this.lines.push({ level, text: `${this.prefix}${msg}` });
  }
  err(msg: string): void {
    this.add('err', msg);
  }
  warn(msg: string): void {
    this.add('warn', msg);
  }
  info(msg: string): void {
    this.add('info', msg);
  }
  dbg(msg: string): void {
    this.add('dbg', msg);
  }

  /** Logs `msg` at error level and returns the Errno to throw (log and error cannot disagree). */
  fail(code: ErrnoName, msg: string, bdf: string): Errno {
    this.err(msg);
    return new Errno(code, msg, bdf);
  }
}
