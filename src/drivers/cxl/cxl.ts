/**
 * DOC: component and device register layout, decoder flags and IW/IG encodings
 * (drivers/cxl/cxl.h; CXL 3.1 §8.2.4, §8.2.8).
 *
 * `eiw`/`eig` are the encoded register fields; `ways`/`granularity` are decoded values
 * (granularity in bytes). Never mix them in one variable.
 */
import { Errno } from '../../kernel/errno.ts';

/** CXL.cache/mem registers start 4 KiB into the component block. */
export const CXL_CM_OFFSET = 0x1000;
export const CXL_COMPONENT_REG_BLOCK_SIZE = 0x10000;
export const CM_CAP_HDR_CAP_ID_MASK = 0xffff;
export const CM_CAP_HDR_ARRAY_SIZE_SHIFT = 24;
export const CM_CAP_HDR_CAP_ID = 1;
export const CXL_CM_CAP_PTR_SHIFT = 20;
export const CXL_CM_CAP_CAP_ID_RAS = 0x2;
export const CXL_CM_CAP_CAP_ID_HDM = 0x5;

/** HDM decoder capability (CXL 3.1 §8.2.4.20), offsets from the HDM capability base. */
export const CXL_HDM_DECODER_CAP_OFFSET = 0x0;
export const CXL_HDM_DECODER_COUNT_MASK = 0xf;
export const CXL_HDM_DECODER_TARGET_COUNT_SHIFT = 4;
export const CXL_HDM_DECODER_INTERLEAVE_11_8 = 1 << 8;
export const CXL_HDM_DECODER_INTERLEAVE_14_12 = 1 << 9;
export const CXL_HDM_DECODER_INTERLEAVE_3_6_12_WAY = 1 << 11;
export const CXL_HDM_DECODER_INTERLEAVE_16_WAY = 1 << 12;
export const CXL_HDM_DECODER_CTRL_OFFSET = 0x4;
export const CXL_HDM_DECODER_ENABLE = 1 << 1;
export const hdmBaseLow = (i: number) => 0x20 * i + 0x10;
export const hdmBaseHigh = (i: number) => 0x20 * i + 0x14;
export const hdmSizeLow = (i: number) => 0x20 * i + 0x18;
export const hdmSizeHigh = (i: number) => 0x20 * i + 0x1c;
export const hdmCtrl = (i: number) => 0x20 * i + 0x20;
export const hdmTlLow = (i: number) => 0x20 * i + 0x24;
export const hdmTlHigh = (i: number) => 0x20 * i + 0x28;
export const hdmSkipLow = hdmTlLow;
export const hdmSkipHigh = hdmTlHigh;
export const CTRL_IG_MASK = 0xf;
export const CTRL_IW_SHIFT = 4;
export const CTRL_IW_MASK = 0xf0;
export const CTRL_LOCK = 1 << 8;
export const CTRL_COMMIT = 1 << 9;
export const CTRL_COMMITTED = 1 << 10;
export const CTRL_COMMIT_ERROR = 1 << 11;
export const CTRL_HOSTONLY = 1 << 12;

/** Device register block (CXL 3.1 §8.2.8). */
export const CXLDEV_CAP_ARRAY_OFFSET = 0;
export const CXLDEV_CAP_ARRAY_CAP_ID = 0;
export const CXLDEV_CAP_CAP_ID_DEVICE_STATUS = 0x1;
export const CXLDEV_CAP_CAP_ID_PRIMARY_MAILBOX = 0x2;
export const CXLDEV_CAP_CAP_ID_SECONDARY_MAILBOX = 0x3;
export const CXLDEV_CAP_CAP_ID_MEMDEV = 0x4000;
export const CXLDEV_MBOX_CAPS_OFFSET = 0x00;
export const CXLDEV_MBOX_CAP_PAYLOAD_SIZE_MASK = 0x1f;
export const CXLDEV_MBOX_CTRL_OFFSET = 0x04;
export const CXLDEV_MBOX_CTRL_DOORBELL = 1 << 0;
export const CXLDEV_MBOX_CMD_OFFSET = 0x08;
export const CXLDEV_MBOX_STATUS_OFFSET = 0x10;
export const CXLDEV_MBOX_BG_CMD_STATUS_OFFSET = 0x18;
export const CXLDEV_MBOX_PAYLOAD_OFFSET = 0x20;
/** Memory device status register bits. */
export const CXLMDEV_STATUS_FATAL = 1n << 0n;
export const CXLMDEV_FW_HALT = 1n << 1n;
export const CXLMDEV_MBOX_IF_READY = 1n << 4n;
export const cxlmdevMediaStatus = (v: bigint) => Number((v >> 2n) & 3n);
export const CXLMDEV_MS_READY = 1;

/** Decoder flags (cxl.h CXL_DECODER_F_*). */
export const CXL_DECODER_F_RAM = 1 << 0;
export const CXL_DECODER_F_PMEM = 1 << 1;
export const CXL_DECODER_F_TYPE2 = 1 << 2;
export const CXL_DECODER_F_TYPE3 = 1 << 3;
export const CXL_DECODER_F_LOCK = 1 << 4;
export const CXL_DECODER_F_ENABLE = 1 << 5;

/** Smallest interleave granularity (bytes) and largest encoded IG. */
export const CXL_DECODER_MIN_GRANULARITY = 256;
export const CXL_DECODER_MAX_ENCODED_IG = 6;
/** 256 MiB: HPA/DPA allocation unit. */
export const SZ_256M = 0x10000000n;
export const CXL_CAPACITY_MULTIPLIER = SZ_256M;

/**
 * eiw_to_ways() — encoded interleave ways → ways (1,2,4,8,16,3,6,12).
 * @throws EINVAL for an undefined encoding
 */
export function eiwToWays(eiw: number): number {
  if (eiw >= 0 && eiw <= 4) return 1 << eiw;
  if (eiw >= 8 && eiw <= 10) return 3 << (eiw - 8);
  throw new Errno('EINVAL', `invalid encoded interleave ways ${eiw}`);
}

/**
 * ways_to_eiw() — ways → encoded field.
 * @throws EINVAL when ways is not 1,2,4,8,16,3,6,12
 */
export function waysToEiw(ways: number): number {
  if (ways > 16 || ways < 1 || !Number.isInteger(ways))
    throw new Errno('EINVAL', `invalid interleave ways ${ways}`);
  if ((ways & (ways - 1)) === 0) return Math.log2(ways);
  if (ways % 3 !== 0) throw new Errno('EINVAL', `invalid interleave ways ${ways}`);
  const k = ways / 3;
  if ((k & (k - 1)) !== 0 || k > 4) throw new Errno('EINVAL', `invalid interleave ways ${ways}`);
  return Math.log2(k) + 8;
}

/**
 * eig_to_granularity() — encoded IG → bytes (256 << eig).
 * @throws EINVAL when eig > 6
 */
export function eigToGranularity(eig: number): number {
  if (eig < 0 || eig > CXL_DECODER_MAX_ENCODED_IG)
    throw new Errno('EINVAL', `invalid encoded granularity ${eig}`);
  return CXL_DECODER_MIN_GRANULARITY << eig;
}

/**
 * granularity_to_eig() — bytes → encoded IG.
 * @throws EINVAL unless a power of two in [256, 16384]
 */
export function granularityToEig(g: number): number {
  if (g > 16384 || g < 256 || (g & (g - 1)) !== 0)
    throw new Errno('EINVAL', `invalid granularity ${g}`);
  return Math.log2(g) - 8;
}

/** Decoder target type (enum cxl_decoder_type). */
export type DecoderTargetType = 'accelerator' | 'expander';
