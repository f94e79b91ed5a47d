/**
 * DOC: the VMM's vfio-pci device for a passed-through CXL type-2 function (QEMU hw/vfio/pci.c
 * vfio_realize() with the vfio-cxl series' CXL region setup, COMP_REGS overlay and
 * setup_locked_hdm(); reference/vfio-cxl.md §7).
 *
 * Realize: the host function is built and its firmware run (host-device.ts), opened through
 * the host's vfio-cxl variant, and the guest gets a PCI function whose
 * - configuration space is QEMU's emulated copy of the host's (IDs, capabilities, BARs to be
 *   assigned by the guest's firmware), except the CXL Device DVSEC, whose every access goes to
 *   vfio (the DVSEC shadow; a plain vfio-pci device passes them to the hardware);
 * - component-register BAR routes the COMP_REGS span to the HDM shadow and the rest to the
 *   host BAR; other BARs are the host's;
 * - memory is the DPA region, mapped where the shadow decoder 0 is committed.
 * {@link setupLockedHdm} is QEMU's machine_done step for a firmware-committed device: base,
 * size, then CTRL = COMMIT | LOCK written through COMP_REGS. After a device reset the VMM
 * re-programs the same base (the shadow comes back unlocked with BASE 0).
 */
import { VfioPciDevice } from '../../host/vfio-cxl/index.ts';
import { copiedWeakMap } from '../../kernel/graph-copy.ts';
import type { Type2Dev } from '../../topology/model.ts';
import {
  type BuildContext,
  newFunction,
  type PciFunctionModel,
  type Type2Model,
} from '../dev/model.ts';
import type { MmioRegion } from '../mmio-region.ts';
import { PciConfigSpace } from '../pci/config-space.ts';
import type { ComponentRegisters } from '../regs/component.ts';
import { type HostDevice, hostBdfOf, realizeHostDevice } from './host-device.ts';
import type { VmmOptions } from './options.ts';
import { VfioComponentBar, VfioDpaStore, VfioHdmView } from './views.ts';

/** Where the VMM placed a device (for inspection). */
export interface VfioPlacement {
  mode: 'per-window' | 'first-window';
  /** CFMWS index and guest physical base of decoder 0. */
  window: number;
  base: bigint;
  size: bigint;
}

/** A passed-through type-2 function: host side, vfio, and what the guest sees. */
export interface VfioType2 {
  readonly topo: Type2Dev;
  readonly host: HostDevice;
  readonly vfio: VfioPciDevice;
  readonly guest: Type2Model;
  /** Set by the VMM's placement (undefined: not placed — plain vfio-pci or not committed). */
  placement: VfioPlacement | undefined;
}

const byModel = copiedWeakMap<Type2Model, VfioType2>();

/** The passthrough record behind a guest-visible type-2 model, if it is one. */
export function vfioOf(m: Type2Model): VfioType2 | undefined {
  return byModel.get(m);
}

/** Offset of the CXL Device DVSEC in a config space (0 when absent). */
function deviceDvsec(cs: PciConfigSpace): number {
  for (
    let off = cs.findExtCapability(0x23);
    off;
    off = cs.findExtCapability(0x23, cs.get32(off) >>> 20)
  ) {
    if (cs.get16(off + 4) === 0x1e98 && cs.get16(off + 8) === 0) return off;
    if (cs.get32(off) >>> 20 === 0) break;
  }
  return 0;
}

/** QEMU's emulated copy of the host config space, with the DVSEC handed to vfio. */
function guestConfig(hostCs: PciConfigSpace, vfio: VfioPciDevice): PciConfigSpace {
  const cs = new PciConfigSpace(false);
  cs.copyValues(hostCs);
  cs.wmask.set(hostCs.wmask);
  cs.w1cmask.set(hostCs.w1cmask);
  for (const decl of hostCs.bars) if (decl) cs.registerBar(decl);
  cs.set16(0x04, 0);
  const dv = deviceDvsec(hostCs);
  if (!dv) return cs;
  const len = (hostCs.get32(dv + 4) >>> 20) & 0xfff;
  cs.wmask.fill(0, dv, dv + len);
  cs.w1cmask.fill(0, dv, dv + len);
  const shadow = vfio.cxl?.dvsec;
  cs.onRead(
    dv,
    dv + len,
    (off, size) => {
      if (off < dv || off + size > dv + len) return undefined;
      return shadow ? shadow.read(off, size) : vfio.host.cfgRead(off, size);
    },
    undefined,
  );
  cs.onWrite(
    dv,
    dv + len,
    (off, size, value) => {
      if (off < dv || off + size > dv + len) return;
      if (shadow) shadow.write(off, size, value);
      else vfio.host.cfgWrite(off, size, value);
    },
    undefined,
  );
  return cs;
}

/**
 * vfio_realize() for a type-2 function below a CXL port.
 * @throws EINVAL for a host description the hardware cannot hold
 */
export function realizeVfioType2(
  d: Type2Dev,
  ctx: BuildContext,
  devfn: number,
  opts: VmmOptions,
): { model: Type2Model; functions: PciFunctionModel[] } {
  const bdf = hostBdfOf(d);
  const spec = opts.hosts?.find((h) => h.host === bdf);
  const host = realizeHostDevice(d, ctx, spec);
  const vfio = VfioPciDevice.open(host.fn, spec?.disableCxl ? { disableCxl: true } : {});
  const phys = host.model;
  const cs = guestConfig(phys.fn.config, vfio);
  const c = vfio.cxl;
  const bars: { index: number; region: MmioRegion }[] = phys.fn.bars.map((b) =>
    c && b.index === c.regs.bar
      ? { index: b.index, region: new VfioComponentBar(vfio, b.index) }
      : b,
  );
  let component: ComponentRegisters = phys.component;
  if (c) {
    const hdmCaps = phys.component.hdm?.caps;
    const barRegion = bars.find((b) => b.index === c.regs.bar)?.region as MmioRegion;
    const at = c.regs.offset;
    component = {
      kind: 'type2',
      size: c.regs.size,
      hdm: hdmCaps ? new VfioHdmView(vfio, hdmCaps) : undefined,
      ras: undefined,
      passthrough: false,
      layout: phys.component.layout,
      read32: (o) => barRegion.read32(at + o),
      write32: (o, v) => barRegion.write32(at + o, v),
      reset: () => {},
    };
  }
  const fn = newFunction({
    id: d.id,
    kind: 'type2',
    config: cs,
    segment: ctx.segment,
    devfn,
    bars,
  });
  const topo: Type2Dev = {
    ...d,
    dpaSize: phys.topo.dpaSize,
    firmwareCommitted: phys.topo.firmwareCommitted,
  };
  const guest: Type2Model = {
    kind: 'type2',
    topo,
    fn,
    component,
    memory: c ? new VfioDpaStore(vfio, c.regionSize) : phys.memory,
  };
  fn.device = guest;
  const rec: VfioType2 = { topo, host, vfio, guest, placement: undefined };
  byModel.set(guest, rec);
  vfio.onReset(() => {
    if (rec.placement) setupLockedHdm(rec, rec.placement.base);
  });
  return { model: guest, functions: [fn] };
}

/** True when the VMM places this device (vfio-cxl detected, firmware committed). */
export function placeable(rec: VfioType2): boolean {
  return rec.vfio.cxl?.precommitted === true;
}

/**
 * setup_locked_hdm(): decoder 0 ← base, size = the DPA region size, IG/IW 0 (x1), then CTRL
 * with COMMIT and LOCK — all through the COMP_REGS region, as QEMU does.
 */
export function setupLockedHdm(rec: VfioType2, base: bigint): void {
  const c = rec.vfio.cxl;
  if (!c) return;
  const hdm = c.regs.hdmOffset;
  const w = (reg: number, v: number) => c.comp.write(hdm + reg, v >>> 0);
  const size = c.regionSize;
  w(0x14, Number(base >> 32n));
  w(0x10, Number(base & 0xffffffffn));
  w(0x1c, Number(size >> 32n));
  w(0x18, Number(size & 0xffffffffn));
  const ctrl = c.comp.read(hdm + 0x20) & ~0xff;
  w(0x20, ctrl | (1 << 9) | (1 << 8));
}
