/**
 * DOC: `device_add vfio-pci,host=BDF,bus=ID` on a running machine (QEMU qdev_device_add() →
 * vfio_realize() → the vfio-cxl placement; NVIDIA/QEMU PR #27 review: a failing vfio-cxl
 * hotplug must fail the device_add with error_setg(), never terminate the VM).
 *
 * Everything that can fail is checked before anything changes: the QemuOpts syntax; the model
 * (`vfio-pci-nohotplug` cannot be hot-added: "Device 'vfio-pci-nohotplug' does not support
 * hotplugging"); the id; the host device (present, not already attached); the bus (a root
 * port or switch downstream port — host bridges, switch upstream ports and `pcie.0` "do not
 * support hotplugging"; an unknown one is "not found"); the slot (free); then the device is
 * realized off-line and its placement planned against the devices already placed (the six
 * rejections of placement.ts). Only then is the function plugged below the port: the port's
 * Presence Detect State goes up, its BARs become decodable (once the guest assigns them) and
 * the VMM programs its decoders. The guest's side (pciehp → driver probe) is the caller's.
 */

import type { PciConfigBus } from '../../bus/index.ts';
import { Errno } from '../../kernel/errno.ts';
import type { QemuVersion } from '../../profile.ts';
import type { MachineType, Type2Dev } from '../../topology/model.ts';
import { QemuError } from '../../topology/qemu-errors.ts';
import { idWellformed, optGet, parseQemuOpts } from '../../topology/qemu-opts.ts';
import type { BelowPortModel, HostBridgeModel, PciFunctionModel } from '../dev/model.ts';
import type { MmioMap } from '../pci/mmio-bus.ts';
import type { PlacedWindow } from '../placement.ts';
import { canonicalBdf } from './bdf.ts';
import { hostBdfOf } from './host-device.ts';
import type { VmmOptions } from './options.ts';
import { applyPlacement, planPlacement, qemuBinary, vfioDevicesBelow } from './placement.ts';
import { realizeVfioType2, type VfioType2, vfioOf } from './vfio-pci.ts';

/** What a hot-add needs from the running platform. */
export interface HotplugContext {
  hostBridges: readonly HostBridgeModel[];
  windows: readonly PlacedWindow[];
  mmio: MmioMap;
  pci: PciConfigBus;
  vmm: VmmOptions;
  machine: MachineType;
  qemu: QemuVersion;
}

/** A plugged function: the port it sits below (config address) and the device. */
export interface HotplugResult {
  id: string;
  /** The root/downstream port's config address. */
  port: { segment: number; bus: number; devfn: number };
  fn: PciFunctionModel;
  rec: VfioType2;
}

/** A hotplug-capable port: root port or switch downstream port. */
interface Slot {
  id: string;
  fn: PciFunctionModel;
  segment: number;
  hb: HostBridgeModel;
  get child(): BelowPortModel | undefined;
  set child(m: BelowPortModel | undefined);
}

/** The QEMU driver name of a device model (for "in use by" messages). */
function driverOf(m: BelowPortModel): string {
  if (m.kind === 'type3') return 'cxl-type3';
  if (m.kind === 'switch') return 'cxl-upstream';
  return m.topo.noHotplug ? 'vfio-pci-nohotplug' : 'vfio-pci';
}

/** Every id in use and every slot, walking the device tree. */
function survey(hbs: readonly HostBridgeModel[]): {
  ids: Set<string>;
  slots: Map<string, Slot>;
  buses: Set<string>;
} {
  const ids = new Set<string>();
  const slots = new Map<string, Slot>();
  const buses = new Set<string>(['pcie.0']);
  const below = (m: BelowPortModel | undefined, hb: HostBridgeModel) => {
    if (!m) return;
    if (m.kind !== 'switch') {
      ids.add(m.topo.id);
      return;
    }
    ids.add(m.topo.id);
    buses.add(m.topo.id);
    for (const d of m.dsps) {
      ids.add(d.fn.id);
      const holder = d as unknown as { child: BelowPortModel | undefined };
      slots.set(d.fn.id, {
        id: d.fn.id,
        fn: d.fn,
        segment: hb.segment,
        hb,
        get child() {
          return holder.child;
        },
        set child(v) {
          holder.child = v;
        },
      });
      below(d.child, hb);
    }
  };
  for (const hb of hbs) {
    ids.add(hb.id);
    buses.add(hb.id);
    for (const rp of hb.rootPorts) {
      ids.add(rp.topo.id);
      const holder = rp as unknown as { child: BelowPortModel | undefined };
      slots.set(rp.topo.id, {
        id: rp.topo.id,
        fn: rp.fn,
        segment: hb.segment,
        hb,
        get child() {
          return holder.child;
        },
        set child(v) {
          holder.child = v;
        },
      });
      below(rp.child, hb);
    }
  }
  return { ids, slots, buses };
}

/**
 * device_add for a vfio-pci function.
 * @throws QemuError with QEMU's wording (or the placement's), Errno for what cxlsim does not
 *   model; the machine is unchanged when it throws
 */
export function deviceAdd(ctx: HotplugContext, text: string): HotplugResult {
  const binary = qemuBinary(ctx.machine);
  const q = (msg: string, hint?: string) =>
    new QemuError(msg, { binary, ...(hint ? { hint } : {}) });
  const opts = parseQemuOpts(text, 'driver');
  const driver = optGet(opts, 'driver') ?? '';
  if (driver === 'vfio-pci-nohotplug') throw q(`Device '${driver}' does not support hotplugging`);
  if (driver !== 'vfio-pci')
    throw new Errno(
      'EINVAL',
      `device-add: cxlsim hot-adds vfio-pci functions only, not '${driver}'`,
    );
  for (const [k] of opts.params)
    if (!['driver', 'host', 'bus', 'addr', 'iommufd', 'x-no-mmap', 'rombar'].includes(k))
      throw q(`Property 'vfio-pci.${k}' not found`);
  const { ids, slots, buses } = survey(ctx.hostBridges);
  if (opts.id !== undefined && !idWellformed(opts.id))
    throw q("Parameter 'id' expects an identifier");
  if (opts.id !== undefined && ids.has(opts.id)) throw q(`Duplicate ID '${opts.id}' for device`);
  const hostArg = optGet(opts, 'host');
  if (hostArg === undefined)
    throw q(
      'No provided host device',
      'Use -device vfio-pci,host=DDDD:BB:DD.F or -device vfio-pci,sysfsdev=PATH_TO_DEVICE',
    );
  const host = canonicalBdf(hostArg);
  if (!host) throw q(`Property 'vfio-pci.host' doesn't take value '${hostArg}'`);
  const attached = ctx.hostBridges.flatMap((hb) => vfioDevicesBelow(hb));
  if (attached.some((a) => hostBdfOf(a.rec.topo) === host))
    throw q(`vfio ${host}: device is already attached`);
  const busName = optGet(opts, 'bus') ?? 'pcie.0';
  const slot = slots.get(busName);
  if (!slot) {
    if (buses.has(busName)) throw q(`Bus '${busName}' does not support hotplugging`);
    throw q(`Bus '${busName}' not found`);
  }
  const addr = optGet(opts, 'addr');
  if (addr !== undefined && !/^(0x)?0+(\.0)?$/i.test(addr))
    throw new Errno(
      'EINVAL',
      `device-add: only slot 0 function 0 below '${busName}' is modelled (cxlsim)`,
    );
  const occupant = slot.child;
  if (occupant) {
    throw q(
      `PCI: slot 0 function 0 not available for vfio-pci, in use by ${driverOf(occupant)},id=${occupant.topo.id}`,
    );
  }
  let n = 0;
  while (ids.has(`type2#${n}`)) n++;
  const id = opts.id ?? `type2#${n}`;
  const dev: Type2Dev = { kind: 'type2', id, host, dpaSize: 16n << 30n, firmwareCommitted: true };
  const built = realizeVfioType2(dev, { qemu: ctx.qemu, segment: slot.segment }, 0, ctx.vmm);
  const rec = vfioOf(built.model);
  if (!rec) throw new Errno('EINVAL', `device-add: ${id} was not realized as a vfio device`);
  const mode = ctx.vmm.placement ?? 'per-window';
  const plan = planPlacement(
    [{ rec, hb: slot.hb }],
    ctx.windows,
    mode,
    binary,
    mode === 'per-window' ? attached.filter((a) => a.rec.placement) : [],
  );
  // Commit point: plug the function, then let the VMM program it.
  const fn = built.functions[0] as PciFunctionModel;
  const secondary = slot.fn.config.get8(0x19);
  fn.bus = secondary;
  (slot.fn.children as PciFunctionModel[]).push(fn);
  slot.child = built.model;
  ctx.mmio.addFunction(fn);
  presenceDetect(slot.fn, true);
  // Routing caches learn about a new function the way they learn about bus changes: a
  // write to the port's bus-number registers (the same value, so nothing else changes).
  const portBus = slot.fn.bus;
  ctx.pci.write(slot.segment, portBus, slot.fn.devfn, 0x1a, 1, slot.fn.config.get8(0x1a));
  applyPlacement(plan, mode);
  return { id, port: { segment: slot.segment, bus: portBus, devfn: slot.fn.devfn }, fn, rec };
}

/** Slot Status Presence Detect State (PCIe capability + 0x1a, bit 6). */
function presenceDetect(port: PciFunctionModel, on: boolean): void {
  const cs = port.config;
  const pos = cs.findCapability(0x10);
  if (!pos) return;
  cs.bits16(pos + 0x1a, 1 << 6, on);
}
