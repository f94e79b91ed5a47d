/**
 * DOC: cxl-type3 — a CXL memory expander (hw/mem/cxl_type3.c ct3_realize()).
 *
 * Config space: type 0 header 8086:0d93 rev 1, class 050210 (CXL memory device), subsystem
 * 1af4:1100, no INTx pin; PCIe v2 endpoint capability at 0x80; [DSN at 0x100 with `sn=`];
 * DVSECs from 0x100 (0x10c with DSN): PCIe DVSEC for CXL Devices (capability 0x1e = IO, Mem,
 * Mem HW-init, HDM_Count 1; control 0x2; status2 0x2; range 1 = volatile size if any else
 * persistent, range 2 = persistent when both), Register Locator (component registers BAR 0,
 * device registers BAR 2), GPF Device, [10.1: Flex Bus (0x26/0x02/0x26)]; MSI-X (QEMU 7.2: 1
 * vector; 10.1: 8) in an exclusive 4 KiB BAR 4 at the first free capability slot (0x40); DOE for
 * CDAT at 0x190; [10.1: AER at 0x200]. BAR 0: 64 KiB component registers with HDM; BAR 2:
 * device registers (capabilities, status, primary mailbox, memdev status), size rounded up to
 * a power of two (QEMU: pow2ceil(CXL_MMIO_SIZE)). DPA layout: volatile at 0, persistent after.
 */

import type { Type3Dev } from '../../topology/model.ts';
import {
  aerInit,
  dsnInit,
  msixBarRegion,
  msixInitExclusiveBar,
  pcieCapDeverrInit,
  pcieCapInit,
  pcieFillLink,
} from '../pci/caps.ts';
import { type3Cdat } from '../pci/cdat.ts';
import { PciConfigSpace } from '../pci/config-space.ts';
import { cdatTableAccess, Doe } from '../pci/doe.ts';
import { DvsecBuilder, REG_BLOCK } from '../pci/dvsec.ts';
import { CLASS, EXP_TYPE, IDS, PCI } from '../pci/regs.ts';
import { aerOptions, qemuHas } from '../qemu-compat.ts';
import { COMPONENT_BLOCK_SIZE, createComponentRegisters } from '../regs/component.ts';
import { createDeviceRegisters } from '../regs/device.ts';
import { createMemDevState } from '../regs/memdev-state.ts';
import { type BuildContext, newFunction, type PciFunctionModel, type Type3Model } from './model.ts';

/** Fixed DOE offset of cxl-type3 (pcie_doe_init(…, 0x190, …)). */
export const TYPE3_DOE_OFFSET = 0x190;

/** Smallest power of two ≥ n (QEMU pow2ceil()). */
export function pow2ceil(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

/** Builds a cxl-type3 function at `devfn`. */
export function buildType3(
  d: Type3Dev,
  ctx: BuildContext,
  devfn: number,
): { model: Type3Model; functions: PciFunctionModel[] } {
  const cs = new PciConfigSpace(false);
  cs.setIds(IDS.TYPE3.vendor, IDS.TYPE3.device, IDS.TYPE3.revision, CLASS.MEMORY_CXL);
  cs.set16(PCI.SUBSYSTEM_VENDOR_ID, IDS.SUBSYSTEM.vendor);
  cs.set16(PCI.SUBSYSTEM_ID, IDS.SUBSYSTEM.device);
  const pos = pcieCapInit(cs, 0x80, EXP_TYPE.ENDPOINT, 0, {
    extTag: qemuHas(ctx.qemu, 'pcieExtTag'),
  });
  if (qemuHas(ctx.qemu, 'pcieLinkSpeedWidth')) pcieFillLink(cs, pos, { speed: 5, width: 16 }, true);
  let dvsecAt = 0x100;
  if (d.serial !== undefined) {
    dsnInit(cs, 0x100, d.serial);
    dvsecAt += 0x0c;
  }
  const dv = new DvsecBuilder(cs, 'type3', dvsecAt);
  const ranges =
    d.volatileSize > 0n
      ? [d.volatileSize, ...(d.persistentSize > 0n ? [d.persistentSize] : [])]
      : [d.persistentSize];
  dv.cxlDevice(ctx.qemu, { cap: 0x1e, ctrl: 0x2, status2: 0x2, ranges });
  dv.registerLocator([
    { bar: 0, blockId: REG_BLOCK.COMPONENT, offset: 0n },
    { bar: 2, blockId: REG_BLOCK.DEVICE, offset: 0n },
  ]);
  dv.gpfDevice();
  if (qemuHas(ctx.qemu, 'r3Layouts')) dv.flexBusPort(ctx.qemu, 0x26, 0x02, 0x26);

  const state = createMemDevState(d, ctx.qemu);
  const component = createComponentRegisters('type3', d.hdm, {
    qemu: ctx.qemu,
    dpaLimit: d.volatileSize + d.persistentSize,
    // QEMU sets COMMITTED with no validation; 7.2 is modelled that way (the captures' stack),
    // later versions get the spec's Error-Not-Committed checks.
    strict: qemuHas(ctx.qemu, 'hdmCommitChecks'),
  });
  const deviceRegs = createDeviceRegisters(state);
  cs.registerBar({ index: 0, size: BigInt(COMPONENT_BLOCK_SIZE), mem64: true, prefetch: false });
  cs.registerBar({
    index: 2,
    size: BigInt(pow2ceil(deviceRegs.size)),
    mem64: true,
    prefetch: false,
  });
  const msixEntries = qemuHas(ctx.qemu, 'endpointAerMsix') ? 8 : 1;
  const msixBar = msixInitExclusiveBar(cs, msixEntries, 4);

  const { cdat, doeEntries } = type3Cdat(d.volatileSize, d.persistentSize);
  // ct3_realize(): the CDAT DOE at 0x190, or after the DVSECs (QEMU_COMPAT.type3DoeAfterDvsecs)
  const doeAt = qemuHas(ctx.qemu, 'type3DoeAfterDvsecs') ? dv.offset : TYPE3_DOE_OFFSET;
  new Doe(cs, doeAt, [cdatTableAccess(doeEntries)], true, 0);
  if (qemuHas(ctx.qemu, 'endpointAerMsix')) {
    pcieCapDeverrInit(cs, pos);
    // an endpoint has no aer_log_max property: log_max 0, no multiple header recording
    aerInit(cs, 0x200, false, aerOptions(ctx.qemu, false));
  }

  const fn = newFunction({
    id: d.id,
    kind: 'type3',
    config: cs,
    segment: ctx.segment,
    devfn,
    bars: [
      { index: 0, region: component },
      { index: 2, region: deviceRegs },
      { index: 4, region: msixBarRegion(Number(msixBar), msixEntries) },
    ],
  });
  const model: Type3Model = { kind: 'type3', topo: d, fn, component, deviceRegs, state, cdat };
  fn.device = model;
  return { model, functions: [fn] };
}
