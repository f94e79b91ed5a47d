import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Endpointish, HostBridge, Topology, Type3Dev } from '../../src/topology/model.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';

const FIXTURES = join(import.meta.dirname, '../../sysfs-fixtures');
const read = (p: string) => readFileSync(join(FIXTURES, p), 'utf8');
const MiB = 1n << 20n;
const GiB = 1n << 30n;

/** A node of `lspci -tv`: a root bus ("[0000:0c]") or a function ("00.0"). */
interface PciNode {
  name: string;
  children: PciNode[];
}

/** Parses `lspci -tv` into a tree (siblings share a column; a device's parent is left of it). */
function parseLspciTree(text: string): PciNode[] {
  const roots: PciNode[] = [];
  const atCol = new Map<number, { node: PciNode; parent: PciNode | undefined }>();
  for (const line of text.split('\n')) {
    let prev: PciNode | undefined;
    for (const m of line.matchAll(/\[(0000:[0-9a-f]{2})\]|([0-9a-f]{2}\.[0-7])/g)) {
      const node: PciNode = { name: m[1] ?? m[2] ?? '', children: [] };
      const col = m.index;
      const parent = prev ?? atCol.get(col)?.parent;
      if (parent) parent.children.push(node);
      else roots.push(node);
      atCol.set(col, { node, parent });
      prev = node;
      if (m[1]) continue;
    }
  }
  return roots;
}

/** The same shape built from a topology host bridge (slot.fn in hex, as lspci prints). */
function shapeOf(hb: HostBridge): PciNode {
  const fn = (a: { slot: number; fn: number } | undefined) =>
    `${(a?.slot ?? 0).toString(16).padStart(2, '0')}.${a?.fn ?? 0}`;
  const child = (c: Endpointish | undefined): PciNode[] => {
    if (!c) return [];
    if (c.kind !== 'switch') return [{ name: fn(c.addr), children: [] }];
    return [
      {
        name: fn(c.addr),
        children: c.downstream.map((d) => ({ name: fn(d.addr), children: child(d.child) })),
      },
    ];
  };
  return {
    name: `0000:${hb.busNr.toString(16).padStart(2, '0')}`,
    children: hb.rootPorts.map((rp) => ({ name: fn(rp.addr), children: child(rp.child) })),
  };
}

function type3s(t: Topology): Type3Dev[] {
  const out: Type3Dev[] = [];
  const walk = (c: Endpointish | undefined) => {
    if (!c) return;
    if (c.kind === 'type3') out.push(c);
    if (c.kind === 'switch') for (const d of c.downstream) walk(d.child);
  };
  for (const hb of t.hostBridges) for (const rp of hb.rootPorts) walk(rp.child);
  return out;
}

/** memdevs.txt: "memN\tserial=0x1\thost=…" → serials. */
function captureSerials(scenario: string): bigint[] {
  return read(`${scenario}/00-boot/memdevs.txt`)
    .trim()
    .split('\n')
    .map((l) => BigInt(/serial=(0x[0-9a-f]+)/.exec(l)?.[1] ?? 'x'));
}

function parseCapture(scenario: string): Topology {
  return parseQemuCommandLine(read(`${scenario}/host/qemu-cmdline.sh`), {
    qemu: '7.2',
    path: `${scenario}/host/qemu-cmdline.sh`,
  });
}

describe('the kernel captures’ QEMU lines (QEMU 7.2)', () => {
  it.each(['minimal', 'interleave', 'threeway'])(
    '%s: host bridges, ports and addresses match lspci -tv',
    (s) => {
      const t = parseCapture(s);
      const pci = parseLspciTree(read(`${s}/00-boot/pci/lspci-tv.txt`)).filter(
        (n) => n.name !== '0000:00',
      );
      const byName = (a: PciNode, b: PciNode) => a.name.localeCompare(b.name);
      expect(t.hostBridges.map(shapeOf).sort(byName)).toEqual(pci.sort(byName));
    },
  );

  it.each(['minimal', 'interleave', 'threeway'])(
    '%s: one type-3 per memdev, with its serial, pmem and LSA',
    (s) => {
      const t = parseCapture(s);
      const devs = type3s(t);
      expect(devs.map((d) => d.serial).sort()).toEqual(captureSerials(s).sort());
      for (const d of devs) {
        expect(d.persistentSize).toBe(256n * MiB);
        expect(d.volatileSize).toBe(0n);
        expect(d.lsaSize).toBe(1n * MiB);
      }
    },
  );

  it('interleave: windows, bus numbers, ids and the ignored options', () => {
    const t = parseCapture('interleave');
    expect(t.name).toBe('qemu-cmdline');
    expect(t.source).toEqual({ kind: 'qemu', path: 'interleave/host/qemu-cmdline.sh' });
    expect(t.machine).toEqual({ type: 'q35', ramSize: 2n * GiB, cxl: true, options: {} });
    expect(t.hostBridges.map((h) => [h.id, h.busNr, h.segment])).toEqual([
      ['cxl.0', 12, 0],
      ['cxl.1', 64, 0],
    ]);
    expect(
      t.hostBridges.map((h) => h.rootPorts.map((r) => [r.id, r.port, r.chassis, r.slot])),
    ).toEqual([
      [
        ['rp0', 0, 0, 0],
        ['rp1', 1, 0, 1],
      ],
      [
        ['rp2', 0, 0, 2],
        ['rp3', 1, 0, 3],
      ],
    ]);
    const sw = t.hostBridges[0]?.rootPorts[0]?.child;
    expect(sw?.kind).toBe('switch');
    if (sw?.kind !== 'switch') return;
    expect(sw.id).toBe('us0');
    expect(sw.serial).toBeUndefined();
    expect(sw.downstream.map((d) => [d.id, d.port, d.child?.id])).toEqual([
      ['ds0', 0, 'cxl-pmem1'],
      ['ds1', 1, 'cxl-pmem2'],
    ]);
    expect(type3s(t)[0]?.backends).toEqual({ persistent: 'cxl-mem1', lsa: 'cxl-lsa1' });
    expect(t.windows).toEqual([
      { index: 0, targets: ['cxl.0'], size: 4n * GiB, granularity: 256 },
      { index: 1, targets: ['cxl.0', 'cxl.1'], size: 8n * GiB, granularity: 4096 },
      { index: 2, targets: ['cxl.1'], size: 4n * GiB, granularity: 256 },
    ]);
    expect(t.cxims).toEqual([]);
    expect(t.ignored).toEqual([
      '-accel tcg',
      '-smp 2',
      '-nodefaults',
      '-nographic',
      '-no-reboot',
      '-monitor none',
      '-kernel $GT_CACHE/vmlinuz',
      '-initrd $GT_CACHE/run/interleave/initramfs.cpio.gz',
      '-append console=ttyS0,115200 panic=-1 log_buf_len=16M ',
      '-serial file:$GT_CACHE/run/interleave/console.log',
      '-serial file:$GT_CACHE/run/interleave/data.log',
    ]);
  });

  it('threeway: a 3-way 3G window at 4k and host bridges in command-line order', () => {
    const t = parseCapture('threeway');
    expect(t.hostBridges.map((h) => [h.id, h.busNr])).toEqual([
      ['cxl.1', 40],
      ['cxl.2', 80],
      ['cxl.3', 120],
    ]);
    expect(t.windows).toEqual([
      { index: 0, targets: ['cxl.1', 'cxl.2', 'cxl.3'], size: 3n * GiB, granularity: 4096 },
      { index: 1, targets: ['cxl.1'], size: 4n * GiB, granularity: 256 },
    ]);
  });

  it.each(['failures', 'interleave-dyndbg'])('%s: the same topology as interleave', (s) => {
    const { hostBridges, windows, machine } = parseCapture(s);
    const i = parseCapture('interleave');
    expect({ hostBridges, windows, machine }).toEqual({
      hostBridges: i.hostBridges,
      windows: i.windows,
      machine: i.machine,
    });
  });
});

describe('the arm virt topologies (QEMU 10.1)', () => {
  const arm = () =>
    parseQemuCommandLine(read('topologies/armvirt-2hb-switches.qemu'), {
      qemu: '11.1',
      path: 'topologies/armvirt-2hb-switches.qemu',
    });

  it('armvirt-2hb-switches: two host bridges, switches with a CCI, pmem and vmem type-3s', () => {
    const t = arm();
    expect(t.name).toBe('armvirt-2hb-switches');
    expect(t.machine.type).toBe('virt');
    expect(t.machine.ramSize).toBe(2048n * MiB);
    expect(t.machine.maxMem).toBe(6144n * MiB);
    expect(t.machine.slots).toBe(0);
    expect(t.machine.options).toEqual({
      accel: 'tcg',
      highmem: 'on',
      'compact-highmem': 'on',
      'highmem-ecam': 'on',
      'highmem-mmio': 'on',
    });
    expect(t.hostBridges.map((h) => [h.id, h.busNr, h.rootPorts.map((r) => r.id)])).toEqual([
      ['cxl.0', 53, ['hb0rp0', 'hb0rp1']],
      ['cxl.1', 191, ['hb1rp0', 'hb1rp1']],
    ]);
    const sws = t.hostBridges.map((h) => h.rootPorts[0]?.child);
    expect(
      sws.map((s) => (s?.kind === 'switch' ? [s.id, s.serial, s.addr, s.mailboxCci] : s)),
    ).toEqual([
      ['cxl-up0', 12345678n, { slot: 0, fn: 0 }, { slot: 0, fn: 1 }],
      ['cxl-up1', 12341234n, { slot: 0, fn: 0 }, { slot: 0, fn: 1 }],
    ]);
    const devs = type3s(t);
    expect(devs.map((d) => [d.id, d.volatileSize, d.persistentSize, d.lsaSize, d.serial])).toEqual([
      ['cxl-pmem0', 0n, 256n * MiB, 128n * 1024n, undefined],
      ['cxl-pmem1', 0n, 256n * MiB, 128n * 1024n, undefined],
      ['cxl-vmem2', 256n * MiB, 0n, 128n * 1024n, undefined],
      ['cxl-vmem3', 256n * MiB, 0n, 128n * 1024n, undefined],
    ]);
    expect(t.windows).toEqual([
      { index: 0, targets: ['cxl.0'], size: 4n * GiB, granularity: 8192 },
      { index: 1, targets: ['cxl.0', 'cxl.1'], size: 4n * GiB, granularity: 8192 },
    ]);
  });

  it('armvirt-2hb-switches: the -drive lines and other non-CXL options are ignored, in order', () => {
    const t = arm();
    const drives = t.ignored.filter((x) => x.startsWith('-drive '));
    expect(drives).toEqual([
      '-drive if=pflash,format=raw,unit=0,file=AAVMF_CODE.fd,readonly=on',
      '-drive if=pflash,format=raw,unit=1,file=AAVMF_VARS.fd',
      '-drive file=root.img,format=raw,media=disk',
    ]);
    expect(t.ignored).toContain('-device e1000,netdev=net0,mac=52:54:00:12:34:56');
    expect(t.ignored).toContain('-object memory-backend-ram,id=mem0,size=2048M');
    expect(t.ignored).toContain('-numa node,nodeid=0,memdev=mem0,');
    expect(t.ignored).toContain('-snapshot');
    expect(t.ignored.some((x) => x.includes('cxl'))).toBe(true); // the -append text only
    expect(t.ignored.filter((x) => /^-(device|object) .*cxl/.test(x))).toEqual([]);
  });

  it('armvirt-vfio-4gpu: four host bridges, each a root port with a vfio type-2 function', () => {
    const t = parseQemuCommandLine(read('topologies/armvirt-vfio-4gpu.qemu'), { qemu: '11.1' });
    expect(t.machine.highmemMmioSize).toBe(4n << 40n);
    expect(t.machine.options).toEqual({ accel: 'kvm', 'gic-version': '3', hmat: 'on', ras: 'on' });
    expect(
      t.hostBridges.map((h) => {
        const rp = h.rootPorts[0];
        const c = rp?.child;
        return [
          h.id,
          h.busNr,
          rp?.id,
          rp?.port,
          rp?.chassis,
          c?.kind === 'type2' ? [c.id, c.host, c.noHotplug] : c,
        ];
      }),
    ).toEqual([
      ['cxl.1', 12, 'rport0.1', 1, 4, ['dev0', '0002:81:00.0', true]],
      ['cxl.2', 20, 'rport0.2', 1, 5, ['dev1', '0002:c1:00.0', true]],
      ['cxl.3', 28, 'rport0.3', 1, 6, ['dev2', '000a:81:00.0', true]],
      ['cxl.4', 36, 'rport0.4', 1, 7, ['dev3', '000a:e1:00.0', true]],
    ]);
    const c = t.hostBridges[0]?.rootPorts[0]?.child;
    expect(c?.kind === 'type2' && [c.dpaSize, c.firmwareCommitted]).toEqual([16n * GiB, true]);
    expect(t.windows.map((w) => [w.targets, w.size])).toEqual([
      [['cxl.1'], 256n * GiB],
      [['cxl.2'], 256n * GiB],
      [['cxl.3'], 256n * GiB],
      [['cxl.4'], 256n * GiB],
    ]);
    expect(t.ignored.filter((x) => x.startsWith('-device arm-smmuv3'))).toHaveLength(4);
    expect(t.ignored).toContain('-object iommufd,id=iommufd0');
  });
});

describe('QEMU addressing', () => {
  const base = (devices: string) => `qemu-system-x86_64 -machine q35,cxl=on
    -object memory-backend-ram,id=m0,size=256M -object memory-backend-ram,id=l0,size=1M
    -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.0 ${devices}
    -M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G`;

  it('assigns the first free slot in creation order and reads addr=0x2, addr=2.0, addr=10 (hex)', () => {
    const t = parseQemuCommandLine(
      base(`-device cxl-rp,bus=cxl.0,id=a,port=0,slot=1,addr=0x2 -device cxl-rp,bus=cxl.0,id=b,port=1,slot=2
            -device cxl-rp,bus=cxl.0,id=c,port=2,slot=3 -device cxl-rp,bus=cxl.0,id=d,port=3,slot=4,addr=3.0
            -device cxl-rp,bus=cxl.0,id=e,port=4,slot=5,addr=10 -device cxl-rp,bus=cxl.0,id=f,port=5,slot=6`),
      { qemu: '11.1' },
    );
    expect(t.hostBridges[0]?.rootPorts.map((r) => [r.id, r.addr?.slot, r.addr?.fn])).toEqual([
      ['a', 2, 0],
      ['b', 0, 0],
      ['c', 1, 0],
      ['d', 3, 0],
      ['e', 16, 0],
      ['f', 4, 0],
    ]);
  });

  it('places a device without bus= on the most recent pxb-cxl bus, and names anonymous devices', () => {
    const t = parseQemuCommandLine(
      base('-device pxb-cxl,bus_nr=20,bus=pcie.0,id=cxl.1 -device cxl-rp,port=0'),
      { qemu: '7.2' },
    );
    expect(t.hostBridges.map((h) => [h.id, h.rootPorts.map((r) => r.id)])).toEqual([
      ['cxl.0', []],
      ['cxl.1', ['rp#0']],
    ]);
  });

  it('keeps sn=0xffffffffffffffff (UI64_NULL) as "no serial"', () => {
    const t = parseQemuCommandLine(
      base(
        '-device cxl-rp,bus=cxl.0,id=rp0 -device cxl-type3,bus=rp0,memdev=m0,lsa=l0,id=t,sn=0xffffffffffffffff',
      ),
      { qemu: '7.2' },
    );
    const c = t.hostBridges[0]?.rootPorts[0]?.child;
    expect(c?.kind).toBe('type3');
    expect(c && 'serial' in c).toBe(false);
  });

  it('defaults RAM to 128M and reads -m 4G,maxmem=8G,slots=8', () => {
    const a = parseQemuCommandLine('-M q35', { qemu: '7.2' });
    expect(a.machine).toEqual({ type: 'q35', ramSize: 128n * MiB, cxl: false, options: {} });
    const b = parseQemuCommandLine('-M pc-q35-7.2,cxl=on -m 4G,maxmem=8G,slots=8', { qemu: '7.2' });
    expect([b.machine.ramSize, b.machine.maxMem, b.machine.slots, b.machine.cxl]).toEqual([
      4n * GiB,
      8n * GiB,
      8,
      true,
    ]);
    const c = parseQemuCommandLine('-M q35 -m 2048', { qemu: '7.2' });
    expect(c.machine.ramSize).toBe(2n * GiB);
  });
});
