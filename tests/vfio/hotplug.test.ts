/**
 * `device_add vfio-pci,host=BDF,bus=PORT` on a running machine (hw/vmm/hotplug.ts and the
 * guest's pciehp side in drivers/cxl/accel.ts): each of the six placement rejections fails the
 * add and leaves the machine exactly as it was (hardware, guest /sys and dmesg);
 * `vfio-pci-nohotplug` is refused as QEMU refuses it; QEMU's bus, slot, id and host checks come
 * first; a successful add plugs the function, places its decoder by topology and lets the
 * guest bind it.
 */
import { describe, expect, it } from 'vitest';
import type { BootedMachine } from '../../src/boot.ts';
import { Errno } from '../../src/kernel/errno.ts';
import { dumpSysfs } from '../../src/sysfs/dump.ts';
import { QemuError } from '../../src/topology/qemu-errors.ts';
import { boot, FOUR_WINDOWS, GPU4, withDevices, withoutDevices, withWindows } from './helpers.ts';

/** Everything a failed add must leave alone. */
function snapshot(m: BootedMachine) {
  return {
    sysfs: dumpSysfs(m.sysfs),
    dmesg: m.kernel.log.lines.length,
    functions: [...m.platform.functions().keys()],
    mmio: m.platform.mmio.mappings().map((x) => `${x.name}@${x.base}`),
    vfio: m.platform.vfio().map((r) => `${r.topo.id}:${r.placement?.base}`),
    decoders: m.platform.hostBridges.map((hb) => hb.component.hdm?.snapshot(0)),
  };
}

const ADD0 = 'vfio-pci,host=0002:81:00.0,bus=rport0.1,id=dev0';
const NO_DEV0 = withoutDevices(GPU4, ['dev0']);

/** The six rejections at hotplug: boot line (cxl.1's port empty), add, message. */
const HOTPLUG_REJECTIONS: [
  string,
  string,
  string,
  { hosts?: { host: string; dpaSize: bigint }[] }?,
][] = [
  [
    'no window targets the host bridge',
    withWindows(
      NO_DEV0,
      [2, 3, 4].map((n, i) => `cxl-fmw.${i}.targets.0=cxl.${n},cxl-fmw.${i}.size=256G`).join(','),
    ),
    'vfio-cxl: dev0: no CXL fixed memory window targets host bridge cxl.1',
  ],
  [
    'the host bridge is in more than one window',
    withWindows(NO_DEV0, `${FOUR_WINDOWS},cxl-fmw.4.targets.0=cxl.1,cxl-fmw.4.size=256G`),
    'vfio-cxl: dev0: host bridge cxl.1 is a target of more than one CXL fixed memory window (0, 4)',
  ],
  [
    'the window has more than one target',
    withDevices(
      withWindows(
        NO_DEV0,
        FOUR_WINDOWS.replace(
          'cxl-fmw.0.targets.0=cxl.1',
          'cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.targets.1=cxl.5',
        ),
      ),
      ['pxb-cxl,bus_nr=44,bus=pcie.0,id=cxl.5', 'cxl-rp,port=1,bus=cxl.5,id=rport0.5,chassis=8'],
    ),
    'vfio-cxl: dev0: CXL fixed memory window 0 is interleaved across 2 host bridges',
  ],
  [
    'the window has no base (did not fit)',
    withWindows(NO_DEV0, FOUR_WINDOWS.replace('cxl-fmw.0.size=256G', 'cxl-fmw.0.size=256T')),
    'vfio-cxl: dev0: CXL fixed memory window 0 has no base address (not placed)',
  ],
  [
    'the window is smaller than the DPA size',
    NO_DEV0,
    'vfio-cxl: dev0: CXL fixed memory window 0 (0x4000000000 bytes) is smaller than the device memory (0x8000000000 bytes)',
    { hosts: [{ host: '0002:81:00.0', dpaSize: 512n << 30n }] },
  ],
  [
    'a second passthrough endpoint below the same host bridge',
    withDevices(GPU4, ['cxl-rp,port=2,bus=cxl.1,id=rport1.1,chassis=9']),
    'vfio-cxl: dev4: host bridge cxl.1 already has a passthrough CXL endpoint (dev0); one vfio-cxl device per host bridge is supported',
  ],
];

describe('fail-closed rejections at hotplug (the add fails, the machine is untouched)', () => {
  it.each(HOTPLUG_REJECTIONS)('%s', (what, line, message, vmm) => {
    const m = boot(line, vmm);
    const before = snapshot(m);
    const spec = what.startsWith('a second')
      ? 'vfio-pci,host=0003:01:00.0,bus=rport1.1,id=dev4'
      : ADD0;
    let err: unknown;
    try {
      m.deviceAdd?.(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QemuError);
    expect((err as QemuError).message).toBe(message);
    expect(snapshot(m)).toEqual(before);
    // and the machine still takes a good add afterwards where one fits
    expect(m.platform.vfio().every((r) => r.topo.id !== 'dev0' || r.placement)).toBe(true);
  });
});

describe("QEMU's device_add checks", () => {
  const m = () => boot(NO_DEV0);
  const refuse = (spec: string): string => {
    const mm = m();
    const before = snapshot(mm);
    try {
      mm.deviceAdd?.(spec);
    } catch (e) {
      expect(snapshot(mm)).toEqual(before);
      return e instanceof QemuError ? e.qemuMessage() : (e as Errno).message;
    }
    throw new Error(`accepted: ${spec}`);
  };

  it('vfio-pci-nohotplug cannot be hot-added', () => {
    expect(refuse('vfio-pci-nohotplug,host=0002:81:00.0,bus=rport0.1')).toBe(
      "qemu-system-aarch64: Device 'vfio-pci-nohotplug' does not support hotplugging",
    );
  });

  it('bus, slot, id and host are checked as QEMU does', () => {
    expect(refuse('vfio-pci,host=0002:81:00.0,bus=nope')).toBe(
      "qemu-system-aarch64: Bus 'nope' not found",
    );
    expect(refuse('vfio-pci,host=0002:81:00.0,bus=cxl.1')).toBe(
      "qemu-system-aarch64: Bus 'cxl.1' does not support hotplugging",
    );
    expect(refuse('vfio-pci,host=0002:81:00.0')).toBe(
      "qemu-system-aarch64: Bus 'pcie.0' does not support hotplugging",
    );
    expect(refuse('vfio-pci,host=0002:99:00.0,bus=rport0.2')).toBe(
      'qemu-system-aarch64: PCI: slot 0 function 0 not available for vfio-pci, in use by vfio-pci-nohotplug,id=dev1',
    );
    expect(refuse('vfio-pci,host=0002:81:00.0,bus=rport0.1,id=dev1')).toBe(
      "qemu-system-aarch64: Duplicate ID 'dev1' for device",
    );
    expect(refuse('vfio-pci,host=0002:c1:00.0,bus=rport0.1')).toBe(
      'qemu-system-aarch64: vfio 0002:c1:00.0: device is already attached',
    );
    expect(refuse('vfio-pci,bus=rport0.1')).toBe('qemu-system-aarch64: No provided host device');
    expect(refuse('vfio-pci,host=zz,bus=rport0.1')).toBe(
      "qemu-system-aarch64: Property 'vfio-pci.host' doesn't take value 'zz'",
    );
    expect(refuse('cxl-type3,bus=rport0.1')).toMatch(/hot-adds vfio-pci functions only/);
  });
});

describe('a successful hot-add', () => {
  it('plugs the function below the port, places decoder 0 by topology, and the guest enumerates it', () => {
    const m = boot(NO_DEV0);
    const mems = () =>
      (m.kernel.buses.get('cxl')?.devices ?? []).filter((d) => /^mem\d+$/.test(d.name)).length;
    expect(mems()).toBe(3);
    m.deviceAdd?.(ADD0);
    const r = m.platform.vfio().find((x) => x.topo.id === 'dev0');
    expect(r?.placement).toMatchObject({ mode: 'per-window', window: 0, base: 0x80000000000n });
    // only the endpoint's decoder 0 is written: the host bridge stays passthrough
    const hb = m.platform.hostBridges.find((h) => h.id === 'cxl.1');
    expect(hb?.component.hdm).toBeUndefined();
    // pciehp → cxl_accel → memN → endpoint: the guest reads decoder 0 through vfio
    expect(mems()).toBe(4);
    const name = [...m.platform.functions()].find(([, f]) => f === r?.guest.fn)?.[0] ?? '';
    expect(m.kernel.buses.get('pci')?.devices.some((d) => d.name === name && d.registered)).toBe(
      true,
    );
    const eps = (m.kernel.buses.get('cxl')?.devices ?? []).filter((d) =>
      /^decoder\d+\.0$/.test(d.name),
    );
    const starts = eps.map((d) =>
      (m.sysfs.read(`/sys/bus/cxl/devices/${d.name}/start`) as string).trim(),
    );
    // root decoder and endpoint decoder (the host bridge's passthrough decoder has no range)
    expect(starts.filter((x) => x === '0x80000000000')).toHaveLength(2);
    // the data path follows: a store at the window base lands in the host device's memory
    expect(m.platform.bus.mem.write(0x80000000000n, Uint8Array.of(0x5a))).toBe(true);
    expect(r?.host.model.memory.read(0n, 1)).toEqual(Uint8Array.of(0x5a));
  });

  it('is journaled state: a reboot on the same hardware finds the device at its window base', () => {
    const m = boot(NO_DEV0);
    m.deviceAdd?.(ADD0);
    const next = m.reboot({});
    const regions = (next.kernel.buses.get('cxl')?.devices ?? []).filter((d) =>
      /^region\d+$/.test(d.name),
    );
    expect(regions).toHaveLength(4);
    // the v7.3 guest fails each of the four the same way (passthrough host bridges)
    expect(
      next.kernel.log.lines.filter((l) => l.level <= 3).map((l) => l.text.replace(/mem\d/, 'memN')),
    ).toContain('cxl_mem memN: failed to find decoder mapping 0x80000000000-0x803ffffffff');
  });
});

describe('input errors', () => {
  it('are Errno values, never stack traces', () => {
    const mm = boot(NO_DEV0);
    expect(() => mm.deviceAdd?.('vfio-pci,host=0002:81:00.0,bus=rport0.1,addr=0x3')).toThrow(Errno);
    expect(() => mm.deviceAdd?.('vfio-pci,host=0002:81:00.0,bus=rport0.1,frobnicate=1')).toThrow(
      "Property 'vfio-pci.frobnicate' not found",
    );
  });
});
