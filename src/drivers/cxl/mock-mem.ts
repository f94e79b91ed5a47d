/**
 * DOC: the cxl_test mock memdev driver `cxl_mock_mem` (tools/testing/cxl/test/mem.c), on a mock
 * platform only. It is the platform driver of the mock's `cxl_mem.N` and `cxl_rcd.N` platform
 * devices (cxl_mock_mem_ids), module cxl_mock_mem, so /sys/bus/platform/drivers/cxl_mock_mem
 * lists them and their `driver` link points there. Its probe is cxl_pci's path over the mock's
 * emulated device (the mailbox is cxlsim's one mailbox model, answering as mem.c's
 * cxl_mock_mbox_send() where the mock differs: firmware, events, sanitize run time).
 *
 * The driver's dev_groups (cxl_mock_mem_groups), added to the device when it binds and removed
 * when it unbinds (really_probe() / device_remove_groups()), each from the kernel that added it
 * to mem.c ({@link CXL_KVER}):
 * - `security_lock` (0644, v6.2): security_lock_show() prints whether the mock's security state
 *   is locked ("%u\n"); security_lock_store() takes kstrtoint() 1 only (else EINVAL) and fails
 *   ENXIO unless a user passphrase is set — cxlsim's mock device never has one (its security
 *   state is QEMU's: no passphrase commands), so it reads 0 and a 1 fails ENXIO;
 * - `event_trigger` (0200, v6.3): event_trigger_store() resets the mock's event logs and has the
 *   driver read them (cxl_mock_event_trigger(): hw/dev/cxl-test-mock.ts, bus.mock.eventTrigger);
 * - `fw_buf_checksum` (0444, v6.5): fw_buf_checksum_show(), the sha256 of the firmware image the
 *   mock last received, "%s\n" in lower-case hex;
 * - `sanitize_timeout` (0644, v6.6): the ms mock_sanitize() schedules the sanitize's completion
 *   after ("%lu\n", 0 at probe); the store takes kstrtoul() and returns its error.
 */
import { driverProbe } from '../../kernel/dd.ts';
import type { Attribute, AttributeGroup, Device, Driver } from '../../kernel/device.ts';
import { Errno, isErrno } from '../../kernel/errno.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { kstrtoint, kstrtoull } from '../../sysfs/format.ts';
import { env } from '../env.ts';
import { PciDev } from '../pci/pci-dev.ts';
import { pciFunctions } from '../pci/probe.ts';
import { platformDeviceName, platformOverrideMatch } from '../platform.ts';
import { cxlMemdevUnregister } from './core/memdev.ts';
import type { CXL_KVER } from './kver.ts';
import { cxlKver } from './kver.ts';
import { cxlPciProbe } from './pci.ts';

/** cxl_mock_mem_ids: the platform device names the driver binds (platform_match()). */
const CXL_MOCK_MEM_IDS: readonly string[] = Object.freeze(['cxl_mem', 'cxl_rcd']);

/**
 * platform_match() of cxl_mock_mem: the device's driver_override if it has one, else a
 * platform device named in {@link CXL_MOCK_MEM_IDS}.
 */
export function cxlMockMemMatch(dev: Device): boolean {
  if (dev.bus !== 'platform') return false;
  return (
    platformOverrideMatch(dev, cxlMockMemDriver) ??
    CXL_MOCK_MEM_IDS.includes(platformDeviceName(dev))
  );
}

/**
 * cxl_mock_mem_probe(): the memdev over the mock's device (the same steps as cxl_pci's probe,
 * against cxlsim's one device model), then the driver's dev_groups.
 * @throws what cxl_pci_probe() throws (./pci.ts)
 */
function cxlMockMemProbe(dev: Device): void {
  if (!(dev instanceof PciDev)) throw new Errno('ENODEV', undefined, dev.name);
  const cxlmd = cxlPciProbe(dev);
  // devm_cxl_add_memdev()'s cxl_memdev_unregister(): memN goes when the driver unbinds
  dev.devmAdd(cxlMemdevUnregister, cxlmd);
  cxlMockMemAddGroups(dev);
}

/**
 * The cxl_mock_mem platform driver (module_platform_driver(cxl_mock_mem_driver), named after
 * KBUILD_MODNAME). No `match` here: cxlsim binds it at boot in PCI order once cxl_acpi has
 * probed ({@link cxlMockMemAttachAll}), and a manual bind matches by
 * {@link cxlMockMemMatch} (core/bind.ts).
 */
export const cxlMockMemDriver: Driver = Object.freeze({
  name: 'cxl_mock_mem',
  bus: 'platform',
  module: 'cxl_mock_mem',
  probe: cxlMockMemProbe,
});

/** Binds cxl_mock_mem to every mock memdev platform device, in PCI order (driver_attach()). */
export function cxlMockMemAttachAll(kernel: Kernel): void {
  for (const pdev of pciFunctions(kernel))
    if (!pdev.driver && cxlMockMemMatch(pdev)) driverProbe(pdev, cxlMockMemDriver);
}

const since = (k: keyof typeof CXL_KVER) => (d: PciDev) => cxlKver(d, k);

const SECURITY_LOCK: Attribute<PciDev> = Object.freeze<Attribute<PciDev>>({
  name: 'security_lock',
  mode: 0o644,
  isVisible: since('mockSecurityLock'),
  // !!(security_state & CXL_PMEM_SEC_STATE_LOCKED): cxlsim's mock device is never locked
  show: () => '0\n',
  store: (d, buf) => {
    let val: number;
    try {
      val = kstrtoint(buf, 0);
    } catch (e) {
      if (!isErrno(e)) throw e;
      throw new Errno('EINVAL', undefined, d.name);
    }
    if (val !== 1) throw new Errno('EINVAL', undefined, d.name);
    // !(security_state & CXL_PMEM_SEC_STATE_USER_PASS_SET): no passphrase is ever set
    throw new Errno('ENXIO', undefined, d.name);
  },
});

const EVENT_TRIGGER: Attribute<PciDev> = Object.freeze<Attribute<PciDev>>({
  name: 'event_trigger',
  mode: 0o200,
  isVisible: since('mockEventTrigger'),
  store: (d) => {
    env(d).hw.mock?.eventTrigger(d.segment, d.busNr, d.devfn);
  },
});

const FW_BUF_CHECKSUM: Attribute<PciDev> = Object.freeze<Attribute<PciDev>>({
  name: 'fw_buf_checksum',
  mode: 0o444,
  isVisible: since('mockFwBufChecksum'),
  show: (d) => `${env(d).hw.mock?.fwBufChecksum(d.segment, d.busNr, d.devfn) ?? ''}\n`,
});

const SANITIZE_TIMEOUT: Attribute<PciDev> = Object.freeze<Attribute<PciDev>>({
  name: 'sanitize_timeout',
  mode: 0o644,
  isVisible: since('mockSanitizeTimeout'),
  show: (d) => `${env(d).hw.mock?.sanitizeTimeout(d.segment, d.busNr, d.devfn) ?? 0}\n`,
  store: (d, buf) => {
    const ms = kstrtoull(buf, 0);
    env(d).hw.mock?.sanitizeTimeout(d.segment, d.busNr, d.devfn, Number(ms));
  },
});

/** cxl_mock_mem_groups: the driver's device attributes, in cxl_mock_mem_attrs order. */
const CXL_MOCK_MEM_GROUP = Object.freeze({
  attrs: Object.freeze([SECURITY_LOCK, EVENT_TRIGGER, FW_BUF_CHECKSUM, SANITIZE_TIMEOUT]),
}) as unknown as AttributeGroup<Device>;

/**
 * really_probe()'s device_add_groups(dev, drv->dev_groups) for cxl_mock_mem: the driver's
 * attributes appear on the device while it is bound (removed on unbind or a failed probe).
 */
export function cxlMockMemAddGroups(pdev: PciDev): void {
  // a new list: the PCI core's may be shared (frozen)
  pdev.groups = [...pdev.groups, CXL_MOCK_MEM_GROUP];
  pdev.devmAdd(cxlMockMemRemoveGroups, pdev);
}

/** device_remove_groups(dev, drv->dev_groups) when cxl_mock_mem unbinds. */
export function cxlMockMemRemoveGroups(pdev: PciDev): void {
  pdev.groups = pdev.groups.filter((g) => g !== CXL_MOCK_MEM_GROUP);
}
