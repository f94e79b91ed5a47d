/**
 * DOC: what `cxl list` saw in a capture's guest, rebuilt around the capture's own /sys.
 *
 * A capture's sysfs.txt holds /sys/devices and /sys/bus but not /sys/kernel (debugfs, tracefs),
 * and the real run talked to QEMU's mailbox through /dev/cxl/memN. To replay ndctl over the
 * capture's tree alone (isolating the list emulation from cxlsim's sysfs generation), the rest
 * of the guest comes from cxlsim booted on the same QEMU command line with the same stack:
 * - `kernel/…` (debugfs, tracefs) is cxlsim's guest's;
 * - the memdev ioctls go to cxlsim's memdev with the same serial number, on the same PCI
 *   function where serials repeat (the capture's memN names need not match cxlsim's);
 * - writes to a memdev's `trigger_poison_list` go to that same cxlsim memdev; every other write
 *   fails with EROFS, as on the read-only copy real-cxl-list uses.
 */
import { Errno } from '../../src/kernel/errno.ts';
import type { CxlMemIoctl } from '../../src/list/ioctl.ts';
import type { Machine } from '../../src/machine.ts';
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

/** The PCI function a memdev sits on (basename of its parent directory), or undefined. */
function hostOf(view: SysfsView, memdev: string): string | undefined {
  try {
    const real = view.realpath(`bus/cxl/devices/${memdev}`);
    const parts = real.split('/');
    return parts[parts.length - 2];
  } catch {
    return undefined;
  }
}

/**
 * The machine's memdev for the capture's memdev `name`: the one with the same serial number,
 * or, where serials repeat (QEMU's default `sn` is 0), the one with the same serial on the same
 * PCI function.
 */
function mapper(capture: SysfsView, machine: Machine): (name: string) => string | undefined {
  const bySerial = new Map<string, string[]>();
  const byKey = new Map<string, string>();
  for (const m of machine.sysfs.readdir('bus/cxl/devices')) {
    if (!/^mem\d+$/.test(m)) continue;
    const s = serialOf(machine.sysfs, m);
    if (s === undefined) continue;
    bySerial.set(s, [...(bySerial.get(s) ?? []), m]);
    byKey.set(`${s}|${hostOf(machine.sysfs, m)}`, m);
  }
  return (name) => {
    const s = serialOf(capture, name);
    if (s === undefined) return undefined;
    const same = bySerial.get(s) ?? [];
    if (same.length === 1) return same[0];
    return byKey.get(`${s}|${hostOf(capture, name)}`);
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
