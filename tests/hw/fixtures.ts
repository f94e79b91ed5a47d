/**
 * Test fixtures for tests/hw: the capture topologies as Topology objects (transcribed from
 * sysfs-fixtures/<scenario>/host/qemu-args.txt) and readers for the capture files copied into
 * sysfs-fixtures/ (xxd dumps).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  HostBridge,
  RootPort,
  SwitchDev,
  Topology,
  Type3Dev,
} from '../../src/topology/model.ts';

export const FIXTURES = join(import.meta.dirname, '..', '..', 'sysfs-fixtures');

const MiB = 1n << 20n;
const GiB = 1n << 30n;

/** Bytes of an `xxd -g1` dump ("offset: bytes  ascii"). */
export function readXxd(path: string): Uint8Array {
  const out: number[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^[0-9a-f]{8}: ((?:[0-9a-f]{2} ?)+)/.exec(line);
    if (!m?.[1]) continue;
    for (const h of m[1].trim().split(/\s+/)) out.push(Number.parseInt(h, 16));
  }
  return Uint8Array.from(out);
}

/** A fixture file's text. */
export function readFixture(...parts: string[]): string {
  return readFileSync(join(FIXTURES, ...parts), 'utf8');
}

/** A QEMU 7.2 `cxl-type3,memdev=…(256M),lsa=…(1M),sn=N`. */
function pmem(id: string, sn: number): Type3Dev {
  return {
    kind: 'type3',
    id,
    serial: BigInt(sn),
    volatileSize: 0n,
    persistentSize: 256n * MiB,
    lsaSize: MiB,
  };
}

function rp(id: string, port: number, slot: number, child?: RootPort['child']): RootPort {
  return { id, port, chassis: 0, slot, ...(child ? { child } : {}) };
}

function hb(id: string, busNr: number, rootPorts: RootPort[]): HostBridge {
  return { id, busNr, segment: 0, rootPorts };
}

function q35(name: string, hostBridges: HostBridge[], windows: Topology['windows']): Topology {
  return {
    name,
    source: { kind: 'qemu' },
    machine: { type: 'q35', ramSize: 2n * GiB, cxl: true, options: {} },
    hostBridges,
    windows,
    cxims: [],
    ignored: [],
  };
}

/** kernel-captures/interleave (also interleave-dyndbg, failures). */
export function interleaveTopology(): Topology {
  const sw: SwitchDev = {
    kind: 'switch',
    id: 'us0',
    downstream: [
      { id: 'ds0', port: 0, chassis: 0, slot: 4, child: pmem('cxl-pmem1', 1) },
      { id: 'ds1', port: 1, chassis: 0, slot: 5, child: pmem('cxl-pmem2', 2) },
    ],
  };
  return q35(
    'interleave',
    [
      hb('cxl.0', 12, [rp('rp0', 0, 0, sw), rp('rp1', 1, 1, pmem('cxl-pmem3', 3))]),
      hb('cxl.1', 64, [
        rp('rp2', 0, 2, pmem('cxl-pmem4', 4)),
        rp('rp3', 1, 3, pmem('cxl-pmem5', 5)),
      ]),
    ],
    [
      { index: 0, targets: ['cxl.0'], size: 4n * GiB, granularity: 256 },
      { index: 1, targets: ['cxl.0', 'cxl.1'], size: 8n * GiB, granularity: 4096 },
      { index: 2, targets: ['cxl.1'], size: 4n * GiB, granularity: 256 },
    ],
  );
}

/** kernel-captures/minimal. */
export function minimalTopology(): Topology {
  return q35(
    'minimal',
    [hb('cxl.0', 12, [rp('rp0', 0, 2, pmem('cxl-pmem0', 1))])],
    [{ index: 0, targets: ['cxl.0'], size: 4n * GiB, granularity: 256 }],
  );
}

/** kernel-captures/threeway. */
export function threewayTopology(): Topology {
  return q35(
    'threeway',
    [
      hb('cxl.1', 40, [rp('rp1', 0, 1, pmem('cxl-pmem1', 1))]),
      hb('cxl.2', 80, [rp('rp2', 0, 2, pmem('cxl-pmem2', 2))]),
      hb('cxl.3', 120, [rp('rp3', 0, 3, pmem('cxl-pmem3', 3))]),
    ],
    [
      { index: 0, targets: ['cxl.1', 'cxl.2', 'cxl.3'], size: 3n * GiB, granularity: 4096 },
      { index: 1, targets: ['cxl.1'], size: 4n * GiB, granularity: 256 },
    ],
  );
}

/** topologies/armvirt-vfio-4gpu.qemu: 4 × (pxb-cxl → cxl-rp port 1 → vfio type-2), 4 × 256G. */
export function armVfio4GpuTopology(): Topology {
  const hosts = ['0002:81:00.0', '0002:c1:00.0', '000a:81:00.0', '000a:e1:00.0'];
  const hostBridges: HostBridge[] = [12, 20, 28, 36].map((bus, i) =>
    hb(`cxl.${i + 1}`, bus, [
      {
        id: `rport0.${i + 1}`,
        port: 1,
        chassis: 4 + i,
        child: {
          kind: 'type2',
          id: `dev${i}`,
          host: hosts[i] ?? '',
          dpaSize: 128n * GiB,
          firmwareCommitted: true,
          noHotplug: true,
        },
      },
    ]),
  );
  return {
    name: 'armvirt-vfio-4gpu',
    source: { kind: 'qemu' },
    machine: {
      type: 'virt',
      ramSize: 128n * MiB,
      cxl: true,
      highmemMmioSize: 4n * 1024n * GiB,
      options: {
        accel: 'kvm',
        'gic-version': '3',
        hmat: 'on',
        cxl: 'on',
        ras: 'on',
        'highmem-mmio-size': '4T',
      },
    },
    hostBridges,
    windows: [0, 1, 2, 3].map((i) => ({
      index: i,
      targets: [`cxl.${i + 1}`],
      size: 256n * GiB,
      granularity: 256,
    })),
    cxims: [],
    ignored: [],
  };
}

/** topologies/armvirt-2hb-switches.qemu: 2 pxb-cxl × 2 root ports, a switch (with CCI) under each. */
export function armTwoHbSwitchesTopology(): Topology {
  const t3 = (id: string, vol: boolean): Type3Dev => ({
    kind: 'type3',
    id,
    volatileSize: vol ? 256n * MiB : 0n,
    persistentSize: vol ? 0n : 256n * MiB,
    lsaSize: 128n * 1024n,
  });
  const sw = (id: string, sn: bigint, base: number, kids: (Type3Dev | undefined)[]): SwitchDev => ({
    kind: 'switch',
    id,
    serial: sn,
    addr: { slot: 0, fn: 0 },
    mailboxCci: { slot: 0, fn: 1 },
    downstream: kids.map((child, i) => ({
      id: `swport${base + i}`,
      port: i,
      chassis: 0,
      slot: 4 + base + i,
      ...(child ? { child } : {}),
    })),
  });
  return {
    name: 'armvirt-2hb-switches',
    source: { kind: 'qemu' },
    machine: {
      type: 'virt',
      ramSize: 2048n * MiB,
      maxMem: 6144n * MiB,
      slots: 0,
      cxl: true,
      options: {
        accel: 'tcg',
        cxl: 'on',
        highmem: 'on',
        'compact-highmem': 'on',
        'highmem-ecam': 'on',
        'highmem-mmio': 'on',
      },
    },
    hostBridges: [
      hb('cxl.0', 53, [
        rp(
          'hb0rp0',
          0,
          0,
          sw('cxl-up0', 12345678n, 0, [
            t3('cxl-pmem0', false),
            undefined,
            t3('cxl-pmem1', false),
            undefined,
          ]),
        ),
        rp('hb0rp1', 1, 1),
      ]),
      hb('cxl.1', 191, [
        rp(
          'hb1rp0',
          0,
          2,
          sw('cxl-up1', 12341234n, 4, [
            t3('cxl-vmem2', true),
            undefined,
            t3('cxl-vmem3', true),
            undefined,
          ]),
        ),
        rp('hb1rp1', 1, 3),
      ]),
    ],
    windows: [
      { index: 0, targets: ['cxl.0'], size: 4n * GiB, granularity: 8192 },
      { index: 1, targets: ['cxl.0', 'cxl.1'], size: 4n * GiB, granularity: 8192 },
    ],
    cxims: [],
    ignored: [],
  };
}
