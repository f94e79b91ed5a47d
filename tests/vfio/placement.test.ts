/**
 * The VMM's placement of passed-through type-2 devices (hw/vmm/placement.ts) as the guest sees
 * it: the pull request's four-GPU line gives four endpoint decoders at the four window bases
 * (read back through sysfs `start`, as `cxl list` does), one committed region per device and no
 * -ENXIO; the interim VMM's first-window placement gives one region and the kernel's
 * "failed to find decoder mapping" (-ENXIO). Each of the six fail-closed rejections stops the
 * machine from starting, with its own message naming the device.
 */
import { describe, expect, it } from 'vitest';
import { CxlEndpointDecoder } from '../../src/drivers/cxl/core/decoder.ts';
import { CXL_CONFIG_COMMIT, isCxlRegion } from '../../src/drivers/cxl/core/region/region.ts';
import { QemuError } from '../../src/topology/qemu-errors.ts';
import { boot, errors, FOUR_WINDOWS, GPU4, withDevices, withWindows } from './helpers.ts';

const B = '/sys/bus/cxl/devices';
const WANT = ['0x80000000000', '0x84000000000', '0x88000000000', '0x8c000000000'];

function endpointStarts(m: ReturnType<typeof boot>): string[] {
  return (m.kernel.buses.get('cxl')?.devices ?? [])
    .filter((d): d is CxlEndpointDecoder => d instanceof CxlEndpointDecoder)
    .map((d) => (m.sysfs.read(`${B}/${d.name}/start`) as string).trim())
    .sort();
}

function regions(m: ReturnType<typeof boot>) {
  return (m.kernel.buses.get('cxl')?.devices ?? []).filter(isCxlRegion);
}

describe('per-window placement (the fix)', () => {
  it('four endpoint decoders at the four window bases, one committed region each, no -ENXIO', () => {
    const m = boot(GPU4, undefined, true);
    expect(endpointStarts(m)).toEqual(WANT);
    const rs = regions(m);
    expect(rs).toHaveLength(4);
    for (const r of rs) {
      expect(r.params.state).toBe(CXL_CONFIG_COMMIT);
      expect(r.driver?.name).toBe('cxl_region');
      expect(r.params.interleaveWays).toBe(1);
      expect(r.type).toBe('accelerator');
    }
    // every window holds exactly one region, whose range is its device's DPA size from the base
    expect(rs.map((r) => `0x${r.params.res?.start.toString(16)}`).sort()).toEqual(WANT);
    expect(
      rs.every((r) => (r.params.res?.end ?? 0n) - (r.params.res?.start ?? 0n) + 1n === 16n << 30n),
    ).toBe(true);
    // the only -6 is each new region's first probe attempt (cxl_region_probe: "config state: 0")
    const enxio = m.kernel.log.lines.filter((l) => /ENXIO|-6\b|failed to find/.test(l.text));
    expect(enxio.map((l) => l.text.replace(/region\d/, 'regionN'))).toEqual(
      Array(4).fill('cxl_region regionN: probe: -6'),
    );
    expect(errors(m)).toEqual([]);
  });

  it('the guest reaches each GPU memory through its own window (data path through vfio)', () => {
    const m = boot(GPU4);
    const bases = [0x80000000000n, 0x84000000000n, 0x88000000000n, 0x8c000000000n];
    bases.forEach((b, i) => {
      expect(m.platform.bus.mem.write(b + 0x1000n, Uint8Array.of(i + 1, 0xaa))).toBe(true);
    });
    for (const r of m.platform.vfio()) {
      const w = r.placement?.window ?? -1;
      // the byte landed at DPA 0x1000 of the host device that window belongs to
      expect(r.host.model.memory.read(0x1000n, 2)).toEqual(Uint8Array.of(w + 1, 0xaa));
    }
    // past the device memory, inside the window: nothing decodes
    expect(m.platform.bus.mem.read(0x80000000000n + (16n << 30n), 4).ok).toBe(false);
  });
});

describe('first-window placement (the interim VMM)', () => {
  it('all endpoints at window 0: one region, assembled by nobody; -ENXIO from region.c and the drivers', () => {
    const m = boot(GPU4, { placement: 'first-window' }, true);
    expect(endpointStarts(m)).toEqual(Array(4).fill(WANT[0]));
    const rs = regions(m);
    expect(rs).toHaveLength(1);
    const region = rs[0];
    if (!region) throw new Error('no region');
    expect(region.params.state).not.toBe(CXL_CONFIG_COMMIT);
    const lines = m.kernel.log.lines.map((l) => l.text);
    // The first endpoint to probe (PCI order: the last pxb-cxl's GPU) constructs the region in
    // window 0, whose only target is cxl.1: cxl_calc_interleave_pos() → find_pos_and_ways()
    // finds its host bridge's decoder but not that host bridge in window 0's target list.
    const mem0 = m.kernel.buses.get('cxl')?.devices.find((d) => d.name === 'mem0');
    const hostBridgeDev = mem0?.parent?.parent?.parent; // GPU function → root port → pciSSSS:BB
    const sortFail = lines.find((l) =>
      / failed to find port\d+:pci[0-9a-f]{4}:[0-9a-f]{2} in target list of decoder0\.0$/.test(l),
    );
    // dev_printk's "%s %s: " with no driver or bus: a leading space
    expect(sortFail?.startsWith(` ${hostBridgeDev?.name}: `)).toBe(true);
    expect(hostBridgeDev?.name).not.toBe('pci0000:0c'); // not cxl.1, window 0's own host bridge
    expect(lines).toContain(`cxl ${region.name}: region sort failed`);
    // the other three find that region by its range and are refused by cxl_region_attach()
    expect(
      lines.filter((l) => l === `cxl ${region.name}: region already has 1 endpoints`),
    ).toHaveLength(3);
    // and every accelerator driver fails for want of a region (-ENXIO), which no kernel prints
    expect(errors(m).filter((l) => /no CXL region for/.test(l))).toEqual([]);
  });
});

/** The six rejections at boot: a line that triggers each, and the message's stable part. */
const BOOT_REJECTIONS: [string, string, string][] = [
  [
    'no window targets the host bridge',
    withWindows(
      GPU4,
      FOUR_WINDOWS.replace('cxl-fmw.0.targets.0=cxl.1', 'cxl-fmw.0.targets.0=cxl.2'),
    ),
    'vfio-cxl: dev0: no CXL fixed memory window targets host bridge cxl.1',
  ],
  [
    'the host bridge is in more than one window',
    withWindows(GPU4, `${FOUR_WINDOWS},cxl-fmw.4.targets.0=cxl.1,cxl-fmw.4.size=256G`),
    'vfio-cxl: dev0: host bridge cxl.1 is a target of more than one CXL fixed memory window (0, 4)',
  ],
  [
    'the window has more than one target',
    withDevices(
      withWindows(
        GPU4,
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
    withWindows(GPU4, FOUR_WINDOWS.replace('cxl-fmw.0.size=256G', 'cxl-fmw.0.size=256T')),
    'vfio-cxl: dev0: CXL fixed memory window 0 has no base address (not placed)',
  ],
  [
    'the window is smaller than the DPA size',
    withWindows(GPU4, FOUR_WINDOWS.replace('cxl-fmw.0.size=256G', 'cxl-fmw.0.size=8G')),
    'vfio-cxl: dev0: CXL fixed memory window 0 (0x200000000 bytes) is smaller than the device memory (0x400000000 bytes)',
  ],
  [
    'a second passthrough endpoint below the same host bridge',
    withDevices(GPU4, [
      'cxl-rp,port=2,bus=cxl.1,id=rport1.1,chassis=9',
      'vfio-pci-nohotplug,host=0003:01:00.0,bus=rport1.1,id=dev4',
    ]),
    'vfio-cxl: dev4: host bridge cxl.1 already has a passthrough CXL endpoint (dev0); one vfio-cxl device per host bridge is supported',
  ],
];

describe('fail-closed rejections at boot (the machine does not start)', () => {
  it.each(BOOT_REJECTIONS)('%s', (_what, line, message) => {
    let err: unknown;
    try {
      boot(line);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QemuError);
    expect((err as QemuError).message).toBe(message);
    expect((err as QemuError).qemuMessage()).toBe(`qemu-system-aarch64: ${message}`);
  });

  it('each rejection has its own message', () => {
    const stems = BOOT_REJECTIONS.map(([, , m]) => m.replace(/dev\d|cxl\.\d|\d+|0x[0-9a-f]+/g, ''));
    expect(new Set(stems).size).toBe(6);
  });

  it('the same lines boot with the rejected device left out (the check is per device)', () => {
    // (the first line also puts cxl.2 in two windows, so dev1 would be refused next)
    for (const [, line] of BOOT_REJECTIONS.slice(1, 5)) {
      const m = boot(
        line
          .split('\n')
          .filter((l) => !l.includes('id=dev0,'))
          .join('\n'),
      );
      expect(m.platform.vfio().length).toBeGreaterThan(0);
    }
  });
});
