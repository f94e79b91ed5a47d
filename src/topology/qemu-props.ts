/**
 * DOC: which `-device` models and properties each QEMU version has, for the CXL devices.
 *
 * QEMU looks the driver up first (softmmu/qdev-monitor.c `qdev_get_device_class()`: "'NAME' is
 * not a valid device model name"), then sets each property by name on the new object
 * (qom/object.c `object_property_find_err()`: "Property 'TYPE.NAME' not found"). A property
 * exists when the device's class or one of its parents declares it:
 *
 * * every device (hw/core/qdev.c): `realized`, `hotpluggable`, `hotplugged`, `parent_bus`;
 * * every PCI device (hw/pci/pci.c `pci_props`): `addr`, `romfile`, `romsize`, `rombar`,
 *   `multifunction`, `x-pcie-lnksta-dllla`, `x-pcie-extcap-init`, `failover_pair_id`,
 *   `acpi-index`, `x-pcie-err-unc-mask`, `x-pcie-ari-nextfn-1`, `x-max-bounce-buffer-size`,
 *   `sriov-pf`, `x-pcie-ext-tag`;
 * * PCIe ports (hw/pci/pcie_port.c): `port`, `aer_log_max`; slots add `chassis`, `slot`,
 *   `hotplug`, `x-do-not-expose-native-hotplug-cap`;
 * * the device's own list (hw/pci-bridge/pci_expander_bridge.c, cxl_root_port.c,
 *   cxl_upstream.c, cxl_downstream.c, hw/mem/cxl_type3.c, hw/cxl/switch-mailbox-cci.c),
 *   with the first QEMU version that has each (`volatile-memdev`/`persistent-memdev` and
 *   `hdm_for_passthrough` are absent from 7.2 — captures and qemu-cxl.md; dynamic capacity
 *   `volatile-dc-memdev`/`num-dc-regions` came with 9.1; `x-speed`/`x-width` with 9.2).
 *
 * Device models outside CXL are not listed: QEMU has hundreds and cxlsim ignores them. A
 * driver name that looks like a CXL model (starts with `cxl`/`pxb`, or is one edit away from
 * one) but is not one of the version's models is refused with QEMU's text, as a typo is.
 */
import { type QemuVersion, qemuAtLeast } from '../profile.ts';

/** Command-line checks outside the property table, with the first QEMU version that has each. */
export const QEMU_CMDLINE_SINCE = {
  /**
   * A memory backend mapped by a second type-3 device is refused, "memory backend X can't be used
   * multiple times." (7.2 accepts it, 10.0 refuses it: qemu-probes p09/p10; 9.1 is the version
   * cxlsim modelled before this table, not re-checked against QEMU's history).
   */
  backendSingleUse: '9.1',
  /**
   * cxl_fixed_memory_window_config(): "Size of a CXL fixed memory window must be a multiple of
   * 256MiB" (7.2: "must my …", sic) (between 7.2 and 10.0; qemu-cxl.md).
   */
  windowSizeMsgFixed: '10.0',
  /**
   * The arm `virt` machine has the `cxl` and `cxl-fmw` properties (7.2: "Property
   * 'virt-X.Y-machine.cxl' not found") — 10.0 as cxlsim models it; the upstream release that
   * added arm virt CXL support was not checked for this table.
   */
  virtCxl: '10.0',
} as const;

/** CXL device models and the first QEMU version with each. */
const CXL_MODELS: Record<string, string> = {
  'pxb-cxl': '7.2',
  'cxl-rp': '7.2',
  'cxl-upstream': '7.2',
  'cxl-downstream': '7.2',
  'cxl-type3': '7.2',
  'cxl-switch-mailbox-cci': '9.1',
  // expander bridges that are not CXL (their names share the prefix)
  pxb: '7.2',
  'pxb-pcie': '7.2',
};

const DEVICE = ['realized', 'hotpluggable', 'hotplugged', 'parent_bus'];
const PCI = [
  'addr',
  'romfile',
  'romsize',
  'rombar',
  'multifunction',
  'x-pcie-lnksta-dllla',
  'x-pcie-extcap-init',
  'failover_pair_id',
  'acpi-index',
  'x-pcie-err-unc-mask',
  'x-pcie-ari-nextfn-1',
  'x-max-bounce-buffer-size',
  'sriov-pf',
  'x-pcie-ext-tag',
];
const PORT = ['port', 'aer_log_max'];
const SLOT = ['chassis', 'slot', 'hotplug', 'x-do-not-expose-native-hotplug-cap'];

/** Own properties per model: name → first QEMU version. */
const OWN: Record<string, Record<string, string>> = {
  'pxb-cxl': { bus_nr: '7.2', numa_node: '7.2', bypass_iommu: '7.2', hdm_for_passthrough: '8.0' },
  pxb: { bus_nr: '7.2', numa_node: '7.2', bypass_iommu: '7.2' },
  'pxb-pcie': { bus_nr: '7.2', numa_node: '7.2', bypass_iommu: '7.2' },
  'cxl-rp': {
    'bus-reserve': '7.2',
    'io-reserve': '7.2',
    'mem-reserve': '7.2',
    'pref32-reserve': '7.2',
    'pref64-reserve': '7.2',
    'x-speed': '9.2',
    'x-width': '9.2',
  },
  'cxl-upstream': { sn: '7.2', cdat: '7.2', 'x-speed': '9.2', 'x-width': '9.2' },
  'cxl-downstream': { 'x-speed': '9.2', 'x-width': '9.2' },
  'cxl-type3': {
    memdev: '7.2',
    lsa: '7.2',
    sn: '7.2',
    cdat: '7.2',
    'volatile-memdev': '8.0',
    'persistent-memdev': '8.0',
    'volatile-dc-memdev': '9.1',
    'num-dc-regions': '9.1',
    'x-speed': '9.2',
    'x-width': '9.2',
  },
  'cxl-switch-mailbox-cci': { target: '9.1' },
};

/** Inherited property groups per model. */
const INHERITED: Record<string, string[][]> = {
  'pxb-cxl': [DEVICE, PCI],
  pxb: [DEVICE, PCI],
  'pxb-pcie': [DEVICE, PCI],
  'cxl-rp': [DEVICE, PCI, PORT, SLOT],
  'cxl-downstream': [DEVICE, PCI, PORT, SLOT],
  'cxl-upstream': [DEVICE, PCI, PORT],
  'cxl-type3': [DEVICE, PCI],
  'cxl-switch-mailbox-cci': [DEVICE, PCI],
};

/** True when `driver` is one of QEMU `q`'s CXL (or expander-bridge) device models. */
export function isCxlModel(q: QemuVersion, driver: string): boolean {
  const since = CXL_MODELS[driver];
  return since !== undefined && qemuAtLeast(q, since);
}

/** Levenshtein distance, capped (small strings only). */
function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/**
 * True for a driver name QEMU `q` does not have but that is meant as a CXL model: it starts
 * with `cxl`/`pxb`, or is one edit away from a CXL model name ('cxl-typ3', 'pxb-cx1').
 */
export function looksLikeCxlModel(q: QemuVersion, driver: string): boolean {
  if (isCxlModel(q, driver)) return false;
  if (/^(cxl|pxb)/i.test(driver)) return true;
  return Object.keys(CXL_MODELS).some((m) => m.length >= 6 && editDistance(m, driver) <= 1);
}

/** True when model `driver` of QEMU `q` has property `key`. */
export function hasProperty(q: QemuVersion, driver: string, key: string): boolean {
  const since = OWN[driver]?.[key];
  if (since !== undefined) return qemuAtLeast(q, since);
  return (INHERITED[driver] ?? []).some((g) => g.includes(key));
}
