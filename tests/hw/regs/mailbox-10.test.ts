/**
 * The QEMU 10.1 command set: Identify's 10.x layout, poison list/inject/clear, alert
 * configuration, security state, the event log checks, Get Log's 10.x errors, and the
 * cxlsim-only commands (Get Health Info, Set Partition Info) behind MemDevState.extraOpcodes.
 */
import { describe, expect, it } from 'vitest';
import { createDeviceRegisters } from '../../../src/hw/regs/device.ts';
import { qmpInjectPoison } from '../../../src/hw/regs/mailbox/poison.ts';
import { createMemDevState, type MemDevState } from '../../../src/hw/regs/memdev-state.ts';
import { Errno } from '../../../src/kernel/errno.ts';
import type { Type3Dev } from '../../../src/topology/model.ts';
import { mboxSend, payload, probeDeviceRegs } from './mbox-driver.ts';

const G = 0x10000000n;
const dev: Type3Dev = {
  kind: 'type3',
  id: 'cxl-vmem0',
  serial: 7n,
  volatileSize: 2n * G,
  persistentSize: 4n * G,
  lsaSize: 0x20000n,
};

function mk(tweak: (s: MemDevState) => void = () => {}) {
  const state = createMemDevState(dev, '11.1');
  tweak(state);
  return { state, regs: createDeviceRegisters(state) };
}
const u64 = (b: Uint8Array, o: number) =>
  new DataView(b.buffer, b.byteOffset).getBigUint64(o, true);
const u16 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint16(o, true);
const poisonQuery = (dpa: bigint, lines: bigint) =>
  payload(16, (dv) => {
    dv.setBigUint64(0, dpa, true);
    dv.setBigUint64(8, lines, true);
  });
const dpaIn = (dpa: bigint, size = 8) => payload(size, (dv) => dv.setBigUint64(0, dpa, true));

describe('QEMU 10.1 mailbox', () => {
  it('Identify: 0x45 bytes, volatile + persistent, 256 poison records, DC event log size', () => {
    const { regs } = mk();
    const r = mboxSend(regs, 0x4000);
    expect(r.rc).toBe(0);
    expect(r.out.length).toBe(0x45);
    expect([u64(r.out, 0x10), u64(r.out, 0x18), u64(r.out, 0x20), u64(r.out, 0x28)]).toEqual([
      6n,
      2n,
      4n,
      0n,
    ]);
    expect(new DataView(r.out.buffer).getUint32(0x38, true)).toBe(0x20000);
    expect((r.out[0x3c] ?? 0) | ((r.out[0x3d] ?? 0) << 8) | ((r.out[0x3e] ?? 0) << 16)).toBe(256);
    expect(u16(r.out, 0x43)).toBe(8);
  });

  it('Identify and Get Partition Info fail with INTERNAL for capacities off 256 MiB', () => {
    const state = createMemDevState({ ...dev, persistentSize: G + 4096n }, '11.1');
    const regs = createDeviceRegisters(state);
    expect(mboxSend(regs, 0x4000).rc).toBe(0x04);
    expect(mboxSend(regs, 0x4100).rc).toBe(0x04);
  });

  it('the command register keeps the opcode; the payload is cleared before each command', () => {
    const { regs } = mk();
    const r = mboxSend(regs, 0x0300);
    expect(r.cmd & 0xffffn).toBe(0x0300n);
    expect(r.out).toEqual(new Uint8Array(8));
  });

  it('mailbox capabilities: 2048 bytes, doorbell and background interrupts, message 7', () => {
    const { regs } = mk();
    const cap = regs.read32(probeDeviceRegs(regs).mbox);
    expect(cap & 0x1f).toBe(11);
    expect(cap & 0x60).toBe(0x60);
    expect((cap >>> 7) & 0xf).toBe(7);
  });

  it('poison: inject, list (newest first, source injected), clear writes data and splits', () => {
    const { regs, state } = mk();
    for (const dpa of [0x1000n, 0x2000n, 0x1000n])
      expect(mboxSend(regs, 0x4301, dpaIn(dpa)).rc).toBe(0);
    const list = mboxSend(regs, 0x4300, poisonQuery(0n, 0x1000n));
    expect(list.rc).toBe(0);
    expect(u16(list.out, 0xa)).toBe(2);
    expect(list.out.length).toBe(0x20 + 2 * 16);
    expect(u64(list.out, 0x20)).toBe(0x2000n | 3n);
    expect(new DataView(list.out.buffer).getUint32(0x28, true)).toBe(1);
    qmpInjectPoison(state, 0x10000n, 0x100n);
    const clear = dpaIn(0x10040n, 72);
    clear.fill(0x5a, 8);
    expect(mboxSend(regs, 0x4302, clear).rc).toBe(0);
    expect(state.store.read(0x10040n, 64)).toEqual(new Uint8Array(64).fill(0x5a));
    const after = mboxSend(regs, 0x4300, poisonQuery(0x10000n, 4n));
    expect(u16(after.out, 0xa)).toBe(2);
    const recs = [0, 1].map((i) => [
      u64(after.out, 0x20 + 16 * i),
      new DataView(after.out.buffer).getUint32(0x28 + 16 * i, true),
    ]);
    expect(recs).toContainEqual([0x10000n | 2n, 1]);
    expect(recs).toContainEqual([0x10080n | 2n, 2]);
  });

  it('poison errors: misaligned query → INPUT, clear past capacity → PADDR, list full → POISONLMT', () => {
    const { regs } = mk();
    expect(mboxSend(regs, 0x4300, poisonQuery(0x20n, 1n)).rc).toBe(0x02);
    expect(mboxSend(regs, 0x4302, dpaIn(6n * G - 32n, 72)).rc).toBe(0x0f);
    for (let i = 0n; i < 256n; i++) mboxSend(regs, 0x4301, dpaIn(i * 64n));
    expect(mboxSend(regs, 0x4301, dpaIn(0x100000n)).rc).toBe(0x10);
  });

  it('QMP cxl-inject-poison keeps QEMU wording for bad input', () => {
    const { state } = mk();
    expect(() => qmpInjectPoison(state, 0n, 65n)).toThrow(
      'Poison injection must be in multiples of 64 bytes',
    );
    expect(() => qmpInjectPoison(state, 1n, 64n)).toThrow(
      'Poison start address must be 64 byte aligned',
    );
    qmpInjectPoison(state, 0n, 128n);
    expect(() => qmpInjectPoison(state, 64n, 64n)).toThrow(Errno);
  });

  it('alert configuration: QEMU defaults, valid updates, warnings not below criticals → INPUT', () => {
    const { regs } = mk();
    const get = () => mboxSend(regs, 0x4201).out;
    expect([...get().subarray(0, 4)]).toEqual([0, 0, 75, 40]);
    expect([u16(get(), 4), u16(get(), 6), u16(get(), 8), u16(get(), 10)]).toEqual([35, 10, 25, 20]);
    const set = (valid: number, life: number, over: number, under: number) =>
      payload(12, (dv) => {
        dv.setUint8(0, valid);
        dv.setUint8(2, life);
        dv.setUint16(4, over, true);
        dv.setUint16(6, under, true);
      });
    expect(mboxSend(regs, 0x4202, set(0x7, 50, 30, 15)).rc).toBe(0);
    expect([get()[1], get()[3], u16(get(), 8), u16(get(), 10)]).toEqual([0x7, 50, 30, 15]);
    expect(mboxSend(regs, 0x4202, set(0x1, 75, 0, 0)).rc).toBe(0x02);
    expect(mboxSend(regs, 0x4202, set(0x2, 0, 35, 0)).rc).toBe(0x02);
    expect(mboxSend(regs, 0x4202, set(0x4, 0, 0, 10)).rc).toBe(0x02);
    expect(mboxSend(regs, 0x4202, new Uint8Array(8)).rc).toBe(0x16);
  });

  it('events: bad log type → INPUT; interrupt policy round trip', () => {
    const { regs } = mk();
    expect(mboxSend(regs, 0x0100, new Uint8Array([5])).rc).toBe(0x02);
    expect(mboxSend(regs, 0x0100, new Uint8Array([3])).out).toEqual(new Uint8Array(0x20));
    expect(mboxSend(regs, 0x0103, new Uint8Array([1, 0, 1, 0])).rc).toBe(0);
    expect([...mboxSend(regs, 0x0102).out]).toEqual([0x21, 0, 0x41, 0, 0]);
    expect(mboxSend(regs, 0x0103, new Uint8Array([1])).rc).toBe(0x16);
    expect(mboxSend(regs, 0x0101, new Uint8Array([0, 0, 2, 0, 0, 0])).rc).toBe(0x16);
  });

  it('Get Log: another UUID is an invalid log (LOG), a length past the payload INPUT', () => {
    const { regs } = mk();
    expect(mboxSend(regs, 0x0401, new Uint8Array(0x18)).rc).toBe(0x17);
    const cel = mboxSend(regs, 0x0400).out.subarray(8, 24);
    const big = new Uint8Array(0x18);
    big.set(cel);
    new DataView(big.buffer).setUint32(20, 4096, true);
    expect(mboxSend(regs, 0x0401, big).rc).toBe(0x02);
  });

  it('the CEL lists the 10.1 additions and nothing QEMU lacks', () => {
    const { regs } = mk();
    const ops = celOpcodes(regs);
    for (const op of [0x4201, 0x4202, 0x4300, 0x4301, 0x4302, 0x4500]) expect(ops).toContain(op);
    expect(ops).not.toContain(0x4200);
    expect(ops).not.toContain(0x4101);
    expect(mboxSend(regs, 0x4200).rc).toBe(0x03);
    expect(mboxSend(regs, 0x4500).out).toEqual(new Uint8Array(4));
  });

  it('extra commands: Get Health Info answers MemDevState.health; Set Partition Info accepts nothing', () => {
    const { regs } = mk((s) => {
      s.extraOpcodes = new Set([0x4200, 0x4101]);
      // a fresh device shares a frozen health: a writer assigns its own
      s.health = { ...s.health, lifeUsed: 15, dirtyShutdowns: 10 };
    });
    expect(celOpcodes(regs)).toEqual(expect.arrayContaining([0x4101, 0x4200]));
    const h = mboxSend(regs, 0x4200);
    expect([h.rc, h.out.length, h.out[3], u16(h.out, 4)]).toEqual([0, 0x12, 15, 25]);
    expect(new DataView(h.out.buffer).getUint32(6, true)).toBe(10);
    expect(mboxSend(regs, 0x4101, new Uint8Array(9)).rc).toBe(0x03);
    expect(mboxSend(regs, 0x4101, new Uint8Array(4)).rc).toBe(0x16);
  });
});

function celOpcodes(regs: ReturnType<typeof createDeviceRegisters>): number[] {
  const sup = mboxSend(regs, 0x0400).out;
  const size = new DataView(sup.buffer).getUint32(0x18, true);
  const input = new Uint8Array(0x18);
  input.set(sup.subarray(8, 24));
  new DataView(input.buffer).setUint32(20, size, true);
  const out = mboxSend(regs, 0x0401, input).out;
  return Array.from({ length: size / 4 }, (_, i) => u16(out, 4 * i));
}
