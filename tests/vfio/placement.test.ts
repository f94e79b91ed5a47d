/**
 * The VMM's placement of passed-through type-2 devices (hw/vmm/placement.ts) as the guest sees
 * it: the pull request's four-GPU line gives four endpoint decoders at the four window bases
 * (read back through sysfs `start`, as `cxl list` does) and no host-bridge decoder written; the
 * v7.3 guest then fails each auto-assembly in find_pos_and_ways() (-ENXIO) because a passthrough
 * host bridge has no decoder mapping the range; the interim VMM's first-window placement gives
 * one region, -ENXIO for the first endpoint and -EINVAL for the other three. Each of the six fail-closed rejections stops the
 * machine from starting, with its own message naming the device.
 */
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { CxlEndpointDecoder } from '../../src/drivers/cxl/core/decoder.ts';
import { CXL_CONFIG_COMMIT, isCxlRegion } from '../../src/drivers/cxl/core/region/region.ts';
import { resolveProfile } from '../../src/profile.ts';
import { QemuError } from '../../src/topology/qemu-errors.ts';
import {
  boot,
  errors,
  FOUR_WINDOWS,
  GPU4,
  topo,
  warnings,
  withDevices,
  withWindows,
} from './helpers.ts';

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
  it('four endpoint decoders at the four window bases; no host-bridge decoder written; the v7.3 guest assembles none', () => {
    const m = boot(GPU4, undefined, true);
    expect(endpointStarts(m)).toEqual(WANT);
    // the VMM wrote only the endpoints' decoder 0: each pxb-cxl stays what QEMU made it, a
    // passthrough host bridge with no HDM decoder capability
    for (const hb of m.platform.hostBridges) expect(hb.component.hdm).toBeUndefined();
    const rs = regions(m);
    expect(rs).toHaveLength(4);
    for (const r of rs) {
      expect(r.params.state).not.toBe(CXL_CONFIG_COMMIT);
      expect(r.driver).toBeUndefined();
    }
    expect(rs.map((r) => `0x${r.params.res?.start.toString(16)}`).sort()).toEqual(WANT);
    // find_pos_and_ways(): the host bridge's passthrough decoder has no range yet, so no
    // decoder in it maps the endpoint's range: dev_err on the endpoint port's uport (the
    // memdev), -ENXIO; attach_target() warns on the endpoint port with that errno.
    const lines = warnings(m);
    expect(lines).toHaveLength(8);
    const cxl = m.kernel.buses.get('cxl')?.devices ?? [];
    for (const d of cxl.filter((x): x is CxlEndpointDecoder => x instanceof CxlEndpointDecoder)) {
      const r = d.hpaRange;
      const memdev = d.port.uportDev.name;
      expect(lines).toContain(
        `cxl_mem ${memdev}: failed to find decoder mapping 0x${r.start.toString(16)}-0x${r.end.toString(16)}`,
      );
      const region = rs.find((x) => x.params.res?.start === r.start);
      expect(lines).toContain(
        `cxl_port ${d.port.name}: failed to attach ${d.name} to ${region?.name}: -6`,
      );
    }
    expect(lines.some((l) => /no CXL region for/.test(l))).toBe(false);
  });

  it('hdm_for_passthrough=on: the host bridges decode, but nobody commits them: the same -ENXIO', () => {
    const m = boot(
      GPU4.replace(/(pxb-cxl,bus_nr=\d+,bus=pcie\.0,id=cxl\.\d)/g, '$1,hdm_for_passthrough=on'),
    );
    for (const hb of m.platform.hostBridges) {
      expect(hb.component.hdm).toBeDefined();
      expect(hb.component.hdm?.snapshot(0).committed).toBe(false);
    }
    expect(errors(m).filter((l) => / failed to find decoder mapping /.test(l))).toHaveLength(4);
    expect(regions(m).filter((r) => r.params.state === CXL_CONFIG_COMMIT)).toEqual([]);
  });

  it('the 7.0-nvidia-bos variant assembles like v7.0: the same failure (its region.c is upstream)', () => {
    const m = bootMachine(topo(GPU4), {
      profile: resolveProfile('latest', { kernel: '7.0-nvidia-bos' }),
    });
    expect(endpointStarts(m)).toEqual(WANT);
    expect(errors(m).filter((l) => / failed to find decoder mapping /.test(l))).toHaveLength(4);
    expect(regions(m).filter((r) => r.params.state === CXL_CONFIG_COMMIT)).toEqual([]);
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
  it('all endpoints at window 0: one region; the first endpoint -ENXIO (no decoder mapping), the other three -EINVAL', () => {
    const m = boot(GPU4, { placement: 'first-window' }, true);
    expect(endpointStarts(m)).toEqual(Array(4).fill(WANT[0]));
    const rs = regions(m);
    expect(rs).toHaveLength(1);
    const region = rs[0];
    if (!region) throw new Error('no region');
    expect(region.params.state).not.toBe(CXL_CONFIG_COMMIT);
    const lines = m.kernel.log.lines.map((l) => l.text);
    // The first endpoint to probe (PCI order: the last pxb-cxl's GPU) constructs the region in
    // window 0; its position walk finds no decoder mapping the range in its passthrough host
    // bridge (find_pos_and_ways(), -ENXIO) and the sort fails.
    expect(lines).toContain(
      'cxl_mem mem0: failed to find decoder mapping 0x80000000000-0x803ffffffff',
    );
    expect(lines).toContain(`cxl ${region.name}: region sort failed`);
    // the other three find that region by its range and are refused by cxl_region_attach()
    expect(
      lines.filter((l) => l === `cxl ${region.name}: region already has 1 endpoints`),
    ).toHaveLength(3);
    const warns = warnings(m).filter((l) => / failed to attach decoder\d+\.0 to /.test(l));
    expect(warns.map((l) => l.replace(/endpoint\d+: failed to attach decoder\d+/, 'E: D'))).toEqual(
      [
        `cxl_port E: D.0 to ${region.name}: -6`,
        `cxl_port E: D.0 to ${region.name}: -22`,
        `cxl_port E: D.0 to ${region.name}: -22`,
        `cxl_port E: D.0 to ${region.name}: -22`,
      ],
    );
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
