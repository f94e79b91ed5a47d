/**
 * DOC: a CXL type-2 accelerator — a device with its own coherent memory (HDM-D/DB), as the
 * guest sees a vfio-pci passed-through CXL GPU (reference/vfio-cxl.md) or a topology-file
 * type-2 device. There is no upstream QEMU model; cxlsim builds the smallest function the
 * guest's CXL core accepts as a type-2 device:
 *
 * type 0 header with synthetic IDs (vendor 0x1E98 — the CXL consortium's ID, which no real
 * function uses — device 0x0002, class 1200 "processing accelerator", so cxl_pci does not bind),
 * PCIe v2 endpoint at 0x80, [DSN at 0x100], DVSECs: PCIe DVSEC for CXL Devices (Cache, IO and
 * Mem capable, HW-init, HDM_Count 1; range 1 = the DPA size), Register Locator (component
 * registers only, BAR 0), GPF Device, Flex Bus (cache+IO+mem: 0x27). BAR 0: component
 * registers with HDM (1 decoder unless the topology says otherwise); BAR 4: MSI-X (1 vector).
 * No device registers, no mailbox.
 *
 * Firmware commit ({@link commitType2Hdm}): what the VMM does at machine_done for a
 * firmware-committed device (NVIDIA vfio-cxl setup_locked_hdm()): decoder 0 ← base = the
 * window chosen for the device's host bridge, size = DPA size, x1, committed and locked,
 * device-coherent target type; DVSEC Mem_Enable set.
 */
import type { Type2Dev } from '../../topology/model.ts';
import {
  dsnInit,
  msixBarRegion,
  msixInitExclusiveBar,
  pcieCapInit,
  pcieFillLink,
} from '../pci/caps.ts';
import { PciConfigSpace } from '../pci/config-space.ts';
import { DvsecBuilder, REG_BLOCK } from '../pci/dvsec.ts';
import { CLASS, EXP_TYPE, IDS, PCI } from '../pci/regs.ts';
import { BackingStore } from '../regs/backing-store.ts';
import {
  COMPONENT_BLOCK_SIZE,
  createComponentRegisters,
  defaultHdmCaps,
} from '../regs/component.ts';
import { type BuildContext, newFunction, type PciFunctionModel, type Type2Model } from './model.ts';

/** Synthetic IDs of the type-2 model. */
export const TYPE2_IDS = { vendor: 0x1e98, device: 0x0002, revision: 0 } as const;

/** CXL Device DVSEC capability: Cache | IO | Mem capable, Mem HW-init, HDM_Count 1. */
export const TYPE2_DVSEC_CAP = 0x01 | 0x02 | 0x04 | 0x08 | 0x10;

/** Builds a type-2 function at `devfn`. */
export function buildType2(
  d: Type2Dev,
  ctx: BuildContext,
  devfn: number,
): { model: Type2Model; functions: PciFunctionModel[] } {
  const cs = new PciConfigSpace(false);
  cs.setIds(TYPE2_IDS.vendor, TYPE2_IDS.device, TYPE2_IDS.revision, CLASS.ACCELERATOR);
  cs.set16(PCI.SUBSYSTEM_VENDOR_ID, IDS.SUBSYSTEM.vendor);
  cs.set16(PCI.SUBSYSTEM_ID, IDS.SUBSYSTEM.device);
  const pos = pcieCapInit(cs, 0x80, EXP_TYPE.ENDPOINT, 0);
  if (ctx.qemu !== '7.2') pcieFillLink(cs, pos, { speed: 5, width: 16 }, true);
  let dvsecAt = 0x100;
  if (d.serial !== undefined) {
    dsnInit(cs, 0x100, d.serial);
    dvsecAt += 0x0c;
  }
  const dv = new DvsecBuilder(cs, 'type2', dvsecAt);
  dv.cxlDevice(ctx.qemu, { cap: TYPE2_DVSEC_CAP, ctrl: 0x2, status2: 0x2, ranges: [d.dpaSize] });
  dv.registerLocator([{ bar: 0, blockId: REG_BLOCK.COMPONENT, offset: 0n }]);
  dv.gpfDevice();
  dv.flexBusPort(ctx.qemu, 0x27, 0x27, 0x26);

  const dflt = defaultHdmCaps('type2', ctx.qemu);
  const hdm = d.hdm ?? (dflt ? { ...dflt, decoderCount: 1 } : undefined);
  const component = createComponentRegisters('type2', hdm, { qemu: ctx.qemu, dpaLimit: d.dpaSize, strict: ctx.qemu !== '7.2' });
  cs.registerBar({ index: 0, size: BigInt(COMPONENT_BLOCK_SIZE), mem64: true, prefetch: false });
  const msixBar = msixInitExclusiveBar(cs, 1, 4);
  const fn = newFunction({
    id: d.id,
    kind: 'type2',
    config: cs,
    segment: ctx.segment,
    devfn,
    bars: [
      { index: 0, region: component },
      { index: 4, region: msixBarRegion(Number(msixBar), 1) },
    ],
  });
  const model: Type2Model = {
    kind: 'type2',
    topo: d,
    fn,
    component,
    memory: new BackingStore(d.dpaSize),
  };
  fn.device = model;
  return { model, functions: [fn] };
}

/**
 * Commits and locks HDM decoder 0 of a type-2 device at `base` (the VMM's setup_locked_hdm()),
 * and sets DVSEC Mem_Enable.
 * @throws EINVAL when the device has no HDM decoders or the registers reject the values
 */
export function commitType2Hdm(m: Type2Model, base: bigint): void {
  const hdm = m.component.hdm;
  if (!hdm) return;
  hdm.program(
    0,
    { index: 0, base, size: m.topo.dpaSize, ways: 1, granularity: 256, lock: true },
    { targetType: 'devmem' },
  );
  const dvsec = m.fn.config.findExtCapability(0x23);
  if (dvsec) m.fn.config.set16(dvsec + 0x0c, m.fn.config.get16(dvsec + 0x0c) | 0x4);
}
