/**
 * The host-device file (hw/vmm/host-file.ts, docs/topology.md §4): what it accepts, how it
 * overrides the QEMU line's host functions by BDF, and the errors it gives (field path first,
 * the file as the device).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { canonicalBdf, parseHostDeviceFile } from '../../src/hw/vmm/host-file.ts';
import { hostHpaFor } from '../../src/hw/vmm/index.ts';
import { Errno } from '../../src/kernel/errno.ts';
import { parseTopologyFile } from '../../src/topology/schema.ts';
import { boot, GPU4, latest, rec } from './helpers.ts';

describe('host-device file', () => {
  it('parses sizes, flags and addresses (YAML and JSON), BDFs canonical', () => {
    const y = parseHostDeviceFile(
      'hostDevices:\n  - { host: "0002:81:00.0", dpaSize: 32G, committed: true, hpa: 0x200000000000 }\n  - { host: "C1:00.0", disableCxl: true, recommitAfterReset: false }\n',
      'h.yaml',
    );
    expect(y).toEqual([
      { host: '0002:81:00.0', dpaSize: 32n << 30n, committed: true, hpa: 0x200000000000n },
      { host: '0000:c1:00.0', disableCxl: true, recommitAfterReset: false },
    ]);
    expect(
      parseHostDeviceFile('{"hostDevices":[{"host":"000a:e1:00.0","dpaSize":"512M"}]}'),
    ).toEqual([{ host: '000a:e1:00.0', dpaSize: 512n << 20n }]);
  });

  it.each([
    [
      'hostDevices:\n  - { host: "0002:81:00.0", size: 1G }\n',
      "hostDevices[0]: unknown key 'size'",
    ],
    [
      'hostDevices:\n  - { host: "81:00" }\n',
      'hostDevices[0].host: expected a PCI address "SSSS:BB:DD.F"',
    ],
    [
      'hostDevices:\n  - { host: "81:00.0" }\n  - { host: "0000:81:00.0" }\n',
      'hostDevices[1].host: 0000:81:00.0 is listed twice',
    ],
    [
      'hostDevices:\n  - { host: "81:00.0", dpaSize: 0 }\n',
      'hostDevices[0].dpaSize: must be a non-zero multiple of 256 MiB',
    ],
    [
      'hostDevices:\n  - { host: "81:00.0", hpa: 0x1000 }\n',
      'hostDevices[0].hpa: must be 256 MiB aligned',
    ],
    [
      'hostDevices:\n  - { host: "81:00.0", committed: yes please }\n',
      'hostDevices[0].committed: expected boolean',
    ],
    ['hostDevices: [\n', 'invalid YAML'],
    ['devices: []\n', 'hostDevices: expected array'],
    ['', 'expected object'],
  ])('refuses %j', (text, msg) => {
    let err: unknown;
    try {
      parseHostDeviceFile(text, 'h.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Errno);
    expect((err as Errno).message.startsWith(msg)).toBe(true);
    expect((err as Errno).dev).toBe('h.yaml');
  });

  it('canonicalBdf round-trips every well-formed address', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xff }),
        fc.integer({ min: 0, max: 0x1f }),
        fc.integer({ min: 0, max: 7 }),
        (s, b, d, f) => {
          const want = `${s.toString(16).padStart(4, '0')}:${b.toString(16).padStart(2, '0')}:${d.toString(16).padStart(2, '0')}.${f}`;
          return canonicalBdf(want.toUpperCase()) === want && canonicalBdf(want) === want;
        },
      ),
    );
  });

  it('overrides a QEMU line’s host function: size, host HPA', () => {
    const m = boot(GPU4, {
      hosts: [{ host: '0002:c1:00.0', dpaSize: 64n << 30n, hpa: 0x300000000000n }],
    });
    const r = rec(m, 'dev1');
    expect(r.vfio.cxl?.regionSize).toBe(64n << 30n);
    expect(r.vfio.cxl?.regionHpa).toBe(0x300000000000n);
    expect(r.guest.topo.dpaSize).toBe(64n << 30n);
    expect(rec(m, 'dev0').host.hpa).toBe(hostHpaFor('0002:81:00.0', 16n << 30n));
  });

  it('default host HPAs are aligned to the device size and differ per bus', () => {
    const a = hostHpaFor('0002:81:00.0', 16n << 30n);
    const b = hostHpaFor('0002:c1:00.0', 16n << 30n);
    expect(a % (16n << 30n)).toBe(0n);
    expect(a).not.toBe(b);
    expect(hostHpaFor('0000:01:00.0', 128n << 30n) % (128n << 30n)).toBe(0n);
  });

  it('a topology file describes the host function itself (no host: its id stands for the BDF)', () => {
    const t = parseTopologyFile(
      [
        'machine: { type: virt, options: { highmem-mmio-size: 4T } }',
        'hostBridges:',
        '  - id: cxl.1',
        '    busNr: 12',
        '    rootPorts:',
        '      - { id: rp0, port: 1, child: { kind: type2, id: gpu0, dpaSize: 8G } }',
        '  - id: cxl.2',
        '    busNr: 20',
        '    rootPorts:',
        '      - { id: rp1, port: 1, child: { kind: type2, id: gpu1, host: "0003:01:00.0", firmwareCommitted: false } }',
        'windows:',
        '  - { targets: [cxl.1], size: 256G }',
        '  - { targets: [cxl.2], size: 256G }',
      ].join('\n'),
      't.yaml',
    );
    const m = bootMachine(t, { profile: latest });
    const [g0, g1] = [rec(m, 'gpu0'), rec(m, 'gpu1')];
    expect(g0.host.bdf).toBe('gpu0');
    expect(g0.vfio.cxl?.regionSize).toBe(8n << 30n);
    expect(g0.placement?.base).toBe(m.platform.windows[0]?.base);
    expect(g1.vfio.cxl).toBeUndefined();
    expect(g1.placement).toBeUndefined();
    const regions = (m.kernel.buses.get('cxl')?.devices ?? []).filter((d) =>
      /^region\d+$/.test(d.name),
    );
    expect(regions).toHaveLength(1);
  });
});
