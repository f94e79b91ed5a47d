/**
 * DOC: HDM decoder capability, guest side (drivers/cxl/core/hdm.c).
 *
 * `devmCxlSetupHdm` maps a port's HDM decoder capability (CXL 3.1 §8.2.4.20) and parses its
 * counts and interleave capabilities; `devmCxlEnumerateDecoders` creates one decoder object per
 * HDM decoder from the register state (committed decoders keep their range, firmware DPA
 * reservations are replayed); `devmCxlAddPassthroughDecoder` is the software decoder a port with
 * a single dport gets (always in 6.1; in later kernels only without HDM registers).
 */
import type { Device } from '../../../kernel/device.ts';
import { Errno } from '../../../kernel/errno.ts';
import { env } from '../../env.ts';
import {
  CTRL_COMMITTED,
  CTRL_HOSTONLY,
  CTRL_IG_MASK,
  CTRL_IW_MASK,
  CTRL_IW_SHIFT,
  CTRL_LOCK,
  CXL_DECODER_F_ENABLE,
  CXL_DECODER_F_LOCK,
  CXL_HDM_DECODER_COUNT_MASK,
  CXL_HDM_DECODER_INTERLEAVE_3_6_12_WAY,
  CXL_HDM_DECODER_INTERLEAVE_11_8,
  CXL_HDM_DECODER_INTERLEAVE_14_12,
  CXL_HDM_DECODER_INTERLEAVE_16_WAY,
  CXL_HDM_DECODER_TARGET_COUNT_SHIFT,
  eigToGranularity,
  eiwToWays,
  hdmBaseHigh,
  hdmBaseLow,
  hdmCtrl,
  hdmSizeHigh,
  hdmSizeLow,
  hdmSkipHigh,
  hdmSkipLow,
  hdmTlHigh,
  hdmTlLow,
} from '../cxl.ts';
import { CXL_KVER } from '../kver.ts';
import { type CxlDecoder, CxlEndpointDecoder, CxlSwitchDecoder, frozenRange } from './decoder.ts';
import { cxlDpaReserve } from './dpa.ts';
import { cxlMockSwitchDecoderInit } from './mock-hooks.ts';
import type { CxlPort } from './port.ts';
import { cxlProbeComponentRegs } from './regs.ts';

/** `struct cxl_hdm`: where the capability is and what it can do. */
export interface CxlHdm {
  port: CxlPort;
  /** HPA of the HDM capability structure. */
  base: bigint;
  decoderCount: number;
  targetCount: number;
  /** Address bits usable for interleave selection (bits 8..14). */
  interleaveMask: number;
  /** Bit n set = n-way interleave supported. */
  iwCapMask: number;
}

/** Reads a 64-bit value from a LO/HI register pair (ioread64_hi_lo). */
function read64HiLo(dev: Device, lo: bigint, hi: bigint): bigint {
  const mmio = env(dev).hw.mmio;
  const h = mmio.read32(hi) >>> 0;
  const l = mmio.read32(lo) >>> 0;
  return (BigInt(h) << 32n) | BigInt(l);
}

/** cxl_hdm_decoder_count(): 0 → 1, else 2 × field. */
export function cxlHdmDecoderCount(capHdr: number): number {
  const v = capHdr & CXL_HDM_DECODER_COUNT_MASK;
  return v ? v * 2 : 1;
}

/**
 * devm_cxl_setup_hdm(): locates and parses the HDM capability of `port`'s component registers
 * (at `componentBase`, logging the capability walk on the port).
 * @throws ENXIO "HDM decoder registers not found" / "Spec violation. Caps invalid";
 *   ENODEV (logged at debug level) when `quiet` and the capability is missing, for the passthrough fallback
 */
export function devmCxlSetupHdm(
  port: CxlPort,
  componentBase: bigint | undefined,
  logDev: Device = port,
  quiet = false,
): CxlHdm {
  const missing = () =>
    quiet
      ? port.dbgErr('ENODEV', 'HDM decoder registers not found')
      : port.err('ENXIO', 'HDM decoder registers not found');
  if (componentBase === undefined) throw missing();
  const map = cxlProbeComponentRegs(logDev, componentBase);
  if (!map.hdm) throw missing();
  const base = componentBase + BigInt(map.hdm.offset);
  const hdr = env(port).hw.mmio.read32(base);
  const hdm: CxlHdm = {
    port,
    base,
    decoderCount: cxlHdmDecoderCount(hdr),
    targetCount: (hdr >>> CXL_HDM_DECODER_TARGET_COUNT_SHIFT) & 0xf,
    interleaveMask: 0,
    iwCapMask: (1 << 1) | (1 << 2) | (1 << 4) | (1 << 8),
  };
  if (hdr & CXL_HDM_DECODER_INTERLEAVE_11_8) hdm.interleaveMask |= 0xf00;
  if (hdr & CXL_HDM_DECODER_INTERLEAVE_14_12) hdm.interleaveMask |= 0x7000;
  if (hdr & CXL_HDM_DECODER_INTERLEAVE_3_6_12_WAY) hdm.iwCapMask |= (1 << 3) | (1 << 6) | (1 << 12);
  if (hdr & CXL_HDM_DECODER_INTERLEAVE_16_WAY) hdm.iwCapMask |= 1 << 16;
  if (hdm.decoderCount <= 0) throw port.err('ENXIO', 'Spec violation. Caps invalid');
  port.hdm = hdm;
  return hdm;
}

/**
 * decoder_populate_targets() + device_add: resolves the target map to dports and registers
 * the decoder, logging "Added to port %s".
 * 6.1 resolves the nr_targets slots up to the first missing dport (-ENXIO), which
 * cxl_decoder_add_locked() turns into a failure ("Failed to populate active decoder targets",
 * then add_hdm_decoder()'s "Failed to add decoder" and devm_cxl_enumerate_decoders()'s
 * "Failed to add decoder to port") only for an enabled (committed) decoder: an idle decoder is
 * registered with the slots found so far (the cxl_test mock's single-root-port host bridge,
 * target map {4, 0}). Later kernels resolve `ways` slots and leave missing ones empty.
 * @throws ENXIO an enabled decoder with a target missing among the port's dports (6.1)
 */
export function addHdmDecoder(
  port: CxlPort,
  cxld: CxlDecoder,
  targetMap: number[] | undefined,
): void {
  if (targetMap && cxld instanceof CxlSwitchDecoder) {
    const e = env(port);
    if (port.dports.length === 0) throw port.err('EINVAL', 'Failed to add decoder to port');
    cxld.targetMap = [...targetMap];
    const n = e.since(CXL_KVER.switchTargetsByWays) ? cxld.interleaveWays : cxld.nrTargets;
    for (let i = 0; i < n; i++) {
      const dport = port.findDport(targetMap[i] ?? 0);
      if (!dport) {
        if (!e.since(CXL_KVER.switchTargetsByWays)) {
          // decoder_populate_targets() stops at the first missing dport with -ENXIO;
          // cxl_decoder_add_locked() fails only an enabled decoder, an idle one is
          // registered with the slots resolved so far
          if (!cxld.enabled) break;
          port.err('ENXIO', 'Failed to populate active decoder targets');
          port.err('ENXIO', 'Failed to add decoder');
          port.warn('Failed to add decoder to port');
          throw new Errno('ENXIO', 'Failed to add decoder to port', port.name);
        }
        continue;
      }
      cxld.targets[i] = dport;
    }
  }
  cxld.add();
  cxld.dbg(`Added to port ${port.name}`);
}

/**
 * init_hdm_decoder(): fills one decoder object from HDM decoder `which`'s registers.
 * @throws ENXIO invalid range, committed out of order; EINVAL bad IW/IG encodings
 */
function initHdmDecoder(
  port: CxlPort,
  cxld: CxlDecoder,
  hdm: CxlHdm,
  which: number,
  dpaBase: { v: bigint },
): number[] | undefined {
  const mmio = env(port).hw.mmio;
  const at = (off: number) => hdm.base + BigInt(off);
  let ctrl = mmio.read32(at(hdmCtrl(which))) >>> 0;
  const base = read64HiLo(port, at(hdmBaseLow(which)), at(hdmBaseHigh(which)));
  let size = read64HiLo(port, at(hdmSizeLow(which)), at(hdmSizeHigh(which)));
  const committed = (ctrl & CTRL_COMMITTED) !== 0;
  if (!committed) size = 0n;
  const U64_MAX = (1n << 64n) - 1n;
  if (base === U64_MAX || size === U64_MAX) {
    port.warn(`decoder${port.id}.${cxld.id}: Invalid resource range`);
    throw port.err('ENXIO', `Failed to initialize decoder${port.id}.${cxld.id}`);
  }
  cxld.hpaRange = frozenRange(base, base + size - 1n);
  if (committed) {
    cxld.flags |= CXL_DECODER_F_ENABLE;
    if (ctrl & CTRL_LOCK) cxld.flags |= CXL_DECODER_F_LOCK;
    cxld.targetType = ctrl & CTRL_HOSTONLY ? 'expander' : 'accelerator';
    if (cxld.id !== port.commitEnd + 1) {
      port.warn(`decoder${port.id}.${cxld.id}: Committed out of order`);
      throw port.err('ENXIO', `Failed to initialize decoder${port.id}.${cxld.id}`);
    }
    port.commitEnd = cxld.id;
  } else {
    if (!(ctrl & CTRL_HOSTONLY)) {
      ctrl |= CTRL_HOSTONLY;
      mmio.write32(at(hdmCtrl(which)), ctrl);
    }
    cxld.targetType = 'expander';
  }
  try {
    cxld.interleaveWays = eiwToWays((ctrl & CTRL_IW_MASK) >>> CTRL_IW_SHIFT);
  } catch (e) {
    port.warn(
      `decoder${port.id}.${cxld.id}: Invalid interleave ways (ctrl: 0x${ctrl.toString(16)})`,
    );
    throw e as Errno;
  }
  try {
    cxld.interleaveGranularity = eigToGranularity(ctrl & CTRL_IG_MASK);
  } catch (e) {
    port.warn(
      `decoder${port.id}.${cxld.id}: Invalid interleave granularity (ctrl: 0x${ctrl.toString(16)})`,
    );
    throw e as Errno;
  }
  if (!(cxld instanceof CxlEndpointDecoder)) {
    const tl =
      (BigInt(mmio.read32(at(hdmTlHigh(which))) >>> 0) << 32n) |
      BigInt(mmio.read32(at(hdmTlLow(which))) >>> 0);
    const map: number[] = [];
    for (let i = 0; i < cxld.interleaveWays && i < 8; i++)
      map.push(Number((tl >> BigInt(8 * i)) & 0xffn));
    return map;
  }
  if (!committed) return undefined;
  const ways = BigInt(cxld.interleaveWays);
  const dpaSize = size / ways;
  if (size % ways !== 0n) {
    throw port.err(
      'ENXIO',
      `decoder${port.id}.${cxld.id}: invalid committed configuration size: 0x${size.toString(16)} ways: ${cxld.interleaveWays}`,
    );
  }
  const skip = read64HiLo(port, at(hdmSkipLow(which)), at(hdmSkipHigh(which)));
  cxlDpaReserve(cxld, dpaBase.v + skip, dpaSize, skip);
  cxld.state = 'auto';
  dpaBase.v += dpaSize + skip;
  return undefined;
}

/**
 * devm_cxl_enumerate_decoders(): one decoder device per HDM decoder, in register order.
 * @throws the first decoder's init error (the port probe then fails)
 */
export function devmCxlEnumerateDecoders(hdm: CxlHdm): void {
  const port = hdm.port;
  const dpaBase = { v: 0n };
  for (let i = 0; i < hdm.decoderCount; i++) {
    const id = port.decoderIda.alloc();
    const cxld: CxlDecoder = port.isEndpoint
      ? new CxlEndpointDecoder(port, id)
      : new CxlSwitchDecoder(port, id, hdm.targetCount);
    let targetMap: number[] | undefined;
    try {
      targetMap = initHdmDecoder(port, cxld, hdm, i, dpaBase);
    } catch (e) {
      port.decoderIda.free(id);
      throw e;
    }
    const mockMap =
      cxld instanceof CxlSwitchDecoder
        ? cxlMockSwitchDecoderInit(port, cxld, (cxld.flags & CXL_DECODER_F_ENABLE) !== 0)
        : undefined;
    if (mockMap) addHdmDecoder(port, cxld, mockMap);
    else if (targetMap) {
      const full = new Array<number>(8).fill(0);
      targetMap.forEach((t, k) => {
        full[k] = t;
      });
      addHdmDecoder(port, cxld, full);
    } else addHdmDecoder(port, cxld, undefined);
  }
}

/**
 * devm_cxl_add_passthrough_decoder(): a single-target software decoder (ways 1, granularity
 * PAGE_SIZE = 4096) routing to the port's only dport.
 */
export function devmCxlAddPassthroughDecoder(port: CxlPort): void {
  const id = port.decoderIda.alloc();
  const cxlsd = new CxlSwitchDecoder(port, id, 1);
  cxlsd.interleaveWays = 1;
  cxlsd.interleaveGranularity = 4096;
  cxlsd.targetType = 'expander';
  cxlsd.passthrough = true;
  const first = port.dports[0];
  addHdmDecoder(port, cxlsd, [first ? first.portId : 0]);
}

/**
 * The HDM decoders of a switch or host-bridge port with `nDports` dports
 * (devm_cxl_switch_port_decoders_setup() in 6.18+, the tail of cxl_switch_port_probe() before):
 * the HDM decoders when the capability is there, else a passthrough decoder for a single dport.
 * 6.1 gives a single-dport port a passthrough decoder without looking at HDM registers.
 * @throws ENXIO HDM registers missing with more than one dport
 */
export function switchPortDecodersSetup(port: CxlPort, nDports: number): void {
  if (!env(port).since(CXL_KVER.singleDportReadsHdm)) {
    if (nDports === 1) {
      devmCxlAddPassthroughDecoder(port);
      return;
    }
    devmCxlEnumerateDecoders(devmCxlSetupHdm(port, port.componentBase));
    return;
  }
  let hdm: ReturnType<typeof devmCxlSetupHdm> | undefined;
  try {
    hdm = devmCxlSetupHdm(port, port.componentBase, port, true);
  } catch (err) {
    if (nDports !== 1) throw err;
  }
  if (hdm) {
    devmCxlEnumerateDecoders(hdm);
    return;
  }
  port.dbg('Fallback to passthrough decoder');
  devmCxlAddPassthroughDecoder(port);
}
