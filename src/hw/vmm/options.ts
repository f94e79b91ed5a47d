/**
 * DOC: the VMM's options for passed-through CXL type-2 functions, and the scope through which
 * the device builders (called deep inside the host-bridge builder) see them.
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

let scope: VmmOptions = {};

/** Runs `fn` with `opts` visible to the device builders (synchronous platform builds). */
export function withVmmOptions<T>(opts: VmmOptions, fn: () => T): T {
  const prev = scope;
  scope = opts;
  try {
    return fn();
  } finally {
    scope = prev;
  }
}

/** The options of the build in progress. */
export function vmmOptions(): VmmOptions {
  return scope;
}

/** The host-device description for `bdf`, if the options have one. */
export function hostSpecFor(bdf: string): HostDeviceSpec | undefined {
  return scope.hosts?.find((h) => h.host === bdf);
}
