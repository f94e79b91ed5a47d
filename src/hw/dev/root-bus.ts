/**
 * DOC: CXL devices on the machine's root bus (`-device cxl-type3,bus=pcie.0`).
 *
 * QEMU accepts a cxl-type3 there (stacks/latest/qemu-probes p36-type3-on-pcie0: ACCEPTED) and
 * realizes it as any PCIe endpoint on the root bus (hw/pci/pci.c do_pci_register_device() at
 * its `addr=` or the first free slot): the same config space, DVSECs, component and device
 * registers as below a root port, but no pxb-cxl, so no CHBS, no CFMWS target and no HDM
 * decoder above it. The firmware gives its BARs addresses like any root-bus function.
 */
import type { QemuVersion } from '../../profile.ts';
import type { Topology } from '../../topology/model.ts';
import type { PciFunctionModel, Type3Model } from './model.ts';
import { buildType3 } from './type3.ts';

/** The built root-bus CXL devices: their functions (bus 0, segment 0) and models. */
export interface RootBusDevices {
  functions: PciFunctionModel[];
  models: Type3Model[];
}

/** Builds every `t.rootBus` device at its devfn on bus 0 of segment 0. */
export function buildRootBus(t: Topology, qemu: QemuVersion): RootBusDevices {
  const functions: PciFunctionModel[] = [];
  const models: Type3Model[] = [];
  for (const d of t.rootBus ?? []) {
    const devfn = d.addr ? (d.addr.slot << 3) | d.addr.fn : 0;
    const built = buildType3(d, { qemu, segment: 0 }, devfn);
    for (const fn of built.functions) fn.bus = 0;
    functions.push(...built.functions);
    models.push(built.model);
  }
  return { functions, models };
}
