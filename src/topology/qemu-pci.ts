/**
 * DOC: PCI buses and function placement, as hw/pci/pci.c `do_pci_register_device()` does it.
 *
 * A bus is named after the device that provides it (`pcie.0` for the machine's root bus; a
 * pxb-cxl's, root port's or switch port's `id=` for theirs). Placement: a non-bridge device on
 * a pxb root bus is refused ("PCI: Only PCI/PCIe bridges can be plugged into pxb-cxl"); without
 * `addr=` a device takes function 0 of the first slot whose function 0 is free; an explicit
 * `addr=SLOT[.FN]` (hexadecimal, hw/core/qdev-properties-system.c `set_pci_devfn()`) must be
 * free; then `pci_init_multifunction()` checks that functions > 0 sit beside a
 * `multifunction=on` function 0 and vice versa.
 */
import type { PciAddr } from './model.ts';
import { QemuError } from './qemu-errors.ts';

/** What provides a bus (decides what may sit on it in cxlsim's model). */
export type BusKind = 'root' | 'pxb' | 'rp' | 'usp' | 'dsp';

/** A device placed on a bus (enough for placement checks). */
export interface PlacedFn {
  driver: string;
  /** QEMU id= (undefined for anonymous devices: QEMU prints "(null)"). */
  qemuId: string | undefined;
  multifunction: boolean;
}

/** A PCI bus and its occupied functions (devfn → device). */
export interface PciBus<D extends PlacedFn = PlacedFn> {
  name: string | undefined;
  kind: BusKind;
  /** The device providing the bus (undefined for pcie.0). */
  owner?: D;
  fns: Map<number, D>;
}

/** devfn ↔ slot.fn. */
export function devfnToAddr(devfn: number): PciAddr {
  return { slot: devfn >> 3, fn: devfn & 7 };
}

/**
 * Parses `addr=` as `set_pci_devfn()` does: "SLOT" or "SLOT.FN", hexadecimal (so "10" is
 * slot 16), slot ≤ 0x1f, function ≤ 7.
 * @throws QemuError "Property 'DRIVER.addr' doesn't take value 'X'".
 */
export function parseDevfn(driver: string, text: string): number {
  const bad = () => new QemuError(`Property '${driver}.addr' doesn't take value '${text}'`);
  const m = /^\s*((?:0[xX])?[0-9a-fA-F]+)(?:\.((?:0[xX])?[0-9a-fA-F]+))?$/.exec(text);
  if (!m || m[1] === undefined) throw bad();
  const slot = Number.parseInt(m[1], 16);
  const fn = m[2] === undefined ? 0 : Number.parseInt(m[2], 16);
  if (slot > 31 || fn > 7) throw bad();
  return (slot << 3) | fn;
}

/** Drivers that are PCI bridges (`PCIDeviceClass.is_bridge`). */
const BRIDGES = new Set(['cxl-rp', 'cxl-upstream', 'cxl-downstream']);

/**
 * Places `dev` on `bus` and returns its devfn.
 * @param devfn explicit devfn from `addr=`, or undefined for automatic placement.
 * @throws QemuError with hw/pci/pci.c's messages.
 */
export function placeOnBus<D extends PlacedFn>(
  bus: PciBus<D>,
  dev: D,
  devfn: number | undefined,
): number {
  if (bus.kind === 'pxb' && !BRIDGES.has(dev.driver))
    throw new QemuError('PCI: Only PCI/PCIe bridges can be plugged into pxb-cxl');
  let at = devfn;
  if (at === undefined) {
    for (let d = 0; d < 256; d += 8) {
      if (!bus.fns.has(d)) {
        at = d;
        break;
      }
    }
    if (at === undefined)
      throw new QemuError(
        `PCI: no slot/function available for ${dev.driver}, all in use or reserved`,
      );
  } else {
    const other = bus.fns.get(at);
    if (other) {
      const { slot, fn } = devfnToAddr(at);
      throw new QemuError(
        `PCI: slot ${slot} function ${fn} not available for ${dev.driver}, in use by ${other.driver},id=${other.qemuId ?? '(null)'}`,
      );
    }
  }
  checkMultifunction(bus, dev, at);
  bus.fns.set(at, dev);
  return at;
}

/** `pci_init_multifunction()`. */
function checkMultifunction<D extends PlacedFn>(bus: PciBus<D>, dev: D, devfn: number): void {
  const { slot, fn } = devfnToAddr(devfn);
  const hex = (n: number) => n.toString(16);
  if (fn !== 0) {
    const f0 = bus.fns.get(slot << 3);
    if (f0 && !f0.multifunction)
      throw new QemuError(
        `PCI: single function device can't be populated in function ${hex(slot)}.${hex(fn)}`,
      );
    return;
  }
  if (dev.multifunction) return;
  for (let f = 1; f < 8; f++) {
    if (bus.fns.has((slot << 3) | f))
      throw new QemuError(
        `PCI: ${hex(slot)}.0 indicates single function, but ${hex(slot)}.${hex(f)} is already populated.`,
      );
  }
}
