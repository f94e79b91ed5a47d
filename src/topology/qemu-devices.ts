/**
 * DOC: `-device` — creating the CXL devices as QEMU's `qdev_device_add()` does.
 *
 * Order of checks for one device (softmmu/qdev-monitor.c, hw/pci/pci.c, the device's realize):
 * driver name → bus (`bus=NAME` must name an existing bus: "Bus 'NAME' not found"; without it
 * QEMU picks the most recently created pxb-cxl bus, else pcie.0, because `bus_add_child()`
 * inserts at the head) → properties in the order given (version-gated names: "Property
 * 'cxl-type3.volatile-memdev' not found" on 7.2; links to backends/devices: "Device 'X' not
 * found"; integers, booleans, `addr`) → PCI placement ({@link placeOnBus}) → realize:
 * pxb-cxl "PXB devices can be attached only to root bus" / "Bus N is already in use"
 * (hw/pci-bridge/pci_expander_bridge.c), PCIe ports "Can't add chassis slot, error -16",
 * cxl-type3 memory checks (hw/mem/cxl_type3.c `cxl_setup_memory()`, per QEMU version),
 * switch CCI "Target not set". Every error carries the `-device` location.
 *
 * Devices that are not CXL (and vfio-pci functions not below a CXL port) are not modelled:
 * their options are listed as ignored, even when their bus is a CXL bus.
 */
import type { QemuVersion } from '../profile.ts';
import { qemuAtLeast } from '../profile.ts';
import type { Type3Dev } from './model.ts';
import { optionLocation, type QemuOption } from './qemu-args.ts';
import { modelError, QemuError } from './qemu-errors.ts';
import type { Backend, ObjectTable } from './qemu-objects.ts';
import { optGet, parseQemuOpts, type QemuOpts } from './qemu-opts.ts';
import { type BusKind, type PciBus, type PlacedFn, parseDevfn, placeOnBus } from './qemu-pci.ts';
import { hasProperty, looksLikeCxlModel, QEMU_CMDLINE_SINCE } from './qemu-props.ts';
import { qemuStrtou64 } from './qemu-size.ts';

/** The CXL device models cxlsim builds, with the QEMU versions that have them. */
const CXL_DRIVERS = new Set([
  'pxb-cxl',
  'cxl-rp',
  'cxl-upstream',
  'cxl-downstream',
  'cxl-switch-mailbox-cci',
  'cxl-type3',
]);
const VFIO_DRIVERS = new Set(['vfio-pci', 'vfio-pci-nohotplug']);
/** Non-CXL PCI bridges whose secondary bus a CXL device could name (outside the model). */
const FOREIGN_BRIDGES = new Set([
  'pcie-root-port',
  'ioh3420',
  'pci-bridge',
  'pcie-pci-bridge',
  'x3130-upstream',
  'xio3130-downstream',
  'pxb',
  'pxb-pcie',
  'i82801b11-bridge',
]);

/** A created CXL device with its parsed properties. */
export interface DeviceRec extends PlacedFn {
  /** Effective id: id= or a generated "kind#N". */
  id: string;
  option: QemuOption;
  loc: string;
  bus: PciBus<DeviceRec>;
  devfn: number;
  /** The bus this device provides (pxb-cxl, ports, switch upstream port). */
  secondary?: PciBus<DeviceRec>;
  busNr: number;
  port: number;
  chassis?: number;
  slot?: number;
  sn?: bigint;
  hdmForPassthrough?: boolean;
  memdev?: Backend;
  persistentMemdev?: Backend;
  volatileMemdev?: Backend;
  lsa?: Backend;
  /** `volatile-dc-memdev` (QEMU ≥ 9.1): the backend of the dynamic-capacity regions. */
  dcMemdev?: Backend;
  /** `num-dc-regions` (QEMU ≥ 9.1). */
  dcRegions?: number;
  /** `cdat=` file name (read by QEMU at realize). */
  cdat?: string;
  target?: DeviceRec;
  host?: string;
}

/** A `-device` option parsed at argv time. */
export interface ParsedDevice {
  option: QemuOption;
  opts: QemuOpts;
}

/** Everything the device phase knows and builds. */
export interface DeviceState {
  qemu: QemuVersion;
  binary: string;
  objects: ObjectTable;
  root: PciBus<DeviceRec>;
  buses: Map<string, PciBus<DeviceRec>>;
  lastPxbBus?: PciBus<DeviceRec>;
  devices: DeviceRec[];
  byId: Map<string, DeviceRec>;
  /** id → driver of devices that are not modelled. */
  foreign: Map<string, string>;
  chassisSlots: Set<string>;
  /** QEMU's anonymous-device counter (/machine/peripheral-anon/device[N]). */
  anon: number;
  /** cxlsim's own rejections, thrown after QEMU's checks all pass. */
  modelErrors: Error[];
  /** Options of CXL devices outside any CXL hierarchy (accepted by QEMU, not built). */
  outside: string[];
  /** cxl-type3 devices plugged straight into the machine's root bus (built, no CXL port). */
  rootBus: Type3Dev[];
  /** Whether a file the command line names can be read (CDAT files); undefined = not checked. */
  fileExists?: (path: string) => boolean;
}

/**
 * The functions the board puts on `pcie.0` before any `-device` (with `-nodefaults`, as the
 * captures run: lspci-nn.txt of stacks/latest/minimal and latest-arm64): q35's MCH at 00.0 and
 * ICH9 LPC/AHCI/SMBus at 1f.0/1f.2/1f.3 (hw/i386/pc_q35.c), arm virt's GPEX root at 00.0
 * (hw/pci-host/gpex.c). Default VGA/NIC devices (without `-nodefaults`) are not modelled.
 */
function boardFunctions(binary: string): [number, string, boolean][] {
  if (binary.includes('aarch64')) return [[0x00, 'gpex-root', false]];
  return [
    [0x00, 'mch', false],
    [0xf8, 'ICH9-LPC', true],
    [0xfa, 'ich9-ahci', false],
    [0xfb, 'ICH9-SMB', false],
  ];
}

/** A fresh state with the machine's root bus `pcie.0` and the board's own functions on it. */
export function newDeviceState(
  qemu: QemuVersion,
  binary: string,
  objects: ObjectTable,
  rootBus = 'pcie.0',
): DeviceState {
  const root: PciBus<DeviceRec> = { name: rootBus, kind: 'root', fns: new Map() };
  if (rootBus === 'pcie.0')
    for (const [devfn, driver, multifunction] of boardFunctions(binary))
      root.fns.set(devfn, { driver, qemuId: undefined, multifunction } as DeviceRec);
  return {
    qemu,
    binary,
    objects,
    root,
    buses: new Map([[rootBus, root]]),
    devices: [],
    byId: new Map(),
    foreign: new Map(),
    chassisSlots: new Set(),
    anon: 0,
    modelErrors: [],
    outside: [],
    rootBus: [],
  };
}

/**
 * `-device TEXT` at argv time (QemuOpts "device", implied key "driver", ids unique).
 * @throws QemuError "Duplicate ID 'x' for device", "Parameter 'id' expects an identifier".
 */
export function parseDeviceOption(seen: Set<string>, o: QemuOption): ParsedDevice {
  const text = o.arg ?? '';
  let opts: QemuOpts;
  if (text.startsWith('{')) {
    let j: unknown;
    try {
      j = JSON.parse(text);
    } catch (e) {
      throw new QemuError(`JSON parse error, ${(e as Error).message}`);
    }
    const params: [string, string][] = [];
    let id: string | undefined;
    for (const [k, v] of Object.entries(j as object)) {
      const s = typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v);
      if (k === 'id') id = s;
      else params.push([k, s]);
    }
    opts = { id, params };
  } else opts = parseQemuOpts(text, 'driver');
  if (opts.id !== undefined) {
    if (seen.has(opts.id)) throw new QemuError(`Duplicate ID '${opts.id}' for device`);
    seen.add(opts.id);
  }
  return { option: o, opts };
}

const SHORT: Record<string, string> = {
  'pxb-cxl': 'pxb',
  'cxl-rp': 'rp',
  'cxl-upstream': 'usp',
  'cxl-downstream': 'dsp',
  'cxl-switch-mailbox-cci': 'cci',
  'cxl-type3': 'type3',
  'vfio-pci': 'type2',
  'vfio-pci-nohotplug': 'type2',
};

function uintProp(key: string, v: string, max: bigint, type: string): bigint {
  const r = qemuStrtou64(v);
  if (!r.ok) throw new QemuError(`Parameter '${key}' expects integer`);
  if (r.value > max) throw new QemuError(`Parameter '${key}' expects ${type}`);
  return r.value;
}

function boolProp(key: string, v: string): boolean {
  if (['on', 'yes', 'true', 'y'].includes(v)) return true;
  if (['off', 'no', 'false', 'n'].includes(v)) return false;
  throw new QemuError(`Parameter '${key}' expects 'on' or 'off'`);
}

/** Link property to a memory backend (`object_resolve_link()`). */
function backendLink(s: DeviceState, key: string, v: string): Backend {
  const b = s.objects.backends.get(v);
  if (b) return b;
  if (s.objects.ids.has(v) || s.byId.has(v) || s.foreign.has(v))
    throw new QemuError(`Invalid parameter type for '${key}', expected: memory-backend`);
  throw new QemuError(`Device '${v}' not found`);
}

/** Sets the properties in the order given; returns the explicit devfn, if any. */
function setProps(s: DeviceState, d: DeviceRec, opts: QemuOpts): number | undefined {
  let devfn: number | undefined;
  for (const [key, v] of opts.params) {
    if (key === 'driver' || key === 'bus') continue;
    if (!VFIO_DRIVERS.has(d.driver) && !hasProperty(s.qemu, d.driver, key))
      throw new QemuError(`Property '${d.driver}.${key}' not found`);
    if (key === 'addr') devfn = parseDevfn(d.driver, v);
    else if (key === 'multifunction') d.multifunction = boolProp(key, v);
    else if (key === 'bus_nr' && d.driver === 'pxb-cxl')
      d.busNr = Number(uintProp(key, v, 255n, 'uint8_t'));
    else if (key === 'hdm_for_passthrough' && d.driver === 'pxb-cxl')
      d.hdmForPassthrough = boolProp(key, v);
    else if (key === 'port' && d.driver !== 'pxb-cxl')
      d.port = Number(uintProp(key, v, 255n, 'uint8_t'));
    else if (key === 'chassis' && (d.driver === 'cxl-rp' || d.driver === 'cxl-downstream'))
      d.chassis = Number(uintProp(key, v, 255n, 'uint8_t'));
    else if (key === 'slot' && (d.driver === 'cxl-rp' || d.driver === 'cxl-downstream'))
      d.slot = Number(uintProp(key, v, 0xffffn, 'uint16_t'));
    else if (key === 'sn' && (d.driver === 'cxl-type3' || d.driver === 'cxl-upstream'))
      d.sn = uintProp(key, v, (1n << 64n) - 1n, 'uint64');
    else if (d.driver === 'cxl-type3' && key === 'memdev') d.memdev = backendLink(s, key, v);
    else if (d.driver === 'cxl-type3' && key === 'persistent-memdev')
      d.persistentMemdev = backendLink(s, key, v);
    else if (d.driver === 'cxl-type3' && key === 'volatile-memdev')
      d.volatileMemdev = backendLink(s, key, v);
    else if (d.driver === 'cxl-type3' && key === 'lsa') d.lsa = backendLink(s, key, v);
    else if (d.driver === 'cxl-type3' && key === 'volatile-dc-memdev')
      d.dcMemdev = backendLink(s, key, v);
    else if (d.driver === 'cxl-type3' && key === 'num-dc-regions')
      d.dcRegions = Number(uintProp(key, v, 255n, 'uint8_t'));
    else if (key === 'cdat' && (d.driver === 'cxl-type3' || d.driver === 'cxl-upstream'))
      d.cdat = v;
    else if (d.driver === 'cxl-switch-mailbox-cci' && key === 'target') {
      const t = s.byId.get(v);
      if (!t && !s.foreign.has(v) && !s.objects.ids.has(v))
        throw new QemuError(`Device '${v}' not found`);
      if (t?.driver !== 'cxl-upstream')
        throw new QemuError(`Invalid parameter type for 'target', expected: cxl-upstream`);
      d.target = t;
    } else if (key === 'host' && VFIO_DRIVERS.has(d.driver)) d.host = v;
  }
  return devfn;
}

/** Marks a backend consumed by a type-3 device (QEMU ≥ 9.1 refuses a second use). */
function mapBackend(s: DeviceState, b: Backend | undefined): void {
  if (!b) return;
  if (b.mapped && qemuAtLeast(s.qemu, QEMU_CMDLINE_SINCE.backendSingleUse))
    throw new QemuError(`memory backend ${b.id} can't be used multiple times.`);
  b.mapped = true;
  b.usedByCxl = true;
}

/** `cxl_setup_memory()` of the QEMU version in use. */
function type3Memory(s: DeviceState, d: DeviceRec): void {
  if (!hasProperty(s.qemu, 'cxl-type3', 'volatile-memdev')) {
    // 7.2's cxl_setup_memory(): one persistent `memdev` and an `lsa`, both required
    if (!d.memdev) throw new QemuError('memdev property must be set');
    mapBackend(s, d.memdev);
    if (!d.lsa) throw new QemuError('lsa property must be set');
    mapBackend(s, d.lsa);
    return;
  }
  const dc = d.dcRegions ?? 0;
  if (!d.memdev && !d.volatileMemdev && !d.persistentMemdev && dc === 0)
    throw new QemuError('at least one memdev property must be set');
  if (d.memdev && d.persistentMemdev)
    throw new QemuError('[memdev] cannot be used with new [persistent-memdev] property');
  const pmem = d.persistentMemdev ?? d.memdev;
  if (pmem && !d.lsa) throw new QemuError('lsa property must be set for persistent devices');
  mapBackend(s, d.volatileMemdev);
  mapBackend(s, pmem);
  if (dc > 0) {
    if (!d.dcMemdev) throw new QemuError('dynamic capacity must have a backing device');
    mapBackend(s, d.dcMemdev);
  }
  // The label area is not a memory device: QEMU does not check that it is used once (probe p10).
  if (d.lsa) d.lsa.usedByCxl = true;
  if (dc > 0 && d.dcMemdev) dcRegionsCheck(d.dcMemdev.size, dc);
}

/** CXL_CAPACITY_MULTIPLIER: DC regions are multiples of 256 MiB. */
const CAPACITY_MULTIPLIER = 256n << 20n;

/** `cxl_create_dc_regions()`: each region is backend size / count, aligned to 256 MiB. */
function dcRegionsCheck(size: bigint, count: number): void {
  const len = size / BigInt(count);
  if (len * BigInt(count) !== size)
    throw new QemuError(`backend size is not multiple of region len: 0x${len.toString(16)}`, {
      hint: 'setup DC regions failed',
    });
  if (len % CAPACITY_MULTIPLIER !== 0n)
    throw new QemuError(`DC region size is unaligned to 0x${CAPACITY_MULTIPLIER.toString(16)}`, {
      hint: 'setup DC regions failed',
    });
}

/** `ct3_load_cdat()` / `cxl_doe_cdat_init()`: the CDAT file must be readable. */
function cdatFile(s: DeviceState, d: DeviceRec): void {
  if (d.cdat === undefined || !s.fileExists || s.fileExists(d.cdat)) return;
  throw new QemuError(
    `CDAT: File read failed: Failed to open file “${d.cdat}”: No such file or directory`,
  );
}

/** The realize step of each driver, after PCI placement. */
function realize(s: DeviceState, d: DeviceRec): void {
  switch (d.driver) {
    case 'pxb-cxl':
      if (d.bus.kind === 'root' && d.bus.name === 'pci.0')
        throw new QemuError('pxb-cxl devices cannot reside on a PCI bus');
      if (d.bus.kind !== 'root')
        throw new QemuError('PXB devices can be attached only to root bus');
      for (const other of s.devices)
        if (other.driver === 'pxb-cxl' && other.busNr === d.busNr)
          throw new QemuError(`Bus ${d.busNr} is already in use`);
      return;
    case 'cxl-rp':
    case 'cxl-downstream': {
      const key = `${d.chassis ?? 0}:${d.slot ?? 0}`;
      if (s.chassisSlots.has(key)) throw new QemuError("Can't add chassis slot, error -16");
      s.chassisSlots.add(key);
      return;
    }
    case 'cxl-type3':
      type3Memory(s, d);
      cdatFile(s, d);
      return;
    case 'cxl-upstream':
      cdatFile(s, d);
      return;
    case 'cxl-switch-mailbox-cci':
      if (!d.target) throw new QemuError('Target not set');
      return;
  }
}

const SECONDARY: Record<string, BusKind> = {
  'pxb-cxl': 'pxb',
  'cxl-rp': 'rp',
  'cxl-upstream': 'usp',
  'cxl-downstream': 'dsp',
};

/** Resolves `bus=`; undefined means "not modelled" (vfio outside a CXL port). */
function findBus(
  s: DeviceState,
  driver: string,
  name: string | undefined,
  loc: string,
): PciBus<DeviceRec> | undefined {
  const vfio = VFIO_DRIVERS.has(driver);
  if (name === undefined) {
    const b = s.lastPxbBus ?? s.root;
    return vfio && b.kind !== 'rp' && b.kind !== 'dsp' ? undefined : b;
  }
  const b = s.buses.get(name);
  if (b) return vfio && b.kind !== 'rp' && b.kind !== 'dsp' ? undefined : b;
  const fd = s.foreign.get(name);
  if (fd !== undefined && FOREIGN_BRIDGES.has(fd)) {
    if (vfio) return undefined;
    throw modelError(loc, `bus '${name}' is provided by ${fd}, which is not a CXL device`);
  }
  throw new QemuError(`Bus '${name}' not found`);
}

/**
 * Creates one `-device` in command-line order. Returns true when the device is modelled
 * (its option is consumed), false when it is ignored.
 * @throws QemuError with QEMU's text and the option's location.
 */
export function createDevice(s: DeviceState, p: ParsedDevice): boolean {
  const loc = optionLocation(p.option);
  try {
    const driver = optGet(p.opts, 'driver');
    if (driver === undefined) throw new QemuError("Parameter 'driver' is missing");
    if (looksLikeCxlModel(s.qemu, driver))
      throw new QemuError(`'${driver}' is not a valid device model name`);
    const anon = p.opts.id === undefined ? s.anon++ : -1;
    const modelled = CXL_DRIVERS.has(driver) || VFIO_DRIVERS.has(driver);
    const bus = modelled ? findBus(s, driver, optGet(p.opts, 'bus'), loc) : undefined;
    if (!bus) {
      if (p.opts.id !== undefined) s.foreign.set(p.opts.id, driver);
      return false;
    }
    const d: DeviceRec = {
      driver,
      qemuId: p.opts.id,
      id: p.opts.id ?? `${SHORT[driver] ?? driver}#${anon}`,
      option: p.option,
      loc,
      bus,
      devfn: -1,
      multifunction: false,
      busNr: 0,
      port: 0,
    };
    const devfn = setProps(s, d, p.opts);
    d.devfn = placeOnBus(bus, d, devfn);
    realize(s, d);
    s.devices.push(d);
    s.byId.set(d.id, d);
    const kind = SECONDARY[driver];
    if (kind) {
      d.secondary = { name: d.qemuId, kind, owner: d, fns: new Map() };
      if (d.qemuId !== undefined) s.buses.set(d.qemuId, d.secondary);
      if (kind === 'pxb') s.lastPxbBus = d.secondary;
    }
    return true;
  } catch (e) {
    if (e instanceof QemuError && e.option === undefined)
      throw new QemuError(e.message, {
        option: loc,
        binary: s.binary,
        ...(e.hint ? { hint: e.hint } : {}),
      });
    throw e;
  }
}

/**
 * Machine-done checks (hw/cxl/cxl-host.c via pc_machine_done / virt_machine_done): pxb-cxl
 * with `cxl=off`, then every window target must name a pxb-cxl.
 * @throws QemuError without location.
 */
export function machineDone(s: DeviceState, cxl: boolean, windowTargets: string[][]): void {
  const binary = s.binary;
  if (!cxl) {
    if (s.devices.some((d) => d.driver === 'pxb-cxl'))
      throw new QemuError('CXL host bridges present, but cxl=off', { binary });
    return;
  }
  for (const targets of windowTargets)
    for (const t of targets)
      if (s.byId.get(t)?.driver !== 'pxb-cxl' || s.byId.get(t)?.qemuId === undefined)
        throw new QemuError(`Could not resolve CXLFM target ${t}`, { binary });
}
