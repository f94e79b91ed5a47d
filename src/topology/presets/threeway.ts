/**
 * DOC: The `threeway` preset: the `threeway` capture's topology on q35 —
 * three pxb-cxl (bus 40, 80, 120), one root port and one type-3 each; a 3-way 3G window
 * (4k) across them and a 4G window on cxl.1.
 *
 * Built by parsing the capture's exact QEMU command line
 * (kernel-captures/threeway/host/qemu-cmdline.sh), embedded with its cache paths
 * ($GT_CACHE/…) shortened to plain file names. The CPU is the newer stacks' captures'
 * `-cpu qemu64,-hypervisor` (stacks/latest, debian-13): without it Linux ≥ 6.2 refuses to set up
 * regions (see `cxlsim explain`).
 */
import type { QemuVersion } from '../../profile.ts';
import type { Topology } from '../model.ts';
import { presetFromQemu } from './from-qemu.ts';

/** The capture's command line. */
export const THREEWAY_QEMU = String.raw`qemu-system-x86_64 \
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
  -device pxb-cxl,bus_nr=40,bus=pcie.0,id=cxl.1 \
  -device cxl-rp,port=0,bus=cxl.1,id=rp1,chassis=0,slot=1 \
  -device cxl-type3,bus=rp1,memdev=cxl-mem1,lsa=cxl-lsa1,id=cxl-pmem1,sn=1 \
  -object memory-backend-file,id=cxl-mem2,share=on,mem-path=cxl-mem2.raw,size=256M \
  -object memory-backend-file,id=cxl-lsa2,share=on,mem-path=cxl-lsa2.raw,size=1M \
  -device pxb-cxl,bus_nr=80,bus=pcie.0,id=cxl.2 \
  -device cxl-rp,port=0,bus=cxl.2,id=rp2,chassis=0,slot=2 \
  -device cxl-type3,bus=rp2,memdev=cxl-mem2,lsa=cxl-lsa2,id=cxl-pmem2,sn=2 \
  -object memory-backend-file,id=cxl-mem3,share=on,mem-path=cxl-mem3.raw,size=256M \
  -object memory-backend-file,id=cxl-lsa3,share=on,mem-path=cxl-lsa3.raw,size=1M \
  -device pxb-cxl,bus_nr=120,bus=pcie.0,id=cxl.3 \
  -device cxl-rp,port=0,bus=cxl.3,id=rp3,chassis=0,slot=3 \
  -device cxl-type3,bus=rp3,memdev=cxl-mem3,lsa=cxl-lsa3,id=cxl-pmem3,sn=3 \
  -M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.targets.1=cxl.2,cxl-fmw.0.targets.2=cxl.3,cxl-fmw.0.size=3G,cxl-fmw.0.interleave-granularity=4k,cxl-fmw.1.targets.0=cxl.1,cxl-fmw.1.size=4G
`;

/** The `threeway` preset for a QEMU version. */
export function threewayPreset(qemu: QemuVersion): Topology {
  return presetFromQemu('threeway', THREEWAY_QEMU, qemu);
}
