/**
 * DOC: the VMM's part in building a platform with passed-through CXL type-2 functions
 * (docs/vfio-cxl.md): the machine_done placement, and inspection.
 *
 * Order, as in QEMU: devices realized (hw/dev/type2.ts → vfio-pci.ts); firmware PCI init;
 * {@link placeVfio} at machine done. The topology is built exactly as QEMU builds it: the
 * vfio-cxl series touches no host bridge (a pxb-cxl with one root port stays passthrough, no
 * HDM decoder capability, unless the line says `hdm_for_passthrough=on`). A rejection throws
 * and the machine does not start.
 */

import type { MachineType } from '../../topology/model.ts';
import type { HostBridgeModel } from '../dev/model.ts';
import type { PlacedWindow } from '../placement.ts';
import type { VmmOptions } from './options.ts';
import { applyPlacement, planPlacement, qemuBinary, vfioDevicesBelow } from './placement.ts';
import type { VfioType2 } from './vfio-pci.ts';

export { type HostDeviceSpec, hostHpaFor } from './host-device.ts';
export { PLACEMENTS, type VfioCxlPlacement, type VmmOptions } from './options.ts';
export { realizeVfioType2, type VfioPlacement, type VfioType2, vfioOf } from './vfio-pci.ts';

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
