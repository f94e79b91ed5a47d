/**
 * Test helper: talks to a device register block the way the kernel does
 * (cxl_probe_device_regs() to find the capabilities, __cxl_pci_mbox_send_cmd() to run a command:
 * payload, 64-bit command write, doorbell, poll, status [47:32], output length [36:16]).
 */
import type { MmioRegion } from '../../../src/hw/mmio-region.ts';

export interface Caps {
  status: number;
  mbox: number;
  memdev: number;
  ids: { id: number; offset: number; length: number }[];
}

type Region64 = MmioRegion & { read64(o: number): bigint; write64(o: number, v: bigint): void };

/** Walks the device capabilities array (CXL 3.1 §8.2.8.2). */
export function probeDeviceRegs(r: MmioRegion): Caps {
  const count = r.read32(4) & 0xffff;
  const ids: Caps['ids'] = [];
  for (let i = 1; i <= count; i++) {
    ids.push({
      id: r.read32(0x10 * i) & 0xffff,
      offset: r.read32(0x10 * i + 4),
      length: r.read32(0x10 * i + 8),
    });
  }
  const at = (id: number) => ids.find((c) => c.id === id)?.offset ?? -1;
  return { status: at(1), mbox: at(2), memdev: at(0x4000), ids };
}

/** Sends one mailbox command; returns the return code and the output payload. */
export function mboxSend(r: Region64, opcode: number, input: Uint8Array = new Uint8Array(0)) {
  const mb = probeDeviceRegs(r).mbox;
  if (r.read32(mb + 4) & 1) throw new Error('mailbox queue busy');
  const padded = new Uint8Array(Math.ceil(input.length / 4) * 4);
  padded.set(input);
  const dv = new DataView(padded.buffer);
  for (let i = 0; i < padded.length; i += 4) r.write32(mb + 0x20 + i, dv.getUint32(i, true));
  r.write64(mb + 8, BigInt(opcode) | (BigInt(input.length) << 16n));
  r.write32(mb + 4, 1);
  if (r.read32(mb + 4) & 1) throw new Error('mailbox timeout');
  const sts = r.read64(mb + 0x10);
  const rc = Number((sts >> 32n) & 0xffffn);
  const cmd = r.read64(mb + 8);
  const len = Number((cmd >> 16n) & 0x1fffffn);
  const out = new Uint8Array(len);
  const odv = new DataView(out.buffer);
  for (let i = 0; i < len; i += 4) {
    const v = r.read32(mb + 0x20 + i);
    for (let b = 0; b < 4 && i + b < len; b++) odv.setUint8(i + b, (v >>> (8 * b)) & 0xff);
  }
  return { rc, out, cmd };
}

/** Little-endian payload builder. */
export function payload(size: number, fill: (dv: DataView) => void): Uint8Array {
  const b = new Uint8Array(size);
  fill(new DataView(b.buffer));
  return b;
}
