/**
 * DOC: The `default` preset: the `interleave` capture's topology on q35 —
 * cxl.0 (bus 12: rp0 → switch us0 → ds0/ds1 → sn 1/2, rp1 → sn 3), cxl.1 (bus 64: rp2 → sn 4, rp3 →
 * sn 5); windows 0 = cxl.0 (4G, 256B), 1 = cxl.0+cxl.1 2-way (8G, 4k), 2 = cxl.1 (4G).
 *
 * Built by parsing the capture's exact QEMU command line
 * (kernel-captures/interleave/host/qemu-cmdline.sh), embedded with its cache paths
 * ($GT_CACHE/…) shortened to plain file names. The CPU is the newer stacks' captures'
 * `-cpu qemu64,-hypervisor` (stacks/latest, debian-13): without it Linux ≥ 6.2 refuses to set up
 * regions (see `cxlsim explain`).
 */
import type { QemuVersion } from '../../profile.ts';
import type { Topology } from '../model.ts';
import { presetFromQemu } from './from-qemu.ts';

/** The capture's command line. */
export const DEFAULT_QEMU = String.raw`qemu-system-x86_64 \
  -machine q35,cxl=on \
  -accel tcg \
  -cpu qemu64,-hypervisor \
  -smp 2 \
  -m 2G \
  -nodefaults \
  -nographic \
  -no-reboot \
  -monitor none \
  -kernel vmlinuz \
  -initrd initramfs.cpio.gz \
  -append 'console=ttyS0,115200 panic=-1 log_buf_len=16M ' \
  -serial file:console.log \
  -serial file:data.log \
  -object memory-backend-file,id=cxl-mem1,share=on,mem-path=cxl-mem1.raw,size=256M \
  -object memory-backend-file,id=cxl-lsa1,share=on,mem-path=cxl-lsa1.raw,size=1M \
  -object memory-backend-file,id=cxl-mem2,share=on,mem-path=cxl-mem2.raw,size=256M \
  -object memory-backend-file,id=cxl-lsa2,share=on,mem-path=cxl-lsa2.raw,size=1M \
  -object memory-backend-file,id=cxl-mem3,share=on,mem-path=cxl-mem3.raw,size=256M \
  -object memory-backend-file,id=cxl-lsa3,share=on,mem-path=cxl-lsa3.raw,size=1M \
  -object memory-backend-file,id=cxl-mem4,share=on,mem-path=cxl-mem4.raw,size=256M \
  -object memory-backend-file,id=cxl-lsa4,share=on,mem-path=cxl-lsa4.raw,size=1M \
  -object memory-backend-file,id=cxl-mem5,share=on,mem-path=cxl-mem5.raw,size=256M \
  -object memory-backend-file,id=cxl-lsa5,share=on,mem-path=cxl-lsa5.raw,size=1M \
  -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.0 \
  -device cxl-rp,port=0,bus=cxl.0,id=rp0,chassis=0,slot=0 \
  -device cxl-rp,port=1,bus=cxl.0,id=rp1,chassis=0,slot=1 \
  -device cxl-upstream,bus=rp0,id=us0 \
  -device cxl-downstream,port=0,bus=us0,id=ds0,chassis=0,slot=4 \
  -device cxl-downstream,port=1,bus=us0,id=ds1,chassis=0,slot=5 \
  -device cxl-type3,bus=ds0,memdev=cxl-mem1,lsa=cxl-lsa1,id=cxl-pmem1,sn=1 \
  -device cxl-type3,bus=ds1,memdev=cxl-mem2,lsa=cxl-lsa2,id=cxl-pmem2,sn=2 \
  -device cxl-type3,bus=rp1,memdev=cxl-mem3,lsa=cxl-lsa3,id=cxl-pmem3,sn=3 \
  -device pxb-cxl,bus_nr=64,bus=pcie.0,id=cxl.1 \
  -device cxl-rp,port=0,bus=cxl.1,id=rp2,chassis=0,slot=2 \
  -device cxl-rp,port=1,bus=cxl.1,id=rp3,chassis=0,slot=3 \
  -device cxl-type3,bus=rp2,memdev=cxl-mem4,lsa=cxl-lsa4,id=cxl-pmem4,sn=4 \
  -device cxl-type3,bus=rp3,memdev=cxl-mem5,lsa=cxl-lsa5,id=cxl-pmem5,sn=5 \
  -M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G,cxl-fmw.1.targets.0=cxl.0,cxl-fmw.1.targets.1=cxl.1,cxl-fmw.1.size=8G,cxl-fmw.1.interleave-granularity=4k,cxl-fmw.2.targets.0=cxl.1,cxl-fmw.2.size=4G
`;

/** The `default` preset for a QEMU version. */
export function defaultPreset(qemu: QemuVersion): Topology {
  return presetFromQemu('default', DEFAULT_QEMU, qemu);
}
