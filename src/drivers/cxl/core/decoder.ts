/**
 * DOC: CXL decoders (drivers/cxl/core/port.c, cxl.h struct cxl_decoder and its three kinds).
 *
 * `decoderX.Y`: X is the owning port's id, Y the per-port decoder id (HDM register index).
 * Root decoders (cxlrd) come from CFMWS windows, switch decoders (cxlsd) are host-bridge or
 * switch HDM decoders (or a passthrough decoder), endpoint decoders (cxled) are a memdev's HDM
 * decoders with a DPA allocation. HPA ranges are inclusive [start, end]; an idle decoder has
 * start 0, end -1 (size 0), as the kernel's `range` with `.end = -1`.
 */
import { Device } from '../../../kernel/device.ts';
import { CXL_DECODER_F_ENABLE, CXL_DECODER_F_LOCK, type DecoderTargetType } from '../cxl.ts';
import {
  endpointDecoderAttrGroups,
  rootDecoderAttrGroups,
  switchDecoderAttrGroups,
} from './decoder-sysfs.ts';
import type { CxlDport, CxlPort } from './port.ts';

/**
 * Inclusive HPA range in bytes. A value is never changed in place (a decoder's range is
 * replaced): the ones decoders hold are frozen ({@link frozenRange}), shared by copies of the
 * machine.
 */
export interface HpaRange {
  readonly start: bigint;
  readonly end: bigint;
}

/** The idle range [0, -1] (size 0): one frozen value. */
export const IDLE_RANGE: HpaRange = Object.freeze({ start: 0n, end: -1n });

/**
 * [start, end] as a frozen {@link HpaRange} (a decoder's `hpaRange` / `dpaRes`): the idle range
 * is {@link IDLE_RANGE} itself (every decoder not programmed holds that one).
 */
export function frozenRange(start: bigint, end: bigint): HpaRange {
  if (start === 0n && end === -1n) return IDLE_RANGE;
  return Object.freeze({ start, end });
}

/** Size of an inclusive range (end - start + 1; 0 for the idle [0, -1]). */
export function rangeLen(r: HpaRange): bigint {
  return r.end - r.start + 1n;
}

/** Kinds of decoder. */
export type DecoderKind = 'root' | 'switch' | 'endpoint';

/** `struct cxl_decoder`. */
export abstract class CxlDecoder extends Device {
  readonly isDecoder = true;
  readonly id: number;
  readonly port: CxlPort;
  abstract readonly kind: DecoderKind;
  hpaRange: HpaRange = IDLE_RANGE;
  interleaveWays = 1;
  /** Bytes. */
  interleaveGranularity = 256;
  /** CXL_DECODER_F_* flags. */
  flags = 0;
  targetType: DecoderTargetType = 'expander';
  /** Region this decoder is attached to (set by the region driver). */
  region: { name: string } | undefined;
  /** Passthrough (software) decoder: no HDM registers behind it. */
  passthrough = false;

  constructor(port: CxlPort, id: number, devtype: string) {
    super(port.ctx, `decoder${port.id}.${id}`, port, 'cxl', devtype);
    this.id = id;
    this.port = port;
  }

  /** Committed / enabled (CXL_DECODER_F_ENABLE). */
  get enabled(): boolean {
    return (this.flags & CXL_DECODER_F_ENABLE) !== 0;
  }
  /** CXL_DECODER_F_LOCK. */
  get locked(): boolean {
    return (this.flags & CXL_DECODER_F_LOCK) !== 0;
  }
  /** HPA size in bytes. */
  get size(): bigint {
    return rangeLen(this.hpaRange);
  }
}

/** Switch-style decoders hold a target list of dports. */
export interface TargetHolder {
  /** Dport ids (target map) in interleave order, from CFMWS or the HDM target list registers. */
  targetMap: number[];
  /** Resolved dports (undefined where not (yet) present). */
  targets: (CxlDport | undefined)[];
  nrTargets: number;
}

/** `struct cxl_switch_decoder` (host bridge or switch HDM decoder, or passthrough). */
export class CxlSwitchDecoder extends CxlDecoder implements TargetHolder {
  readonly kind = 'switch';
  targetMap: number[] = [];
  targets: (CxlDport | undefined)[] = [];
  nrTargets: number;
  constructor(port: CxlPort, id: number, nrTargets: number) {
    super(port, id, 'cxl_decoder_switch');
    this.nrTargets = nrTargets;
    this.setGroups(switchDecoderAttrGroups());
  }
}

/** `struct cxl_root_decoder` from one CFMWS. */
export class CxlRootDecoder extends CxlDecoder implements TargetHolder {
  readonly kind = 'root';
  targetMap: number[] = [];
  targets: (CxlDport | undefined)[] = [];
  nrTargets: number;
  /** Pre-allocated region id shown by create_*_region. */
  regionId = -1;
  /** QTG id from the CFMWS; -1 = CXL_QOS_CLASS_INVALID. */
  qosClass = -1;
  /** Interleave arithmetic of the window. */
  arithmetic: 'modulo' | 'xor' = 'modulo';
  /** CXIMS XOR maps applied by this window (XOR arithmetic). */
  xormaps: bigint[] = [];
  /** Window resource name "CXL Window N". */
  resName = '';
  constructor(port: CxlPort, id: number, nrTargets: number) {
    super(port, id, 'cxl_decoder_root');
    this.nrTargets = nrTargets;
    this.setGroups(rootDecoderAttrGroups());
  }
}

/** Endpoint decoder mode (enum cxl_decoder_mode, as sysfs prints it). */
export type DecoderMode = 'none' | 'ram' | 'pmem' | 'mixed' | 'dead';

/** `struct cxl_endpoint_decoder`. */
export class CxlEndpointDecoder extends CxlDecoder {
  readonly kind = 'endpoint';
  mode: DecoderMode = 'none';
  /** Allocated DPA range (inclusive), undefined when none. */
  dpaRes: HpaRange | undefined;
  /** DPA skip in bytes before dpaRes. */
  skip = 0n;
  /** Firmware-committed (AUTO) vs user (MANUAL). */
  state: 'auto' | 'manual' = 'manual';
  /** Position in its region, -1 when not attached. */
  pos = -1;
  constructor(port: CxlPort, id: number) {
    super(port, id, 'cxl_decoder_endpoint');
    this.setGroups(endpointDecoderAttrGroups());
  }
}

/** is_root_decoder() etc. */
export const isRootDecoder = (d: unknown): d is CxlRootDecoder => d instanceof CxlRootDecoder;
export const isSwitchDecoder = (d: unknown): d is CxlSwitchDecoder => d instanceof CxlSwitchDecoder;
export const isEndpointDecoder = (d: unknown): d is CxlEndpointDecoder =>
  d instanceof CxlEndpointDecoder;
