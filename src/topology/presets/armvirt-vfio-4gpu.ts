/**
 * DOC: The `armvirt-vfio-4gpu` preset: an arm64 `virt` machine (KVM, QEMU ≥ 10.1) from a public
 * QEMU pull request (NVIDIA/QEMU #27, "program HDM decoder 0 with the per-device CFMWS base") —
 * four CXL type-2 GPUs passed through with `vfio-pci-nohotplug`, each behind its own pxb-cxl and
 * root port, each host bridge the single target of its own 256G window (bases 0x80000000000 +
 * n × 256G with highmem-mmio-size=4T). Embedded verbatim from
 * shared/topologies/armvirt-vfio-4gpu.qemu (comments included); the host functions are the
 * default type-2 devices (16 GiB, HDM decoder 0 committed and locked by host firmware) unless
 * a host-device file says otherwise. With the QEMU 7.2 profile it fails as QEMU 7.2 would.
 */
import type { QemuVersion } from '../../profile.ts';
import type { Topology } from '../model.ts';
import { presetFromQemu } from './from-qemu.ts';

/** The pull request's command line. */
export const ARMVIRT_VFIO_4GPU_QEMU = String.raw`# An arm64 'virt' machine (KVM) from a public QEMU pull request (vfio-cxl: program HDM decoder 0
# with the per-device CFMWS base). Four host CXL type-2 devices (GPUs) are passed through with
# vfio-pci-nohotplug, each behind its own pxb-cxl host bridge and root port, and each host
# bridge is the single target of its own 256G fixed memory window. The host functions
# (0002:81:00.0 ...) are CXL type-2 accelerators whose HDM decoder 0 was committed by firmware.
# Before the fix every device was placed at the first window's base, and the guest's CXL core
# failed to attach the 2nd..4th endpoints ("failed to find decoder mapping", -ENXIO/-EINVAL).
# After the fix the guest sees decoder starts 0x80000000000, 0x84000000000, 0x88000000000,
# 0x8c000000000 (one per window).
qemu-system-aarch64 \
  -machine virt,accel=kvm,gic-version=3,hmat=on,cxl=on,ras=on,highmem-mmio-size=4T,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=256G,cxl-fmw.1.targets.0=cxl.2,cxl-fmw.1.size=256G,cxl-fmw.2.targets.0=cxl.3,cxl-fmw.2.size=256G,cxl-fmw.3.targets.0=cxl.4,cxl-fmw.3.size=256G \
  -object iommufd,id=iommufd0 \
  -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \
  -device cxl-rp,port=1,bus=cxl.1,id=rport0.1,chassis=4,pref64-reserve=2G,mem-reserve=1G \
  -device arm-smmuv3,primary-bus=cxl.1,id=smmuv3.0,accel=on,ats=on,ril=on,pasid=on,oas=48 \
  -device vfio-pci-nohotplug,host=0002:81:00.0,bus=rport0.1,id=dev0,iommufd=iommufd0 \
  -device pxb-cxl,bus_nr=20,bus=pcie.0,id=cxl.2 \
  -device cxl-rp,port=1,bus=cxl.2,id=rport0.2,chassis=5,pref64-reserve=2G,mem-reserve=1G \
  -device arm-smmuv3,primary-bus=cxl.2,id=smmuv3.1,accel=on,ats=on,ril=on,pasid=on,oas=48 \
  -device vfio-pci-nohotplug,host=0002:c1:00.0,bus=rport0.2,id=dev1,iommufd=iommufd0 \
  -device pxb-cxl,bus_nr=28,bus=pcie.0,id=cxl.3 \
  -device cxl-rp,port=1,bus=cxl.3,id=rport0.3,chassis=6,pref64-reserve=2G,mem-reserve=1G \
  -device arm-smmuv3,primary-bus=cxl.3,id=smmuv3.2,accel=on,ats=on,ril=on,pasid=on,oas=48 \
  -device vfio-pci-nohotplug,host=000a:81:00.0,bus=rport0.3,id=dev2,iommufd=iommufd0 \
  -device pxb-cxl,bus_nr=36,bus=pcie.0,id=cxl.4 \
  -device cxl-rp,port=1,bus=cxl.4,id=rport0.4,chassis=7,pref64-reserve=2G,mem-reserve=1G \
  -device arm-smmuv3,primary-bus=cxl.4,id=smmuv3.3,accel=on,ats=on,ril=on,pasid=on,oas=48 \
  -device vfio-pci-nohotplug,host=000a:e1:00.0,bus=rport0.4,id=dev3,iommufd=iommufd0
`;

/** The `armvirt-vfio-4gpu` preset for a QEMU version. */
export function armvirtVfio4gpuPreset(qemu: QemuVersion): Topology {
  return presetFromQemu('armvirt-vfio-4gpu', ARMVIRT_VFIO_4GPU_QEMU, qemu);
}
