/**
 * A memdev ioctl that answers every list command with fixed payloads (health, alert config,
 * partition info, firmware info; IDENTIFY from sysfs with a partition alignment on mem0 only;
 * GET_ALERT_CONFIG of mem1 fails in the mailbox with return code 5). The same answers, from C,
 * were LD_PRELOADed into the real ndctl 76.1 and 85 to record real-ndctl-mbox golden outputs.
 */
import { Errno } from '../../src/kernel/errno.ts';
import { type CxlMemIoctl, CXL_MEM_COMMAND_ID as ID } from '../../src/ndctl/lib/ioctl.ts';
import type { SysfsView } from '../../src/sysfs/view.ts';
import { mboxShim } from '../helpers/mbox-shim.ts';

const HEALTH = [
  0x05, 0x03, 0x19, 0xff, 0xff, 0xff, 0x07, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0,
];
const ALERT = [
  0x15, 0x0a, 90, 75, 0x50, 0x00, 0xf6, 0xff, 0x46, 0x00, 0x05, 0x00, 0x10, 0x27, 0x00, 0x01,
];
const PART = [
  1,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  3,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  2,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  ...Array(8).fill(0xff),
];

function fwInfo(): Uint8Array {
  const b = new Uint8Array(0x50);
  b.set([3, 0x11, 1]);
  b.set(Buffer.from('slot1 fw'), 0x10);
  b.set(Buffer.from('0123456789abcdef'), 0x30);
  return b;
}

/** The rich ioctl over a tree (IDENTIFY as the shim builds it, mem0 with alignment 256 MiB). */
export function richIoctl(view: SysfsView): CxlMemIoctl {
  const base = mboxShim(view);
  return {
    queryCommands: (m) => base.queryCommands(m),
    send(memdev, cmd) {
      const fixed = (bytes: ArrayLike<number>, retval = 0) => ({
        retval,
        out: Uint8Array.from(bytes).subarray(0, cmd.sizeOut),
      });
      switch (cmd.id) {
        case ID.GET_HEALTH_INFO:
          return fixed(HEALTH);
        case ID.GET_ALERT_CONFIG:
          return fixed(ALERT, memdev === 'mem1' ? 5 : 0);
        case ID.GET_PARTITION_INFO:
          return fixed(PART);
        case ID.GET_FW_INFO:
          return fixed(fwInfo());
        case ID.IDENTIFY: {
          const r = base.send(memdev, cmd);
          if (r instanceof Errno || memdev !== 'mem0') return r;
          const out = Uint8Array.from(r.out);
          out[0x28] = 1;
          return { retval: r.retval, out };
        }
        default:
          return new Errno('ENOTTY');
      }
    },
  };
}
