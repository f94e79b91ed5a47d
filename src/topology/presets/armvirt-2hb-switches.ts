/**
 * DOC: The `armvirt-2hb-switches` preset: an arm64 `virt` machine (QEMU ≥ 10.1) from a public
 * QEMU mailing-list report — two pxb-cxl host bridges with two root ports each, a switch
 * (upstream port + mailbox CCI + 4 downstream ports) below one root port of each, four
 * type-3 devices (2 persistent, 2 volatile, each with an LSA) and two 8k windows (1-way on
 * cxl.0; 2-way across cxl.0 and cxl.1). Embedded verbatim from
 * shared/topologies/armvirt-2hb-switches.qemu (comments included). The report's `-drive
 * file=root.img` that QEMU placed on a pxb-cxl bus is not a CXL device: it is listed in
 * `ignored`. With the QEMU 7.2 profile it fails as QEMU 7.2 would (`virt` has no `cxl`).
 */
import type { QemuVersion } from '../../profile.ts';
import type { Topology } from '../model.ts';
import { presetFromQemu } from './from-qemu.ts';

/** The report's command line. */
export const ARMVIRT_2HB_SWITCHES_QEMU = String.raw`# An arm64 'virt' machine command line from a public QEMU mailing-list report (May 2025, the
# series that adds CXL to arm/virt), as run_qemu.sh printed it; the kernel command line is
# re-quoted here. Two pxb-cxl host bridges, two root ports each, a switch (upstream port +
# mailbox CCI + 4 downstream ports) under one root port of each host bridge, four type-3
# devices (2 persistent, 2 volatile, each with an LSA), two fixed memory windows (1-way on
# cxl.0; 2-way across cxl.0 and cxl.1; both 8k granularity). The reporter saw QEMU reject the
# '-drive file=root.img' line with "PCI: Only PCI/PCIe bridges can be plugged into pxb-cxl",
# and ndctl's CXL tests fail in the guest for lack of host physical address space.
qemu-system-aarch64 \
  -machine virt,accel=tcg,cxl=on,highmem=on,compact-highmem=on,highmem-ecam=on,highmem-mmio=on \
  -m 2048M,slots=0,maxmem=6144M \
  -smp 2,sockets=1,cores=2,threads=1 \
  -display none \
  -nographic \
  -drive if=pflash,format=raw,unit=0,file=AAVMF_CODE.fd,readonly=on \
  -drive if=pflash,format=raw,unit=1,file=AAVMF_VARS.fd \
  -drive file=root.img,format=raw,media=disk \
  -kernel mkosi.extra/boot/vmlinuz-6.15.0-rc4-00040-g128ad8fa385b \
  -initrd mkosi.extra/boot/initramfs-6.15.0-rc4-00040-g128ad8fa385b.img \
  -append 'selinux=0 audit=0 console=tty0 console=ttyS0 root=PARTUUID=14d6bae9-c917-435d-89ea-99af1fa4439a ignore_loglevel rw initcall_debug log_buf_len=20M memory_hotplug.memmap_on_memory=force cxl_acpi.dyndbg=+fplm cxl_pci.dyndbg=+fplm cxl_core.dyndbg=+fplm cxl_mem.dyndbg=+fplm cxl_pmem.dyndbg=+fplm cxl_port.dyndbg=+fplm cxl_region.dyndbg=+fplm cxl_test.dyndbg=+fplm cxl_mock.dyndbg=+fplm cxl_mock_mem.dyndbg=+fplm systemd.set_credential=agetty.autologin:root systemd.set_credential=login.noauth:yes' \
  -device e1000,netdev=net0,mac=52:54:00:12:34:56 \
  -netdev user,id=net0,hostfwd=tcp::10022-:22 \
  -cpu max \
  -object memory-backend-file,id=cxl-mem0,share=on,mem-path=cxltest0.raw,size=256M \
  -object memory-backend-file,id=cxl-mem1,share=on,mem-path=cxltest1.raw,size=256M \
  -object memory-backend-file,id=cxl-mem2,share=on,mem-path=cxltest2.raw,size=256M \
  -object memory-backend-file,id=cxl-mem3,share=on,mem-path=cxltest3.raw,size=256M \
  -object memory-backend-file,id=cxl-lsa0,share=on,mem-path=lsa0.raw,size=128K \
  -object memory-backend-file,id=cxl-lsa1,share=on,mem-path=lsa1.raw,size=128K \
  -object memory-backend-file,id=cxl-lsa2,share=on,mem-path=lsa2.raw,size=128K \
  -object memory-backend-file,id=cxl-lsa3,share=on,mem-path=lsa3.raw,size=128K \
  -device pxb-cxl,id=cxl.0,bus=pcie.0,bus_nr=53 \
  -device pxb-cxl,id=cxl.1,bus=pcie.0,bus_nr=191 \
  -device cxl-rp,id=hb0rp0,bus=cxl.0,chassis=0,slot=0,port=0 \
  -device cxl-rp,id=hb0rp1,bus=cxl.0,chassis=0,slot=1,port=1 \
  -device cxl-rp,id=hb1rp0,bus=cxl.1,chassis=0,slot=2,port=0 \
  -device cxl-rp,id=hb1rp1,bus=cxl.1,chassis=0,slot=3,port=1 \
  -device cxl-upstream,port=4,bus=hb0rp0,id=cxl-up0,multifunction=on,addr=0.0,sn=12345678 \
  -device cxl-switch-mailbox-cci,bus=hb0rp0,addr=0.1,target=cxl-up0 \
  -device cxl-upstream,port=4,bus=hb1rp0,id=cxl-up1,multifunction=on,addr=0.0,sn=12341234 \
  -device cxl-switch-mailbox-cci,bus=hb1rp0,addr=0.1,target=cxl-up1 \
  -device cxl-downstream,port=0,bus=cxl-up0,id=swport0,chassis=0,slot=4 \
  -device cxl-downstream,port=1,bus=cxl-up0,id=swport1,chassis=0,slot=5 \
  -device cxl-downstream,port=2,bus=cxl-up0,id=swport2,chassis=0,slot=6 \
  -device cxl-downstream,port=3,bus=cxl-up0,id=swport3,chassis=0,slot=7 \
  -device cxl-downstream,port=0,bus=cxl-up1,id=swport4,chassis=0,slot=8 \
  -device cxl-downstream,port=1,bus=cxl-up1,id=swport5,chassis=0,slot=9 \
  -device cxl-downstream,port=2,bus=cxl-up1,id=swport6,chassis=0,slot=10 \
  -device cxl-downstream,port=3,bus=cxl-up1,id=swport7,chassis=0,slot=11 \
  -device cxl-type3,bus=swport0,persistent-memdev=cxl-mem0,id=cxl-pmem0,lsa=cxl-lsa0 \
  -device cxl-type3,bus=swport2,persistent-memdev=cxl-mem1,id=cxl-pmem1,lsa=cxl-lsa1 \
  -device cxl-type3,bus=swport4,volatile-memdev=cxl-mem2,id=cxl-vmem2,lsa=cxl-lsa2 \
  -device cxl-type3,bus=swport6,volatile-memdev=cxl-mem3,id=cxl-vmem3,lsa=cxl-lsa3 \
  -M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G,cxl-fmw.0.interleave-granularity=8k,cxl-fmw.1.targets.0=cxl.0,cxl-fmw.1.targets.1=cxl.1,cxl-fmw.1.size=4G,cxl-fmw.1.interleave-granularity=8k \
  -snapshot \
  -object memory-backend-ram,id=mem0,size=2048M \
  -numa node,nodeid=0,memdev=mem0, \
  -numa cpu,node-id=0,socket-id=0 \
  -numa dist,src=0,dst=0,val=10
`;

/** The `armvirt-2hb-switches` preset for a QEMU version. */
export function armvirt2hbSwitchesPreset(qemu: QemuVersion): Topology {
  return presetFromQemu('armvirt-2hb-switches', ARMVIRT_2HB_SWITCHES_QEMU, qemu);
}
