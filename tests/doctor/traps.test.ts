/**
 * Doctor traps derived from the topology and QEMU's placement: a firmware memory map under a
 * window (E820 over a window), a cxl-type3 on pcie.0, and passed-through type-2 devices whose
 * committed decoder the guest cannot assemble. Each names the option to change.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firmwareMemoryMap } from '../../src/doctor/e820.ts';
import { doctor } from '../../src/doctor/index.ts';
import { resolveProfile } from '../../src/profile.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';

const latest = resolveProfile('latest');
const base = (extra: string, fmw = 'cxl-fmw.0.size=4G') =>
  [
    'qemu-system-x86_64 -machine q35,cxl=on -m 2G -nodefaults',
    extra,
    '-object memory-backend-ram,id=m0,size=256M -object memory-backend-ram,id=l0,size=1M',
    '-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.0',
    '-device cxl-rp,port=0,bus=cxl.0,id=rp0,chassis=0,slot=2',
    '-device cxl-type3,bus=rp0,memdev=m0,lsa=l0,id=t0',
    `-M cxl-fmw.0.targets.0=cxl.0,${fmw}`,
  ].join(' ');

const kinds = (text: string) =>
  (doctor({ text, profiles: [latest] })[0]?.findings ?? []).map((f) => [f.kind, f.subject]);

describe('E820 over a window', () => {
  it("the q35 map is the latest capture's BIOS-e820 table for -m 2G", () => {
    const cap = readFileSync(
      join(
        import.meta.dirname,
        '..',
        '..',
        'sysfs-fixtures',
        'stacks',
        'latest',
        'interleave',
        '00-boot',
        'dmesg.txt',
      ),
      'utf8',
    );
    const want = [...cap.matchAll(/BIOS-e820: \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] +(.+)$/gm)].map(
      (m) => `${BigInt(`0x${m[1]}`).toString(16)}-${BigInt(`0x${m[2]}`).toString(16)} ${m[3]}`,
    );
    expect(want).toHaveLength(9);
    const cpu = readFileSync(
      join(
        import.meta.dirname,
        '..',
        '..',
        'sysfs-fixtures',
        'stacks',
        'latest',
        'interleave',
        'host',
        'qemu-cmdline.sh',
      ),
      'utf8',
    );
    const t = parseQemuCommandLine(cpu, { qemu: latest.qemu });
    const got = firmwareMemoryMap(t).map(
      (e) => `${e.start.toString(16)}-${e.end.toString(16)} ${e.type}`,
    );
    expect(got).toEqual(want);
  });

  it('a window QEMU could not place (host phys-bits, unknown to QEMU’s check) lands at 0 over RAM', () => {
    const text = base('-cpu host', 'cxl-fmw.0.size=1T');
    const r = doctor({ text, profiles: [latest] })[0];
    const f = r?.findings.find((x) => x.kind === 'e820-over-window');
    expect(f?.severity).toBe('error');
    expect(f?.subject).toBe('cxl-fmw.0');
    expect(f?.message).toContain('System RAM 0x100000-0x7ffdffff');
    expect(f?.option).toBe('-M cxl-fmw.0.size (smaller), or -cpu …,phys-bits=N');
  });

  it('placed windows never overlap the map (QEMU puts them after RAM and maxmem)', () => {
    expect(
      kinds(base('-cpu qemu64,-hypervisor')).filter(([k]) => k === 'e820-over-window'),
    ).toEqual([]);
    const big = base('-cpu qemu64,-hypervisor').replace('-m 2G', '-m 4G,slots=2,maxmem=8G');
    expect(kinds(big).filter(([k]) => k === 'e820-over-window')).toEqual([]);
  });
});

describe('devices the guest will not assemble', () => {
  it('a cxl-type3 on pcie.0: a memdev without a port; the option is its bus=', () => {
    const text = base(
      '-object memory-backend-ram,id=m9,size=256M -object memory-backend-ram,id=l9,size=1M -device cxl-type3,bus=pcie.0,memdev=m9,lsa=l9,id=t9',
    );
    const f = doctor({ text, profiles: [latest] })[0]?.findings.find(
      (x) => x.kind === 'root-bus-type3',
    );
    expect(f?.subject).toBe('t9');
    expect(f?.message).toContain('no parent for dport: pci0000:00');
    expect(f?.option).toContain('id=t9,bus=');
  });

  it('armvirt-vfio-4gpu: every GPU is flagged (the VMM commits only the endpoint decoder)', () => {
    const text = readFileSync(
      join(
        import.meta.dirname,
        '..',
        '..',
        'sysfs-fixtures',
        'topologies',
        'armvirt-vfio-4gpu.qemu',
      ),
      'utf8',
    );
    const f = doctor({ text, profiles: [latest] })[0]?.findings.filter(
      (x) => x.kind === 'type2-auto-assembly',
    );
    expect(f?.map((x) => x.subject)).toEqual(['cxl.1', 'cxl.2', 'cxl.3', 'cxl.4']);
    for (const x of f ?? []) expect(x.message).toContain('failed to find decoder mapping');
  });
});

describe('bus numbers the firmware cannot give', () => {
  const PXB2 =
    '-device pxb-cxl,id=cxl.0,bus=pcie.0,bus_nr=52 -device pxb-cxl,id=cxl.1,bus=pcie.0,bus_nr=53 ' +
    '-device cxl-rp,id=rp0,bus=cxl.0,chassis=0,slot=0 -device cxl-rp,id=rp1,bus=cxl.0,chassis=0,slot=1 ' +
    '-device cxl-rp,id=rp2,bus=cxl.1,chassis=0,slot=2 -device cxl-rp,id=rp3,bus=cxl.1,chassis=0,slot=3 ' +
    '-M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.targets.1=cxl.1,cxl-fmw.0.size=4G';

  it("QEMU's qtest line (bus_nr 52 and 53, two root ports each): SeaBIOS on q35", () => {
    const text = `qemu-system-x86_64 -machine q35,cxl=on ${PXB2}`;
    const f = doctor({ text, profiles: [latest] })[0]?.findings.filter(
      (x) => x.kind === 'bus-numbers',
    );
    expect(f?.map((x) => [x.severity, x.subject])).toEqual([['warning', 'cxl.0']]);
    expect(f?.[0]?.message).toContain('needs 2 bus numbers below its root bus but only 0 are free');
    expect(f?.[0]?.option).toContain('at least 2 numbers apart');
  });

  it('the same spacing on arm virt: EDK2 gives root bridge 52 the range 52-52 and stops', () => {
    const text = `qemu-system-aarch64 -machine virt,cxl=on -cpu max ${PXB2}`;
    const f = doctor({ text, profiles: [latest] })[0]?.findings.filter(
      (x) => x.kind === 'bus-numbers',
    );
    expect(f?.map((x) => [x.severity, x.subject])).toEqual([['error', 'cxl.0']]);
    expect(f?.[0]?.message).toContain('range 52-52');
    expect(f?.[0]?.message).toContain('EFI_OUT_OF_RESOURCES');
  });

  it('the captures’ spacing (arm64 53/191 with switches, x86 12) needs nothing', () => {
    const dir = join(import.meta.dirname, '..', '..', 'sysfs-fixtures', 'stacks');
    const lines = [
      join(dir, 'latest-arm64', 'armvirt-2hb-switches', 'host', 'qemu-cmdline.sh'),
      join(dir, 'latest', 'interleave', 'host', 'qemu-cmdline.sh'),
    ];
    for (const l of lines)
      expect(kinds(readFileSync(l, 'utf8')).filter(([k]) => k === 'bus-numbers')).toEqual([]);
  });
});
