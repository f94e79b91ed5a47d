/**
 * DOC: the dax bus as a CXL ram region feeds it (drivers/dax/cxl.c cxl_dax_region_probe,
 * drivers/dax/bus.c alloc_dax_region / devm_create_dev_dax, drivers/dax/kmem.c
 * dev_dax_kmem_probe).
 *
 * Binding `dax_regionZ` (cxl_dax_region) makes a dax region of the region's HPA range (id Z,
 * align 2 MiB, the range's NUMA node) and one device-dax instance `daxZ.0` spanning it, on the
 * dax bus below `dax_regionZ`. The device is offered to the kmem driver (dax_cxl creates it as
 * a kmem-type device). kmem needs a possible NUMA node: a guest without an SRAT (QEMU without
 * `-numa`) has only node 0, while the CXL windows got nodes of their own from their CFMWS
 * entries (acpi_parse_cfmws: fake proximity domains, window k → node k in CEDT order), so kmem
 * refuses every window but the first with -EINVAL (memory_group_register_static:
 * !node_possible) and the device stays unbound, as the latest volatile capture shows. A bound
 * kmem would add and online the range as System RAM: that part is not modelled (cxlsim keeps the
 * device bound and nothing more).
 */

import { driverProbe } from '../../kernel/dd.ts';
import type { Attribute, AttributeGroup, Device, Driver } from '../../kernel/device.ts';
import { Device as Dev } from '../../kernel/device.ts';
import { Errno } from '../../kernel/errno.ts';
import { copiedWeakMap } from '../../kernel/graph-copy.ts';
import { hexll } from '../../sysfs/format.ts';
import { env } from '../env.ts';

/** The dax region and its single device-dax instance. */
export interface DaxRegion {
  id: number;
  /** HPA range, inclusive end. */
  start: bigint;
  end: bigint;
  /** 2 MiB (PMD_SIZE), as dax_cxl passes it. */
  align: number;
  /** NUMA node of the range (phys_to_target_node). */
  targetNode: number;
}

/** drivers/dax/kmem.c (module kmem). */
export const kmemDriver: Driver = { name: 'kmem', bus: 'dax', module: 'kmem' };

/** A device-dax instance (`daxZ.N`) on the dax bus. */
export class DevDax extends Dev {
  readonly region: DaxRegion;
  readonly instance: number;
  /** Char device minor (ida in dax_core, in creation order). */
  readonly minor: number;
  constructor(parent: Device, region: DaxRegion, instance: number, minor: number) {
    super(parent.ctx, `dax${region.id}.${instance}`, parent, 'dax', 'dax');
    this.region = region;
    this.instance = instance;
    this.minor = minor;
  }
  get size(): bigint {
    return this.region.end - this.region.start + 1n;
  }
}

const SZ_2M = 2 * 1024 * 1024;

/**
 * The dax character major: dynamic (alloc_chrdev_region in dax_core); 251 is what the Debian
 * guests of the captures got, cxlsim uses it as is.
 */
const DAX_MAJOR = 251;

/** Minors in use per kernel (ida_alloc: the lowest free). */
const daxMinors = copiedWeakMap<Device['ctx'], Set<number>>();

/** The dax region a `dax_regionZ` device holds while cxl_dax_region is bound. */
const daxRegions = copiedWeakMap<Device, DaxRegion>();

/**
 * The `dax_region/` group dax_cxl adds to `dax_regionZ` (drivers/dax/bus.c dax_region_attribute_group):
 * id, size, align (0400), available_size (0: the one device takes it all), seed and create
 * (empty), delete (write-only). Visible while the dax region exists.
 */
export function daxRegionGroup(): AttributeGroup {
  if (!DAX_REGION_GROUP) {
    const g = buildDaxRegionGroup();
    Object.freeze(g.attrs);
    DAX_REGION_GROUP = Object.freeze(g);
  }
  return DAX_REGION_GROUP;
}
let DAX_REGION_GROUP: AttributeGroup | undefined;

/** The group of {@link daxRegionGroup}, built once (module-level: copies of a machine share it). */
function buildDaxRegionGroup(): AttributeGroup {
  const r = (d: Device) => daxRegions.get(d);
  const a = (name: string, mode: number, show?: (d: Device) => string): Attribute => ({
    name,
    mode,
    ...(show ? { show: (d: Device) => `${show(d)}\n` } : {}),
  });
  return {
    name: 'dax_region',
    isVisible: (d) => r(d) !== undefined,
    attrs: [
      a('id', 0o444, (d) => String(r(d)?.id ?? '')),
      a('size', 0o444, (d) => {
        const x = r(d);
        return x ? String(x.end - x.start + 1n) : '';
      }),
      a('align', 0o400, (d) => String(r(d)?.align ?? '')),
      a('available_size', 0o444, () => '0'),
      a('seed', 0o444, () => ''),
      a('create', 0o644, () => ''),
      a('delete', 0o200),
    ],
  };
}

/** daxX.Y's groups, built once (module-level: copies of a machine share them). */
let DEV_DAX_GROUPS: AttributeGroup<DevDax>[] | undefined;

/** dev_dax attributes as the captures show them (drivers/dax/bus.c dev_dax_attributes). */
function devDaxAttrs(): Attribute<DevDax>[] {
  const ro = (name: string, show: (d: DevDax) => string, mode = 0o444): Attribute<DevDax> => ({
    name,
    mode,
    show: (d) => `${show(d)}\n`,
  });
  return [
    ro('size', (d) => d.size.toString(), 0o644),
    ro('align', (d) => String(d.region.align), 0o644),
    ro('target_node', (d) => String(d.region.targetNode)),
    // dev_to_node(): the dax device itself has no node
    ro('numa_node', () => '-1'),
    ro('resource', (d) => hexll(d.region.start), 0o400),
    ro('modalias', () => 'dax:t0'),
    ro('memmap_on_memory', () => '1', 0o644),
    ro('dev', (d) => `${DAX_MAJOR}:${d.minor}`),
  ];
}

/** `mappingN/` (dev_dax_mapping): the range's start, end (inclusive) and page offset, 0400 %#llx. */
function mappingAttrs(): Attribute<DevDax>[] {
  const hx = (name: string, v: (d: DevDax) => bigint): Attribute<DevDax> => ({
    name,
    mode: 0o400,
    show: (d) => `${hexll(v(d))}\n`,
  });
  return [
    hx('start', (d) => d.region.start),
    hx('end', (d) => d.region.end),
    hx('page_offset', () => 0n),
  ];
}

/**
 * memory_group_register_static(): EINVAL unless the node is possible. Without an SRAT the guest
 * has node 0 only.
 */
function nodePossible(dev: Device, node: number): boolean {
  const srat = env(dev).hw.acpi.table('SRAT') !== undefined;
  return srat || node === 0;
}

/**
 * dev_dax_kmem_probe() on `dev`, as the driver core runs it when the device is added: on
 * failure the device stays unbound and really_probe() logs the error.
 */
function kmemProbe(dev: DevDax): void {
  driverProbe(dev, kmemDriver, () => {
    if (!nodePossible(dev, dev.region.targetNode)) throw new Errno('EINVAL', undefined, dev.name);
  });
}

/** The devres action of a dax region: its device and minor go, and the region with them. */
function daxRegionRelease({
  daxRegionDev,
  dev,
  minors,
  minor,
}: {
  daxRegionDev: Device;
  dev: DevDax;
  minors: Set<number>;
  minor: number;
}): void {
  if (dev.registered) dev.del();
  minors.delete(minor);
  daxRegions.delete(daxRegionDev);
}

/**
 * cxl_dax_region_probe(): the dax region of `daxRegionDev` (`dax_regionZ`) and its device
 * `daxZ.0`, offered to kmem. The device goes when `dax_regionZ` does (devm).
 */
export function cxlDaxRegionProbe(daxRegionDev: Device, region: DaxRegion): DevDax {
  const reg = { ...region, align: region.align || SZ_2M };
  daxRegions.set(daxRegionDev, reg);
  const minors = daxMinors.get(daxRegionDev.ctx) ?? new Set<number>();
  daxMinors.set(daxRegionDev.ctx, minors);
  let minor = 0;
  while (minors.has(minor)) minor++;
  minors.add(minor);
  const dev = new DevDax(daxRegionDev, reg, 0, minor);
  DEV_DAX_GROUPS ??= Object.freeze([
    Object.freeze({ attrs: Object.freeze(devDaxAttrs()) as Attribute<DevDax>[] }),
    Object.freeze({
      name: 'mapping0',
      attrs: Object.freeze(mappingAttrs()) as Attribute<DevDax>[],
    }),
  ]) as AttributeGroup<DevDax>[];
  dev.setGroups(DEV_DAX_GROUPS);
  dev.add();
  daxRegionDev.devmAdd(daxRegionRelease, { daxRegionDev, dev, minors, minor });
  kmemProbe(dev);
  return dev;
}
