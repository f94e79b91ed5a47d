/**
 * DOC: the VMM's options for passed-through CXL type-2 functions. The platform passes them to
 * the VMM's type-2 realization (vfio-pci.ts), which the device builders receive in their
 * BuildContext.
 *
 * Placement modes (docs/vfio-cxl.md §5):
 * - `per-window` (default; NVIDIA/QEMU PR #28): each device's HDM decoder 0 at the base of the
 *   single-target window of its own host bridge, the host bridge's decoder programmed along;
 * - `first-window` (the interim VMM before the fix): every device at the first placed
 *   window's base, host bridges left as QEMU made them.
 */
import type { HostDeviceSpec } from './host-device.ts';

/** How the VMM places firmware-committed type-2 devices. */
export type VfioCxlPlacement = 'per-window' | 'first-window';

/** The VMM's vfio-cxl options (`cxlsim boot --vfio-cxl-placement`, `--topology HOST.yaml`). */
export interface VmmOptions {
  placement?: VfioCxlPlacement;
  /** Host-device descriptions by host BDF (overrides of the topology's type-2 devices). */
  hosts?: readonly HostDeviceSpec[];
}

/** Placement modes, as the CLI spells them. */
export const PLACEMENTS: readonly VfioCxlPlacement[] = ['per-window', 'first-window'];
