/**
 * DOC: The `minimal` preset: the `minimal` capture's topology on q35 —
 * one pxb-cxl (bus 12), one cxl-rp, one cxl-type3 (256M pmem, 1M LSA, sn 1), one 4G window.
 *
 * Built by parsing the capture's exact QEMU command line
 * (kernel-captures/minimal/host/qemu-cmdline.sh), embedded with its cache paths
 * ($GT_CACHE/…) shortened to plain file names. The CPU is the newer stacks' captures'
 * `-cpu qemu64,-hypervisor` (stacks/latest, debian-13): without it Linux ≥ 6.2 refuses to set up
 * regions (see `cxlsim explain`).
 */
import type { QemuVersion } from '../../profile.ts';
import type { Topology } from '../model.ts';
import { presetFromQemu } from './from-qemu.ts';

/** The capture's command line. */
export const MINIMAL_QEMU = String.raw`qemu-system-x86_64 \
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
  -object memory-backend-file,id=cxl-mem0,share=on,mem-path=cxl-mem0.raw,size=256M \
  -object memory-backend-file,id=cxl-lsa0,share=on,mem-path=cxl-lsa0.raw,size=1M \
  -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.0 \
  -device cxl-rp,port=0,bus=cxl.0,id=rp0,chassis=0,slot=2 \
  -device cxl-type3,bus=rp0,memdev=cxl-mem0,lsa=cxl-lsa0,id=cxl-pmem0,sn=1 \
  -M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G
`;

/** The `minimal` preset for a QEMU version. */
export function minimalPreset(qemu: QemuVersion): Topology {
  return presetFromQemu('minimal', MINIMAL_QEMU, qemu);
}
