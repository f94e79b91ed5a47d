/**
 * DOC: a memory-mapped register block (QEMU's MemoryRegion with MemoryRegionOps, reduced).
 *
 * Offsets are relative to the block. 32-bit accesses are the unit (CXL 3.1 §8.2.2); a block
 * may accept 64-bit accesses (mailbox command/status) by implementing read64/write64, else the
 * platform splits them into two 32-bit accesses, low dword first.
 */
export interface MmioRegion {
  /** Size of the block in bytes. */
  readonly size: number;
  read32(offset: number): number;
  write32(offset: number, value: number): void;
  read64?(offset: number): bigint;
  write64?(offset: number, value: bigint): void;
}
