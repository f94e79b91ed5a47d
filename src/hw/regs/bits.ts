/**
 * DOC: register field helpers (QEMU's FIELD()/FIELD_EX32/FIELD_DP32, reduced).
 *
 * A field is (shift, width) inside a 32-bit register; values are plain numbers kept unsigned
 * with `>>> 0`. 64-bit registers are split into two 32-bit halves by the blocks that have them.
 */

/** A bit field inside a 32-bit register: `mask` is already shifted into place. */
export interface Field {
  readonly shift: number;
  readonly width: number;
  readonly mask: number;
}

/** Field of `width` bits starting at bit `shift`. */
export function field(shift: number, width: number): Field {
  const mask = width >= 32 ? 0xffffffff : (((1 << width) >>> 0) - 1) * 2 ** shift;
  return { shift, width, mask: mask >>> 0 };
}

/** Single-bit mask (`BIT(n)`), unsigned. */
export function bit(n: number): number {
  return (1 << n) >>> 0;
}

/** Extracts a field (FIELD_EX32). */
export function getField(reg: number, f: Field): number {
  return ((reg & f.mask) >>> 0) / 2 ** f.shift;
}

/** Deposits a field (FIELD_DP32); extra bits of `value` are dropped. */
export function setField(reg: number, f: Field, value: number): number {
  return ((reg & ~f.mask) | ((value * 2 ** f.shift) & f.mask)) >>> 0;
}

/** Low 32 bits of a 64-bit value. */
export function lo32(v: bigint): number {
  return Number(v & 0xffffffffn);
}

/** High 32 bits of a 64-bit value. */
export function hi32(v: bigint): number {
  return Number((v >> 32n) & 0xffffffffn);
}

/** Joins two 32-bit halves into a 64-bit value. */
export function join64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** 256 MiB, the granule of HDM base/size/skip registers and of CXL capacities (bytes). */
export const SZ_256M = 0x10000000n;
