/**
 * DOC: the cxl_test mock memdev's test attribute `event_trigger` (tools/testing/cxl/test/mem.c
 * event_trigger_store()), on a mock platform only. On Linux it belongs to the mock's platform
 * device `cxl_mem.N`; cxlsim's cxl_test memdevs sit on PCI functions, so it is the function's
 * attribute (`/sys/bus/pci/devices/<host>/event_trigger`). Any write refills the device's
 * event logs with the mock's records and the driver drains them (bus.mock, the event interrupt).
 * `fw_buf_checksum` (fw_buf_checksum_show()) is the sha256 of the firmware image the mock last
 * received, as cxl-update-firmware.sh compares it with the file's.
 */
import type { Attribute, AttributeGroup } from '../../kernel/device.ts';
import { env } from '../env.ts';
import type { PciDev } from '../pci/pci-dev.ts';

const EVENT_TRIGGER: Attribute<PciDev> = Object.freeze<Attribute<PciDev>>({
  name: 'event_trigger',
  mode: 0o200,
  store: (d) => {
    env(d).hw.mock?.eventTrigger(d.segment, d.busNr, d.devfn);
  },
});

/** fw_buf_checksum_show(): sha256 of the firmware the mock received, "%s\n". */
const FW_BUF_CHECKSUM: Attribute<PciDev> = Object.freeze<Attribute<PciDev>>({
  name: 'fw_buf_checksum',
  mode: 0o444,
  show: (d) => `${env(d).hw.mock?.fwBufChecksum(d.segment, d.busNr, d.devfn) ?? ''}\n`,
});

/** Adds the mock's attributes to a cxl_pci function when the platform is the cxl_test mock. */
export function cxlMockMemAttrs(pdev: PciDev): void {
  if (!env(pdev).hw.mock) return;
  pdev.groups.push({ attrs: [EVENT_TRIGGER, FW_BUF_CHECKSUM] } as unknown as AttributeGroup);
}
