/**
 * DOC: what the firmware (SeaBIOS on q35, EDK2/AAVMF on arm virt) does to the CXL hierarchy
 * before the OS: bus numbers, BARs, bridge windows and decode enables — through ordinary
 * configuration writes, so the guest finds exactly what a firmware left behind.
 *
 * Bus numbers (SeaBIOS pci_bios_init_bus_rec()): below each pxb-cxl root bus, depth first in
 * devfn order, each bridge gets primary = its bus, secondary = the next free number and, after
 * its subtree, subordinate = the last number used (interleave capture: pxb 0x0c → 0c:00.0
 * secondary 0d, USP 0d:00.0 → 0e, DSPs 0e:00.0 → 0f and 0e:01.0 → 10; 0c:01.0 → 11).
 *
 * Memory (cxlsim's choice — any non-overlapping assignment is what a guest accepts; the
 * captures' SeaBIOS addresses are not reproduced): each host bridge gets one 32-bit
 * non-prefetchable range, allocated in bus-number order from 0xc0000000 (q35: above the
 * MMCONFIG window) or 0x10000000 (virt: VIRT_PCIE_MMIO). Inside it, on every bus, BARs (aligned
 * to their size) and child bridge windows (1 MiB granules) are packed largest alignment
 * first; a bridge's memory window covers exactly its children, prefetchable and I/O windows are
 * left disabled (base > limit). Command gets I/O | Memory | SERR# (whatever the write mask
 * keeps; on virt only bridges, see enableAll()), bridges SERR# enable in Bridge Control, functions
 * with an INTx pin interrupt line 10 (virt: every function 0xff, as EDK2 leaves it).
 */
import type { MachineType } from '../../topology/model.ts';
import type { HostBridgeModel, PciFunctionModel } from '../dev/model.ts';
import { busFunctions } from './config-bus.ts';
import { CLASS, COMMAND, PCI } from './regs.ts';

const MiB = 1n << 20n;

function roundUp(v: bigint, a: bigint): bigint {
  return ((v + a - 1n) / a) * a;
}

function isBridge(fn: PciFunctionModel): boolean {
  return (fn.config.get8(PCI.HEADER_TYPE) & 0x7f) === 1;
}

/** Depth-first bus numbering below one root bus; `next.n` ends as the last number used. */
export function assignBusNumbers(
  functions: PciFunctionModel[],
  bus: number,
  next: { n: number },
): void {
  const inOrder = functions.every(
    (f, i) => i === 0 || (functions[i - 1] as PciFunctionModel).devfn <= f.devfn,
  );
  for (const fn of inOrder ? functions : [...functions].sort((a, b) => a.devfn - b.devfn)) {
    fn.bus = bus;
    if (!isBridge(fn)) continue;
    const cs = fn.config;
    cs.write(PCI.PRIMARY_BUS, 1, bus);
    const secondary = ++next.n;
    cs.write(PCI.SECONDARY_BUS, 1, secondary);
    cs.write(PCI.SUBORDINATE_BUS, 1, 0xff);
    assignBusNumbers(fn.children, secondary, next);
    cs.write(PCI.SUBORDINATE_BUS, 1, next.n);
  }
}

/** Buses one host bridge's hierarchy needs below its root bus (one per bridge). */
function bridgesBelow(fns: readonly PciFunctionModel[]): number {
  let n = 0;
  for (const f of fns) if (isBridge(f)) n += 1 + bridgesBelow(f.children);
  return n;
}

/**
 * True when numbering each host bridge from its own bus_nr leaves a hierarchy overlapping
 * the next host bridge's root bus (bus_nr values closer than the buses a pxb needs, as in
 * QEMU's tests/qtest/cxl-test.c: bus_nr 52 and 53 with two root ports each).
 */
function rangesCollide(hbs: readonly HostBridgeModel[]): boolean {
  const sorted = [...hbs].sort((a, b) => a.segment - b.segment || a.busNr - b.busNr);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as HostBridgeModel;
    const cur = sorted[i] as HostBridgeModel;
    if (cur.segment !== prev.segment) continue;
    const end = prev.busNr + bridgesBelow(prev.rootPorts.map((rp) => rp.fn));
    if (cur.busNr <= end) return true;
  }
  return false;
}

/**
 * SeaBIOS pci_bios_init_bus() (src/fw/pciinit.c) with QEMU answering the config cycles: bus 0
 * first, then — because QEMU lists extra root buses (etc/extra-pci-roots) — every bus number
 * above the last one used, in increasing order, each scanned by pci_bios_init_bus_rec(): all
 * bridges on the bus get secondary 255 / subordinate 0, then, in devfn order, primary = the
 * bus, secondary = ++counter, subordinate 255 during the recursion and the last number used
 * after it. Every access goes through QEMU's pci_find_bus_nr() routing with the registers as
 * they are at that moment ({@link busFunctions}), so a root port whose secondary number equals
 * another pxb's bus_nr numbers (and hides behind) that pxb's root bus, and a pxb whose bus_nr
 * the counter has passed is never scanned as a root.
 * @param hbs host bridges of segment 0 in root-bus child-list order
 */
function seabiosBusNumbers(hbs: readonly HostBridgeModel[]): void {
  const counter = { n: 0 };
  const at = (bus: number, devfn: number) =>
    busFunctions(hbs, 0, bus).find((f) => f.devfn === devfn);
  const rec = (bus: number, depth: number) => {
    if (depth > 32) return;
    for (let devfn = 0; devfn < 256; devfn++) {
      const fn = at(bus, devfn);
      if (fn && isBridge(fn)) {
        fn.config.write(PCI.SECONDARY_BUS, 1, 255);
        fn.config.write(PCI.SUBORDINATE_BUS, 1, 0);
      }
    }
    for (let devfn = 0; devfn < 256; devfn++) {
      const fn = at(bus, devfn);
      if (!fn) continue;
      fn.bus = bus;
      if (!isBridge(fn)) continue;
      fn.config.write(PCI.PRIMARY_BUS, 1, bus);
      const secondary = ++counter.n;
      fn.config.write(PCI.SECONDARY_BUS, 1, secondary);
      fn.config.write(PCI.SUBORDINATE_BUS, 1, 255);
      rec(secondary, depth + 1);
      fn.config.write(PCI.SUBORDINATE_BUS, 1, counter.n);
    }
  };
  while (counter.n < 0xff) {
    counter.n++;
    rec(counter.n, 0);
  }
  // functions no config cycle reaches keep the number their bridge says they are on
  const settle = (fns: readonly PciFunctionModel[], bus: number) => {
    for (const f of fns) {
      f.bus = bus;
      if (isBridge(f)) settle(f.children, f.config.get8(PCI.SECONDARY_BUS));
    }
  };
  for (const hb of hbs)
    settle(
      hb.rootPorts.map((rp) => rp.fn),
      hb.busNr,
    );
}

interface Item {
  size: bigint;
  align: bigint;
  place(base: bigint): void;
}

function programBar(fn: PciFunctionModel, index: number, addr: bigint): void {
  const off = PCI.BAR0 + 4 * index;
  const decl = fn.config.bars[index];
  fn.config.write(off, 4, Number(addr & 0xffffffffn));
  if (decl?.mem64) fn.config.write(off + 4, 4, Number(addr >> 32n));
}

/** Items to place on one bus: BARs of its functions and windows of its bridges. */
function busItems(functions: PciFunctionModel[]): Item[] {
  const items: Item[] = [];
  for (const fn of functions) {
    for (const decl of fn.config.bars) {
      if (!decl) continue;
      items.push({
        size: decl.size,
        align: decl.size,
        place: (a) => programBar(fn, decl.index, a),
      });
    }
    if (!isBridge(fn)) continue;
    const inner = pack(busItems(fn.children));
    const size = roundUp(inner.size, MiB);
    const cs = fn.config;
    const disable = () => {
      cs.write(PCI.MEMORY_BASE, 2, 0xfff0);
      cs.write(PCI.MEMORY_LIMIT, 2, 0);
    };
    disable();
    cs.write(PCI.PREF_MEMORY_BASE, 2, 0xfff0);
    cs.write(PCI.PREF_MEMORY_LIMIT, 2, 0);
    cs.write(PCI.PREF_BASE_UPPER32, 4, 0);
    cs.write(PCI.PREF_LIMIT_UPPER32, 4, 0);
    cs.write(PCI.IO_BASE, 1, 0xf0);
    cs.write(PCI.IO_LIMIT, 1, 0);
    if (size === 0n) continue;
    items.push({
      size,
      align: MiB,
      place: (a) => {
        cs.write(PCI.MEMORY_BASE, 2, Number((a >> 16n) & 0xfff0n));
        cs.write(PCI.MEMORY_LIMIT, 2, Number(((a + size - 1n) >> 16n) & 0xfff0n));
        inner.place(a);
      },
    });
  }
  return items;
}

/** Packs items largest alignment first. */
function pack(items: Item[]): { size: bigint; place(base: bigint): void } {
  const sorted = [...items].sort((a, b) => (a.align === b.align ? 0 : a.align > b.align ? -1 : 1));
  const offsets: bigint[] = [];
  let off = 0n;
  for (const it of sorted) {
    off = roundUp(off, it.align);
    offsets.push(off);
    off += it.size;
  }
  return {
    size: off,
    place: (base) => {
      sorted.forEach((it, i) => {
        it.place(base + (offsets[i] ?? 0n));
      });
    },
  };
}

/**
 * Decode enables. SeaBIOS (q35) enables every function; EDK2 (virt) enables the bridges and
 * leaves the type-3 memory devices, which no UEFI driver claims, with Command 0 — cxl_pci's
 * pci_enable_device() then logs "enabling device (0000 -> 0002)" (latest-arm64 capture).
 * cxlsim keeps other virt endpoints (type-2 accelerators, the switch CCI) enabled: no capture
 * shows them, and the vfio-cxl model reads their registers before a guest driver binds.
 */
function enableAll(functions: PciFunctionModel[], machine: MachineType): void {
  for (const fn of functions) {
    const cs = fn.config;
    const bridge = isBridge(fn);
    const classCode = cs.get32(PCI.REVISION_ID) >>> 8;
    if (bridge || machine !== 'virt' || classCode !== CLASS.MEMORY_CXL)
      cs.write(PCI.COMMAND, 2, COMMAND.IO | COMMAND.MEMORY | COMMAND.SERR);
    // EDK2's PCI bus driver writes Interrupt Line 0xff ("unknown") on every function it
    // enumerates (latest-arm64 capture); SeaBIOS routes INTx pins to IRQ 10.
    if (machine === 'virt') cs.write(PCI.INTERRUPT_LINE, 1, 0xff);
    else if (cs.get8(PCI.INTERRUPT_PIN) !== 0) cs.write(PCI.INTERRUPT_LINE, 1, 10);
    if (bridge) {
      cs.write(PCI.BRIDGE_CONTROL, 2, 0x0002);
      enableAll(fn.children, machine);
    }
  }
}

/** The MMIO range a host bridge's resources were placed in (for `cxlsim` and tests). */
export interface FirmwareRange {
  hostBridge: string;
  base: bigint;
  size: bigint;
}

/**
 * Runs the firmware's PCI initialisation over every CXL host bridge, after the CXL endpoints
 * on pcie.0 itself (`rootFns`, hw/dev/root-bus.ts; reported as host bridge 'pcie.0').
 * @returns the memory range given to each host bridge, in allocation order
 */
export function runPciFirmware(
  hbs: HostBridgeModel[],
  machine: MachineType,
  high64Base?: bigint,
  childOrder?: readonly HostBridgeModel[],
  rootFns: readonly PciFunctionModel[] = [],
): FirmwareRange[] {
  // SeaBIOS (x86) with colliding bus_nr: the global walk; otherwise each host bridge is
  // numbered from its own bus_nr, which is what the global walk gives for spaced bus_nr.
  const seabios = machine !== 'virt' && hbs.every((hb) => hb.segment === 0) && rangesCollide(hbs);
  if (seabios) seabiosBusNumbers(childOrder ?? hbs);
  const out: FirmwareRange[] = [];
  let cursor = machine === 'virt' ? 0x10000000n : 0xc0000000n;
  /** End of the 32-bit MMIO hole (q35: IOAPIC at 0xfec00000; virt: the low PCIe MMIO window). */
  const low32End = machine === 'virt' ? 0x3eff0000n : 0xfec00000n;
  let high = false;
  if (rootFns.length > 0) {
    // pcie.0's own endpoints first (the firmware walks the root bus before the expanders)
    const packed = pack(busItems([...rootFns]));
    const base = roundUp(cursor, MiB);
    packed.place(base);
    const size = roundUp(packed.size, MiB);
    out.push({ hostBridge: 'pcie.0', base, size });
    cursor = base + size;
    enableAll([...rootFns], machine);
  }
  for (const hb of [...hbs].sort((a, b) => a.segment - b.segment || a.busNr - b.busNr)) {
    const fns = hb.rootPorts.map((rp) => rp.fn);
    if (!seabios) assignBusNumbers(fns, hb.busNr, { n: hb.busNr });
    const packed = pack(busItems(fns));
    // Once the 32-bit hole is full, continue in the 64-bit hole above the CXL windows (large
    // hosts: thousands of functions do not fit below 4 GiB).
    if (
      !high &&
      high64Base !== undefined &&
      roundUp(cursor, MiB) + roundUp(packed.size, MiB) > low32End
    ) {
      high = true;
      cursor = high64Base;
    }
    const base = roundUp(cursor, MiB);
    packed.place(base);
    const size = roundUp(packed.size, MiB);
    out.push({ hostBridge: hb.id, base, size });
    cursor = base + size;
    enableAll(fns, machine);
  }
  return out;
}
