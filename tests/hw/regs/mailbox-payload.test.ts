/**
 * The mailbox payload registers behave as 2,048 bytes of flat storage, although only their
 * first bytes are always held (src/hw/regs/mailbox.ts, MBOX_RESIDENT): random 32- and 64-bit
 * MMIO writes anywhere in the payload read back as a flat byte model predicts, and a Set LSA /
 * Get LSA round trip of up to a full payload returns the bytes, under QEMU 7.2 (handlers in
 * place on the payload) and 11.1 (payload zeroed first) semantics.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDeviceRegisters } from '../../../src/hw/regs/device.ts';
import { MBOX_PAYLOAD, MBOX_PAYLOAD_SIZE } from '../../../src/hw/regs/mailbox.ts';
import { createMemDevState } from '../../../src/hw/regs/memdev-state.ts';
import { mboxSend, payload, probeDeviceRegs } from './mbox-driver.ts';
import { type3Devices } from './qemu-args.ts';

const FIX = new URL('../../../sysfs-fixtures/interleave-dyndbg/', import.meta.url);
const devs = type3Devices(new URL('host/qemu-args.txt', FIX));

const mk = (qemu: '7.2' | '11.1') => {
  const d = devs[0];
  if (!d) throw new Error('no type-3 device in the fixture');
  const state = createMemDevState(d, qemu);
  return { state, regs: createDeviceRegisters(state) };
};

type Op = { w64: boolean; off: number; v: bigint };

describe('mailbox payload storage', () => {
  it('has type-3 devices to test with', () => expect(devs.length).toBeGreaterThan(0));

  for (const qemu of ['7.2', '11.1'] as const) {
    it(`QEMU ${qemu}: MMIO writes anywhere in the payload read back as flat memory`, () => {
      let runs = 0;
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              w64: fc.boolean(),
              off: fc.integer({ min: 0, max: MBOX_PAYLOAD_SIZE / 4 - 1 }),
              v: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
            }),
            { maxLength: 30 },
          ),
          (ops: Op[]) => {
            runs++;
            const { regs } = mk(qemu);
            const mb = probeDeviceRegs(regs).mbox;
            const model = new DataView(new ArrayBuffer(MBOX_PAYLOAD_SIZE));
            for (const o of ops) {
              if (o.w64) {
                const off = (o.off * 4) & ~7;
                regs.write64(mb + MBOX_PAYLOAD + off, o.v);
                model.setBigUint64(off, o.v, true);
              } else {
                const v = Number(o.v & 0xffffffffn);
                regs.write32(mb + MBOX_PAYLOAD + o.off * 4, v);
                model.setUint32(o.off * 4, v, true);
              }
            }
            for (let off = 0; off < MBOX_PAYLOAD_SIZE; off += 4)
              expect(regs.read32(mb + MBOX_PAYLOAD + off)).toBe(model.getUint32(off, true));
            for (let off = 0; off < MBOX_PAYLOAD_SIZE; off += 8)
              expect(regs.read64(mb + MBOX_PAYLOAD + off)).toBe(model.getBigUint64(off, true));
          },
        ),
        { numRuns: 60, seed: 12 },
      );
      expect(runs).toBe(60);
    });

    it(`QEMU ${qemu}: Set LSA then Get LSA of up to a full payload returns the bytes`, () => {
      let runs = 0;
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 1, maxLength: MBOX_PAYLOAD_SIZE - 8 }),
          fc.integer({ min: 0, max: 0x1000 }),
          (data, at) => {
            runs++;
            const { regs, state } = mk(qemu);
            const set = payload(8 + data.length, (dv) => dv.setUint32(0, at, true));
            set.set(data, 8);
            expect(mboxSend(regs, 0x4103, set).rc).toBe(0);
            expect(state.lsa.subarray(at, at + data.length)).toEqual(data);
            const get = mboxSend(
              regs,
              0x4102,
              payload(8, (dv) => {
                dv.setUint32(0, at, true);
                dv.setUint32(4, data.length, true);
              }),
            );
            expect(get.rc).toBe(0);
            expect(get.out).toEqual(data);
          },
        ),
        { numRuns: 40, seed: 13 },
      );
      expect(runs).toBe(40);
    });
  }
});
