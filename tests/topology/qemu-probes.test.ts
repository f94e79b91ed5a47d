/**
 * QEMU's own validation: the ~40 probes every capture stack ran against its real QEMU
 * (sysfs-fixtures/stacks/<stack>/qemu-probes/probes.txt: command line, ACCEPTED / REJECTED,
 * first stderr line) replayed through cxlsim with that stack's QEMU version, plus the typos
 * and limits of issue 10 with QEMU's texts from its source.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { Errno } from '../../src/kernel/errno.ts';
import { type QemuVersion, resolveProfile } from '../../src/profile.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';
import { QemuError } from '../../src/topology/qemu-errors.ts';

const ROOT = join(import.meta.dirname, '../../sysfs-fixtures/stacks');

interface Probe {
  name: string;
  accepted: boolean;
  cmdline: string;
  stderr: string;
}

function probes(stack: string): Probe[] {
  const text = readFileSync(join(ROOT, stack, 'qemu-probes/probes.txt'), 'utf8');
  return text
    .split(/^=== /m)
    .slice(1)
    .map((b) => ({
      name: b.split(':')[0] as string,
      accepted: /^result: ACCEPTED/m.test(b),
      cmdline: /^cmdline: (.*)$/m.exec(b)?.[1] ?? '',
      stderr: /^stderr:\n {2}(.*)$/m.exec(b)?.[1] ?? '',
    }));
}

/** What cxlsim answers: undefined when QEMU would start (and the guest boots), else the line. */
function answer(cmd: string, profile: string): string | undefined {
  const p = resolveProfile(profile);
  try {
    const t = parseQemuCommandLine(cmd, { qemu: p.qemu, fileExists: () => false });
    bootMachine(t, { profile: p });
    return undefined;
  } catch (e) {
    if (e instanceof QemuError) return e.qemuMessage();
    throw e;
  }
}

describe.each([
  ['latest', 'latest'],
  ['debian-13', 'debian-13'],
])('the %s stack’s QEMU probes', (stack, profile) => {
  const all = probes(stack);
  it('all 43 probes are read', () => {
    expect(all).toHaveLength(43);
    expect(all.filter((p) => p.accepted)).toHaveLength(24);
  });
  it.each(all.map((p) => [p.name, p] as const))('%s', (_n, p) => {
    const got = answer(p.cmdline, profile);
    if (p.accepted) expect(got).toBeUndefined();
    else expect(got).toBe(p.stderr);
  });
});

const X86 = 'qemu-system-x86_64';
const BASE = [
  `${X86} -machine q35,cxl=on -m 2G`,
  '-object memory-backend-ram,id=m0,size=256M -object memory-backend-ram,id=l0,size=1M',
  '-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.0',
  '-device cxl-rp,port=0,bus=cxl.0,id=rp0,chassis=0,slot=2',
];
const T3 = '-device cxl-type3,bus=rp0,memdev=m0,lsa=l0,id=t0';
const FMW = '-M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G';

function err(text: string, qemu: QemuVersion): QemuError {
  try {
    parseQemuCommandLine(text, { qemu });
  } catch (e) {
    if (e instanceof QemuError) return e;
    throw e;
  }
  throw new Error('accepted');
}

const VERSIONS: QemuVersion[] = ['7.2', '10.0', '11.1'];

describe('typos are refused as QEMU refuses them', () => {
  it.each(VERSIONS)('a misspelled CXL device model (QEMU %s)', (q) => {
    const d = '-device cxl-typ3,bus=rp0,memdev=m0,lsa=l0,id=t0';
    expect(err([...BASE, d, FMW].join(' '), q).qemuMessage()).toBe(
      `${X86}: ${d}: 'cxl-typ3' is not a valid device model name`,
    );
    const p = '-device pxb-cx1,bus_nr=14,bus=pcie.0,id=cxl.1';
    expect(err([...BASE, T3, p, FMW].join(' '), q).message).toBe(
      "'pxb-cx1' is not a valid device model name",
    );
  });

  it.each(VERSIONS)('misspelled properties (QEMU %s)', (q) => {
    const sn = '-device cxl-type3,bus=rp0,memdev=m0,lsa=l0,id=t0,snn=5';
    expect(err([...BASE, sn, FMW].join(' '), q).qemuMessage()).toBe(
      `${X86}: ${sn}: Property 'cxl-type3.snn' not found`,
    );
    const rp = [...BASE.slice(0, 3), '-device cxl-rp,prot=0,bus=cxl.0,id=rp0,chassis=0,slot=2'];
    expect(err([...rp, T3, FMW].join(' '), q).message).toBe("Property 'cxl-rp.prot' not found");
    const hb = [...BASE.slice(0, 2), '-device pxb-cxl,busnr=12,bus=pcie.0,id=cxl.0', BASE[3]];
    expect(err([...hb, T3, FMW].join(' '), q).message).toBe("Property 'pxb-cxl.busnr' not found");
  });

  it('generic PCI and port properties are accepted; other devices are not checked', () => {
    const t = parseQemuCommandLine(
      [
        ...BASE.slice(0, 3),
        '-device cxl-rp,port=0,bus=cxl.0,id=rp0,chassis=0,slot=2,hotplug=off,x-speed=32',
        '-device cxl-type3,bus=rp0,memdev=m0,lsa=l0,id=t0,rombar=0,acpi-index=3',
        '-device virtio-net-pci,netdev=n0,whatever=1',
        FMW,
      ].join(' '),
      { qemu: '11.1' },
    );
    expect(t.hostBridges[0]?.rootPorts[0]?.child?.kind).toBe('type3');
    expect(t.ignored).toContain('-device virtio-net-pci,netdev=n0,whatever=1');
  });
});

describe('dynamic capacity (QEMU ≥ 9.1)', () => {
  const dcd = [
    ...BASE,
    '-object memory-backend-ram,id=dc0,size=512M',
    '-device cxl-type3,bus=rp0,volatile-dc-memdev=dc0,num-dc-regions=2,id=t0',
    FMW,
  ].join(' ');
  it('10.0 and 11.1 accept a DCD device and boot it', () => {
    for (const q of ['10.0', '11.1'] as const) {
      const t = parseQemuCommandLine(dcd, { qemu: q });
      expect(t.hostBridges[0]?.rootPorts[0]?.child?.kind).toBe('type3');
    }
    const p = resolveProfile('latest');
    expect(() =>
      bootMachine(parseQemuCommandLine(dcd, { qemu: '11.1' }), { profile: p }),
    ).not.toThrow();
  });
  it('7.2 does not know the properties', () => {
    expect(err(dcd, '7.2').message).toBe("Property 'cxl-type3.volatile-dc-memdev' not found");
  });
  it('DC checks of cxl_type3.c', () => {
    const noBackend = dcd.replace('volatile-dc-memdev=dc0,', '');
    expect(err(noBackend, '11.1').message).toBe('dynamic capacity must have a backing device');
    const odd = dcd.replace('num-dc-regions=2', 'num-dc-regions=3');
    expect(err(odd, '11.1').message).toBe('backend size is not multiple of region len: 0xaaaaaaa');
    const small = dcd.replace('size=512M', 'size=256M');
    expect(err(small, '11.1').message).toBe('DC region size is unaligned to 0x10000000');
  });
});

describe('phys-bits: the windows must fit the CPU’s address space (pc_memory_init())', () => {
  const big = '-M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=1T';
  it.each(VERSIONS)('a 1 TiB window with the default qemu64 (AMD, 40 bits), QEMU %s', (q) => {
    // max used GPA crosses the AMD HT hole: RAM above 4G moves to 1 TiB, then the check fails
    const e = err([...BASE, T3, big].join(' '), q);
    expect(e.option).toBeUndefined();
    expect(e.qemuMessage()).toBe(
      `${X86}: Address space limit 0xffffffffff < 0x2083fffffff phys-bits too low (40)`,
    );
  });
  it('an Intel CPU model keeps RAM at 4 GiB', () => {
    const e = err([...BASE, T3, big, '-cpu Skylake-Client'].join(' '), '11.1');
    expect(e.message).toBe(
      'Address space limit 0xffffffffff < 0x1093fffffff phys-bits too low (40)',
    );
  });
  it('phys-bits=48 boots it, with the window above the relocated RAM', () => {
    const t = parseQemuCommandLine([...BASE, T3, big, '-cpu qemu64,phys-bits=48'].join(' '), {
      qemu: '11.1',
    });
    const m = bootMachine(t, { profile: resolveProfile('latest') });
    expect(m.platform.windows[0]?.base).toBe(0x10010000000n);
  });
  it('host-phys-bits: the host’s width is unknown, no check', () => {
    const line = [...BASE, T3, big, '-cpu host'].join(' ');
    expect(() => parseQemuCommandLine(line, { qemu: '11.1' })).not.toThrow();
  });
});

describe('input that is not a QEMU command line', () => {
  it.each([
    ['an empty file', ''],
    ['prose', 'This is the VM I use for CXL testing.\nIt has two host bridges.'],
  ])('%s gets cxlsim’s own message, not a machine type', (_n, text) => {
    let e: unknown;
    try {
      parseQemuCommandLine(text, { qemu: '11.1', path: 'vm.sh' });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(Errno);
    expect(e).not.toBeInstanceOf(QemuError);
    expect((e as Errno).message).toMatch(/^cxlsim: vm\.sh holds no QEMU option/);
    expect((e as Errno).message).not.toMatch(/machine type/);
  });
});

describe('what QEMU accepts boots', () => {
  it('a type-3 on pcie.0, a root port with nothing below, a window over a host bridge without memdevs', () => {
    const line = [
      ...BASE,
      '-device pxb-cxl,bus_nr=20,bus=pcie.0,id=cxl.1',
      '-device cxl-rp,port=0,bus=cxl.1,id=rp1,chassis=0,slot=3',
      '-object memory-backend-ram,id=m1,size=256M -object memory-backend-ram,id=l1,size=1M',
      '-device cxl-type3,bus=pcie.0,memdev=m1,lsa=l1,id=t9',
      T3,
      '-M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G,cxl-fmw.1.targets.0=cxl.1,cxl-fmw.1.size=4G',
    ].join(' ');
    const t = parseQemuCommandLine(line, { qemu: '11.1' });
    expect(t.outsideCxl).toBeUndefined();
    // built on pcie.0 after the board's MCH (00.0) and the two expanders (01.0, 02.0)
    expect(t.rootBus?.map((d) => [d.id, d.addr])).toEqual([['t9', { slot: 3, fn: 0 }]]);
    const m = bootMachine(t, { profile: resolveProfile('latest') });
    expect(m.platform.windows.map((w) => w.base > 0n)).toEqual([true, true]);
  });
});
