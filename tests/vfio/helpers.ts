/**
 * Helpers for the vfio-cxl tests: the armvirt-vfio-4gpu QEMU line (copied into
 * sysfs-fixtures/topologies with the capture layout), edited variants of it, booting, and the
 * guest's config-space and MMIO doors to one passed-through function.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BootedMachine, bootMachine } from '../../src/boot.ts';
import type { VfioType2, VmmOptions } from '../../src/hw/vmm/index.ts';
import { resolveProfile } from '../../src/profile.ts';
import type { Topology } from '../../src/topology/model.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';

export const latest = resolveProfile('latest');

/** The pull request's QEMU line (sysfs-fixtures/topologies/armvirt-vfio-4gpu.qemu). */
export const GPU4 = readFileSync(
  join(import.meta.dirname, '..', '..', 'sysfs-fixtures', 'topologies', 'armvirt-vfio-4gpu.qemu'),
  'utf8',
);

/** The line with `-device …id=devN…` options removed (empty root ports). */
export function withoutDevices(text: string, ids: string[]): string {
  return text
    .split('\n')
    .filter((l) => !ids.some((id) => l.includes(`,id=${id},`)))
    .join('\n');
}

/** The line with the machine's cxl-fmw options replaced by `fmw` (`cxl-fmw.0.targets.0=…,…`). */
export function withWindows(text: string, fmw: string): string {
  return text.replace(/,cxl-fmw\.[^ ]*/, `,${fmw}`);
}

/** The line with extra `-device` options appended before the last line. */
export function withDevices(text: string, devices: string[]): string {
  return `${text.trimEnd()} \\\n${devices.map((d) => `  -device ${d}`).join(' \\\n')}\n`;
}

/** The four windows of the original line, as one cxl-fmw option string. */
export const FOUR_WINDOWS = [1, 2, 3, 4]
  .map((n) => `cxl-fmw.${n - 1}.targets.0=cxl.${n},cxl-fmw.${n - 1}.size=256G`)
  .join(',');

/** Parses a QEMU line with the latest profile's QEMU. */
export function topo(text: string): Topology {
  return parseQemuCommandLine(text, { qemu: latest.qemu });
}

/** Boots a QEMU line (latest profile). @throws whatever the VMM refuses */
export function boot(text: string, vfio?: VmmOptions, dyndbg = false): BootedMachine {
  return bootMachine(topo(text), { profile: latest, dyndbg, ...(vfio ? { vfio } : {}) });
}

/** The passthrough record of QEMU id `id`. */
export function rec(m: BootedMachine, id: string): VfioType2 {
  const r = m.platform.vfio().find((x) => x.topo.id === id);
  if (!r) throw new Error(`no vfio device ${id}`);
  return r;
}

/** The guest's config-space door to a passed-through function. */
export function guestCfg(m: BootedMachine, r: VfioType2) {
  const fn = r.guest.fn;
  const pci = m.platform.bus.pci;
  return {
    read: (off: number, size: 1 | 2 | 4) => pci.read(fn.segment, fn.bus, fn.devfn, off, size),
    write: (off: number, size: 1 | 2 | 4, v: number) =>
      pci.write(fn.segment, fn.bus, fn.devfn, off, size, v),
  };
}

/** Offset of the PCIe DVSEC for CXL Devices as the guest finds it (pci_find_dvsec_capability). */
export function guestDvsec(m: BootedMachine, r: VfioType2): number {
  const cfg = guestCfg(m, r);
  for (let at = 0x100; at >= 0x100; ) {
    const hdr = cfg.read(at, 4) >>> 0;
    if (
      (hdr & 0xffff) === 0x23 &&
      (cfg.read(at + 4, 4) & 0xffff) === 0x1e98 &&
      cfg.read(at + 8, 2) === 0
    )
      return at;
    at = hdr >>> 20;
  }
  throw new Error('no DVSEC');
}

/** Guest physical address of the HDM Decoder Capability (component BAR + 0x1000 + pointer). */
export function guestHdm(m: BootedMachine, r: VfioType2): bigint {
  const cfg = guestCfg(m, r);
  const bar = (BigInt(cfg.read(0x14, 4) >>> 0) << 32n) | BigInt((cfg.read(0x10, 4) & ~0xf) >>> 0);
  const c = r.vfio.cxl;
  if (!c) throw new Error('not vfio-cxl');
  return bar + BigInt(c.regs.offset + 0x1000 + c.regs.hdmOffset);
}

/** Error-level lines of the guest's dmesg. */
export function errors(m: BootedMachine): string[] {
  return m.kernel.log.lines.filter((l) => l.level <= 3).map((l) => l.text);
}

/** The guest's dmesg lines at KERN_WARNING or worse. */
export function warnings(m: BootedMachine): string[] {
  return m.kernel.log.lines.filter((l) => l.level <= 4).map((l) => l.text);
}
