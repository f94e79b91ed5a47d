/**
 * DOC: cxlsim: register storage carved from slabs (no QEMU counterpart; QEMU allocates each
 * device's register arrays inside the device's own state).
 *
 * A device model's register arrays (configuration spaces, RAS and HDM capability registers,
 * mailbox, MSI-X table) are zeroed pieces of shared slabs of equal-sized pieces, marked with
 * `slabOfChunks()` (src/kernel/graph-copy.ts): a booted machine holds one ArrayBuffer per
 * {@link SLAB_PIECES} pieces of a size instead of one per array (fewer objects in a machine
 * snapshot), and `Machine.clone()` copies the pieces a machine uses into a few arenas of its
 * own instead of allocating a buffer per array. No view spans two pieces.
 */
import { slabOfChunks } from '../kernel/graph-copy.ts';

/** Pieces per slab: thousands of devices cost a few dozen zeroed allocations. */
export const SLAB_PIECES = 64;

/** A slab allocator of zeroed `bytes`-sized pieces. */
export function slabAllocator(bytes: number): () => Uint8Array {
  let slab: Uint8Array | undefined;
  let used = 0;
  return () => {
    if (!slab || used === SLAB_PIECES) {
      slab = new Uint8Array(bytes * SLAB_PIECES);
      slabOfChunks(slab.buffer, bytes);
      used = 0;
    }
    const at = bytes * used++;
    return slab.subarray(at, at + bytes);
  };
}

/** One allocator per piece size (the sizes in use are a handful). */
const bySize = new Map<number, () => Uint8Array>();

/** `bytes` zeroed bytes (a multiple of 4) carved from a slab of pieces of that size. */
export function slabBytes(bytes: number): Uint8Array {
  let a = bySize.get(bytes);
  if (!a) {
    a = slabAllocator(bytes);
    bySize.set(bytes, a);
  }
  return a();
}

/** `count` zeroed 32-bit registers carved from a slab (see {@link slabBytes}). */
export function slabDwords(count: number): Uint32Array {
  const b = slabBytes(4 * count);
  return new Uint32Array(b.buffer, b.byteOffset, count);
}
