/**
 * A cxl-type3 plugged straight into pcie.0 (outside any CXL host bridge). QEMU accepts it
 * (qemu-probes p36-type3-on-pcie0 of every stack: ACCEPTED) and realizes it on the root bus; the
 * guest's PCI scan finds it on bus 0, cxl_pci binds it and registers a memdev, and cxl_mem's
 * devm_cxl_enumerate_ports() stops at once: the dport above the function is the root bus's
 * `pci0000:00`, which has no parent ("at %s no parent for dport: %s", dev_warn, -ENXIO;
 * drivers/cxl/core/port.c, the same text in 6.1, 6.12 and 7.x). No capture has this device:
 * the expectations are derived from the kernel and ndctl sources.
 */
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { cxlList } from '../../src/ndctl/cxl/list.ts';
import { resolveProfile } from '../../src/profile.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';

const LINE = [
  'qemu-system-x86_64 -machine q35,cxl=on -m 2G -nodefaults',
  '-object memory-backend-ram,id=m0,size=256M -object memory-backend-ram,id=l0,size=1M',
  '-object memory-backend-ram,id=m1,size=256M -object memory-backend-ram,id=l1,size=1M',
  '-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.0',
  '-device cxl-rp,port=0,bus=cxl.0,id=rp0,chassis=0,slot=2',
  '-device cxl-type3,bus=rp0,memdev=m0,lsa=l0,id=in,sn=1',
  '-device cxl-type3,bus=pcie.0,memdev=m1,lsa=l1,id=out,sn=2',
  '-M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G',
].join(' ');

const PROFILES = ['debian-12', 'debian-13', 'latest'] as const;

describe('a cxl-type3 on pcie.0', () => {
  it.each(PROFILES)('%s: cxl_pci registers the memdev, cxl_mem finds no port above it', (name) => {
    const profile = resolveProfile(name);
    const t = parseQemuCommandLine(LINE, { qemu: profile.qemu });
    // after q35's MCH at 00.0 and the expander at 01.0
    expect(t.rootBus?.map((d) => [d.id, d.addr])).toEqual([['out', { slot: 2, fn: 0 }]]);
    const m = bootMachine(t, { profile });
    const cxl = m.kernel.buses.get('cxl')?.devices ?? [];
    const memdevs = cxl.filter((d) => /^mem\d+$/.test(d.name) && d.registered);
    expect(memdevs).toHaveLength(2);
    // the root bus is scanned first: its function binds cxl_pci first and becomes mem0
    const out = memdevs.find((d) => d.parent?.name === '0000:00:02.0');
    expect(out?.name).toBe('mem0');
    expect(out?.parent?.driver?.name).toBe('cxl_pci');
    expect(out?.parent?.parent?.name).toBe('pci0000:00');
    expect(out?.driver).toBeUndefined();
    const warn = m.kernel.log.lines.filter((l) => l.level <= 4).map((l) => l.text);
    expect(warn).toContain('cxl_mem mem0: at mem0 no parent for dport: pci0000:00');
    expect(warn.filter((l) => / mem0[: ]/.test(l))).toHaveLength(1);
    // no endpoint port for it; the other device has one
    expect(cxl.filter((d) => /^endpoint\d+$/.test(d.name))).toHaveLength(1);
    // 6.1 registers the nvdimm in cxl_pci_probe(); 6.2+ only once cxl_mem found the ports
    const pmem0 = cxl.some((d) => d.name === 'pmem0' && d.registered);
    expect(pmem0).toBe(name === 'debian-12');
    // ndctl: a disabled memdev is listed with -i only, and with no port above it as an
    // "anon" memdev (not below any bus)
    const list = (args: string[]) =>
      JSON.parse(cxlList(m.sysfs, args, { ndctl: profile.ndctl, ioctl: m.ioctl }).stdout || '[]');
    expect(list(['-M']).map((x: { memdev: string }) => x.memdev)).toEqual(['mem1']);
    const all = JSON.stringify(list(['-M', '-i']));
    expect(all).toContain('"memdev":"mem0"');
    expect(all).toContain('"host":"0000:00:02.0"');
  });
});
