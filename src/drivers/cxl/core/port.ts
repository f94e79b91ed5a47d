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
import { Errno } from '../../../kernel/errno.ts';
import { copiedWeakMap } from '../../../kernel/graph-copy.ts';
import { Ida } from '../../../kernel/ida.ts';
import { env } from '../../env.ts';
import { PciDev } from '../../pci/pci-dev.ts';
import { CXL_REGLOC_RBI_COMPONENT } from '../cxlpci.ts';
import { cxlKver } from '../kver.ts';
import { devmCxlAddPort, findCxlPort, portsOfUport } from './add-port.ts';
import type { CxlDecoder } from './decoder.ts';
import { CxlSwitchDecoder } from './decoder.ts';
import { switchPortDecodersSetup } from './hdm.ts';
import { type CxlMemdev, memdevOfEndpoint } from './memdev.ts';
import { addPciDport } from './pci.ts';
import { cxlFindRegblock } from './regs.ts';

/** One IDA per kernel for root/port/endpoint ids. */
export const portIdas = copiedWeakMap<KernelContext, Ida>();
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

/** The dports of a port without any: one frozen empty list shared by every port and copy. */
export const NO_DPORTS: readonly CxlDport[] = Object.freeze([]);

/** `struct cxl_port`. */
export class CxlPort extends Dev {
  readonly id: number;
  readonly kind: PortKind;
  uportDev: Device;
  /** Dport in the parent port this port hangs below (undefined for root). */
  parentDport: CxlDport | undefined;
  /**
   * Dports in the order added (cxl_port.dports): the shared frozen {@link NO_DPORTS} until the
   * first (devmCxlAddDport(), add-port.ts) — endpoint ports never have one.
   */
  dports: readonly CxlDport[] = NO_DPORTS;
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
  /** port->cdat.table: the CDAT read over DOE at probe (read_cdat_data()), the `CDAT` attribute. */
  cdat: Uint8Array | undefined;

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
    // the endpoint is going here, so cxl_mem's delete_endpoint() action finds nothing to do;
    // releasing the memdev's driver drops that action with the binding
    md.endpoint = undefined;
    deviceReleaseDriver(md);
  }
  port.del();
  releasePort(port);
}

/** The PCI device two levels up: from a memdev or switch uport to the dport above it. */
export const grandparent = (d: Device | undefined) => d?.parent?.parent;

/** The uport's component registers (find_component_registers). */
function findComponentRegisters(uport: Device): bigint | undefined {
  if (!(uport instanceof PciDev)) return undefined;
  try {
    return cxlFindRegblock(uport, CXL_REGLOC_RBI_COMPONENT).base;
  } catch {
    return undefined;
  }
}

/**
 * add_port_attach_ep(): registers the switch port whose uport is `uportDev` below the port
 * that owns the dport above it. Returns 'again' when that parent port does not exist yet.
 * @throws ENXIO reached the root without a CXL root port, or the parent port is disabled
 */
function addPortAttachEp(cxlmd: CxlMemdev, uportDev: Device, dportDev: Device): 'again' | 'added' {
  const dparent = grandparent(dportDev);
  if (!dparent) throw cxlmd.dbgErr('ENXIO', `${dportDev.name} is a root dport`);
  const parent = findPortForDport(cxlmd, dparent);
  if (!parent) return 'again';
  if (!parent.port.driver) {
    cxlmd.warn(
      `port ${parent.port.name}:${parent.port.uportDev.name} disabled, failed to enumerate CXL.mem`,
    );
    throw cxlmd.err('ENXIO', `port ${parent.port.name} disabled`);
  }
  let found = findPortForDport(cxlmd, dportDev);
  if (!found) {
    devmCxlAddPort(uportDev, uportDev, findComponentRegisters(uportDev), parent.dport, 'switch');
    found = findPortForDport(cxlmd, dportDev);
  }
  if (!found) throw cxlmd.err('ENXIO', `failed to add port for ${uportDev.name}`);
  cxlmd.dbg(`add to new port ${found.port.name}:${found.port.uportDev.name}`);
  return 'added';
}

/**
 * devm_cxl_enumerate_ports(): ensures every port between the memdev and the CXL root exists.
 * @throws ENXIO when the hierarchy does not reach a CXL root
 */
export function devmCxlEnumeratePorts(cxlmd: CxlMemdev): void {
  for (let pass = 0; pass < 64; pass++) {
    let restart = false;
    for (let iter: Device | undefined = cxlmd; iter; iter = grandparent(iter)) {
      const dportDev = grandparent(iter);
      if (!dportDev) return;
      const uportDev = dportDev.parent;
      if (!uportDev) {
        // a function on a root bus (e.g. a cxl-type3 on pcie.0): the pciSSSS:BB device has
        // no parent, so no CXL port can be above it
        cxlmd.warn(`at ${iter.name} no parent for dport: ${dportDev.name}`);
        throw new Errno('ENXIO', `no parent for dport ${dportDev.name}`, cxlmd.name);
      }
      cxlmd.dbg(`scan: iter: ${iter.name} dport_dev: ${dportDev.name} parent: ${uportDev.name}`);
      const found = findPortForDport(cxlmd, dportDev);
      if (found) {
        cxlmd.dbg(`found already registered port ${found.port.name}:${found.port.uportDev.name}`);
        if (found.port.parentPort()?.isRoot) return;
        continue;
      }
      const r = addPortAttachEp(cxlmd, uportDev, dportDev);
      if (r === 'again') continue;
      restart = true;
      break;
    }
    if (!restart) return;
  }
}

/** True when an endpoint port is registered anywhere below `port`. */
function hasEndpointBelow(port: CxlPort): boolean {
  return port.children.some((c) => c instanceof CxlPort && (c.isEndpoint || hasEndpointBelow(c)));
}

/**
 * cxl_detach_ep() (core/port.c), run when cxl_mem lets go of a memdev whose endpoint was below
 * `parent`: walking up from that port, a switch port (one whose parent is not the CXL root) left
 * without any endpoint below it, under a parent that is still bound, is garbage collected
 * ("delete portN") with everything registered below it; host-bridge ports stay.
 */
export function cxlDetachEp(cxlmd: CxlMemdev, parent: CxlPort | undefined): void {
  for (let port = parent; port && !port.isRoot; ) {
    const up = port.parentPort();
    if (!up || up.isRoot || !up.driver || !port.registered || hasEndpointBelow(port)) return;
    cxlmd.dbg(`delete ${port.name}`);
    unregisterPort(port);
    port = up;
  }
}

/**
 * find_cxl_port() as cxl_mem's walk sees it: the port that owns `dportDev` as a dport. From
 * {@link CXL_KVER.lazyDports} (6.18) a switch or host-bridge port lists a dport only once an
 * endpoint below it attaches, so when no port owns `dportDev` yet the walk finds the port by its
 * uport (`dportDev`'s parent) and adds the dport there (cxl_port_add_dport()). Only a bound
 * port qualifies (an unbound one released its dports; the walk then registers a new port, as
 * it does on older kernels).
 * @throws decoder setup errors of cxl_port_add_dport()
 */
function findPortForDport(
  cxlmd: CxlMemdev,
  dportDev: Device,
): { port: CxlPort; dport: CxlDport } | undefined {
  const kernel = env(cxlmd).kernel;
  const found = findCxlPort(kernel, dportDev);
  if (found || !cxlKver(cxlmd, 'lazyDports')) return found;
  const uport = dportDev.parent;
  const port = uport
    ? portsOfUport(uport).find(
        (d) =>
          d.ctx === kernel && d.registered && d.driver !== undefined && !d.isEndpoint && !d.isRoot,
      )
    : undefined;
  if (!port) return undefined;
  return { port, dport: cxlPortAddDport(port, dportDev) };
}

/**
 * cxl_port_add_dport() (6.18+, {@link CXL_KVER.lazyDports}): called while cxl_mem enumerates
 * the ports above a memdev, adds `dportDev` to `port` unless it is there already; the first
 * dport of a port sets up its decoders ("first dport%d:%s added with decoders").
 * @throws ENXIO the port has no driver; decoder setup errors
 */
export function cxlPortAddDport(port: CxlPort, dportDev: Device): CxlDport {
  const have = port.findDportByDev(dportDev);
  if (have) return have;
  if (!port.driver) throw port.err('ENXIO', `${port.name} not enabled`);
  if (!(dportDev instanceof PciDev)) throw port.err('ENXIO', `${dportDev.name} is not a PCI port`);
  const first = port.decoders().length === 0;
  const dport = addPciDport(port, dportDev);
  if (first) {
    switchPortDecodersSetup(port, 1);
    port.dbg(`first dport${dport.portId}:${dportDev.name} added with decoders`);
  } else {
    cxlPortUpdateDecoderTargets(port, dport);
    port.dbg(`dport${dport.portId}:${dportDev.name} added`);
  }
  return dport;
}

/**
 * cxl_port_update_decoder_targets() (6.18+): a dport added after the port's decoders were set
 * up fills the slots (within `ways`) of every switch decoder whose target map names its id.
 */
function cxlPortUpdateDecoderTargets(port: CxlPort, dport: CxlDport): void {
  for (const d of port.decoders()) {
    if (!(d instanceof CxlSwitchDecoder)) continue;
    for (let i = 0; i < d.interleaveWays; i++)
      if (!d.targets[i] && d.targetMap[i] === dport.portId) d.targets[i] = dport;
  }
}
