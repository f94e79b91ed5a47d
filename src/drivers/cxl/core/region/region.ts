/**
 * DOC: the CXL region object (drivers/cxl/cxl.h struct cxl_region, struct cxl_region_params,
 * struct cxl_region_ref, struct cxl_ep).
 *
 * A {@link CxlRegion} (`regionZ`) is a child of the root decoder whose window it maps. Its
 * params carry the configuration state machine (IDLE → INTERLEAVE_ACTIVE once the HPA is
 * allocated → ACTIVE once every position has a target and the switch decoders are set up in
 * software → COMMIT once the HDM decoders are committed in hardware; RESET_PENDING while a
 * de-commit unbinds the driver), the uuid (pmem), ways, granularity (bytes), the HPA resource
 * and the endpoint decoders indexed by position.
 *
 * Per port, a {@link CxlRegionRef} records which decoder of that port the region uses, the
 * endpoints reached through it and how many distinct downstream targets are needed / already
 * programmed. Per (port, memdev), a {@link CxlEp} names the dport leading to the memdev and the
 * next port down (undefined when the dport leads straight to the endpoint) — the kernel's
 * `cxl_ep`, recorded by cxl_mem when the endpoint is added; here it is derived from the port
 * topology and cached so that identity comparisons behave as the kernel's pointer compares.
 */
import { Device } from '../../../../kernel/device.ts';
import { env } from '../../../env.ts';
import type { DecoderTargetType } from '../../cxl.ts';
import type { CxlDecoder, CxlEndpointDecoder, CxlRootDecoder, HpaRange } from '../decoder.ts';
import { type CxlMemdev, memdevOfEndpoint } from '../memdev.ts';
import type { CxlDport, CxlPort } from '../port.ts';
import { regionAttrGroups } from './sysfs.ts';

/** enum cxl_config_state. */
export const CXL_CONFIG_IDLE = 0;
export const CXL_CONFIG_INTERLEAVE_ACTIVE = 1;
export const CXL_CONFIG_ACTIVE = 2;
export const CXL_CONFIG_RESET_PENDING = 3;
export const CXL_CONFIG_COMMIT = 4;
/** A region configuration state (the number the kernel's "config state: %d" prints). */
export type CxlConfigState = 0 | 1 | 2 | 3 | 4;

/** Region flags (bit masks of the kernel's CXL_REGION_F_* bit numbers 0..2). */
export const CXL_REGION_F_AUTO = 1 << 0;
export const CXL_REGION_F_NEEDS_RESET = 1 << 1;
export const CXL_REGION_F_LOCK = 1 << 2;

/** Maximum interleave ways of a region (CXL_DECODER_MAX_INTERLEAVE). */
export const CXL_DECODER_MAX_INTERLEAVE = 16;

/** The all-zero uuid, as %pUb prints it. */
export const NULL_UUID = '00000000-0000-0000-0000-000000000000';

/** Region memory mode (fixed at creation). */
export type RegionMode = 'pmem' | 'ram';

/** `struct cxl_region_params`. */
export interface CxlRegionParams {
  state: CxlConfigState;
  /** Lower-case canonical text (what %pUb prints); {@link NULL_UUID} until set. */
  uuid: string;
  interleaveWays: number;
  /** Bytes. */
  interleaveGranularity: number;
  /** The HPA resource (inclusive range), undefined before `size` is written. */
  res: HpaRange | undefined;
  /** Whether `res` is inserted in the window's resource tree (auto regions may fail that). */
  resInserted: boolean;
  /** Endpoint decoders by interleave position. */
  targets: (CxlEndpointDecoder | undefined)[];
  nrTargets: number;
  /** Extended linear cache size in bytes (0: none modelled). */
  cacheSize: bigint;
}

/** `struct cxl_region` (`regionZ`). */
export class CxlRegion extends Device {
  readonly isRegion = true;
  /**
   * cxl_dpa_to_hpa() of this region, for the RAS paths' RegionRef (core/trace.ts); set by
   * cxl_region_alloc() (create.ts) so that this file need not import translate.ts.
   */
  dpaToHpa: (cxlmd: CxlMemdev, dpa: bigint) => bigint = () => (1n << 64n) - 1n;
  readonly id: number;
  readonly mode: RegionMode;
  /** Region type; sysfs-created regions are always host-only (type 3, 'expander'). */
  readonly type: DecoderTargetType;
  /** CXL_REGION_F_* masks. */
  flags = 0;
  readonly params: CxlRegionParams = {
    state: CXL_CONFIG_IDLE,
    uuid: NULL_UUID,
    interleaveWays: 0,
    interleaveGranularity: 0,
    res: undefined,
    resInserted: false,
    targets: new Array<CxlEndpointDecoder | undefined>(CXL_DECODER_MAX_INTERLEAVE).fill(undefined),
    nrTargets: 0,
    cacheSize: 0n,
  };
  /** The pmem_regionZ / dax_regionZ child while the region driver is bound. */
  child: Device | undefined;

  constructor(cxlrd: CxlRootDecoder, id: number, mode: RegionMode, type: DecoderTargetType) {
    super(cxlrd.ctx, `region${id}`, cxlrd, 'cxl', 'cxl_region');
    this.id = id;
    this.mode = mode;
    this.type = type;
    this.setGroups(regionAttrGroups());
  }

  /** The root decoder this region lives in (its parent). */
  get cxlrd(): CxlRootDecoder {
    return this.parent as CxlRootDecoder;
  }
}

/** is_cxl_region(). */
export function isCxlRegion(d: unknown): d is CxlRegion {
  return d instanceof CxlRegion;
}

/** `struct cxl_region_ref`: a region's use of one port. */
export interface CxlRegionRef {
  port: CxlPort;
  region: CxlRegion;
  /** The decoder of `port` hosting the region (the endpoint decoder itself on endpoint ports). */
  decoder: CxlDecoder | undefined;
  /** Endpoints reached through this port, by endpoint decoder (xarray keyed by cxled). */
  endpoints: Map<CxlEndpointDecoder, CxlEp>;
  /** Endpoint references pinning this ref. */
  nrEps: number;
  /** Distinct downstream targets the decoder needs. */
  nrTargets: number;
  /** Targets programmed so far by cxl_port_setup_targets. */
  nrTargetsSet: number;
}

declare module '../port.ts' {
  /** Region state the region driver keeps in `struct cxl_port` (declared here, beside its users). */
  interface CxlPort {
    /** port->regions: the region refs of this port, in insertion order (xarray by region). */
    regions?: Map<CxlRegion, CxlRegionRef>;
    /** Endpoint ports only: the cxl_ep of every port above, built on first use (port->endpoints). */
    epChain?: Map<CxlPort, CxlEp>;
  }
}

/** port->regions, in insertion order. */
export function regionRefs(port: CxlPort): Map<CxlRegion, CxlRegionRef> {
  port.regions ??= new Map();
  return port.regions;
}

/** cxl_rr_load(). */
export function cxlRrLoad(port: CxlPort, region: CxlRegion): CxlRegionRef | undefined {
  return port.regions?.get(region);
}

/** `struct cxl_ep`: how `port` reaches a memdev. */
export interface CxlEp {
  /** The dport of `port` leading to the memdev. */
  dport: CxlDport;
  /** The next port down, undefined when `dport` leads straight to the endpoint port. */
  next: CxlPort | undefined;
}

/**
 * The memdev's endpoint port. `cxlmd.endpoint` is only set once the endpoint port's probe has
 * returned, while auto-assembly runs inside that probe, so fall back to the bus.
 */
function endpointOf(cxlmd: CxlMemdev): CxlPort | undefined {
  if (cxlmd.endpoint) return cxlmd.endpoint;
  for (const d of env(cxlmd).kernel.buses.get('cxl')?.devices ?? []) {
    const p = d as CxlPort;
    if (p.isEndpoint === true && p.uportDev === cxlmd && p.registered) return p;
  }
  return undefined;
}

/**
 * cxl_ep_load(port, cxlmd): the memdev's entry on `port` — defined for every port strictly
 * between the memdev's endpoint port and the CXL root; undefined elsewhere (the endpoint port
 * itself carries no cxl_ep).
 */
export function cxlEpLoad(port: CxlPort | undefined, cxlmd: CxlMemdev): CxlEp | undefined {
  const endpoint = endpointOf(cxlmd);
  if (!port || !endpoint) return undefined;
  let m = endpoint.epChain;
  if (!m) {
    m = new Map();
    let down: CxlPort | undefined = endpoint;
    let next: CxlPort | undefined;
    while (down?.parentDport) {
      const up: CxlPort = down.parentDport.port;
      if (up.isRoot) break;
      m.set(up, { dport: down.parentDport, next });
      next = up;
      down = up;
    }
    endpoint.epChain = m;
  }
  return m.get(port);
}

/** cxled_to_memdev(). @throws Error when the endpoint port has no memdev (a bug) */
export function cxledToMemdev(cxled: CxlEndpointDecoder): CxlMemdev {
  const m = memdevOfEndpoint(cxled.port);
  if (!m) throw new Error(`${cxled.name}: endpoint port without memdev`);
  return m;
}

/** The port directly below the CXL root on the path from `port` (the host-bridge port). */
export function topPort(port: CxlPort): CxlPort {
  let p = port;
  for (;;) {
    const up = p.parentPort();
    if (!up || up.isRoot) return p;
    p = up;
  }
}

/** The root dport of the endpoint's host bridge (cxl_find_dport_by_dev(root, ep->host_bridge)). */
export function hostBridgeDport(cxled: CxlEndpointDecoder, root: CxlPort): CxlDport | undefined {
  const top = topPort(cxled.port);
  const d = top.parentDport;
  return d && d.port === root ? d : undefined;
}

/** `%pr` of a memory resource: "[mem 0x…-0x… flags 0x200]" (lib/vsprintf.c resource_string). */
export function fmtRes(r: HpaRange, flags = 0x200): string {
  const h = (v: bigint) => `0x${BigInt.asUintN(64, v).toString(16).padStart(8, '0')}`;
  return `[mem ${h(r.start)}-${h(r.end)} flags 0x${flags.toString(16)}]`;
}
