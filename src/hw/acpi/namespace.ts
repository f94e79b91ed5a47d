/**
 * DOC: the ACPI namespace devices QEMU's DSDT declares for CXL, and the two host-bridge orders.
 *
 * hw/i386/acpi-build.c build_dsdt() (and the arm virt GPEX AML) walks the root bus's child
 * list, `QLIST_FOREACH(bus, &bus->child, sibling)`, and declares one `\_SB.CLxx` device per
 * pxb-cxl root bus: _UID = _BBN = bus_nr, _HID ACPI0016, _CID {PNP0A08, PNP0A03}, _ADR 0, a CXL
 * _OSC. pxb_register_bus() (hw/pci-bridge/pci_expander_bridge.c) links each new pxb bus with
 * `QLIST_INSERT_HEAD(&parent->child, …)`, so the child list — and therefore the namespace
 * order, ACPI0016:00, :01, … — is the *reverse of creation order*. cxl_hook_up_pxb_registers()
 * walks the same list, so the 64 KiB CHBCR block index follows it too (block 0 = the last
 * pxb-cxl created: `port1` at cxl_base in the interleave capture's iomem.txt). Then one
 * `\_SB.CXLM` (_HID ACPI0017, _STA 0x0B) follows the host bridges (build_acpi0017()).
 *
 * The CHBS order is a third, different order: the QOM tree walk (qom-order.ts).
 */
import type { AcpiNode } from '../../bus/index.ts';
import type { HostBridge, Topology } from '../../topology/model.ts';
import { qomPeripheralOrder } from './qom-order.ts';

/** _STA of the ACPI0017 device: present, enabled, functioning (not shown in UI). */
export const CXLM_STA = 0x0b;

/** The _UID QEMU gives a pxb-cxl (its bus_nr) unless a topology file overrides it. */
export function hostBridgeUid(hb: HostBridge): number {
  return hb.uid ?? hb.busNr;
}

/** Generated ids ('type3#2') stand for devices given without id= (anonymous in QOM). */
function isAnonymous(id: string): boolean {
  return id.includes('#');
}

/**
 * Host bridges in the root bus child-list order: DSDT order, ACPI0016:NN numbering and CHBCR
 * block index. Reverse creation order for QEMU-built machines; as given for the cxl_test mock.
 */
export function childListOrder(t: Topology): HostBridge[] {
  return t.mock ? [...t.hostBridges] : [...t.hostBridges].reverse();
}

/** Device ids under /machine/peripheral in the order QEMU would have created them. */
export function peripheralIdsInCreationOrder(t: Topology): string[] {
  const ids: string[] = [];
  for (const hb of t.hostBridges) {
    ids.push(hb.id);
    for (const rp of hb.rootPorts) ids.push(rp.id);
    // Below the root ports, level by level: a QEMU command line must create a bus's parent
    // first, and the usual order (and that of every capture) is level by level.
    let level = hb.rootPorts.flatMap((rp) => (rp.child ? [rp.child] : []));
    while (level.length > 0) {
      const next: typeof level = [];
      for (const dev of level) {
        ids.push(dev.id);
        if (dev.kind === 'switch') {
          for (const dsp of dev.downstream) ids.push(dsp.id);
          for (const dsp of dev.downstream) if (dsp.child) next.push(dsp.child);
        }
      }
      level = next;
    }
  }
  // Non-CXL `-device …,id=X` also live in /machine/peripheral; their position relative to the
  // CXL devices is not kept by the topology, so they are appended (only matters on collisions).
  const ignored = t.ignored;
  for (let i = 0; i < ignored.length; i++) {
    const arg = ignored[i] ?? '';
    const spec =
      arg === '-device' ? (ignored[++i] ?? '') : arg.startsWith('-device ') ? arg.slice(8) : '';
    const m = /(?:^|,)id=([^,\s]+)/.exec(spec.trim());
    if (m?.[1]) ids.push(m[1]);
  }
  return ids.filter((id) => !isAnonymous(id));
}

/**
 * Host bridges in CHBS order: the QOM walk visits /machine/peripheral in GHashTable bucket
 * order (qom-order.ts). Anonymous host bridges (/machine/peripheral-anon) are assumed to be
 * visited after the named ones. The cxl_test mock keeps the given order.
 */
export function chbsOrder(t: Topology): HostBridge[] {
  if (t.mock) return [...t.hostBridges];
  const byId = new Map(t.hostBridges.map((hb) => [hb.id, hb]));
  const out: HostBridge[] = [];
  for (const id of qomPeripheralOrder(peripheralIdsInCreationOrder(t))) {
    const hb = byId.get(id);
    if (hb) out.push(hb);
  }
  for (const hb of t.hostBridges) if (isAnonymous(hb.id)) out.push(hb);
  return out;
}

/** The AML name of a host bridge device: "CL%.02X" of bus_nr (segment nibble added if ≠ 0). */
export function hostBridgeAmlName(hb: HostBridge): string {
  const bus = hb.busNr.toString(16).toUpperCase().padStart(2, '0');
  return hb.segment === 0 ? `CL${bus}` : `C${(hb.segment & 0xf).toString(16).toUpperCase()}${bus}`;
}

/** The ACPI namespace devices the DSDT declares for CXL, in namespace order. */
export function acpiNamespace(t: Topology): AcpiNode[] {
  const nodes: AcpiNode[] = childListOrder(t).map((hb) => ({
    hid: 'ACPI0016',
    cid: ['PNP0A08', 'PNP0A03'],
    uid: hostBridgeUid(hb),
    path: `\\_SB_.${hostBridgeAmlName(hb)}`,
    adr: 0,
    pciRoot: { segment: hb.segment, bus: hb.busNr },
  }));
  // pcie.0 (DSDT `\_SB.PCI0`, PNP0A08/PNP0A03, _SEG 0, _BBN 0; declared before the expanders):
  // only when CXL devices sit on it, so that machines without any keep their modelled view
  if ((t.rootBus?.length ?? 0) > 0)
    nodes.unshift({
      hid: 'PNP0A08',
      cid: ['PNP0A03'],
      uid: 0,
      path: '\\_SB_.PCI0',
      adr: 0,
      pciRoot: { segment: 0, bus: 0 },
    });
  if (t.machine.cxl || t.mock) {
    const cxlm: AcpiNode = { hid: 'ACPI0017', cid: [], path: '\\_SB_.CXLM', sta: CXLM_STA };
    // cxl_test: platform_device_alloc("cxl_acpi", 0) with the mock ACPI0017 as companion
    if (t.mock) cxlm.platformDevice = 'cxl_acpi.0';
    nodes.push(cxlm);
  }
  return nodes;
}
