/**
 * A memdev mailbox for the ndctl tests (the /dev/cxl/memN ioctls): Linux 6.1's command table, and
 * a device with a label storage area and partitionable capacity — IDENTIFY, GET_PARTITION_INFO,
 * SET_PARTITION_INFO, GET_LSA, SET_LSA (CXL 3.1 §8.2.9.9.1.1, §8.2.9.9.2). Every command sent is
 * recorded. Out-of-range label accesses return mailbox status 2 (Invalid Input).
 */
import { Errno } from '../../src/kernel/errno.ts';
import {
  CXL_CAPACITY_MULTIPLIER,
  type CxlMemIoctl,
  CXL_MEM_COMMAND_ID as ID,
  IDENTIFY,
  leField,
} from '../../src/ndctl/lib/ioctl.ts';

const VAR = -1;
const TABLE: Array<[number, number, number]> = [
  [1, 0, 0x43],
  [4, 0, 0x50],
  [5, 0, 0x20],
  [6, 0x8, VAR],
  [7, 0, 0x12],
  [9, 0x0a, 0],
  [10, VAR, 0],
  [11, 0, 0x10],
];

/** One memdev's device state. */
export interface FakeDev {
  lsa: Uint8Array;
  totalSize: bigint;
  volatileOnly: bigint;
  persistentOnly: bigint;
  align: bigint;
  activeVolatile: bigint;
  nextVolatile: bigint;
}

/** A device with `lsaSize` label bytes and `total` bytes of capacity. */
export function fakeDev(lsaSize: number, total = 512n << 20n, align = 256n << 20n): FakeDev {
  return {
    lsa: new Uint8Array(lsaSize),
    totalSize: total,
    volatileOnly: 0n,
    persistentOnly: 0n,
    align,
    activeVolatile: 0n,
    nextVolatile: 0n,
  };
}

/** The recorded commands. */
export interface Sent {
  memdev: string;
  id: number;
  payload: Uint8Array;
  sizeOut: number;
}

function putLe(buf: Uint8Array, off: number, v: bigint, bytes: number): void {
  for (let i = 0; i < bytes; i++) buf[off + i] = Number((v >> BigInt(8 * i)) & 0xffn);
}

/** The ioctl interface over `devs` (by memdev name). */
export function fakeMbox(devs: Map<string, FakeDev>, sent: Sent[] = []): CxlMemIoctl {
  const units = (v: bigint): bigint => v / CXL_CAPACITY_MULTIPLIER;
  return {
    queryCommands(memdev) {
      if (!devs.has(memdev)) return new Errno('ENOENT');
      return TABLE.map(([id, sizeIn, sizeOut]) => ({ id, flags: 0, sizeIn, sizeOut }));
    },
    send(memdev, cmd) {
      const d = devs.get(memdev);
      if (!d) return new Errno('ENOENT');
      sent.push({ memdev, id: cmd.id, payload: cmd.payload.slice(), sizeOut: cmd.sizeOut });
      const out = new Uint8Array(Math.max(cmd.sizeOut, 0));
      switch (cmd.id) {
        case ID.IDENTIFY:
          putLe(out, IDENTIFY.TOTAL_CAPACITY, units(d.totalSize), 8);
          putLe(out, IDENTIFY.VOLATILE_CAPACITY, units(d.volatileOnly), 8);
          putLe(out, IDENTIFY.PERSISTENT_CAPACITY, units(d.persistentOnly), 8);
          putLe(out, IDENTIFY.PARTITION_ALIGN, units(d.align), 8);
          putLe(out, IDENTIFY.LSA_SIZE, BigInt(d.lsa.length), 4);
          return { retval: 0, out };
        case ID.GET_PARTITION_INFO:
          putLe(out, 0, units(d.activeVolatile), 8);
          putLe(out, 8, units(d.totalSize - d.activeVolatile), 8);
          putLe(out, 16, units(d.nextVolatile), 8);
          putLe(out, 24, units(d.nextVolatile ? d.totalSize - d.nextVolatile : 0n), 8);
          return { retval: 0, out };
        case ID.SET_PARTITION_INFO:
          d.nextVolatile = leField(cmd.payload, 0, 8) * CXL_CAPACITY_MULTIPLIER;
          return { retval: 0, out };
        case ID.GET_LSA: {
          const off = Number(leField(cmd.payload, 0, 4));
          const len = Number(leField(cmd.payload, 4, 4));
          if (off + len > d.lsa.length || len > cmd.sizeOut) return { retval: 2, out };
          out.set(d.lsa.subarray(off, off + len));
          return { retval: 0, out };
        }
        case ID.SET_LSA: {
          const off = Number(leField(cmd.payload, 0, 4));
          const data = cmd.payload.subarray(8);
          if (off + data.length > d.lsa.length) return { retval: 2, out };
          d.lsa.set(data, off);
          return { retval: 0, out };
        }
        default:
          return new Errno('ENOTTY');
      }
    },
  };
}
