/**
 * RAS commands of the type-3 mailbox per QEMU version: the CEL against the captures, background
 * commands (sanitize, scan media, firmware transfer) on an injectable device clock, event logs
 * with overflow, scan media with the held-back poison, firmware slots.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDeviceRegisters } from '../../../src/hw/regs/device.ts';
import { eventInsert } from '../../../src/hw/regs/mailbox/events.ts';
import { qmpInjectPoison } from '../../../src/hw/regs/mailbox/poison.ts';
import { createMemDevState } from '../../../src/hw/regs/memdev-state.ts';
import type { QemuVersion } from '../../../src/profile.ts';
import type { Type3Dev } from '../../../src/topology/model.ts';
import { mboxSend, payload } from './mbox-driver.ts';

const G = 0x10000000n;
const dev: Type3Dev = {
  kind: 'type3',
  id: 'cxl-pmem0',
  serial: 1n,
  volatileSize: 0n,
  persistentSize: 2n * G,
  lsaSize: 0x1000n,
};

function mk(qemu: QemuVersion = '11.1') {
  const state = createMemDevState(dev, qemu);
  let ns = 0n;
  state.clock = { now: () => ns };
  const advance = (ms: number) => {
    ns += BigInt(ms) * 1_000_000n;
  };
  return { state, regs: createDeviceRegisters(state), advance };
}
const u16 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint16(o, true);
const u32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint32(o, true);
const u64 = (b: Uint8Array, o: number) =>
  new DataView(b.buffer, b.byteOffset).getBigUint64(o, true);
/** The Background Command Status register (mailbox at 0x88 + 0x18). */
const bgStatus = (regs: ReturnType<typeof mk>['regs']) => regs.read64(0x88 + 0x18);
const mboxStatus = (regs: ReturnType<typeof mk>['regs']) => regs.read64(0x88 + 0x10);

function celOpcodes(regs: ReturnType<typeof mk>['regs']): number[] {
  const sup = mboxSend(regs, 0x0400).out;
  const size = u32(sup, 0x18);
  const input = new Uint8Array(0x18);
  input.set(sup.subarray(8, 24));
  new DataView(input.buffer).setUint32(20, size, true);
  const out = mboxSend(regs, 0x0401, input).out;
  return Array.from({ length: size / 4 }, (_, i) => u16(out, 4 * i));
}

describe('CEL per QEMU version', () => {
  it('11.1 lists exactly the opcodes of the latest capture (enabled + unsupported by driver)', () => {
    const dmesg = readFileSync('sysfs-fixtures/stacks/latest/failures/00-boot/dmesg.txt', 'utf8');
    const dev0 = dmesg.split('\n').filter((l) => l.includes('cxl_pci 0000:42:00.0: Opcode 0x'));
    const captured = dev0.map((l) =>
      Number.parseInt(/Opcode 0x([0-9a-f]{4})/.exec(l)?.[1] ?? '', 16),
    );
    expect(captured).toHaveLength(31);
    const size = /0000:42:00.0: Found LOG type \S+ of size (\d+)/.exec(dmesg)?.[1];
    expect(Number(size)).toBe(124);
    expect(celOpcodes(mk('11.1').regs)).toEqual(captured);
  });

  it('7.2: 13 commands (52 bytes), 10.0: all but Perform Maintenance and alert configuration', () => {
    expect(celOpcodes(mk('7.2').regs)).toHaveLength(13);
    const ten = celOpcodes(mk('10.0').regs);
    expect(ten).toHaveLength(28);
    for (const op of [0x0600, 0x4201, 0x4202]) expect(ten).not.toContain(op);
    expect(ten).toContain(0x4402);
  });
});

describe('background commands', () => {
  it('sanitize: BACKGROUND, media disabled, BUSY for another bg command, zeroed on completion', () => {
    const { state, regs, advance } = mk();
    state.store.write(0x1000n, new Uint8Array([1, 2, 3]));
    state.lsa[0] = 9;
    eventInsert(state, 0, new Uint8Array(128));
    expect(mboxSend(regs, 0x4400).rc).toBe(0x01);
    expect(mboxStatus(regs) & 1n).toBe(1n);
    expect(mboxSend(regs, 0x4300, new Uint8Array(16)).rc).toBe(0x07);
    expect(mboxSend(regs, 0x4304, new Uint8Array(17)).rc).toBe(0x06);
    advance(3999);
    const mid = bgStatus(regs);
    expect(mid & 0xffffn).toBe(0x4400n);
    expect(Number((mid >> 16n) & 0x7fn)).toBe(75);
    advance(1);
    const done = bgStatus(regs);
    expect(Number((done >> 16n) & 0x7fn)).toBe(100);
    expect(Number((done >> 32n) & 0xffffn)).toBe(0);
    expect(mboxStatus(regs) & 1n).toBe(0n);
    expect([...state.store.read(0x1000n, 3)]).toEqual([0, 0, 0]);
    expect(state.lsa[0]).toBe(0);
    expect(state.ras.events[0]?.records).toHaveLength(0);
    expect(mboxSend(regs, 0x4300, new Uint8Array(16)).rc).toBe(0);
  });

  it('sanitize run time follows the capacity (QEMU get_sanitize_duration)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), (quarters) => {
        const s = createMemDevState({ ...dev, persistentSize: BigInt(quarters) * G }, '11.1');
        let ns = 0n;
        s.clock = { now: () => ns };
        const r = createDeviceRegisters(s);
        expect(mboxSend(r, 0x4400).rc).toBe(1);
        const mib = quarters * 256;
        const secs =
          mib <= 512
            ? 4
            : mib <= 1024
              ? 8
              : mib <= 2048
                ? 15
                : mib <= 4096
                  ? 30
                  : mib <= 8192
                    ? 60
                    : 120;
        ns = BigInt(secs * 1000 - 1) * 1_000_000n;
        expect(Number((bgStatus(r) >> 16n) & 0x7fn)).toBeLessThan(100);
        ns = BigInt(secs * 1000) * 1_000_000n;
        expect(Number((bgStatus(r) >> 16n) & 0x7fn)).toBe(100);
      }),
    );
  });

  it('abort stops a sanitize below 85 % with ABORT; 7.2 and 10.0 differ in what they have', () => {
    const { regs, advance, state } = mk();
    mboxSend(regs, 0x4400);
    advance(1000);
    expect(mboxSend(regs, 0x0005).rc).toBe(0);
    expect(Number((bgStatus(regs) >> 32n) & 0xffffn)).toBe(0x12);
    expect(state.ras.bg.aborted).toBe(true);
    expect(mboxSend(mk('7.2').regs, 0x4400).rc).toBe(0x03);
    expect(mboxSend(mk('10.0').regs, 0x0600, new Uint8Array(2)).rc).toBe(0x03);
  });
});

describe('events', () => {
  it('8 records per log, then overflow; get returns oldest first; clear in order resets overflow', () => {
    const { state, regs } = mk();
    for (let i = 0; i < 10; i++) {
      const r = new Uint8Array(128);
      r[0x30] = i;
      eventInsert(state, 2, r);
    }
    expect(regs.read32(0x80)).toBe(1 << 2);
    const out = mboxSend(regs, 0x0100, new Uint8Array([2])).out;
    expect(out[0]).toBe(0x3);
    expect(u16(out, 2)).toBe(2);
    expect(u16(out, 0x14)).toBe(8);
    expect(out.length).toBe(0x20 + 8 * 128);
    expect(out[0x20 + 0x30]).toBe(0);
    expect(u16(out, 0x20 + 0x14)).toBe(1);
    const bad = new Uint8Array([2, 0, 1, 0, 0, 0, 2, 0]);
    expect(mboxSend(regs, 0x0101, bad).rc).toBe(0x02);
    const clear = new Uint8Array(6 + 16);
    clear[0] = 2;
    clear[2] = 8;
    for (let i = 0; i < 8; i++) clear[6 + 2 * i] = i + 1;
    expect(mboxSend(regs, 0x0101, clear).rc).toBe(0);
    expect(regs.read32(0x80)).toBe(0);
    const after = mboxSend(regs, 0x0100, new Uint8Array([2])).out;
    expect(after[0]).toBe(0);
    expect(u16(after, 0x14)).toBe(0);
  });
});

describe('scan media', () => {
  it('poison past the limit is held back, Scan Media brings it in and reports it once', () => {
    const { state, regs, advance } = mk();
    for (let i = 0n; i < 256n; i++) qmpInjectPoison(state, i * 64n, 64n);
    qmpInjectPoison(state, 0x100000n, 128n);
    expect(state.poisonOverflow).toBeDefined();
    expect(mboxSend(regs, 0x4305).rc).toBe(0x03);
    const caps = mboxSend(
      regs,
      0x4303,
      payload(16, (dv) => dv.setBigUint64(8, 0x10000n, true)),
    );
    expect(u32(caps.out, 0)).toBe(Math.max(1, Math.floor(0x400000 * (0.0005 / 64))));
    const scan = payload(17, (dv) => dv.setBigUint64(8, 0x10000n, true));
    expect(mboxSend(regs, 0x4304, scan).rc).toBe(1);
    const during = mboxSend(
      regs,
      0x4300,
      payload(16, (dv) => dv.setBigUint64(8, 0x10000n, true)),
    );
    expect((during.out[0] ?? 0) & 4).toBe(4);
    advance(1000);
    const res = mboxSend(regs, 0x4305).out;
    expect(u16(res, 0x12)).toBe(1);
    expect(u64(res, 0x20)).toBe(0x100000n);
    expect(u32(res, 0x28)).toBe(2);
    expect(u16(mboxSend(regs, 0x4305).out, 0x12)).toBe(0);
    expect(state.poison.map((p) => p.start)).toEqual([0x100000n]);
  });
});

describe('firmware update', () => {
  const xfer = (action: number, slot: number, offset: number, data = 128) =>
    payload(0x80 + data, (dv) => {
      dv.setUint8(0, action);
      dv.setUint8(1, slot);
      dv.setUint32(4, offset, true);
    });
  it('init/continue/end into slot 2, then activate online; slot errors', () => {
    const { regs, advance } = mk();
    expect(mboxSend(regs, 0x0201, xfer(0, 1, 0)).rc).toBe(0x0b);
    expect(mboxSend(regs, 0x0201, xfer(2, 2, 1)).rc).toBe(0x02);
    expect(mboxSend(regs, 0x0201, xfer(1, 2, 0)).rc).toBe(1);
    advance(2000);
    expect(mboxSend(regs, 0x0201, xfer(1, 2, 0)).rc).toBe(0x08);
    expect(mboxSend(regs, 0x0201, xfer(2, 2, 1)).rc).toBe(1);
    advance(2000);
    expect(mboxSend(regs, 0x0202, new Uint8Array([0, 2])).rc).toBe(0x0b);
    expect(mboxSend(regs, 0x0201, xfer(3, 2, 2)).rc).toBe(1);
    advance(2000);
    const info = mboxSend(regs, 0x0200).out;
    expect(info[1]).toBe(0x01);
    expect(new TextDecoder().decode(info.subarray(0x20, 0x2e))).toBe('BWFW VERSION 1');
    expect(mboxSend(regs, 0x0202, new Uint8Array([0, 2])).rc).toBe(0);
    expect(mboxSend(regs, 0x0200).out[1]).toBe(0x02);
  });
});
