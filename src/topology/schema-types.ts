/**
 * DOC: field schemas shared by the topology-file schema (zod).
 *
 * YAML is parsed with `intAsBigInt`, so every integer arrives as a bigint: small-number fields
 * accept a bigint or number and yield a number; 64-bit fields (sizes, addresses, serials)
 * yield a bigint and also accept QEMU size strings ("256M", "4G", "0x10000000",
 * util/cutils.c rules, see {@link qemuStrtosz}). A PCI address is `{slot, fn}` or QEMU's
 * "SLOT.FN" (hexadecimal). Messages are short and name what was expected ("expected
 * number"); the caller prefixes the field path.
 */
import { z } from 'zod';
import type { PciAddr } from './model.ts';
import { qemuStrtosz, qemuStrtou64 } from './qemu-size.ts';

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'bigint' ? 'number' : typeof v;
}

/** An integer in [min, max] given as number or bigint → number. */
export function int(min: number, max: number) {
  return z.unknown().transform((v, ctx) => {
    let n: number | undefined;
    if (typeof v === 'number' && Number.isInteger(v)) n = v;
    else if (typeof v === 'bigint' && v >= BigInt(min) && v <= BigInt(max)) n = Number(v);
    else if (typeof v === 'bigint') n = Number.NaN;
    if (n === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected number', input: v });
      return z.NEVER;
    }
    if (!(n >= min && n <= max)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected an integer from ${min} to ${max}`,
        input: v,
      });
      return z.NEVER;
    }
    return n;
  });
}

/** A byte count or address: bigint, safe integer, or a QEMU size string → bigint (≥ 0). */
export const size = z.unknown().transform((v, ctx) => {
  if (typeof v === 'bigint' && v >= 0n && v < 1n << 64n) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string') {
    const r = qemuStrtosz(v);
    if (r.ok) return r.value;
  }
  ctx.addIssue({
    code: 'custom',
    message: `expected a size in bytes (a number, or a string such as "256M", "4G", "0x10000000"), got ${kindOf(v)}`,
    input: v,
  });
  return z.NEVER;
});

/** A 64-bit integer (serial numbers, XOR maps): bigint, safe integer or "0x…" → bigint. */
export const u64 = z.unknown().transform((v, ctx) => {
  if (typeof v === 'bigint' && v >= 0n && v < 1n << 64n) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string') {
    const r = qemuStrtou64(v);
    if (r.ok) return r.value;
  }
  ctx.addIssue({ code: 'custom', message: 'expected a 64-bit unsigned integer', input: v });
  return z.NEVER;
});

const GRANULARITIES = [256, 512, 1024, 2048, 4096, 8192, 16384];

/** An interleave granularity in bytes (256 … 16384, power of two); "4k" strings allowed. */
export const granularity = z.unknown().transform((v, ctx) => {
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'bigint' && v <= 1n << 20n) n = Number(v);
  else if (typeof v === 'string') {
    const r = qemuStrtosz(v);
    if (r.ok && r.value <= 1n << 20n) n = Number(r.value);
  }
  if (n === undefined || !GRANULARITIES.includes(n)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a granularity of ${GRANULARITIES.join(', ')} bytes`,
      input: v,
    });
    return z.NEVER;
  }
  return n;
});

/** `{slot, fn}` or "SLOT.FN" (hex, as QEMU's addr=). */
export const pciAddr = z.unknown().transform((v, ctx): PciAddr => {
  if (typeof v === 'string') {
    const m = /^([0-9a-fA-F]{1,2})(?:\.([0-7]))?$/.exec(v);
    if (m?.[1] !== undefined) {
      const slot = Number.parseInt(m[1], 16);
      if (slot <= 31) return { slot, fn: m[2] === undefined ? 0 : Number(m[2]) };
    }
  } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    const slot = typeof o.slot === 'bigint' ? Number(o.slot) : o.slot;
    const fn = typeof o.fn === 'bigint' ? Number(o.fn) : o.fn;
    if (
      keys.every((k) => k === 'slot' || k === 'fn') &&
      typeof slot === 'number' &&
      Number.isInteger(slot) &&
      slot >= 0 &&
      slot <= 31 &&
      typeof fn === 'number' &&
      Number.isInteger(fn) &&
      fn >= 0 &&
      fn <= 7
    )
      return { slot, fn };
  }
  ctx.addIssue({
    code: 'custom',
    message: 'expected a PCI address {slot: 0-31, fn: 0-7} or "SLOT.FN"',
    input: v,
  });
  return z.NEVER;
});

/** A non-empty name (device id). */
export const ident = z.string().min(1);
