/**
 * DOC: cxl-rp — a CXL root port (hw/pci-bridge/cxl_root_port.c over pcie_root_port.c rp_realize()).
 *
 * Config space, in QEMU's construction order: type 1 header (8086:7075 rev 0, class 0604,
 * interrupt pin A); the Bridge Subsystem Vendor ID capability (8086:0000) and the PCIe
 * capability take the first free space (rpc->ssvid and rpc->exp_offset are 0): 0x40 and 0x48
 * in 7.2; in 10.1 MSI sits at 0x60 (2 vectors, 32-bit, per-vector mask) first, which pushes
 * the PCIe capability to 0x74. PCIe v2: Root Port, Link Capabilities Port Number = `port=`,
 * slot `slot=` with power controller, ARI forwarding, error reporting, root control. AER at
 * 0x100, ACS at 0x148, then the DVSECs from 0x150: Port Extensions, GPF Port, Flex Bus Port
 * (cap/status 0x26, control 0x02), Register Locator (component registers in BAR 0). BAR 0:
 * 64 KiB component registers (CXL2_ROOT_PORT; which capabilities they list is regs/'s
 * business). Links: x1 2.5 GT/s in 7.2 (rp_instance_post_init() defaults); 10.1 x32 64 GT/s
 * (x-width/x-speed), and without `io-reserve` Command.IO is read-only (cxl_rp_realize(); the
 * I/O window stays writable as the captures show). Later QEMU changes (Extended Tag, AER mask
 * defaults, Power Indicator off, flit mode) are QEMU_COMPAT entries.
 */

import type { Endpointish, RootPort } from '../../topology/model.ts';
import {
  acsInit,
  aerInit,
  msiInit,
  pcieCapArifwdInit,
  pcieCapDeverrInit,
  pcieCapInit,
  pcieCapRootInit,
  pcieCapSlotInit,
  pcieFillLink,
  pcieSyncBridgeLink,
  ssvidInit,
} from '../pci/caps.ts';
import { PciConfigSpace } from '../pci/config-space.ts';
import { DvsecBuilder, REG_BLOCK } from '../pci/dvsec.ts';
import { CAP_ID, CLASS, COMMAND, EXP_TYPE, IDS, PCI } from '../pci/regs.ts';
import { aerOptions, qemuHas } from '../qemu-compat.ts';
import { COMPONENT_BLOCK_SIZE, createComponentRegisters } from '../regs/component.ts';
import {
  type BelowPortModel,
  type BuildContext,
  newFunction,
  type PciFunctionModel,
  type RootPortModel,
} from './model.ts';

const RP_MSI_OFFSET = 0x60;
const RP_AER_OFFSET = 0x100;
const RP_ACS_OFFSET = 0x148;
const RP_DVSEC_OFFSET = 0x150;

/** Builds the device below a port: its model and the functions on the port's secondary bus. */
export type BuildBelow = (dev: Endpointish) => {
  model: BelowPortModel;
  functions: PciFunctionModel[];
};

/** Builds a cxl-rp at `devfn` on the host bridge's root bus. */
export function buildRootPort(
  rp: RootPort,
  ctx: BuildContext,
  devfn: number,
  busNr: number,
  buildBelow: BuildBelow,
): RootPortModel {
  const cs = new PciConfigSpace(true);
  cs.setIds(IDS.ROOT_PORT.vendor, IDS.ROOT_PORT.device, IDS.ROOT_PORT.revision, CLASS.BRIDGE_PCI);
  cs.set8(PCI.INTERRUPT_PIN, 1);
  // 10.1: interrupts_init (MSI at a fixed offset) runs after the SSVID, before the PCIe cap.
  ssvidInit(cs, 0, IDS.ROOT_PORT.vendor, 0);
  if (qemuHas(ctx.qemu, 'rootPortMsi')) msiInit(cs, RP_MSI_OFFSET, 2, false, true);
  const pos = pcieCapInit(cs, 0, EXP_TYPE.ROOT_PORT, rp.port, {
    extTag: qemuHas(ctx.qemu, 'pcieExtTag'),
  });
  pcieFillLink(
    cs,
    pos,
    qemuHas(ctx.qemu, 'pcieLinkSpeedWidth') ? { speed: 6, width: 32 } : { speed: 1, width: 1 },
    false,
  );
  pcieCapArifwdInit(cs, pos);
  pcieCapDeverrInit(cs, pos);
  pcieCapSlotInit(cs, pos, rp.slot ?? 0, {
    powerController: true,
    populated: rp.child !== undefined,
    powerIndicatorOff: qemuHas(ctx.qemu, 'slotPowerIndicatorOff'),
  });
  pcieCapRootInit(cs, pos);
  aerInit(cs, RP_AER_OFFSET, true, aerOptions(ctx.qemu));
  // cxl_rp_aer_vector() via cxl_rp_write_config(): the AER interrupt message number (Root
  // Error Status [31:27]) is 1 when the guest has enabled 2 MSI vectors (Multiple Message
  // Enable), else 0 — 0 after reset. 7.2's cxl-rp has no MSI and no AER vector.
  if (qemuHas(ctx.qemu, 'rootPortMsi'))
    cs.onWrite(RP_MSI_OFFSET + 2, RP_MSI_OFFSET + 4, rpMsiWritten, cs);
  acsInit(cs, RP_ACS_OFFSET);
  const dv = new DvsecBuilder(cs, 'root-port', RP_DVSEC_OFFSET);
  dv.portExtensions(0);
  dv.gpfPort();
  dv.flexBusPort(ctx.qemu, 0x26, 0x02, qemuHas(ctx.qemu, 'portFlitMode') ? 0x06 : 0x26);
  dv.registerLocator([{ bar: 0, blockId: REG_BLOCK.COMPONENT, offset: 0n }]);
  if (qemuHas(ctx.qemu, 'rootPortNoIo')) {
    // No io-reserve: I/O decode is read-only (the I/O window stays writable: QEMU_COMPAT).
    cs.setMask16(PCI.COMMAND, cs.getMask16(PCI.COMMAND) & ~COMMAND.IO);
  }
  const component = createComponentRegisters('root-port', undefined, { qemu: ctx.qemu });
  cs.registerBar({ index: 0, size: BigInt(COMPONENT_BLOCK_SIZE), mem64: true, prefetch: false });

  const fn = newFunction({
    id: rp.id,
    kind: 'root-port',
    config: cs,
    segment: ctx.segment,
    bus: busNr,
    devfn,
    bars: [{ index: 0, region: component }],
  });
  const below = rp.child ? buildBelow(rp.child) : undefined;
  if (below) fn.children.push(...below.functions);
  if (qemuHas(ctx.qemu, 'pcieLinkSpeedWidth')) {
    const c = below?.functions[0];
    pcieSyncBridgeLink(
      cs,
      pos,
      c ? { cs: c.config, pos: c.config.findCapability(CAP_ID.EXP) } : undefined,
      qemuHas(ctx.qemu, 'portFlitMode'),
    );
  }
  const model: RootPortModel = {
    kind: 'root-port',
    topo: rp,
    fn,
    port: rp.port,
    component,
    child: below?.model,
  };
  fn.device = model;
  return model;
}

/** cxl_rp_write_config() after an MSI Message Control write: the AER vector follows it. */
function rpMsiWritten(_o: number, _size: number, _v: number, cs: PciConfigSpace): void {
  const vectors = 1 << ((cs.get16(RP_MSI_OFFSET + 2) >> 4) & 7);
  const sta = cs.get32(RP_AER_OFFSET + 0x30) & 0x07ffffff;
  cs.set32(RP_AER_OFFSET + 0x30, (sta | ((vectors === 2 ? 1 : 0) << 27)) >>> 0);
}
