/**
 * DOC: the host side of a passed-through type-2 function — the physical device, what host
 * firmware did to it, and the {@link HostFunction} door through which the host's vfio-cxl
 * variant reaches it.
 *
 * A QEMU `vfio-pci,host=BDF` names a host function; its description comes from the topology
 * (`Type2Dev`: DPA size, firmware-committed) overridden per host BDF by a host-device file
 * ({@link HostDeviceSpec}, docs/topology.md §4). With no description the host function is a
 * type-2 device with 16 GiB of device memory whose HDM decoder 0 firmware committed and locked.
 *
 * Host physical addresses: the host's own CXL window layout is not modelled; decoder 0 of a
 * function is placed at {@link hostHpaFor} (0x1000_0000_0000 + 64 GiB × (segment × 256 + bus),
 * rounded up to the device size) unless the host-device file pins `hpa`. Only the VMM's
 * COMP_REGS view and `cxlsim vfio show` ever show it.
 */
import type { HostFunction } from '../../host/vfio-cxl/index.ts';
import { Errno } from '../../kernel/errno.ts';
import type { Type2Dev } from '../../topology/model.ts';
import type { BuildContext, Type2Model } from '../dev/model.ts';
import {
  buildType2Hardware,
  commitType2Hdm,
  resetType2Hardware,
  type2DvsecOffset,
} from '../dev/type2.ts';
import { canonicalBdf } from './bdf.ts';

/** One host function's description (host-device file entry), by host BDF. */
export interface HostDeviceSpec {
  /** Host BDF "SSSS:BB:DD.F" (lower-case hex). */
  host: string;
  /** Device memory (DPA) size in bytes; a multiple of 256 MiB. */
  dpaSize?: bigint;
  /** HDM decoder 0 committed and locked by host firmware. */
  committed?: boolean;
  /** `vfio-pci disable_cxl=1`: bind as a plain vfio-pci device. */
  disableCxl?: boolean;
  /** Host HPA of decoder 0 (bytes, 256 MiB aligned). */
  hpa?: bigint;
  /** Host firmware/CXL core re-commits decoder 0 after a reset (default true). */
  recommitAfterReset?: boolean;
}

/** Default host HPA of a function's decoder 0 (see the DOC block). */
export function hostHpaFor(bdf: string, dpaSize: bigint): bigint {
  const m = /^([0-9a-f]{4}):([0-9a-f]{2}):/.exec(bdf);
  const slot = m ? Number.parseInt(m[1] ?? '0', 16) * 256 + Number.parseInt(m[2] ?? '0', 16) : 0;
  const base = 0x100000000000n + (64n << 30n) * BigInt(slot);
  const align = dpaSize > 64n << 30n ? dpaSize : 64n << 30n;
  return ((base + align - 1n) / align) * align;
}

/** The physical device and the host's door to it. */
export interface HostDevice {
  readonly bdf: string;
  readonly model: Type2Model;
  readonly fn: HostFunction;
  /** Host HPA of decoder 0 (where firmware committed it, or would). */
  readonly hpa: bigint;
  readonly spec: HostDeviceSpec;
}

/** Canonical host BDF of a passed-through device ("SSSS:BB:DD.F", or the QEMU id without host=). */
export function hostBdfOf(d: Type2Dev): string {
  return d.host !== undefined ? (canonicalBdf(d.host) ?? d.host.toLowerCase()) : d.id;
}

/**
 * Builds the physical function for `d` with the host-device overrides applied, and runs host
 * firmware on it.
 * @throws EINVAL for a description the hardware cannot hold (size, HDM capability)
 */
export function realizeHostDevice(
  d: Type2Dev,
  ctx: BuildContext,
  spec: HostDeviceSpec | undefined,
): HostDevice {
  const bdf = hostBdfOf(d);
  const dev: Type2Dev = {
    ...d,
    dpaSize: spec?.dpaSize ?? d.dpaSize,
    firmwareCommitted: spec?.committed ?? d.firmwareCommitted,
  };
  if (dev.dpaSize <= 0n || dev.dpaSize % (256n << 20n) !== 0n)
    throw new Errno(
      'EINVAL',
      `host device ${bdf}: DPA size must be a non-zero multiple of 256 MiB`,
    );
  const { model } = buildType2Hardware(dev, ctx, 0);
  const hpa = spec?.hpa ?? hostHpaFor(bdf, dev.dpaSize);
  const commit = () => commitType2Hdm(model, hpa);
  if (dev.firmwareCommitted) commit();
  const memAt = (hpa0: bigint, len: number) => {
    const d0 = model.component.hdm?.decodeToDpa(hpa0);
    const dEnd = len > 0 ? model.component.hdm?.decodeToDpa(hpa0 + BigInt(len) - 1n) : d0;
    if (!d0 || !dEnd || dEnd.dpa - d0.dpa !== BigInt(len - 1) || dEnd.dpa >= model.memory.size)
      return undefined;
    return d0.dpa;
  };
  const bar = (i: number) => model.fn.bars.find((b) => b.index === i)?.region;
  const fn: HostFunction = {
    bdf,
    cfgRead: (o, s) => model.fn.config.read(o, s),
    cfgWrite: (o, s, v) => model.fn.config.write(o, s, v),
    barLength: (i) => model.fn.config.bars[i]?.size ?? 0n,
    barRead32: (i, o) => bar(i)?.read32(o) ?? 0xffffffff,
    barWrite32: (i, o, v) => bar(i)?.write32(o, v),
    memRead: (a, len) => {
      const dpa = memAt(a, len);
      return dpa === undefined
        ? { data: new Uint8Array(len), ok: false }
        : { data: model.memory.read(dpa, len), ok: true };
    },
    memWrite: (a, data) => {
      const dpa = memAt(a, data.length);
      if (dpa === undefined) return false;
      model.memory.write(dpa, data);
      return true;
    },
    reset: (kind, opts) => {
      if (kind === 'cxl') {
        // cxl_dev_reset(): Initiate CXL Reset (with Mem Clr Enable) through the DVSEC.
        const dvsec = type2DvsecOffset(model);
        model.fn.config.write(dvsec + 0x10, 2, 0x4 | (opts.memClear ? 0x8 : 0));
      } else resetType2Hardware(model, 'flr', opts.memClear);
      if (dev.firmwareCommitted && (spec?.recommitAfterReset ?? true)) commit();
      return 0;
    },
  };
  return { bdf, model, fn, hpa, spec: spec ?? { host: bdf } };
}
