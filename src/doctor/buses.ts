/**
 * DOC: bus numbers the firmware cannot give (expander bridges whose bus_nr values are closer
 * than the buses their root ports and switches need).
 *
 * Each bridge below a pxb-cxl needs one bus number (a root port its secondary bus, a switch
 * upstream port one, each downstream port one). q35 (SeaBIOS pci_bios_init_bus(),
 * src/fw/pciinit.c): one global depth-first counter — the root ports of the lower pxb take the
 * numbers of the next pxb's root bus and hide it (docs/fidelity.md "Bus numbers when bus_nr values
 * are close", modelled at boot). arm virt (EDK2): OvmfPkg/Library/PciHostBridgeUtilityLib
 * PciHostBridgeUtilityGetRootBridges() finds each live root bus by probing vendor ids and gives
 * each root bridge the range [its bus_nr, the next root's bus_nr − 1] (the last one up to the
 * ECAM's last bus, 255 with highmem-ecam); MdeModulePkg PciBusDxe PciAllocateBusNumber()
 * returns EFI_OUT_OF_RESOURCES when a bridge's secondary bus would leave that range, and
 * PciScanBus()/PciRootBridgeEnumerator() propagate it: PCI enumeration stops. cxlsim's boot
 * keeps per-host-bridge numbering on virt; the doctor says what EDK2 would do.
 */
import type { HostBridge, SwitchDev, Topology } from '../topology/model.ts';
import type { Finding } from './types.ts';

/** Bus numbers the bridges below `hb` need (one per root port, upstream and downstream port). */
export function busesNeeded(hb: HostBridge): number {
  const sw = (s: SwitchDev): number =>
    1 + s.downstream.reduce((n, d) => n + 1 + (d.child?.kind === 'switch' ? sw(d.child) : 0), 0);
  return hb.rootPorts.reduce(
    (n, rp) => n + 1 + (rp.child?.kind === 'switch' ? sw(rp.child) : 0),
    0,
  );
}

/** One finding per pxb-cxl whose bus_nr leaves too few numbers before the next one. */
export function busNumberFindings(t: Topology): Finding[] {
  const out: Finding[] = [];
  const virt = t.machine.type === 'virt';
  const hbs = t.hostBridges.filter((h) => h.segment === 0).sort((a, b) => a.busNr - b.busNr);
  hbs.forEach((hb, i) => {
    const next = hbs[i + 1];
    const last = next ? next.busNr - 1 : 255;
    const need = busesNeeded(hb);
    const have = last - hb.busNr;
    if (need <= have) return;
    const range = `${hb.busNr}-${last}`;
    out.push({
      severity: virt ? 'error' : 'warning',
      kind: 'bus-numbers',
      subject: hb.id,
      message: virt
        ? `pxb-cxl '${hb.id}' (bus_nr ${hb.busNr}) needs ${need} bus numbers below its root bus but EDK2 gives its root bridge the range ${range} (${have}): PciAllocateBusNumber() fails with EFI_OUT_OF_RESOURCES and PCI enumeration stops`
        : `pxb-cxl '${hb.id}' (bus_nr ${hb.busNr}) needs ${need} bus numbers below its root bus but only ${have} are free before ${next?.id ?? 'the end'}: SeaBIOS numbers them globally and the root ports of '${hb.id}' take the root bus of '${next?.id ?? ''}', hiding what is below it`,
      option: `-device pxb-cxl,...,id=${hb.id},bus_nr= (or the next one's bus_nr): at least ${need} numbers apart`,
    });
  });
  return out;
}
