/**
 * DOC: where the VMM puts each passed-through CXL type-2 device in guest physical address space
 * (NVIDIA/QEMU PR #27/#28 "per-device CFMWS base"; reference/vfio-cxl.md §7.2–7.3).
 *
 * `per-window` (the fix): a firmware-committed device below pxb-cxl H gets HDM decoder 0 at the
 * base of *the* window whose single target is H — chosen by topology, never by window index or
 * device order — with size = the DPA size, x1, committed and locked. It fails closed, one
 * distinct message per case, naming the device (the order the checks run in):
 *   6. a second passthrough endpoint below the same host bridge (cxlsim rejects it: all of
 *      them would select the same window; per-endpoint allocation is not modelled);
 *   1. no window targets the host bridge;
 *   2. the host bridge is a target of more than one window;
 *   3. the window has more than one target (interleaved);
 *   4. the window has no base (QEMU could not place it below the physical address limit);
 *   5. the window is smaller than the DPA size.
 * Only the endpoint's decoder 0 is written (BASE, SIZE, CTRL through the COMP_REGS region, as
 * the series' `setup_locked_hdm()` does): no host-bridge or switch decoder is programmed, so a
 * pxb-cxl with one root port stays what QEMU made it (passthrough, no HDM decoder capability)
 * and one with HDM decoders (`hdm_for_passthrough=on`) keeps them uncommitted. What the guest
 * then assembles is the guest kernel's business (docs/vfio-cxl.md §6).
 *
 * `first-window` (the interim VMM): every device at the first placed window's base — the bug
 * users hit (all endpoint decoders at one HPA).
 *
 * A plan is computed first and applied only when every device passed, so a rejected hotplug
 * leaves the machine exactly as it was.
 */

import type { MachineType } from '../../topology/model.ts';
import { QemuError } from '../../topology/qemu-errors.ts';
import type { HostBridgeModel, RootPortModel, SwitchModel } from '../dev/model.ts';
import type { PlacedWindow } from '../placement.ts';
import type { VfioCxlPlacement } from './options.ts';
import { placeable, setupLockedHdm, type VfioType2, vfioOf } from './vfio-pci.ts';

/** A passed-through device below a host bridge. */
export interface VfioBelow {
  rec: VfioType2;
  hb: HostBridgeModel;
}

/** Every passed-through type-2 device below `hb`, in root-port order. */
export function vfioDevicesBelow(hb: HostBridgeModel): VfioBelow[] {
  const out: VfioBelow[] = [];
  const walk = (m: RootPortModel['child']) => {
    if (!m) return;
    if (m.kind === 'type2') {
      const rec = vfioOf(m);
      if (rec) out.push({ rec, hb });
    } else if (m.kind === 'switch') {
      const sw: SwitchModel = m;
      for (const d of sw.dsps) walk(d.child);
    }
  };
  for (const rp of hb.rootPorts) walk(rp.child);
  return out;
}

/** One placement decision. */
interface Planned {
  dev: VfioBelow;
  window: PlacedWindow;
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** The per-window checks for one device. @throws QemuError (see the DOC block) */
function perWindow(d: VfioBelow, windows: readonly PlacedWindow[], binary: string): PlacedWindow {
  const who = `vfio-cxl: ${d.rec.topo.id}`;
  const fail = (msg: string) => new QemuError(`${who}: ${msg}`, { binary });
  const hb = d.hb;
  const matches = windows.filter((w) => w.targets.includes(hb.uid));
  const w = matches[0];
  if (!w) throw fail(`no CXL fixed memory window targets host bridge ${hb.id}`);
  if (matches.length > 1)
    throw fail(
      `host bridge ${hb.id} is a target of more than one CXL fixed memory window (${matches.map((m) => m.index).join(', ')})`,
    );
  if (w.targets.length > 1)
    throw fail(
      `CXL fixed memory window ${w.index} is interleaved across ${w.targets.length} host bridges`,
    );
  if (w.base === 0n)
    throw fail(`CXL fixed memory window ${w.index} has no base address (not placed)`);
  const size = d.rec.vfio.cxl?.regionSize ?? 0n;
  if (w.size < size)
    throw fail(
      `CXL fixed memory window ${w.index} (${hex(w.size)} bytes) is smaller than the device memory (${hex(size)} bytes)`,
    );
  return w;
}

/**
 * Plans the placement of `devices` (in order) given those already placed.
 * @throws QemuError for the first device that cannot be placed
 */
export function planPlacement(
  devices: readonly VfioBelow[],
  windows: readonly PlacedWindow[],
  mode: VfioCxlPlacement,
  binary: string,
  alreadyPlaced: readonly VfioBelow[] = [],
): Planned[] {
  const plan: Planned[] = [];
  const taken = new Map<HostBridgeModel, VfioBelow>();
  for (const p of alreadyPlaced) taken.set(p.hb, p);
  for (const d of devices) {
    if (!placeable(d.rec)) continue;
    if (mode === 'first-window') {
      const w = [...windows].sort((a, b) => a.index - b.index).find((x) => x.base !== 0n);
      if (!w)
        throw new QemuError(`vfio-cxl: ${d.rec.topo.id}: no CXL fixed memory window is placed`, {
          binary,
        });
      plan.push({ dev: d, window: w });
      continue;
    }
    const first = taken.get(d.hb);
    if (first)
      throw new QemuError(
        `vfio-cxl: ${d.rec.topo.id}: host bridge ${d.hb.id} already has a passthrough CXL endpoint (${first.rec.topo.id}); one vfio-cxl device per host bridge is supported`,
        { binary },
      );
    taken.set(d.hb, d);
    plan.push({ dev: d, window: perWindow(d, windows, binary) });
  }
  return plan;
}

/** Applies a plan: setup_locked_hdm() on each endpoint (nothing else is written). */
export function applyPlacement(plan: readonly Planned[], mode: VfioCxlPlacement): void {
  for (const p of plan) {
    const rec = p.dev.rec;
    const size = rec.vfio.cxl?.regionSize ?? 0n;
    const base = p.window.base;
    setupLockedHdm(rec, base);
    rec.placement = { mode, window: p.window.index, base, size };
  }
}

/** QEMU's program name for the machine type (error messages). */
export function qemuBinary(machine: MachineType): string {
  return machine === 'virt' ? 'qemu-system-aarch64' : 'qemu-system-x86_64';
}
