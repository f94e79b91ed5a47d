import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/kernel/errno.ts';
import type { QemuVersion } from '../../src/profile.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';
import { QemuError } from '../../src/topology/qemu-errors.ts';

const X86 = 'qemu-system-x86_64';

/** A working 7.2-style line; each test swaps one option. */
const OK: Record<string, string> = {
  machine: '-machine q35,cxl=on',
  mem: '-m 2G',
  m0: '-object memory-backend-file,id=cxl-mem0,share=on,mem-path=m0.raw,size=256M',
  l0: '-object memory-backend-file,id=cxl-lsa0,share=on,mem-path=l0.raw,size=1M',
  hb: '-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.0',
  rp: '-device cxl-rp,port=0,bus=cxl.0,id=rp0,chassis=0,slot=2',
  t3: '-device cxl-type3,bus=rp0,memdev=cxl-mem0,lsa=cxl-lsa0,id=cxl-pmem0,sn=1',
  fmw: '-M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G',
};

function line(over: Record<string, string | undefined> = {}, extra = ''): string {
  const parts = { ...OK, ...over };
  return `${X86} ${Object.values(parts)
    .filter((x) => x !== undefined)
    .join(' ')} ${extra}`;
}

/** The QemuError a line produces (fails the test when it parses). */
function qemuError(text: string, qemu: QemuVersion = '7.2'): QemuError {
  try {
    parseQemuCommandLine(text, { qemu });
  } catch (e) {
    if (e instanceof QemuError) return e;
    throw e;
  }
  throw new Error('the line was accepted');
}

describe('QEMU errors, with QEMU’s text and location', () => {
  it('a working line parses on both versions', () => {
    expect(parseQemuCommandLine(line(), { qemu: '7.2' }).hostBridges).toHaveLength(1);
    expect(parseQemuCommandLine(line(), { qemu: '11.1' }).hostBridges).toHaveLength(1);
  });

  it('QEMU 7.2 has no volatile-memdev / persistent-memdev', () => {
    const t3 = '-device cxl-type3,bus=rp0,volatile-memdev=cxl-mem0,id=v0';
    const e = qemuError(line({ t3 }));
    expect(e.message).toBe("Property 'cxl-type3.volatile-memdev' not found");
    expect(e.option).toBe(t3);
    expect(e.qemuMessage()).toBe(`${X86}: ${t3}: Property 'cxl-type3.volatile-memdev' not found`);
    expect(e.code).toBe('EINVAL');
    expect(e).toBeInstanceOf(Errno);
    const p = '-device cxl-type3,bus=rp0,persistent-memdev=cxl-mem0,lsa=cxl-lsa0,id=p0';
    expect(qemuError(line({ t3: p })).message).toBe(
      "Property 'cxl-type3.persistent-memdev' not found",
    );
  });

  it('persistent memory needs an LSA (texts per version)', () => {
    const t3 = '-device cxl-type3,bus=rp0,memdev=cxl-mem0,id=p0';
    expect(qemuError(line({ t3 }), '7.2').qemuMessage()).toBe(
      `${X86}: ${t3}: lsa property must be set`,
    );
    const t10 = '-device cxl-type3,bus=rp0,persistent-memdev=cxl-mem0,id=p0';
    expect(qemuError(line({ t3: t10 }), '11.1').message).toBe(
      'lsa property must be set for persistent devices',
    );
  });

  it('a type-3 without memory (texts per version)', () => {
    const t3 = '-device cxl-type3,bus=rp0,lsa=cxl-lsa0,id=p0';
    expect(qemuError(line({ t3 }), '7.2').message).toBe('memdev property must be set');
    expect(qemuError(line({ t3 }), '11.1').message).toBe(
      'at least one memdev property must be set',
    );
    const both =
      '-device cxl-type3,bus=rp0,memdev=cxl-mem0,persistent-memdev=cxl-mem0,lsa=cxl-lsa0';
    expect(qemuError(line({ t3: both }), '11.1').message).toBe(
      '[memdev] cannot be used with new [persistent-memdev] property',
    );
  });

  it('window size: 7.2 keeps its typo, later QEMU does not', () => {
    const fmw = '-M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=300M';
    expect(qemuError(line({ fmw }), '7.2').qemuMessage()).toBe(
      `${X86}: Size of a CXL fixed memory window must my a multiple of 256MiB`,
    );
    expect(qemuError(line({ fmw }), '11.1').qemuMessage()).toBe(
      `${X86}: Size of a CXL fixed memory window must be a multiple of 256MiB`,
    );
  });

  it('a gap in the window indexes is a keyval error located at the -M option', () => {
    const fmw =
      '-M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G,cxl-fmw.2.targets.0=cxl.0,cxl-fmw.2.size=4G';
    expect(qemuError(line({ fmw })).qemuMessage()).toBe(
      `${X86}: ${fmw}: Parameter 'cxl-fmw.1' missing`,
    );
  });

  it('an unknown window target is found at machine-done time', () => {
    const fmw = '-M cxl-fmw.0.targets.0=cxl.9,cxl-fmw.0.size=4G';
    const e = qemuError(line({ fmw }));
    expect(e.option).toBeUndefined();
    expect(e.qemuMessage()).toBe(`${X86}: Could not resolve CXLFM target cxl.9`);
    // a device id that is not a pxb-cxl does not resolve either
    expect(qemuError(line({ fmw: '-M cxl-fmw.0.targets.0=rp0,cxl-fmw.0.size=4G' })).message).toBe(
      'Could not resolve CXLFM target rp0',
    );
  });

  it.each([
    ['3k', 3072],
    ['128', 128],
    ['32k', 32768],
  ])('interleave granularity %s is invalid', (g, n) => {
    const fmw = `-M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G,cxl-fmw.0.interleave-granularity=${g}`;
    expect(qemuError(line({ fmw })).qemuMessage()).toBe(
      `${X86}: Interleave granularity: ${n} invalid`,
    );
  });

  it('interleave ways come from the number of targets (checked before the targets resolve)', () => {
    const t = [0, 1, 2, 3, 4].map((i) => `cxl-fmw.0.targets.${i}=cxl.${i}`).join(',');
    expect(qemuError(line({ fmw: `-M ${t},cxl-fmw.0.size=4G` })).message).toBe(
      'Interleave ways: 5 not supported',
    );
  });

  it('QAPI visitor errors for the window options', () => {
    expect(qemuError(line({ fmw: '-M cxl-fmw.0.targets.0=cxl.0' })).message).toBe(
      "Parameter 'cxl-fmw.0.size' is missing",
    );
    expect(
      qemuError(
        line({ fmw: '-M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G,cxl-fmw.0.interleave-ways=1' }),
      ).message,
    ).toBe("Parameter 'cxl-fmw.0.interleave-ways' is unexpected");
    expect(
      qemuError(line({ fmw: '-M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=lots' })).message,
    ).toBe("Parameter 'cxl-fmw.0.size' expects size");
  });

  it('a type-3 directly on a pxb-cxl', () => {
    const t3 = '-device cxl-type3,bus=cxl.0,memdev=cxl-mem0,lsa=cxl-lsa0,id=p0';
    expect(qemuError(line({ t3 })).qemuMessage()).toBe(
      `${X86}: ${t3}: PCI: Only PCI/PCIe bridges can be plugged into pxb-cxl`,
    );
  });

  it('a duplicate bus_nr', () => {
    const hb2 = '-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1';
    expect(qemuError(line({}, hb2)).qemuMessage()).toBe(`${X86}: ${hb2}: Bus 12 is already in use`);
  });

  it('CXL host bridges without cxl=on', () => {
    expect(qemuError(line({ machine: '-machine q35' })).qemuMessage()).toBe(
      `${X86}: CXL host bridges present, but cxl=off`,
    );
  });

  it('a bus that does not exist', () => {
    const t3 = '-device cxl-type3,bus=rp9,memdev=cxl-mem0,lsa=cxl-lsa0,id=p0';
    expect(qemuError(line({ t3 })).qemuMessage()).toBe(`${X86}: ${t3}: Bus 'rp9' not found`);
  });

  it('a memory backend that does not exist, or is not a backend', () => {
    const t3 = '-device cxl-type3,bus=rp0,memdev=nosuch,lsa=cxl-lsa0,id=p0';
    expect(qemuError(line({ t3 })).message).toBe("Device 'nosuch' not found");
    const t3b = '-device cxl-type3,bus=rp0,memdev=rp0,lsa=cxl-lsa0,id=p0';
    expect(qemuError(line({ t3: t3b })).message).toBe(
      "Invalid parameter type for 'memdev', expected: memory-backend",
    );
  });

  it('a backend used twice: refused from QEMU 9.1, silently shared by 7.2', () => {
    const extra =
      '-device cxl-rp,port=1,bus=cxl.0,id=rp1,chassis=0,slot=3 -device cxl-type3,bus=rp1,memdev=cxl-mem0,lsa=cxl-lsa1,id=p1 ' +
      '-object memory-backend-file,id=cxl-lsa1,share=on,mem-path=l1.raw,size=1M';
    const e = qemuError(line({}, extra), '11.1');
    expect(e.message).toBe("memory backend cxl-mem0 can't be used multiple times.");
    expect(e.option).toBe('-device cxl-type3,bus=rp1,memdev=cxl-mem0,lsa=cxl-lsa1,id=p1');
    const t = parseQemuCommandLine(line({}, extra), { qemu: '7.2' });
    const kids = t.hostBridges[0]?.rootPorts.map((r) =>
      r.child?.kind === 'type3' ? r.child.backends : undefined,
    );
    expect(kids).toEqual([
      { persistent: 'cxl-mem0', lsa: 'cxl-lsa0' },
      { persistent: 'cxl-mem0', lsa: 'cxl-lsa1' },
    ]);
  });

  it('a switch mailbox CCI without target (10.1); unknown device model on 7.2', () => {
    const sw =
      '-device cxl-upstream,bus=rp0,id=us0,multifunction=on,addr=0.0 -device cxl-downstream,bus=us0,id=ds0,port=0,slot=9';
    const cci = '-device cxl-switch-mailbox-cci,bus=rp0,addr=0.1';
    expect(qemuError(line({ t3: sw }, cci), '11.1').qemuMessage()).toBe(
      `${X86}: ${cci}: Target not set`,
    );
    expect(qemuError(line({ t3: sw }, `${cci},target=us0`), '7.2').message).toBe(
      "'cxl-switch-mailbox-cci' is not a valid device model name",
    );
    const t = parseQemuCommandLine(line({ t3: sw }, `${cci},target=us0`), { qemu: '11.1' });
    const c = t.hostBridges[0]?.rootPorts[0]?.child;
    expect(c?.kind === 'switch' && c.mailboxCci).toEqual({ slot: 0, fn: 1 });
  });

  it('function 1 next to a single-function device', () => {
    const sw = '-device cxl-upstream,bus=rp0,id=us0';
    const cci = '-device cxl-switch-mailbox-cci,bus=rp0,addr=0.1,target=us0';
    expect(qemuError(line({ t3: sw }, cci), '11.1').message).toBe(
      "PCI: single function device can't be populated in function 0.1",
    );
  });

  it('an occupied slot, a clashing chassis/slot pair, a pxb below a root port', () => {
    const rp = '-device cxl-rp,port=1,bus=cxl.0,id=rp1,chassis=0,slot=5,addr=0';
    expect(qemuError(line({}, rp)).message).toBe(
      'PCI: slot 0 function 0 not available for cxl-rp, in use by cxl-rp,id=rp0',
    );
    const rp2 = '-device cxl-rp,port=1,bus=cxl.0,id=rp1,chassis=0,slot=2';
    expect(qemuError(line({}, rp2)).message).toBe("Can't add chassis slot, error -16");
    const pxb = '-device pxb-cxl,bus_nr=20,bus=rp0,id=cxl.1';
    expect(qemuError(line({ t3: pxb })).message).toBe(
      'PXB devices can be attached only to root bus',
    );
  });

  it('argv-time errors: duplicate ids, malformed ids, bad sizes', () => {
    const dup = '-device cxl-rp,port=1,bus=cxl.0,id=rp0,slot=7';
    expect(qemuError(line({}, dup)).qemuMessage()).toBe(
      `${X86}: ${dup}: Duplicate ID 'rp0' for device`,
    );
    expect(qemuError(line({}, '-device cxl-rp,id=9x')).message).toBe(
      "Parameter 'id' expects an identifier",
    );
    const obj = '-object memory-backend-ram,id=x,size=12Q';
    expect(qemuError(line({}, obj)).qemuMessage()).toBe(
      `${X86}: ${obj}: Parameter 'size' expects size`,
    );
    const zero = '-object memory-backend-ram,id=x';
    expect(qemuError(line({}, zero)).qemuMessage()).toBe(
      `${X86}: ${zero}: can't create backend with size 0`,
    );
    expect(qemuError(line({ mem: '-m 2X' })).qemuMessage()).toBe(
      `${X86}: -m 2X: Parameter 'size' expects a non-negative number below 2^64`,
    );
  });

  it('memory sizes checked by machine_set_mem', () => {
    expect(qemuError(line({ mem: '-m 4G,maxmem=2G' })).message).toBe(
      'invalid value of maxmem: maximum memory size (0x80000000) must be at least the initial memory size (0x100000000)',
    );
    expect(qemuError(line({ mem: '-m 4G,slots=2' })).message).toBe(
      'slots specified but no max-size',
    );
  });

  it('QEMU 7.2 virt has no cxl property; the program name comes from the line', () => {
    const text = 'qemu-system-aarch64 -machine virt,cxl=on -m 1G';
    expect(qemuError(text, '7.2').qemuMessage()).toBe(
      "qemu-system-aarch64: Property 'virt-7.2-machine.cxl' not found",
    );
    expect(parseQemuCommandLine(text, { qemu: '11.1' }).machine.cxl).toBe(true);
    const e = qemuError('qemu-system-x86_64 -M virt', '11.1');
    expect([e.message, e.hint]).toEqual([
      'unsupported machine type',
      'Use -machine help to list supported machines',
    ]);
  });
});

describe('cxlsim’s own limits (EINVAL, not QEMU’s words)', () => {
  function errnoOf(text: string, qemu: QemuVersion = '7.2'): Errno {
    try {
      parseQemuCommandLine(text, { qemu });
    } catch (e) {
      if (e instanceof Errno) return e;
      throw e;
    }
    throw new Error('accepted');
  }

  it('machine types other than q35, pc and virt', () => {
    const e = errnoOf(line({ machine: '-machine microvm' }));
    expect(e).not.toBeInstanceOf(QemuError);
    expect(e.message).toBe("unsupported machine type 'microvm' (cxlsim models q35, pc and virt)");
  });

  it('pc (the default machine) has a PCI root bus pci.0: no pcie.0, no pxb-cxl', () => {
    // a line without -machine is QEMU's default machine, pc: accepted, no CXL
    const t = parseQemuCommandLine('-nographic -m 2G', { qemu: '11.1' });
    expect(t.machine.type).toBe('pc');
    expect(t.hostBridges).toEqual([]);
    const e = qemuError(line({ machine: '-machine pc,cxl=on' }), '11.1');
    expect(e.qemuMessage()).toBe(
      `${X86}: -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.0: Bus 'pcie.0' not found`,
    );
    const hb = '-device pxb-cxl,bus_nr=12,bus=pci.0,id=cxl.0';
    expect(qemuError(line({ machine: '-machine pc,cxl=on', hb }), '11.1').message).toBe(
      'pxb-cxl devices cannot reside on a PCI bus',
    );
  });

  it('a type-3 on a switch upstream port’s bus, or a root port on pcie.0', () => {
    const sw =
      '-device cxl-upstream,bus=rp0,id=us0 -device cxl-type3,bus=us0,memdev=cxl-mem0,lsa=cxl-lsa0,id=p0';
    const e = errnoOf(line({ t3: sw }));
    expect(e).not.toBeInstanceOf(QemuError);
    expect(e.code).toBe('EINVAL');
    expect(e.message).toMatch(
      /^-device cxl-type3,bus=us0,.*: only cxl-downstream ports are modelled .* \(cxlsim\)$/,
    );
    // a root port on pcie.0 is accepted by QEMU (probe p37): recorded, not built
    const rp = parseQemuCommandLine(line({}, '-device cxl-rp,bus=pcie.0,id=rpx,slot=9'), {
      qemu: '7.2',
    });
    expect(rp.outsideCxl).toEqual(['-device cxl-rp,bus=pcie.0,id=rpx,slot=9']);
    expect(rp.hostBridges).toHaveLength(1);
  });

  it('QEMU’s verdict comes first: a QEMU error at machine-done wins over a model limit', () => {
    const t3 =
      '-device cxl-upstream,bus=rp0,id=us0 -device cxl-type3,bus=us0,memdev=cxl-mem0,lsa=cxl-lsa0';
    const fmw = '-M cxl-fmw.0.targets.0=cxl.9,cxl-fmw.0.size=4G';
    expect(() => parseQemuCommandLine(line({ t3, fmw }), { qemu: '7.2' })).toThrow(
      new QemuError('Could not resolve CXLFM target cxl.9'),
    );
  });

  it('non-CXL devices are ignored even on a CXL bus', () => {
    const t = parseQemuCommandLine(line({}, '-device virtio-net-pci,bus=cxl.0,id=n0'), {
      qemu: '7.2',
    });
    expect(t.ignored).toEqual(['-device virtio-net-pci,bus=cxl.0,id=n0']);
  });
});
