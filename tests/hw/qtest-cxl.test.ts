/**
 * Every -device line of QEMU's tests/qtest/cxl-test.c boots (QEMU accepts them all), and the
 * one with adjacent expander bridges (bus_nr 52 and 53, two root ports each) is enumerated as
 * SeaBIOS, QEMU's config routing (pci_find_bus_nr()) and the kernel's PCI scan make it: root
 * port 34:00.0 gets secondary bus 0x35, which is pxb 53's root bus, so the type-3 below it is
 * unreachable; no function appears twice and the memdev count agrees with `cxl list -M -i`.
 */
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { pciFunctions } from '../../src/drivers/pci/probe.ts';
import { resolveProfile } from '../../src/profile.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';

const PXB =
  '-machine q35,cxl=on -device pxb-cxl,id=cxl.0,bus=pcie.0,bus_nr=52 -M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G ';
const PXB2 =
  '-machine q35,cxl=on -device pxb-cxl,id=cxl.0,bus=pcie.0,bus_nr=52 -device pxb-cxl,id=cxl.1,bus=pcie.0,bus_nr=53 -M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.targets.1=cxl.1,cxl-fmw.0.size=4G ';
const RP = '-device cxl-rp,id=rp0,bus=cxl.0,chassis=0,slot=0 ';
const RP2 = `${RP}-device cxl-rp,id=rp1,bus=cxl.0,chassis=0,slot=1 `;
const RP4 = `${RP2}-device cxl-rp,id=rp2,bus=cxl.1,chassis=0,slot=2 -device cxl-rp,id=rp3,bus=cxl.1,chassis=0,slot=3 `;
const t3 = (i: number) =>
  `-object memory-backend-file,id=cxl-mem${i},mem-path=/tmp/x,size=256M -object memory-backend-file,id=lsa${i},mem-path=/tmp/x,size=256M -device cxl-type3,bus=rp${i},memdev=cxl-mem${i},lsa=lsa${i},id=cxl-pmem${i} `;

const LINES: Record<string, string> = {
  basic_hostbridge: '-machine q35,cxl=on',
  basic_pxb: '-machine q35,cxl=on -device pxb-cxl,bus=pcie.0',
  pxb_with_window: PXB,
  pxb_x2_with_window: PXB2,
  rp: PXB + RP,
  rp_x2: PXB + RP2,
  type3_device: PXB + RP + t3(0),
  rp_x2_type3_x2: PXB + RP2 + t3(0) + t3(1),
  pxb_x2_root_port_x4_type3_x4: PXB2 + RP4 + t3(0) + t3(1) + t3(2) + t3(3),
};

function boot(line: string) {
  const p = resolveProfile('latest');
  return bootMachine(parseQemuCommandLine(`qemu-system-x86_64 ${line}`, { qemu: p.qemu }), {
    profile: p,
  });
}

describe('QEMU tests/qtest/cxl-test.c', () => {
  it('has 9 command lines, all of which boot', () => {
    expect(Object.keys(LINES)).toHaveLength(9);
    for (const line of Object.values(LINES)) expect(() => boot(line)).not.toThrow();
  });

  it.each(Object.entries(LINES))('%s: no BDF twice, memdevs = type-3 functions', (_n, line) => {
    const m = boot(line);
    const bdfs = pciFunctions(m.kernel).map((d) => d.name);
    expect(new Set(bdfs).size).toBe(bdfs.length);
    const t3s = pciFunctions(m.kernel).filter((d) => d.classCode === 0x050210);
    const mems = m.sysfs.readdir('bus/cxl/devices').filter((n) => /^mem\d+$/.test(n));
    expect(mems).toHaveLength(t3s.length);
  });

  it('bus_nr 52 and 53: SeaBIOS numbers through pxb 53, the type-3 below rp0 is hidden', () => {
    const m = boot(LINES.pxb_x2_root_port_x4_type3_x4 as string);
    const bridges = pciFunctions(m.kernel)
      .filter((d) => d.isBridge)
      .map((d) => `${d.name} ${d.secondary.toString(16)}-${d.subordinate.toString(16)}`);
    expect(bridges.sort()).toEqual([
      '0000:34:00.0 35-37',
      '0000:34:01.0 38-38',
      '0000:35:00.0 36-36',
      '0000:35:01.0 37-37',
    ]);
    const t3s = pciFunctions(m.kernel)
      .filter((d) => d.classCode === 0x050210)
      .map((d) => d.name);
    expect(t3s).toEqual(['0000:36:00.0', '0000:37:00.0', '0000:38:00.0']);
  });

  it('spaced bus_nr keep each host bridge numbered from its own bus_nr', () => {
    const m = boot(
      (LINES.pxb_x2_root_port_x4_type3_x4 as string).replace('bus_nr=53', 'bus_nr=60'),
    );
    const t3s = pciFunctions(m.kernel)
      .filter((d) => d.classCode === 0x050210)
      .map((d) => d.name);
    expect(t3s.sort()).toEqual(['0000:35:00.0', '0000:36:00.0', '0000:3d:00.0', '0000:3e:00.0']);
  });
});
