/**
 * DOC: where QEMU puts a device on its bus (hw/pci/pci.c do_pci_register_device()).
 *
 * `addr=SLOT.FN` is used as given; without it QEMU takes the first slot whose function 0 is
 * free, scanning devfn 0, 8, 16 … (function 0). cxlsim places the explicit addresses first and
 * then the automatic ones in creation order, which gives QEMU's result for every command line
 * QEMU accepts (a clash is a QEMU error, reported here with QEMU's text).
 */
import { devfn as mkDevfn } from '../../bus/index.ts';
import { Errno } from '../../kernel/errno.ts';
import type { PciAddr } from '../../topology/model.ts';

/**
 * devfn for each item on one bus, in the items' order.
 * @throws EINVAL "PCI: slot N function F not available for ID, in use by OTHER" on a clash,
 *   "PCI: no slot/function available for ID, all in use" when the bus is full
 */
export function assignDevfns(
  items: { id: string; addr?: PciAddr | undefined }[],
  busName: string,
): number[] {
  const used = new Map<number, string>();
  const out: number[] = new Array(items.length).fill(-1);
  items.forEach((it, i) => {
    if (!it.addr) return;
    const df = mkDevfn(it.addr.slot, it.addr.fn);
    const other = used.get(df);
    if (other !== undefined)
      throw new Errno(
        'EINVAL',
        `PCI: slot ${it.addr.slot} function ${it.addr.fn} not available for ${it.id}, in use by ${other}`,
      );
    used.set(df, it.id);
    out[i] = df;
  });
  items.forEach((it, i) => {
    if (it.addr) return;
    for (let df = 0; df < 256; df += 8) {
      if (!used.has(df)) {
        used.set(df, it.id);
        out[i] = df;
        return;
      }
    }
    throw new Errno(
      'EINVAL',
      `PCI: no slot/function available for ${it.id}, all in use or reserved (bus ${busName})`,
    );
  });
  return out;
}
