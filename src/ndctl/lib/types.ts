/**
 * DOC: libcxl's objects (cxl/lib/private.h) as plain records.
 *
 * Paths are absolute (/sys/…) as libcxl holds them, so that its strstr()-based containment checks
 * behave identically. Lists that libcxl fills lazily on first iteration are `undefined` until then.
 * 64-bit fields are bigint (u64), 32-bit unsigned ones numbers.
 */
import type { SysfsView } from '../../sysfs/view.ts';
import type { Ndctl } from '../util/jsonc.ts';
import type { Output } from '../util/print.ts';
import type { CxlMemIoctl } from './ioctl.ts';

export type { Ndctl };

/** enum cxl_port_type */
export type PortType = 'root' | 'switch' | 'endpoint';

/** enum cxl_decoder_mode: NONE < MIXED < PMEM < RAM (json prints the mode when > NONE). */
export const DECODER_MODE = { NONE: 0, MIXED: 1, PMEM: 2, RAM: 3 } as const;
export type DecoderMode = (typeof DECODER_MODE)[keyof typeof DECODER_MODE];

/** cxl_decoder_mode_name() */
export function decoderModeName(mode: DecoderMode): string {
  return ['none', 'mixed', 'pmem', 'ram'][mode] ?? 'none';
}

/** enum cxl_decode_state: UNKNOWN -1, RESET 0, COMMIT 1 (else whatever strtoul gave). */
export const DECODE_STATE = { UNKNOWN: -1, RESET: 0, COMMIT: 1 } as const;

/** CXL_QOS_CLASS_NONE */
export const QOS_CLASS_NONE = -1;

/** struct cxl_ctx */
export interface CxlCtx {
  view: SysfsView;
  ioctl: CxlMemIoctl | undefined;
  ndctl: Ndctl;
  out: Output;
  /** <debugfs>/cxl when debugfs is mounted (85 only); debugfs is taken as /sys/kernel/debug. */
  debugfs: string | undefined;
  memdevs: CxlMemdev[] | undefined;
  buses: CxlPort[] | undefined;
  /** memdevs by devname (first in list order), for endpoint → memdev lookups; see memdev.ts. */
  memdevIndex?: { list: CxlMemdev[]; size: number; byName: Map<string, CxlMemdev> };
}

/** struct cxl_memdev */
export interface CxlMemdev {
  ctx: CxlCtx;
  id: number;
  devPath: string;
  hostPath: string;
  pmemSize: bigint;
  ramSize: bigint;
  pmemQosClass: number;
  ramQosClass: number;
  payloadMax: number;
  lsaSize: bigint;
  serial: bigint;
  numaNode: number;
  firmwareVersion: string | undefined;
  endpoint: CxlPort | undefined;
}

/** struct cxl_port (also struct cxl_bus and struct cxl_endpoint: `type` tells which). */
export interface CxlPort {
  ctx: CxlCtx;
  id: number;
  type: PortType;
  parent: CxlPort | undefined;
  depth: number;
  devPath: string;
  uport: string;
  decodersCommitted: number;
  parentDportPath: string | undefined;
  parentDport: CxlDport | undefined;
  childPorts: CxlPort[] | undefined;
  endpoints: CxlPort[] | undefined;
  decoders: CxlDecoder[] | undefined;
  dports: CxlDport[] | undefined;
  nrDports: number;
  bus: CxlPort | undefined;
  /** endpoints: the memdev once associated */
  memdev: CxlMemdev | undefined;
}

/** struct cxl_dport */
export interface CxlDport {
  id: number;
  port: CxlPort;
  devPath: string;
  physPath: string | undefined;
  fwPath: string | undefined;
}

/** struct cxl_target */
export interface CxlTarget {
  decoder: CxlDecoder;
  devPath: string;
  physPath: string | undefined;
  fwPath: string | undefined;
  id: number;
  position: number;
}

/** struct cxl_decoder */
export interface CxlDecoder {
  port: CxlPort;
  ctx: CxlCtx;
  id: number;
  devPath: string;
  start: bigint;
  size: bigint;
  dpaResource: bigint;
  dpaSize: bigint;
  maxAvailableExtent: bigint;
  nrTargets: number;
  mode: DecoderMode;
  interleaveWays: number;
  interleaveGranularity: number;
  pmemCapable: boolean;
  volatileCapable: boolean;
  memCapable: boolean;
  accelmemCapable: boolean;
  locked: boolean;
  qosClass: number;
  targets: CxlTarget[];
  regions: CxlRegion[];
  regionsInit: boolean;
}

/** enum cxl_region_locked_state (85) */
export type RegionLocked = 'unknown' | 'locked' | 'unlocked';

/** struct cxl_region */
export interface CxlRegion {
  decoder: CxlDecoder;
  ctx: CxlCtx;
  id: number;
  devPath: string;
  start: bigint;
  size: bigint;
  cacheSize: bigint;
  mode: DecoderMode;
  locked: RegionLocked;
  interleaveWays: number;
  interleaveGranularity: number;
  decodeState: number;
  mappings: CxlMapping[] | undefined;
}

/** struct cxl_memdev_mapping */
export interface CxlMapping {
  region: CxlRegion;
  decoder: CxlDecoder;
  position: number;
}

/** devpath_to_devname(): the last path component. */
export function devname(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
