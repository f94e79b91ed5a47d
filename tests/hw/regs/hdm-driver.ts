/**
 * Test helper: finds the HDM capability of a component block the way cxl_probe_component_regs()
 * does and programs a decoder the way the kernel's setup_hw_decoder() does (base, size, target
 * list or DPA skip, CTRL last), all through 32-bit MMIO.
 */
import type { MmioRegion } from '../../../src/hw/mmio-region.ts';

/** {id, ptr} of every capability header, in array order (what 6.1's dev_dbg lines print). */
export function walkCachemem(r: MmioRegion): { id: number; ptr: number }[] {
  const hdr = r.read32(0x1000);
  if ((hdr & 0xffff) !== 1) return [];
  const out: { id: number; ptr: number }[] = [];
  for (let i = 1; i <= hdr >>> 24; i++) {
    const h = r.read32(0x1000 + 4 * i);
    out.push({ id: h & 0xffff, ptr: h >>> 20 });
  }
  return out;
}

/** Offset of the HDM capability inside the component block. */
export function hdmOffset(r: MmioRegion): number {
  const c = walkCachemem(r).find((x) => x.id === 5);
  if (!c) throw new Error('no HDM capability');
  return 0x1000 + c.ptr;
}

export interface DecoderProgram {
  base: bigint;
  size: bigint;
  eiw: number;
  eig: number;
  /** Port numbers (switch) — or the DPA skip (device). */
  targets?: number[];
  skip?: bigint;
  lock?: boolean;
  hostonly?: boolean;
}

const lo = (v: bigint) => Number(v & 0xffffffffn);
const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);

/** setup_hw_decoder(): writes decoder n and returns the CTRL value read back. */
export function programDecoder(r: MmioRegion, hdm: number, n: number, d: DecoderProgram): number {
  const at = (o: number) => hdm + 0x20 * n + o;
  r.write32(at(0x14), hi(d.base));
  r.write32(at(0x10), lo(d.base));
  r.write32(at(0x1c), hi(d.size));
  r.write32(at(0x18), lo(d.size));
  let tl = d.skip ?? 0n;
  if (d.targets) {
    tl = 0n;
    d.targets.forEach((t, i) => {
      tl |= BigInt(t) << BigInt(8 * i);
    });
  }
  r.write32(at(0x28), hi(tl));
  r.write32(at(0x24), lo(tl));
  const ctrl = r.read32(at(0x20));
  let v = (ctrl & ~0xff) | d.eig | (d.eiw << 4) | (1 << 9);
  if (d.lock) v |= 1 << 8;
  if (d.hostonly ?? true) v |= 1 << 12;
  r.write32(at(0x20), v >>> 0);
  return r.read32(at(0x20));
}

/** Clears COMMIT then zeroes size/base, as cxl_decoder_reset() does; returns CTRL read back. */
export function resetDecoder(r: MmioRegion, hdm: number, n: number): number {
  const at = (o: number) => hdm + 0x20 * n + o;
  r.write32(at(0x20), r.read32(at(0x20)) & ~(1 << 9));
  for (const o of [0x1c, 0x18, 0x14, 0x10]) r.write32(at(o), 0);
  return r.read32(at(0x20));
}

export const COMMITTED = 1 << 10;
export const ERR = 1 << 11;
