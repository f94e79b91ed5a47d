/**
 * DOC: the emulated platform — Topology + Profile → what QEMU and its firmware present.
 *
 * buildPlatform() runs the steps in QEMU's order: place the CXL host register blocks and the
 * fixed memory windows (placement.ts), realize the devices (dev/*: config spaces, component and
 * device registers, CDAT), commit the topology's firmware decoders, run the firmware's PCI
 * initialisation (pci/firmware.ts: bus numbers, BARs, decode enables), program firmware-committed
 * type-2 decoders at their window (the VMM's machine_done step), build the CEDT (CHBS in QOM
 * walk order, CFMWS in window order, CXIMS) and the ACPI namespace, and expose it all through
 * the four doors of bus/index.ts. Guest drivers receive `platform.bus` and nothing else.
 */
import type { AcpiNode, HostBus, IrqBus } from '../bus/index.ts';
import { rebuildable } from '../kernel/graph-copy.ts';
import type { Profile } from '../profile.ts';
import type { Topology } from '../topology/model.ts';
import { machineCpu } from '../topology/qemu-cpu.ts';
import {
  buildCedt,
  type CedtEntry,
  CHBS_LENGTH_CXL20,
  CHBS_VERSION_CXL20,
  granularityToEig,
  qemuCedtHeader,
  waysToEiw,
} from './acpi/cedt.ts';
import { acpiNamespace, chbsOrder, childListOrder } from './acpi/namespace.ts';
import {
  CXL_TEST_EVENT_CNT_MAX,
  CXL_TEST_FW_REVISION,
  cxlTestEventTrigger,
} from './dev/cxl-test-mock.ts';
import { cxlTestFwState, mockFwBufChecksum } from './dev/cxl-test-mock-fw.ts';
import { buildHostBridge } from './dev/host-bridge.ts';
import {
  type BuildContext,
  functionName,
  type HostBridgeModel,
  type PciFunctionModel,
} from './dev/model.ts';
import { buildRootBus } from './dev/root-bus.ts';
import { MemoryRouter, type RouteResult } from './memory/route.ts';
import { createConfigBus } from './pci/config-bus.ts';
import { type FirmwareRange, runPciFirmware } from './pci/firmware.ts';
import { MmioMap } from './pci/mmio-bus.ts';
import { type MemoryMap, type PlacedWindow, placeMemoryMap } from './placement.ts';
import { bgDeadlineNs, bgTick } from './regs/mailbox/background.ts';
import type { MemDevState } from './regs/memdev-state.ts';
import { deviceAdd, type HotplugResult } from './vmm/hotplug.ts';
import {
  allVfio,
  placeVfio,
  realizeVfioType2,
  type VfioType2,
  type VmmOptions,
} from './vmm/index.ts';

export type { PciFunctionModel } from './dev/model.ts';
export type { PlacedWindow } from './placement.ts';

/** The emulated machine's hardware. */
export interface Platform {
  /** The only thing guest drivers get. */
  readonly bus: HostBus;
  readonly topology: Topology;
  readonly profile: Profile;
  /** CFMWS as placed, in window-index order. */
  readonly windows: PlacedWindow[];
  /** The bytes served as table 'CEDT' (after the mutateCedt hook). */
  readonly cedt: Uint8Array;
  /** Inspection for tests / CLI (never used by drivers): functions by BDF name '0000:0d:00.0'. */
  functions(): Map<string, PciFunctionModel>;
  /** Inspection: the host bridge models (tree of devices, component registers, memory). */
  readonly hostBridges: readonly HostBridgeModel[];
  /** Inspection: HPA layout (CHBCR bases, windows). */
  readonly memoryMap: MemoryMap;
  /** Inspection: MMIO ranges the firmware gave each host bridge. */
  readonly firmware: readonly FirmwareRange[];
  /** The path an HPA takes through windows and decoders (`cxlsim translate`). */
  routeHpa(hpa: bigint): RouteResult;
  /** Inspection: the MMIO address map. */
  readonly mmio: MmioMap;
  /** Inspection: the passed-through CXL type-2 functions (host side, vfio, guest view). */
  vfio(): VfioType2[];
  /**
   * QEMU `device_add` of a vfio-pci function (hw/vmm/hotplug.ts); the guest's pciehp side is
   * the caller's. @throws QemuError / Errno, leaving the platform unchanged
   */
  deviceAdd(text: string): HotplugResult;
}

/** Optional hooks (tests). */
export interface PlatformHooks {
  /** Rewrites the CEDT bytes before the guest sees them. */
  mutateCedt?: (bytes: Uint8Array) => Uint8Array;
  /** The VMM's vfio-cxl options (placement mode, host-device descriptions). */
  vmm?: VmmOptions;
}

function allFunctions(hbs: readonly HostBridgeModel[]): PciFunctionModel[] {
  const out: PciFunctionModel[] = [];
  const walk = (fns: readonly PciFunctionModel[]) => {
    for (const f of fns) {
      out.push(f);
      walk(f.children);
    }
  };
  for (const hb of hbs) walk(hb.rootPorts.map((rp) => rp.fn));
  return out;
}

/**
 * The machine's virtual clock (QEMU_CLOCK_VIRTUAL): host monotonic time since boot plus
 * whatever the guest waited (bus.delay), in ns.
 */
class GuestClock {
  private readonly t0 = process.hrtime.bigint();
  private waited = 0n;
  /** ns since boot. */
  now(): bigint {
    return process.hrtime.bigint() - this.t0 + this.waited;
  }
  /** The guest waited `ms` milliseconds (msleep()). */
  advance(ms: number): void {
    this.waited += BigInt(Math.max(0, Math.round(ms))) * 1_000_000n;
  }
}

/** `clock.now` as a device's clock function (made again in a copy of the machine). */
function clockOf(clock: GuestClock): () => bigint {
  return () => clock.now();
}

/** `clock.advance` as bus.delay. */
function delayOf(clock: GuestClock): (ms: number) => void {
  return (ms) => clock.advance(ms);
}

/**
 * The function at (segment, bus, devfn) among `fns`, through an index rebuilt when a lookup
 * misses or finds a function whose bus number has since changed (bus numbers are the
 * registers' current ones).
 */
class FunctionLookup {
  private index = new Map<number, PciFunctionModel>();
  private readonly fns: readonly PciFunctionModel[];
  constructor(fns: readonly PciFunctionModel[]) {
    this.fns = fns;
  }
  /** The function at (segment, bus, devfn), if any. */
  at(segment: number, busNr: number, devfn: number): PciFunctionModel | undefined {
    const k = (segment * 256 + busNr) * 256 + devfn;
    const hit = this.index.get(k);
    if (hit && hit.segment === segment && hit.bus === busNr && hit.devfn === devfn) return hit;
    this.index = new Map();
    for (const f of this.fns) {
      const fk = (f.segment * 256 + f.bus) * 256 + f.devfn;
      if (!this.index.has(fk)) this.index.set(fk, f);
    }
    return this.index.get(k);
  }
}

/** A requested vector (the kernel's struct irqaction reduced): its handler and `dev_id`. */
interface IrqAction {
  handler: (arg: unknown) => void;
  arg: unknown;
}

/**
 * Type-3 devices' MSI-X vectors delivered to the handlers the guest requested (by function,
 * found by segment/bus/devfn at request time).
 */
class IrqRouter implements IrqBus {
  private readonly handlers = new Map<PciFunctionModel, Map<number, IrqAction>>();
  private readonly lookup: FunctionLookup;
  constructor(fns: readonly PciFunctionModel[]) {
    this.lookup = new FunctionLookup(fns);
  }
  request(
    segment: number,
    busNr: number,
    devfn: number,
    vector: number,
    handler: (arg: never) => void,
    arg: unknown,
  ): void {
    const fn = this.lookup.at(segment, busNr, devfn);
    if (!fn) return;
    let m = this.handlers.get(fn);
    if (!m) {
      m = new Map();
      this.handlers.set(fn, m);
    }
    // one action per (handler, arg) of a function: the event logs' vectors share theirs
    for (const a of m.values())
      if (a.handler === handler && a.arg === arg) {
        m.set(vector, a);
        return;
      }
    m.set(vector, { handler: handler as (arg: unknown) => void, arg });
  }
  /** Delivers MSI-X `vector` of `fn` to its handler, if one was requested. */
  deliver(fn: PciFunctionModel, vector: number): void {
    const a = this.handlers.get(fn)?.get(vector);
    a?.handler(a.arg);
  }
}

/** Type-3 devices on the machine clock, their MSI-X vectors through an {@link IrqRouter}. */
function wireType3(fns: PciFunctionModel[], clock: GuestClock): IrqBus {
  const irqs = new IrqRouter(fns);
  for (const fn of fns) {
    if (fn.device.kind !== 'type3') continue;
    const state = fn.device.state;
    state.clock = clock;
    state.msixSink = irqs;
    state.msixSource = fn;
  }
  return irqs;
}

/**
 * The type-3 devices' background-command timers (QEMU bg_timercb() on QEMU_CLOCK_VIRTUAL) as
 * bus.timers: the earliest completion deadline, and completing (with the mailbox MSI-X) every
 * command whose deadline the clock has reached.
 */
class DeviceTimers {
  private readonly states: MemDevState[];
  constructor(fns: readonly PciFunctionModel[]) {
    this.states = [];
    for (const fn of fns) if (fn.device.kind === 'type3') this.states.push(fn.device.state);
  }
  next(): bigint | undefined {
    let t: bigint | undefined;
    for (const s of this.states) {
      const d = bgDeadlineNs(s);
      if (d !== undefined && (t === undefined || d < t)) t = d;
    }
    return t;
  }
  run(): void {
    for (const s of this.states) if (s.ras.bg.runtime > 0) bgTick(s);
  }
}

/** The cxl_test mock's hooks over the type-3 functions (bus.mock). */
class CxlTestMock {
  private readonly lookup: FunctionLookup;
  private readonly bridges: readonly HostBridgeModel[];
  constructor(fns: PciFunctionModel[], bridges: readonly HostBridgeModel[]) {
    this.bridges = bridges;
    for (const fn of fns)
      if (fn.device.kind === 'type3') {
        fn.device.state.ras.eventLogCapacity = CXL_TEST_EVENT_CNT_MAX;
        fn.device.state.ras.fw = cxlTestFwState();
        fn.device.state.ras.mockSanitizeMs = 0;
        // mem.c mock_id(): Identify's firmware revision
        fn.device.state.fwRevision = CXL_TEST_FW_REVISION;
      }
    this.lookup = new FunctionLookup(fns);
  }
  eventTrigger(segment: number, busNr: number, devfn: number): boolean {
    const fn = this.lookup.at(segment, busNr, devfn);
    if (fn?.device.kind !== 'type3') return false;
    cxlTestEventTrigger(fn.device.state);
    return true;
  }
  /** The topology gives each mock device its platform name as its id. */
  deviceName(segment: number, busNr: number, devfn: number): string | undefined {
    return this.lookup.at(segment, busNr, devfn)?.id;
  }
  hostBridge(
    segment: number,
    busNr: number,
  ): { name: string; selfLink: 'physical_node' | 'firmware_node' } | undefined {
    const hb = this.bridges.find((b) => b.segment === segment && b.busNr === busNr);
    if (!hb) return undefined;
    return { name: hb.id, selfLink: hb.topo.rch ? 'firmware_node' : 'physical_node' };
  }
  fwBufChecksum(segment: number, busNr: number, devfn: number): string | undefined {
    const fn = this.lookup.at(segment, busNr, devfn);
    return fn?.device.kind === 'type3' ? mockFwBufChecksum(fn.device.state.ras.fw) : undefined;
  }
  sanitizeTimeout(segment: number, busNr: number, devfn: number, ms?: number): number | undefined {
    const fn = this.lookup.at(segment, busNr, devfn);
    if (fn?.device.kind !== 'type3') return undefined;
    if (ms !== undefined) fn.device.state.ras.mockSanitizeMs = ms;
    return fn.device.state.ras.mockSanitizeMs;
  }
}

/** The firmware tables the guest reads (bus.acpi). */
class AcpiTables {
  private readonly cedt: Uint8Array;
  private readonly hasCxl: boolean;
  private readonly namespace: AcpiNode[];
  constructor(cedt: Uint8Array, hasCxl: boolean, namespace: AcpiNode[]) {
    this.cedt = cedt;
    this.hasCxl = hasCxl;
    this.namespace = namespace;
  }
  table(sig: string): Uint8Array | undefined {
    return sig === 'CEDT' && this.hasCxl ? this.cedt.slice() : undefined;
  }
  devices(): AcpiNode[] {
    return this.namespace;
  }
}

/** The CEDT subtables: CHBS (QOM walk order), CFMWS (window order), CXIMS. */
function cedtEntries(t: Topology, map: MemoryMap, hbs: readonly HostBridgeModel[]): CedtEntry[] {
  const byId = new Map(hbs.map((hb) => [hb.id, hb]));
  const entries: CedtEntry[] = [];
  for (const hb of chbsOrder(t)) {
    const m = byId.get(hb.id);
    if (m)
      entries.push({
        type: 'chbs',
        uid: m.uid,
        // A restricted (CXL 1.1) host bridge advertises an 8 KiB RCRB instead of a CHBCR.
        cxlVersion: hb.rch ? 0 : CHBS_VERSION_CXL20,
        base: m.chbcrBase,
        length: hb.rch ? 0x2000n : CHBS_LENGTH_CXL20,
      });
  }
  for (const w of map.windows) {
    entries.push({
      type: 'cfmws',
      base: w.base,
      size: w.size,
      eniw: waysToEiw(w.ways) ?? 0,
      arithmetic: w.arithmetic === 'xor' ? 1 : 0,
      hbig: granularityToEig(w.granularity) ?? 0,
      restrictions: w.restrictions,
      qtgId: w.qtgId,
      targets: w.targets,
    });
  }
  for (const c of t.cxims)
    entries.push({
      type: 'cxims',
      hbig: granularityToEig(c.granularity) ?? 0,
      xormaps: [...c.xormaps],
    });
  return entries;
}

/**
 * Builds the platform QEMU (`profile.qemu`) and its firmware would present for `t`.
 * @throws EINVAL for what QEMU or the VMM would refuse (placement, device placement, commits)
 */
export function buildPlatform(t: Topology, p: Profile, hooks: PlatformHooks = {}): Platform {
  const memoryMap = placeMemoryMap(t, p);
  const vmm = hooks.vmm ?? {};
  const realizeType2: BuildContext['realizeType2'] = (d, ctx, devfn) =>
    realizeVfioType2(d, ctx, devfn, vmm);
  const hostBridges = t.hostBridges.map((hb) =>
    buildHostBridge(hb, p.qemu, memoryMap.chbcr.get(hb.id) ?? 0n, realizeType2),
  );
  const rootBus = buildRootBus(t, p.qemu);
  const windowsEnd = memoryMap.windows.reduce(
    (e, w) => (w.base + w.size > e ? w.base + w.size : e),
    memoryMap.hostRegBase + (1n << 20n),
  );
  // QEMU's root-bus child list (reverse creation order): config routing and firmware walk
  const byId = new Map(hostBridges.map((hb) => [hb.id, hb]));
  const childOrder = childListOrder(t).flatMap((hb) => {
    const m = byId.get(hb.id);
    return m ? [m] : [];
  });
  const routed = childOrder.length === hostBridges.length ? childOrder : hostBridges;
  const firmware = runPciFirmware(
    hostBridges,
    t.machine.type,
    (windowsEnd + (1n << 30n) - 1n) & ~((1n << 30n) - 1n),
    routed,
    rootBus.functions,
  );
  placeVfio(hostBridges, memoryMap.windows, vmm, t.machine.type);

  const rawCedt = buildCedt({
    header: qemuCedtHeader(),
    entries: cedtEntries(t, memoryMap, hostBridges),
  });
  const cedt = hooks.mutateCedt ? hooks.mutateCedt(rawCedt.slice()) : rawCedt;
  const namespace: AcpiNode[] = acpiNamespace(t);

  const mmio = new MmioMap();
  for (const hb of hostBridges) mmio.addFixed(hb.chbcrBase, hb.component, `CHBCR ${hb.id}`);
  const fns = [...rootBus.functions, ...allFunctions(hostBridges)];
  for (const fn of fns) {
    mmio.addFunction(fn);
    // every device is realized: equal masks share one buffer (copy-on-write)
    fn.config.shareMasks();
  }
  const router = new MemoryRouter(memoryMap.windows, hostBridges, t.cxims);
  const hasCxl = t.machine.cxl || t.mock === true;

  const clock = new GuestClock();
  const irqs = wireType3(fns, clock);
  const mock = t.mock === true ? new CxlTestMock(fns, hostBridges) : undefined;
  const bus: HostBus = {
    acpi: new AcpiTables(cedt, hasCxl, namespace),
    pci: createConfigBus(routed, rootBus.functions),
    mmio,
    mem: router,
    cpu: {
      arch: t.machine.type === 'virt' ? 'arm64' : 'x86',
      hypervisor: machineCpu(t.machine).hypervisor,
    },
    irq: irqs,
    delay: rebuildable(delayOf, clock),
    now: rebuildable(clockOf, clock),
    timers: new DeviceTimers(fns),
    ...(mock ? { mock } : {}),
  };
  return new HwPlatform(
    bus,
    t,
    p,
    memoryMap,
    cedt,
    hostBridges,
    firmware,
    mmio,
    router,
    vmm,
    rootBus.functions,
  );
}

/** The emulated machine's hardware (see {@link Platform}). */
class HwPlatform implements Platform {
  readonly windows: PlacedWindow[];
  readonly bus: HostBus;
  readonly topology: Topology;
  readonly profile: Profile;
  readonly memoryMap: MemoryMap;
  readonly cedt: Uint8Array;
  readonly hostBridges: readonly HostBridgeModel[];
  readonly firmware: readonly FirmwareRange[];
  readonly mmio: MmioMap;
  private readonly router: MemoryRouter;
  private readonly vmm: VmmOptions;
  /** Functions on the root bus itself (type-3 devices on pcie.0). */
  private readonly rootFunctions: readonly PciFunctionModel[];
  constructor(
    bus: HostBus,
    topology: Topology,
    profile: Profile,
    memoryMap: MemoryMap,
    cedt: Uint8Array,
    hostBridges: readonly HostBridgeModel[],
    firmware: readonly FirmwareRange[],
    mmio: MmioMap,
    router: MemoryRouter,
    vmm: VmmOptions,
    rootFunctions: readonly PciFunctionModel[],
  ) {
    this.bus = bus;
    this.topology = topology;
    this.profile = profile;
    this.memoryMap = memoryMap;
    this.windows = memoryMap.windows;
    this.cedt = cedt;
    this.hostBridges = hostBridges;
    this.firmware = firmware;
    this.mmio = mmio;
    this.router = router;
    this.vmm = vmm;
    this.rootFunctions = rootFunctions;
  }
  routeHpa(hpa: bigint): RouteResult {
    return this.router.route(hpa);
  }
  functions(): Map<string, PciFunctionModel> {
    return new Map(
      [...this.rootFunctions, ...allFunctions(this.hostBridges)].map((f) => [functionName(f), f]),
    );
  }
  vfio(): VfioType2[] {
    return allVfio(this.hostBridges);
  }
  deviceAdd(text: string): HotplugResult {
    return deviceAdd(
      {
        hostBridges: this.hostBridges,
        windows: this.memoryMap.windows,
        mmio: this.mmio,
        pci: this.bus.pci,
        vmm: this.vmm,
        machine: this.topology.machine.type,
        qemu: this.profile.qemu,
      },
      text,
    );
  }
}
