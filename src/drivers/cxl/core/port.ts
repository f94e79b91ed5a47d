/**
 * DOC: CXL ports and dports (drivers/cxl/core/port.c).
 *
 * A {@link CxlPort} is `rootN` (the ACPI0017 CXL root), `portN` (a host bridge or a switch
 * upstream port) or `endpointN` (a memdev's endpoint); all three share one IDA (cxl_port_ida).
 * `uportDev` is the device that implements the port's upstream side (ACPI0017 platform
 * device for the root, the ACPI0016 host bridge for host-bridge ports in 6.1, the switch
 * upstream port's PCI function, or the memdev for endpoints). A {@link CxlDport} is one
 * downstream port: its `portId` is the host bridge _UID (root) or the PCIe Link Capabilities
 * Port Number (root ports, switch downstream ports) — the number HDM target lists use.
 * `componentBase` is the HPA of the port's component register block (CHBCR or the uport's
 * register-locator BAR), undefined when it has none.
 */

import { deviceReleaseDriver } from '../../../kernel/dd.ts';
import type { Device, KernelContext } from '../../../kernel/device.ts';
import { Device as Dev } from '../../../kernel/device.ts';
import { Ida } from '../../../kernel/ida.ts';
import type { CxlDecoder } from './decoder.ts';
import { memdevOfEndpoint } from './memdev.ts';

/** One IDA per kernel for root/port/endpoint ids. */
export const portIdas = new WeakMap<KernelContext, Ida>();
/** cxl_port_ida of a kernel. */
export function portIda(ctx: KernelContext): Ida {
  let i = portIdas.get(ctx);
  if (!i) {
    i = new Ida();
    portIdas.set(ctx, i);
  }
  return i;
}

/** A downstream port of a CXL port (`struct cxl_dport`). */
export interface CxlDport {
  /** The device behind the dport: ACPI0016 node (root), root port / DSP PCI function. */
  dport: Device;
  /** Target-list id: host bridge _UID, or PCIe port number. */
  portId: number;
  port: CxlPort;
  /** Component registers of the dport itself (root ports / DSPs), HPA. */
  componentBase?: bigint;
}

/** Port kinds. */
export type PortKind = 'root' | 'switch' | 'endpoint';

/** `struct cxl_port`. */
export class CxlPort extends Dev {
  readonly id: number;
  readonly kind: PortKind;
  uportDev: Device;
  /** Dport in the parent port this port hangs below (undefined for root). */
  parentDport: CxlDport | undefined;
  readonly dports: CxlDport[] = [];
  componentBase: bigint | undefined;
  /** Depth: root 0, host bridge 1, … */
  readonly depth: number;
  /** Highest committed decoder id (commit_end), -1 when none. */
  commitEnd = -1;
  /** Endpoints: highest decoder id holding a DPA allocation (hdm_end), -1 when none. */
  hdmEnd = -1;
  /** Decoder id allocator (per-port IDA). */
  readonly decoderIda = new Ida();
  /** HDM decoder capability of this port, once set up (cxl_hdm). */
  hdm: import('./hdm.ts').CxlHdm | undefined;
  /** For host-bridge ports: the ACPI0016 node / PCI host bridge. */
  hostBridge: Device | undefined;

  constructor(
    ctx: KernelContext,
    kind: PortKind,
    parent: Device,
    uportDev: Device,
    parentDport: CxlDport | undefined,
    componentBase: bigint | undefined,
  ) {
    const id = portIda(ctx).alloc();
    const name =
      kind === 'root' ? `root${id}` : kind === 'endpoint' ? `endpoint${id}` : `port${id}`;
    super(ctx, name, parent, 'cxl', 'cxl_port');
    this.id = id;
    this.kind = kind;
    this.uportDev = uportDev;
    this.parentDport = parentDport;
    this.componentBase = componentBase;
    this.depth = parentDport ? parentDport.port.depth + 1 : 0;
  }

  /** Parent CXL port (undefined for root). */
  parentPort(): CxlPort | undefined {
    return this.parentDport?.port;
  }

  /** Decoders of this port in id order. */
  decoders(): CxlDecoder[] {
    return this.children
      .filter((c): c is CxlDecoder => (c as CxlDecoder).isDecoder === true)
      .sort((a, b) => a.id - b.id);
  }

  /** Child ports (switch ports and endpoints) in registration order. */
  childPorts(): CxlPort[] {
    return this.children.filter((c): c is CxlPort => c instanceof CxlPort);
  }

  /** The root port of this hierarchy. */
  root(): CxlPort {
    let p: CxlPort = this;
    while (p.parentDport) p = p.parentDport.port;
    return p;
  }

  /** Dport by its device (find_dport_by_dev). */
  findDportByDev(dev: Device): CxlDport | undefined {
    return this.dports.find((d) => d.dport === dev);
  }

  /** Dport by port id. */
  findDport(portId: number): CxlDport | undefined {
    return this.dports.find((d) => d.portId === portId);
  }

  /** is_cxl_endpoint(). */
  get isEndpoint(): boolean {
    return this.kind === 'endpoint';
  }
  /** is_cxl_root(). */
  get isRoot(): boolean {
    return this.kind === 'root';
  }
}

/** Releases the port id when a port is deleted. */
export function releasePort(port: CxlPort): void {
  portIda(port.ctx).free(port.id);
}

/**
 * unregister_port() / device_unregister(): unbinds the port's driver (cxl_port's devres then
 * takes its decoders, dports and the ports registered below it), detaches an endpoint's memdev
 * from cxl_mem (the memdev loses its endpoint, as delete_endpoint() does), deletes the device and
 * frees its id.
 */
export function unregisterPort(port: CxlPort): void {
  deviceReleaseDriver(port);
  const md = port.isEndpoint ? memdevOfEndpoint(port) : undefined;
  if (md) {
    md.endpoint = undefined;
    md.driver = undefined;
  }
  port.del();
  releasePort(port);
}
