/**
 * Device registers and the QEMU 7.2 mailbox, checked against the interleave-dyndbg capture:
 * capability offsets and payload size from its dmesg, the CEL from "Found LOG type … of size"
 * and the "Opcode … unsupported by driver" lines, and the memdev attributes the kernel derived
 * from Identify (firmware_version, label_storage_size, pmem/size, ram/size, payload_max).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDeviceRegisters } from '../../../src/hw/regs/device.ts';
import { uuidString } from '../../../src/hw/regs/mailbox/types.ts';
import { createMemDevState } from '../../../src/hw/regs/memdev-state.ts';
import { parseSysfsTxt } from '../../helpers/sysfs-txt.ts';
import { mboxSend, payload, probeDeviceRegs } from './mbox-driver.ts';
import { type3Devices } from './qemu-args.ts';

const FIX = new URL('../../../sysfs-fixtures/interleave-dyndbg/', import.meta.url);
const dmesg = readFileSync(new URL('00-boot/dmesg-raw.txt', FIX), 'utf8').split('\n');
const devs = type3Devices(new URL('host/qemu-args.txt', FIX));
const memdevs = readFileSync(new URL('00-boot/memdevs.txt', FIX), 'utf8').trim().split('\n');
const sysfs = parseSysfsTxt(readFileSync(new URL('00-boot/sysfs.txt', FIX), 'utf8'));

/** dmesg lines of one PCI function, message part only. */
const linesOf = (bdf: string) =>
  dmesg
    .map((l) => /^<\d>\[\s*[\d.]+\] cxl_pci (\S+): (.*)$/.exec(l))
    .flatMap((m) => (m && m[1] === bdf ? [m[2] ?? ''] : []));

/** (memN, serial, PCI function) rows of memdevs.txt. */
const rows = memdevs.map((l) => {
  const [mem = '', sn = '', host = ''] = l.split('\t');
  return { mem, serial: BigInt(sn.replace('serial=', '')), bdf: host.replace('host=', '') };
});

/** Get LSA input: offset u32, length u32. */
const lsaRange = (offset: number, length: number) =>
  payload(8, (dv) => {
    dv.setUint32(0, offset, true);
    dv.setUint32(4, length, true);
  });

const mk = (serial: bigint) => {
  const d = devs.find((x) => x.serial === serial);
  if (!d) throw new Error(`no device sn=${serial}`);
  const state = createMemDevState(d, '7.2');
  return { state, regs: createDeviceRegisters(state) };
};

describe('device register block (QEMU 7.2) vs the capture', () => {
  for (const row of rows) {
    it(`${row.bdf}: capability offsets and payload size as dmesg printed them`, () => {
      const { regs } = mk(row.serial);
      const caps = probeDeviceRegs(regs);
      const lines = linesOf(row.bdf);
      const hex = (re: RegExp) =>
        Number.parseInt(lines.map((l) => re.exec(l)?.[1]).find(Boolean) ?? 'NaN', 16);
      expect(caps.status).toBe(hex(/^found Status capability \(0x([0-9a-f]+)\)$/));
      expect(caps.mbox).toBe(hex(/^found Mailbox capability \(0x([0-9a-f]+)\)$/));
      expect(caps.memdev).toBe(hex(/^found Memory Device capability \(0x([0-9a-f]+)\)$/));
      const sized = lines.map((l) => /^Mailbox payload sized (\d+)$/.exec(l)?.[1]).find(Boolean);
      expect(1 << (regs.read32(caps.mbox) & 0x1f)).toBe(Number(sized));
      expect(regs.size).toBe(0x1000); // lspci: Region 2 … [size=4K]
    });
  }

  it('memory device status: media ready, mailbox interface ready; read-only', () => {
    const { regs } = mk(1n);
    const md = probeDeviceRegs(regs).memdev;
    const v = regs.read64(md);
    expect(Number((v >> 2n) & 3n)).toBe(1);
    expect(v & (1n << 4n)).toBe(1n << 4n);
    regs.write64(md, 0n);
    expect(regs.read64(md)).toBe(v);
  });

  it('capabilities array register: ID 0, count 3', () => {
    const { regs } = mk(1n);
    expect(regs.read32(0) & 0xffff).toBe(0);
    expect(regs.read64(0) >> 32n).toBe(3n);
  });
});

describe('QEMU 7.2 mailbox commands', () => {
  const row = rows[0] as (typeof rows)[number];

  it('Get Supported Logs: the CEL UUID and size the kernel logged', () => {
    const { regs } = mk(row.serial);
    const r = mboxSend(regs, 0x0400);
    expect(r.rc).toBe(0);
    const dv = new DataView(r.out.buffer);
    expect(dv.getUint16(0, true)).toBe(1);
    const found = linesOf(row.bdf)
      .map((l) => /^Found LOG type (\S+) of size (\d+)$/.exec(l))
      .find(Boolean);
    expect(uuidString(r.out.subarray(8, 24))).toBe(found?.[1]);
    expect(dv.getUint32(0x18, true)).toBe(Number(found?.[2]));
  });

  it('Get Log (CEL): QEMU 7.2 command set, in the order the kernel walked it', () => {
    const { regs } = mk(row.serial);
    const sup = mboxSend(regs, 0x0400).out;
    const size = new DataView(sup.buffer).getUint32(0x18, true);
    const input = new Uint8Array(0x18);
    input.set(sup.subarray(8, 24));
    new DataView(input.buffer).setUint32(20, size, true);
    const r = mboxSend(regs, 0x0401, input);
    expect(r.rc).toBe(0);
    const dv = new DataView(r.out.buffer);
    const cel = Array.from({ length: size / 4 }, (_, i) => [
      dv.getUint16(4 * i, true),
      dv.getUint16(4 * i + 2, true),
    ]);
    // QEMU 7.2 hw/cxl/cxl-mailbox-utils.c cxl_cmd_set[][]: opcode, CEL effect
    expect(cel).toEqual([
      [0x0100, 0],
      [0x0101, 0x10],
      [0x0102, 0],
      [0x0103, 0x2],
      [0x0200, 0],
      [0x0300, 0],
      [0x0301, 0x8],
      [0x0400, 0],
      [0x0401, 0],
      [0x4000, 0],
      [0x4100, 0],
      [0x4102, 0],
      [0x4103, 0x6],
    ]);
    const unsupported = linesOf(row.bdf).flatMap((l) => {
      const m = /^Opcode 0x([0-9a-f]{4}) unsupported by driver$/.exec(l);
      return m ? [Number.parseInt(m[1] ?? '', 16)] : [];
    });
    expect(unsupported.length).toBeGreaterThan(0);
    const order = cel.map((c) => c[0]).filter((op) => unsupported.includes(op as number));
    expect(order).toEqual(unsupported);
  });

  it('Get Log: other UUID → UNSUPPORTED, offset + length past the payload → INPUT', () => {
    const { regs } = mk(row.serial);
    const bad = new Uint8Array(0x18);
    new DataView(bad.buffer).setUint32(20, 4, true);
    expect(mboxSend(regs, 0x0401, bad).rc).toBe(0x03);
    const big = new Uint8Array(0x18);
    new DataView(big.buffer).setUint32(16, 2000, true);
    new DataView(big.buffer).setUint32(20, 100, true);
    expect(mboxSend(regs, 0x0401, big).rc).toBe(0x02);
  });

  for (const r0 of rows) {
    it(`Identify of ${r0.mem} gives the memdev attributes the capture shows`, () => {
      const { regs } = mk(r0.serial);
      const id = mboxSend(regs, 0x4000);
      expect(id.rc).toBe(0);
      expect(id.out.length).toBe(0x43);
      const dv = new DataView(id.out.buffer);
      const fw = new TextDecoder().decode(id.out.subarray(0, 16)).replace(/\0.*$/s, '');
      const attr = (name: string) =>
        sysfs
          .find((e) => e.kind === 'F' && e.path.endsWith(`/${r0.bdf}/${r0.mem}/${name}`))
          ?.body.join('\n');
      const cap = (off: number) => `0x${(dv.getBigUint64(off, true) * 0x10000000n).toString(16)}`;
      expect(fw).toBe(attr('firmware_version'));
      expect(String(dv.getUint32(0x38, true))).toBe(attr('label_storage_size'));
      expect(cap(0x20)).toBe(attr('pmem/size'));
      expect(cap(0x18)).toBe(attr('ram/size'));
      expect(dv.getBigUint64(0x28, true)).toBe(0n); // partition alignment 0: no Get Partition Info
      const caps = probeDeviceRegs(regs);
      expect(String(1 << (regs.read32(caps.mbox) & 0x1f))).toBe(attr('payload_max'));
    });
  }

  it('Set LSA then Get LSA reads the label back; out of range is INPUT', () => {
    const { regs, state } = mk(row.serial);
    const data = new TextEncoder().encode('namespace-label!');
    const set = payload(8 + data.length, (dv) => dv.setUint32(0, 0x1000, true));
    set.set(data, 8);
    expect(mboxSend(regs, 0x4103, set).rc).toBe(0);
    const get = mboxSend(regs, 0x4102, lsaRange(0x1000, data.length));
    expect(get.rc).toBe(0);
    expect(get.out).toEqual(data);
    const n = state.lsa.length;
    expect(mboxSend(regs, 0x4102, lsaRange(n - 4, 8)).rc).toBe(0x02);
    const over = payload(8 + 8, (dv) => dv.setUint32(0, n - 4, true));
    expect(mboxSend(regs, 0x4103, over).rc).toBe(0x02);
    expect(state.lsa.subarray(n - 4)).toEqual(new Uint8Array(4));
  });

  it('Get Partition Info: active persistent = capacity / 256 MiB', () => {
    const { regs, state } = mk(row.serial);
    const r = mboxSend(regs, 0x4100);
    expect(r.rc).toBe(0);
    expect(new DataView(r.out.buffer).getBigUint64(8, true) * 0x10000000n).toBe(
      state.persistentSize,
    );
  });

  it('events are stubs (0x20 / 4 zero bytes), NOPs echo the input length', () => {
    const { regs } = mk(row.serial);
    const rec = mboxSend(regs, 0x0100, new Uint8Array([9]));
    expect([rec.rc, rec.out]).toEqual([0, new Uint8Array(0x20)]);
    expect(mboxSend(regs, 0x0102).out).toEqual(new Uint8Array(4));
    expect(mboxSend(regs, 0x0103, new Uint8Array([1, 1, 1, 1])).out.length).toBe(4);
  });

  it('unknown opcodes → UNSUPPORTED, wrong input length → PAYLOADLEN, doorbell clears', () => {
    const { regs } = mk(row.serial);
    for (const op of [0x4200, 0x4300, 0x4500]) expect(mboxSend(regs, op).rc).toBe(0x03);
    expect(mboxSend(regs, 0x4000, new Uint8Array(4)).rc).toBe(0x16);
    expect(mboxSend(regs, 0x0401, new Uint8Array(4)).rc).toBe(0x16);
    expect(regs.read32(probeDeviceRegs(regs).mbox + 4) & 1).toBe(0);
  });

  it('Get FW Info: two slots, slot 1 active, "BWFW VERSION 0"', () => {
    const { regs } = mk(row.serial);
    const r = mboxSend(regs, 0x0200);
    expect(r.rc).toBe(0);
    expect([r.out[0], r.out[1]]).toEqual([2, 0x09]);
    expect(new TextDecoder().decode(r.out.subarray(0x10, 0x20)).replace(/\0.*$/s, '')).toBe(
      'BWFW VERSION 0',
    );
  });

  it('timestamps: 0 until set, then the host value plus device time', () => {
    const { regs, state } = mk(row.serial);
    let now = 1000n;
    state.clock = { now: () => now };
    const get = () => new DataView(mboxSend(regs, 0x0300).out.buffer).getBigUint64(0, true);
    expect(get()).toBe(0n);
    expect(
      mboxSend(
        regs,
        0x0301,
        payload(8, (dv) => dv.setBigUint64(0, 5_000_000n, true)),
      ).rc,
    ).toBe(0);
    now += 250n;
    expect(get()).toBe(5_000_250n);
  });
});
