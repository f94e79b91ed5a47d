/**
 * DOC: a CXL switch — cxl-upstream (hw/pci-bridge/cxl_upstream.c), cxl-downstream
 * (cxl_downstream.c) and cxl-switch-mailbox-cci (hw/cxl/switch-mailbox-cci.c).
 *
 * Upstream port (19e5:a128): type 1 header, MSI at 0x70 (2 vectors, 64-bit, per-vector mask),
 * PCIe v2 at 0x90 (Upstream Port, FLR, error reporting), AER at 0x100, [DSN at 0x148 with
 * `sn=`], DVSECs from 0x148 (0x154 with DSN): Port Extensions (status 1 = PM init complete),
 * Flex Bus (cap 0x27, control 0x27, status 0x26), Register Locator; then the DOE for CDAT
 * (message number 1) right after the DVSECs. BAR 0: component registers with HDM (target count
 * 8). CDAT: two SSLBIS over the DSP port numbers.
 * Downstream port (19e5:a129): MSI at 0x70 (1 vector), PCIe v2 at 0x90 (Downstream Port,
 * FLR, error reporting, slot without power controller, ARI forwarding), AER at 0x100, DVSECs
 * from 0x148: Port Extensions, Flex Bus (0x27/0x02/0x26), GPF Port, Register Locator. BAR 0:
 * component registers without HDM. Links: 7.2 leaves the DSP's slot width/speed at 0
 * (LnkCap x0 "0 GT/s", as captured); 10.1: USP x16 32 GT/s, DSP x16 64 GT/s.
 * Mailbox CCI (19e5:a123, class 0c0b00): PCIe endpoint at 0x80, Register Locator DVSEC at 0x100
 * (device registers in BAR 0). cxlsim does not emulate the switch CCI command set: its BAR 0
 * is an empty device register block (capabilities array with no entries).
 */

import type { SwitchDev } from '../../topology/model.ts';
import type { MmioRegion } from '../mmio-region.ts';
import {
  aerInit,
  dsnInit,
  msiInit,
  pcieCapArifwdInit,
  pcieCapDeverrInit,
  pcieCapFlrInit,
  pcieCapInit,
  pcieCapSlotInit,
  pcieFillLink,
  pcieSyncBridgeLink,
} from '../pci/caps.ts';
import { cdatDoeEntries, frozenCdat, uspCdatEntries } from '../pci/cdat.ts';
import { PciConfigSpace } from '../pci/config-space.ts';
import { assignDevfns } from '../pci/devfn.ts';
import { cdatTableAccess, Doe } from '../pci/doe.ts';
import { DvsecBuilder, REG_BLOCK } from '../pci/dvsec.ts';
import { CAP_ID, CLASS, EXP_TYPE, HEADER_TYPE, IDS, PCI } from '../pci/regs.ts';
import { aerOptions, qemuHas } from '../qemu-compat.ts';
import { COMPONENT_BLOCK_SIZE, createComponentRegisters } from '../regs/component.ts';
import {
  type BuildContext,
  type DspModel,
  type MutableFunction,
  newFunction,
  type PciFunctionModel,
  type SwitchModel,
} from './model.ts';
import type { BuildBelow } from './root-port.ts';

const MSI_OFFSET = 0x70;
const EXP_OFFSET = 0x90;
const AER_OFFSET = 0x100;
const USP_SN_OFFSET = 0x148;

/** An empty CXL device register block (capabilities array ID 0, version 1, no capabilities). */
function emptyDeviceRegisters(): MmioRegion {
  return EMPTY_DEVICE_REGISTERS;
}

/** The one {@link emptyDeviceRegisters} block: read-only, so every switch shares it. */
const EMPTY_DEVICE_REGISTERS: MmioRegion = Object.freeze({
  size: 0x1000,
  read32: (o: number) => (o === 0 ? 0x00010000 : 0),
  write32: () => {},
});

function buildDsp(
  dsp: SwitchDev['downstream'][number],
  ctx: BuildContext,
  devfn: number,
  buildBelow: BuildBelow,
): DspModel {
  const cs = new PciConfigSpace(true);
  cs.setIds(IDS.DSP.vendor, IDS.DSP.device, IDS.DSP.revision, CLASS.BRIDGE_PCI);
  msiInit(cs, MSI_OFFSET, 1, true, true);
  const pos = pcieCapInit(cs, EXP_OFFSET, EXP_TYPE.DOWNSTREAM, dsp.port, {
    extTag: qemuHas(ctx.qemu, 'pcieExtTag'),
  });
  pcieFillLink(
    cs,
    pos,
    qemuHas(ctx.qemu, 'pcieLinkSpeedWidth') ? { speed: 6, width: 16 } : { speed: 0, width: 0 },
    false,
  );
  pcieCapFlrInit(cs, pos);
  pcieCapDeverrInit(cs, pos);
  pcieCapSlotInit(cs, pos, dsp.slot ?? 0, {
    powerController: false,
    populated: dsp.child !== undefined,
    powerIndicatorOff: qemuHas(ctx.qemu, 'slotPowerIndicatorOff'),
  });
  pcieCapArifwdInit(cs, pos);
  aerInit(cs, AER_OFFSET, false, aerOptions(ctx.qemu));
  const dv = new DvsecBuilder(cs, 'dsp', AER_OFFSET + 0x48);
  dv.portExtensions(0);
  dv.flexBusPort(ctx.qemu, 0x27, 0x02, qemuHas(ctx.qemu, 'portFlitMode') ? 0x06 : 0x26);
  dv.gpfPort();
  dv.registerLocator([{ bar: 0, blockId: REG_BLOCK.COMPONENT, offset: 0n }]);
  const component = createComponentRegisters('dsp', undefined, { qemu: ctx.qemu });
  cs.registerBar({ index: 0, size: BigInt(COMPONENT_BLOCK_SIZE), mem64: true, prefetch: false });
  const fn = newFunction({
    id: dsp.id,
    kind: 'dsp',
    config: cs,
    segment: ctx.segment,
    devfn,
    bars: [{ index: 0, region: component }],
  });
  const below = dsp.child ? buildBelow(dsp.child) : undefined;
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
  const model: DspModel = { kind: 'dsp', fn, port: dsp.port, component, child: below?.model };
  fn.device = model;
  return model;
}

function buildCci(sw: SwitchDev, ctx: BuildContext, devfn: number): MutableFunction {
  const cs = new PciConfigSpace(false);
  cs.setIds(
    IDS.SWITCH_CCI.vendor,
    IDS.SWITCH_CCI.device,
    IDS.SWITCH_CCI.revision,
    CLASS.SERIAL_OTHER,
  );
  cs.set16(PCI.SUBSYSTEM_VENDOR_ID, IDS.SUBSYSTEM.vendor);
  cs.set16(PCI.SUBSYSTEM_ID, IDS.SUBSYSTEM.device);
  pcieCapInit(cs, 0x80, EXP_TYPE.ENDPOINT, 0, { extTag: qemuHas(ctx.qemu, 'pcieExtTag') });
  const regs = emptyDeviceRegisters();
  cs.registerBar({ index: 0, size: BigInt(regs.size), mem64: true, prefetch: false });
  new DvsecBuilder(cs, 'switch-cci', 0x100).registerLocator([
    { bar: 0, blockId: REG_BLOCK.DEVICE, offset: 0n },
  ]);
  return newFunction({
    id: `${sw.id}.cci`,
    kind: 'switch-cci',
    config: cs,
    segment: ctx.segment,
    devfn,
    bars: [{ index: 0, region: regs }],
  });
}

/**
 * Builds a switch below a root or downstream port: the upstream port (and its mailbox CCI
 * function) on the port's secondary bus, the downstream ports on the USP's secondary bus.
 */
export function buildSwitch(
  sw: SwitchDev,
  ctx: BuildContext,
  buildBelow: BuildBelow,
): { model: SwitchModel; functions: PciFunctionModel[] } {
  const slots = assignDevfns(
    [
      { id: sw.id, addr: sw.addr ?? { slot: 0, fn: 0 } },
      ...(sw.mailboxCci ? [{ id: `${sw.id}.cci`, addr: sw.mailboxCci }] : []),
    ],
    sw.id,
  );
  const uspDevfn = slots[0] ?? 0;
  const cs = new PciConfigSpace(true);
  cs.setIds(IDS.USP.vendor, IDS.USP.device, IDS.USP.revision, CLASS.BRIDGE_PCI);
  if (sw.mailboxCci) cs.set8(PCI.HEADER_TYPE, HEADER_TYPE.BRIDGE | HEADER_TYPE.MULTI_FUNCTION);
  msiInit(cs, MSI_OFFSET, 2, true, true);
  const pos = pcieCapInit(cs, EXP_OFFSET, EXP_TYPE.UPSTREAM, sw.port ?? 0, {
    extTag: qemuHas(ctx.qemu, 'pcieExtTag'),
  });
  pcieCapFlrInit(cs, pos);
  pcieCapDeverrInit(cs, pos);
  if (qemuHas(ctx.qemu, 'pcieLinkSpeedWidth')) pcieFillLink(cs, pos, { speed: 5, width: 16 }, true);
  aerInit(cs, AER_OFFSET, false, aerOptions(ctx.qemu));
  // cxl_usp_realize(): the DSN slot is reserved whether or not `sn=` is given
  // (QEMU_COMPAT.uspSerialNumberSlot); before that the DVSECs follow AER (or the DSN).
  const snSlot = qemuHas(ctx.qemu, 'uspSerialNumberSlot');
  let dvsecAt = snSlot ? USP_SN_OFFSET + 0x0c : USP_SN_OFFSET;
  if (sw.serial !== undefined) {
    dsnInit(cs, USP_SN_OFFSET, sw.serial);
    dvsecAt = USP_SN_OFFSET + 0x0c;
  }
  const dv = new DvsecBuilder(cs, 'usp', dvsecAt);
  dv.portExtensions(1);
  dv.flexBusPort(ctx.qemu, 0x27, 0x27, 0x26);
  dv.registerLocator([{ bar: 0, blockId: REG_BLOCK.COMPONENT, offset: 0n }]);
  const component = createComponentRegisters('usp', sw.hdm, {
    qemu: ctx.qemu,
    strict: qemuHas(ctx.qemu, 'hdmCommitChecks'),
  });
  cs.registerBar({ index: 0, size: BigInt(COMPONENT_BLOCK_SIZE), mem64: true, prefetch: false });

  const usp = newFunction({
    id: sw.id,
    kind: 'usp',
    config: cs,
    segment: ctx.segment,
    devfn: uspDevfn,
    bars: [{ index: 0, region: component }],
  });
  const dspDevfns = assignDevfns(sw.downstream, sw.id);
  const dsps = sw.downstream
    .map((d, i) => buildDsp(d, ctx, dspDevfns[i] ?? 0, buildBelow))
    .sort((a, b) => a.fn.devfn - b.fn.devfn);
  usp.children.push(...dsps.map((d) => d.fn));
  const cdat = uspCdatEntries(dsps.map((d) => d.port));
  const doeEntries = frozenCdat(cdat.length > 0 ? cdatDoeEntries(cdat) : []);
  new Doe(cs, dv.offset, [cdatTableAccess(doeEntries)], true, 1);

  const cci = sw.mailboxCci ? buildCci(sw, ctx, slots[1] ?? 1) : undefined;
  const model: SwitchModel = { kind: 'switch', topo: sw, usp, component, dsps, cci };
  usp.device = model;
  if (cci) cci.device = model;
  const functions = [usp, ...(cci ? [cci] : [])].sort((a, b) => a.devfn - b.devfn);
  return { model, functions };
}
