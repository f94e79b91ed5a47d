/**
 * DOC: a CXL type-2 accelerator — a device with its own coherent memory (HDM-D/DB), such as a
 * CXL GPU. There is no upstream QEMU model: cxlsim builds the smallest function the CXL cores
 * (host and guest) accept as a type-2 device. It is the *host's* physical function; a guest
 * only ever sees it through vfio-pci and the VMM (the platform's BuildContext.realizeType2 → hw/vmm/vfio-pci.ts).
 *
 * Hardware ({@link buildType2Hardware}): type 0 header with synthetic IDs (vendor 0x1E98 — the
 * CXL consortium's ID, which no real function uses — device 0x0002, class 1200 "processing
 * accelerator", so cxl_pci does not bind), PCIe v2 endpoint at 0x80, [DSN at 0x100], DVSECs:
 * PCIe DVSEC for CXL Devices (Cache, IO and Mem capable, HW-init, HDM_Count 1, Cache WB+I and
 * CXL Reset (with Mem Clr) capable; range 1 = the DPA size, Memory_Info_Valid | Memory_Active;
 * QEMU-10.1 layout adds Capability3 with Volatile HDM Configurability), Register Locator
 * (component registers, BAR 0 offset 0), GPF Device, Flex Bus (cache+IO+mem: 0x27). BAR 0: the
 * 64 KiB component block with HDM (1 decoder unless the topology says otherwise); BAR 4: MSI-X
 * (1 vector). No device registers, no mailbox. DVSEC behaviour (CXL r4.0 §8.1.3): Status bit 14
 * RW1C; Status2 bits 3 and 15 RW1C; Control2's doorbells read 0 — Initiate Cache WB+I sets
 * Status2 Cache Invalid, Initiate CXL Reset runs {@link resetType2Hardware} and sets CXL Reset
 * Complete.
 *
 * Host firmware ({@link commitType2Hdm}): decoder 0 ← base = the device's host HPA, size = DPA
 * size, x1, committed and locked, device-coherent target type; DVSEC Mem_Enable and the global
 * HDM Decoder Enable set — what the vfio-cxl series requires before it binds.
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
import { qemuHas } from '../qemu-compat.ts';
import { BackingStore } from '../regs/backing-store.ts';
import {
  COMPONENT_BLOCK_SIZE,
  createComponentRegisters,
  defaultHdmCaps,
} from '../regs/component.ts';
import { type BuildContext, newFunction, type PciFunctionModel, type Type2Model } from './model.ts';

/** Synthetic IDs of the type-2 model. */
export const TYPE2_IDS = { vendor: 0x1e98, device: 0x0002, revision: 0 } as const;

/**
 * CXL Device DVSEC capability: Cache | IO | Mem capable, Mem HW-init, HDM_Count 1, Cache WB+I
 * capable (6), CXL Reset capable (7), CXL Reset Mem Clr capable (11).
 */
export const TYPE2_DVSEC_CAP = 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x40 | 0x80 | 0x800;
/** Capability3: Volatile HDM Configurability (bit 3). */
export const TYPE2_DVSEC_CAP3 = 0x08;

/** DVSEC offsets used by the hardware behaviour (CXL r4.0 §8.1.3). */
const CTRL = 0x0c;
const STATUS = 0x0e;
const CTRL2 = 0x10;
const STATUS2 = 0x12;
const LOCK = 0x14;

/** Offset of the PCIe DVSEC for CXL Devices in a type-2 function's config space. */
export function type2DvsecOffset(m: Type2Model): number {
  let off = m.fn.config.findExtCapability(0x23);
  while (off && m.fn.config.get16(off + 8) !== 0)
    off = m.fn.config.findExtCapability(0x23, m.fn.config.get32(off) >>> 20);
  return off;
}

/** Builds the physical type-2 function at `devfn` (the host's device). */
export function buildType2Hardware(
  d: Type2Dev,
  ctx: BuildContext,
  devfn: number,
): { model: Type2Model; functions: PciFunctionModel[] } {
  const cs = new PciConfigSpace(false);
  cs.setIds(TYPE2_IDS.vendor, TYPE2_IDS.device, TYPE2_IDS.revision, CLASS.ACCELERATOR);
  cs.set16(PCI.SUBSYSTEM_VENDOR_ID, IDS.SUBSYSTEM.vendor);
  cs.set16(PCI.SUBSYSTEM_ID, IDS.SUBSYSTEM.device);
  const pos = pcieCapInit(cs, 0x80, EXP_TYPE.ENDPOINT, 0);
  if (qemuHas(ctx.qemu, 'pcieLinkSpeedWidth')) pcieFillLink(cs, pos, { speed: 5, width: 16 }, true);
  let dvsecAt = 0x100;
  if (d.serial !== undefined) {
    dsnInit(cs, 0x100, d.serial);
    dvsecAt += 0x0c;
  }
  const dv = new DvsecBuilder(cs, 'type2', dvsecAt);
  const dvsec = dv.cxlDevice(ctx.qemu, {
    cap: TYPE2_DVSEC_CAP,
    ctrl: 0x2,
    status2: 0x2,
    ranges: [d.dpaSize],
  });
  if (qemuHas(ctx.qemu, 'r3Layouts')) cs.set16(dvsec + 0x38, TYPE2_DVSEC_CAP3);
  cs.setW1c16(dvsec + STATUS, 1 << 14);
  cs.setW1c16(dvsec + STATUS2, (1 << 3) | (1 << 15));
  dv.registerLocator([{ bar: 0, blockId: REG_BLOCK.COMPONENT, offset: 0n }]);
  dv.gpfDevice();
  dv.flexBusPort(ctx.qemu, 0x27, 0x27, 0x26);

  const dflt = defaultHdmCaps('type2', ctx.qemu);
  const hdm = d.hdm ?? (dflt ? { ...dflt, decoderCount: 1 } : undefined);
  const component = createComponentRegisters('type2', hdm, {
    qemu: ctx.qemu,
    dpaLimit: d.dpaSize,
    strict: qemuHas(ctx.qemu, 'hdmCommitChecks'),
  });
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
  // Control2 doorbells (self-clearing): WB+I completes at once; CXL Reset resets the device.
  cs.onWrite(
    dvsec + CTRL2,
    dvsec + CTRL2 + 2,
    () => {
      const v = cs.get16(dvsec + CTRL2);
      if (v & 0x2) cs.bits16(dvsec + STATUS2, 0x1);
      if (v & 0x4) {
        resetType2Hardware(model, 'cxl', (v & 0x8) !== 0);
        cs.bits16(dvsec + STATUS2, 0x2);
      }
      cs.set16(dvsec + CTRL2, v & ~0x6);
    },
    undefined,
  );
  return { model, functions: [fn] };
}

/**
 * A hardware reset of the type-2 function: FLR (conventional: DVSEC Control/Control2/Lock
 * back to their reset values) or CXL Reset (CXL.cache/CXL.mem state only). Both reset the HDM
 * decoders (unlocking them) and clear Mem_Enable; `memClear` zeroes the device memory.
 */
export function resetType2Hardware(m: Type2Model, kind: 'flr' | 'cxl', memClear: boolean): void {
  const cs = m.fn.config;
  const dvsec = type2DvsecOffset(m);
  m.component.reset();
  if (dvsec) {
    cs.set16(dvsec + CTRL, (cs.get16(dvsec + CTRL) & ~0x4) | 0x2);
    if (kind === 'flr') {
      cs.set16(dvsec + CTRL, 0x2);
      cs.set16(dvsec + CTRL2, 0);
      cs.set16(dvsec + LOCK, 0);
      cs.set16(dvsec + STATUS2, cs.get16(dvsec + STATUS2) & ~0x7);
    }
  }
  if (memClear) m.memory.fill(0n, m.memory.size, 0);
}

/**
 * Commits and locks HDM decoder 0 of a type-2 device at `base` (host firmware, or the
 * host CXL core restoring it after a reset), and sets DVSEC Mem_Enable.
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
  const dvsec = type2DvsecOffset(m);
  if (dvsec) m.fn.config.set16(dvsec + CTRL, m.fn.config.get16(dvsec + CTRL) | 0x4);
}
