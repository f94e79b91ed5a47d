/**
 * A minimal "guest driver" for tests: finds register blocks and programs HDM decoders only
 * through the platform's bus (config space, CEDT bytes, MMIO), as drivers/cxl does.
 */
import type { HostBus } from '../../src/bus/index.ts';
import { parseCedt } from '../../src/hw/acpi/cedt.ts';

export interface Bdf {
  segment: number;
  bus: number;
  devfn: number;
}

/** cxl_find_regblock(): the Register Locator entry for `blockId`, resolved through the BAR. */
export function findRegBlock(bus: HostBus, f: Bdf, blockId: number): bigint | undefined {
  const rd = (o: number) => bus.pci.read(f.segment, f.bus, f.devfn, o, 4);
  for (let off = 0x100, n = 0; off >= 0x100 && n < 64; n++) {
    const h = rd(off);
    if (
      (h & 0xffff) === 0x23 &&
      (rd(off + 4) & 0xffff) === 0x1e98 &&
      (rd(off + 8) & 0xffff) === 8
    ) {
      const len = rd(off + 4) >>> 20;
      for (let e = off + 0x0c; e + 8 <= off + len; e += 8) {
        const lo = rd(e);
        if (((lo >>> 8) & 0xff) !== blockId) continue;
        const bir = lo & 7;
        const barLo = rd(0x10 + 4 * bir);
        let bar = BigInt((barLo & 0xfffffff0) >>> 0);
        if ((barLo & 6) === 4) bar |= BigInt(rd(0x14 + 4 * bir)) << 32n;
        return bar + (BigInt((lo & 0xffff0000) >>> 0) | (BigInt(rd(e + 4)) << 32n));
      }
    }
    off = h >>> 20;
  }
  return undefined;
}

/** CHBCR base of the host bridge with `uid`, from the CEDT the platform serves. */
export function chbcr(bus: HostBus, uid: number): bigint | undefined {
  const c = parseCedt(bus.acpi.table('CEDT') ?? new Uint8Array());
  for (const e of c.entries) if (e.type === 'chbs' && e.uid === uid) return e.base;
  return undefined;
}

/** cxl_probe_component_regs(): the HDM decoder capability's address, if the block has one. */
export function hdmCap(bus: HostBus, component: bigint): bigint | undefined {
  const cm = component + 0x1000n;
  const head = bus.mmio.read32(cm);
  if ((head & 0xffff) !== 1) return undefined;
  const n = head >>> 24;
  for (let i = 1; i <= n; i++) {
    const h = bus.mmio.read32(cm + BigInt(4 * i));
    if ((h & 0xffff) === 5) return cm + BigInt(h >>> 20);
  }
  return undefined;
}

export interface DecoderSetting {
  base: bigint;
  size: bigint;
  ways: number;
  granularity: number;
  /** Switch / host bridge: port numbers; endpoint: omit (DPA skip 0). */
  targets?: number[];
  skip?: bigint;
}

const EIW: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3, 16: 4, 3: 8, 6: 9, 12: 10 };

/** cxl_decoder_commit() for decoder `n`. @returns true when the device reports COMMITTED */
export function commitDecoder(bus: HostBus, hdm: bigint, n: number, d: DecoderSetting): boolean {
  const r = (o: number) => hdm + BigInt(0x20 * n + o);
  const w = (o: number, v: bigint | number) =>
    bus.mmio.write32(r(o), Number(BigInt(v) & 0xffffffffn));
  w(0x10, d.base);
  w(0x14, d.base >> 32n);
  w(0x18, d.size);
  w(0x1c, d.size >> 32n);
  if (d.targets) {
    let tl = 0n;
    d.targets.forEach((t, i) => {
      tl |= BigInt(t) << BigInt(8 * i);
    });
    w(0x24, tl);
    w(0x28, tl >> 32n);
  } else {
    w(0x24, d.skip ?? 0n);
    w(0x28, (d.skip ?? 0n) >> 32n);
  }
  const ig = Math.log2(d.granularity) - 8;
  const ctrl = ig | ((EIW[d.ways] ?? 0) << 4) | (1 << 9) | (1 << 12);
  w(0x20, ctrl);
  return (bus.mmio.read32(r(0x20)) & (1 << 10)) !== 0;
}
