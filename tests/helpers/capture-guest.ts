/**
 * DOC: what `cxl list` saw in a capture's guest, rebuilt around the capture's own /sys.
 *
 * A capture's sysfs.txt holds /sys/devices and /sys/bus but not /sys/kernel (debugfs, tracefs),
 * and the real run talked to QEMU's mailbox through /dev/cxl/memN. To replay ndctl over the
 * capture's tree alone (isolating the list emulation from cxlsim's sysfs generation), the rest
 * of the guest comes from cxlsim booted on the same QEMU command line with the same stack:
 * - `kernel/…` (debugfs, tracefs) is cxlsim's guest's;
 * - the memdev ioctls go to cxlsim's memdev with the same serial number (the capture's
 *   memN names need not match cxlsim's);
 * - writes to a memdev's `trigger_poison_list` go to that same cxlsim memdev; every other write
 *   fails with EROFS, as on the read-only copy real-cxl-list uses.
 */
import { Errno } from '../../src/kernel/errno.ts';
import type { Machine } from '../../src/machine.ts';
import type { CxlMemIoctl } from '../../src/ndctl/lib/ioctl.ts';
import type { SysEntry, SysfsView } from '../../src/sysfs/view.ts';

const isKernel = (p: string): boolean => {
  const s = p.replace(/^\/+/, '');
  return s === 'kernel' || s.startsWith('kernel/');
};

/** `serial` of bus/cxl/devices/<memdev>, or undefined. */
function serialOf(view: SysfsView, memdev: string): string | undefined {
  try {
    const v = view.read(`bus/cxl/devices/${memdev}/serial`);
    return (typeof v === 'string' ? v : Buffer.from(v).toString('latin1')).trim();
  } catch {
    return undefined;
  }
}

/** The PCI function path of a memdev ("0000:35:00.0/0000:36:00.0/…"), from its realpath. */
function pciPathOf(view: SysfsView, memdev: string): string | undefined {
  try {
    return view
      .realpath(`bus/cxl/devices/${memdev}`)
      .split('/')
      .filter((c) => /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(c))
      .join('/');
  } catch {
    return undefined;
  }
}

/**
 * The machine's memdev that is the capture's memdev `name`: the one with the same serial when
 * that serial is unique in both guests, else the one at the same PCI path (QEMU lines without
 * `sn=` give every device serial 0).
 */
function mapper(capture: SysfsView, machine: Machine): (name: string) => string | undefined {
  const memdevs = machine.sysfs.readdir('bus/cxl/devices').filter((m) => /^mem\d+$/.test(m));
  const bySerial = new Map<string, string[]>();
  const byPath = new Map<string, string>();
  for (const m of memdevs) {
    const s = serialOf(machine.sysfs, m);
    if (s !== undefined) bySerial.set(s, [...(bySerial.get(s) ?? []), m]);
    const path = pciPathOf(machine.sysfs, m);
    if (path) byPath.set(path, m);
  }
  const captureSerials = new Map<string, number>();
  for (const m of capture.readdir('bus/cxl/devices').filter((n) => /^mem\d+$/.test(n))) {
    const s = serialOf(capture, m);
    if (s !== undefined) captureSerials.set(s, (captureSerials.get(s) ?? 0) + 1);
  }
  return (name) => {
    const s = serialOf(capture, name);
    const same = s === undefined ? undefined : bySerial.get(s);
    if (s !== undefined && same?.length === 1 && captureSerials.get(s) === 1) return same[0];
    const path = pciPathOf(capture, name);
    return path ? byPath.get(path) : undefined;
  };
}

/** The capture's tree with cxlsim's /sys/kernel, and trigger_poison_list writes forwarded. */
class CaptureGuestView implements SysfsView {
  private readonly capture: SysfsView;
  private readonly machine: Machine;
  private readonly memdevOf: (name: string) => string | undefined;
  constructor(
    capture: SysfsView,
    machine: Machine,
    memdevOf: (name: string) => string | undefined,
  ) {
    this.capture = capture;
    this.machine = machine;
    this.memdevOf = memdevOf;
  }
  private pick(p: string): SysfsView {
    return isKernel(p) ? this.machine.sysfs : this.capture;
  }
  lstat(path: string): SysEntry | undefined {
    return this.pick(path).lstat(path);
  }
  readdir(path: string): string[] {
    return this.pick(path).readdir(path);
  }
  readlink(path: string): string {
    return this.pick(path).readlink(path);
  }
  read(path: string): string | Uint8Array {
    return this.pick(path).read(path);
  }
  realpath(path: string): string {
    return this.pick(path).realpath(path);
  }
  readIfExists(path: string): string | Uint8Array | 'ENOENT' | 'ENOTDIR' {
    const v = this.pick(path);
    if (v.readIfExists) return v.readIfExists(path);
    return v.read(path);
  }
  realpathIfExists(path: string): string | undefined {
    const v = this.pick(path);
    if (v.realpathIfExists) return v.realpathIfExists(path);
    try {
      return v.realpath(path);
    } catch {
      return undefined;
    }
  }
  write(path: string, value: string): void {
    if (isKernel(path)) {
      this.machine.sysfs.write(path, value);
      return;
    }
    const m = /(?:^|\/)(mem\d+)\/trigger_poison_list$/.exec(path);
    const target = m ? this.memdevOf(m[1] as string) : undefined;
    if (!target) throw new Errno('EROFS');
    this.machine.sysfs.write(`bus/cxl/devices/${target}/trigger_poison_list`, value);
  }
}

/** The view and memdev ioctls of a capture's guest (see the DOC block). */
export function captureGuest(
  capture: SysfsView,
  machine: Machine,
): { view: SysfsView; ioctl: CxlMemIoctl } {
  const memdevOf = mapper(capture, machine);
  const ioctl: CxlMemIoctl = {
    queryCommands: (name) => {
      const m = memdevOf(name);
      return m === undefined ? new Errno('ENOENT') : machine.ioctl.queryCommands(m);
    },
    send: (name, cmd) => {
      const m = memdevOf(name);
      return m === undefined ? new Errno('ENOENT') : machine.ioctl.send(m, cmd);
    },
  };
  return { view: new CaptureGuestView(capture, machine, memdevOf), ioctl };
}
