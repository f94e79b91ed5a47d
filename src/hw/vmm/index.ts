/**
 * DOC: the VMM's part in building a platform with passed-through CXL type-2 functions
 * (docs/vfio-cxl.md): the host-bridge adjustment made before the devices are realized, the
 * machine_done placement, and inspection.
 *
 * Order, as in QEMU: {@link vmmTopology} (in a machine with type-2 devices, QEMU 10.1 host
 * bridges that carry — or, through an empty root port, may receive — one keep HDM decoders, so
 * the VMM can program them); devices realized (hw/dev/type2.ts → vfio-pci.ts); firmware PCI
 * init; {@link placeVfio} at machine done. A rejection throws and the machine does not start.
 */

import type { QemuVersion } from '../../profile.ts';
import type { HostBridge, MachineType, Topology } from '../../topology/model.ts';
import type { HostBridgeModel } from '../dev/model.ts';
import type { PlacedWindow } from '../placement.ts';
import type { VmmOptions } from './options.ts';
import { applyPlacement, planPlacement, qemuBinary, vfioDevicesBelow } from './placement.ts';
import type { VfioType2 } from './vfio-pci.ts';

export { type HostDeviceSpec, hostHpaFor } from './host-device.ts';
export { PLACEMENTS, type VfioCxlPlacement, type VmmOptions } from './options.ts';
export { realizeVfioType2, type VfioPlacement, type VfioType2, vfioOf } from './vfio-pci.ts';

/** True when a host bridge's only root port is empty or holds a type-2 device. */
function vfioCandidate(hb: HostBridge): boolean {
  const rp = hb.rootPorts[0];
  return hb.rootPorts.length === 1 && (rp?.child === undefined || rp.child.kind === 'type2');
}

/**
 * The topology the platform is built from: on QEMU 10.1, in a machine with passed-through
 * type-2 devices, host bridges that are vfio-cxl candidates get `hdmForPassthrough` (their
 * decoders are programmed at placement, in both placement modes). A machine without type-2
 * devices is left exactly as QEMU builds it. Returns `t` itself when nothing changes.
 */
export function vmmTopology(t: Topology, qemu: QemuVersion): Topology {
  if (qemu === '7.2') return t;
  const hasType2 = t.hostBridges.some((hb) =>
    hb.rootPorts.some((rp) => rp.child?.kind === 'type2'),
  );
  if (!hasType2) return t;
  let changed = false;
  const hostBridges = t.hostBridges.map((hb) => {
    if (hb.hdmForPassthrough || !vfioCandidate(hb)) return hb;
    changed = true;
    return { ...hb, hdmForPassthrough: true };
  });
  return changed ? { ...t, hostBridges } : t;
}

/**
 * Machine done: places every firmware-committed vfio-cxl device (placement.ts).
 * @throws QemuError naming the first device that cannot be placed (nothing is programmed)
 */
export function placeVfio(
  hbs: readonly HostBridgeModel[],
  windows: readonly PlacedWindow[],
  opts: VmmOptions,
  machine: MachineType,
): void {
  const mode = opts.placement ?? 'per-window';
  const devices = hbs.flatMap((hb) => vfioDevicesBelow(hb));
  applyPlacement(planPlacement(devices, windows, mode, qemuBinary(machine)), mode);
}

/** Every passed-through type-2 function of the platform, in host-bridge order. */
export function allVfio(hbs: readonly HostBridgeModel[]): VfioType2[] {
  return hbs.flatMap((hb) => vfioDevicesBelow(hb).map((d) => d.rec));
}
