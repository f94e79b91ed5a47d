/**
 * DOC: the emulated device tree behind the platform — what QEMU's qdev tree holds for CXL.
 *
 * One model object per QEMU device: a host bridge (pxb-cxl, no PCI function of its own here),
 * root ports, switches (upstream port + downstream ports + optional mailbox CCI function),
 * type-3 and type-2 endpoints. Each PCI function is a {@link PciFunctionModel}: its
 * configuration space, its BARs' register blocks and, for bridges, the functions on its
 * secondary bus. The data path (memory/route.ts) walks the tree by port number through the
 * component registers' HDM decoders, as QEMU's cxl_cfmws_find_device() does.
 */
import { pciName } from '../../bus/index.ts';
import type { QemuVersion } from '../../profile.ts';
import type { HostBridge, RootPort, SwitchDev, Type2Dev, Type3Dev } from '../../topology/model.ts';
import type { MmioRegion } from '../mmio-region.ts';
import type { PciConfigSpace } from '../pci/config-space.ts';
import type { BackingStore } from '../regs/backing-store.ts';
import type { ComponentRegisters } from '../regs/component.ts';
import type { DeviceRegisters } from '../regs/device.ts';
import type { MemDevState } from '../regs/memdev-state.ts';

/** What kind of PCI function a model is. */
export type FunctionKind = 'root-port' | 'usp' | 'dsp' | 'switch-cci' | 'type3' | 'type2';

/** A register block behind a BAR. */
export interface BarRegion {
  index: number;
  region: MmioRegion;
}

/** One emulated PCI function. */
export interface PciFunctionModel {
  /** QEMU id of the device (the switch id for its upstream port, '<switch>.cci' for its CCI). */
  readonly id: string;
  readonly kind: FunctionKind;
  readonly config: PciConfigSpace;
  readonly segment: number;
  /** Bus number as assigned by the firmware (the pxb bus_nr for root ports). */
  bus: number;
  /** slot << 3 | function. */
  readonly devfn: number;
  readonly bars: BarRegion[];
  /** Functions on the secondary bus (bridges only), in devfn order. */
  readonly children: PciFunctionModel[];
  /** The device this function belongs to. */
  readonly device: DeviceModel;
}

/** "SSSS:BB:DD.F" of a function with its current bus number. */
export function functionName(fn: PciFunctionModel): string {
  return pciName(fn.segment, fn.bus, fn.devfn);
}

/** A pxb-cxl host bridge: its CHBCR component registers and root ports. */
export interface HostBridgeModel {
  readonly kind: 'host-bridge';
  readonly topo: HostBridge;
  readonly id: string;
  readonly uid: number;
  readonly segment: number;
  readonly busNr: number;
  /** HPA of the 64 KiB CHBCR block (what the CHBS advertises). */
  readonly chbcrBase: bigint;
  readonly component: ComponentRegisters;
  readonly rootPorts: RootPortModel[];
}

/** A cxl-rp root port. */
export interface RootPortModel {
  readonly kind: 'root-port';
  readonly topo: RootPort;
  readonly fn: PciFunctionModel;
  /** PCIe port number (Link Capabilities), the dport id. */
  readonly port: number;
  readonly component: ComponentRegisters;
  readonly child: BelowPortModel | undefined;
}

/** A cxl-downstream switch port. */
export interface DspModel {
  readonly kind: 'dsp';
  readonly fn: PciFunctionModel;
  readonly port: number;
  readonly component: ComponentRegisters;
  readonly child: BelowPortModel | undefined;
}

/** A switch: cxl-upstream + its cxl-downstream ports (+ cxl-switch-mailbox-cci). */
export interface SwitchModel {
  readonly kind: 'switch';
  readonly topo: SwitchDev;
  readonly usp: PciFunctionModel;
  readonly component: ComponentRegisters;
  readonly dsps: DspModel[];
  readonly cci: PciFunctionModel | undefined;
}

/** A cxl-type3 memory expander. */
export interface Type3Model {
  readonly kind: 'type3';
  readonly topo: Type3Dev;
  readonly fn: PciFunctionModel;
  readonly component: ComponentRegisters;
  readonly deviceRegs: DeviceRegisters;
  readonly state: MemDevState;
  /** CDAT structures (without the header) the DOE serves. */
  readonly cdat: readonly Uint8Array[];
}

/** A type-2 accelerator (vfio-cxl passthrough or a topology-file device). */
export interface Type2Model {
  readonly kind: 'type2';
  readonly topo: Type2Dev;
  readonly fn: PciFunctionModel;
  readonly component: ComponentRegisters;
  /** Device-attached memory, DPA-addressed. */
  readonly memory: BackingStore;
}

/** What can sit below a root port or downstream port. */
export type BelowPortModel = SwitchModel | Type3Model | Type2Model;

/** Any device model a PCI function can belong to. */
export type DeviceModel = RootPortModel | DspModel | SwitchModel | Type3Model | Type2Model;

/** Context shared by the device builders. */
export interface BuildContext {
  qemu: QemuVersion;
  segment: number;
  /**
   * How a type-2 function of the topology is put on the guest's bus: the VMM's realization
   * (vfio-pci over the host's vfio-cxl, hw/vmm), passed in by the platform so that device
   * builders do not reach into the VMM. Without it the physical device itself is built.
   */
  realizeType2?: (
    d: Type2Dev,
    ctx: BuildContext,
    devfn: number,
  ) => { model: Type2Model; functions: PciFunctionModel[] };
}

/** A function record while it is being built: its device is attached once the model exists. */
export type MutableFunction = PciFunctionModel & {
  device: DeviceModel;
  children: PciFunctionModel[];
};

/**
 * A function record; `device` is a placeholder until the builder attaches the model (the two
 * reference each other), which every builder does before returning.
 */
export function newFunction(
  init: Omit<PciFunctionModel, 'children' | 'bus' | 'device'> & { bus?: number },
): MutableFunction {
  return { ...init, bus: init.bus ?? 0, children: [], device: undefined as unknown as DeviceModel };
}
