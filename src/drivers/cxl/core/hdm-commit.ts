/**
 * DOC: guest-side HDM decoder commit and reset (drivers/cxl/core/hdm.c cxl_decoder_commit,
 * setup_hw_decoder, cxld_await_commit, cxl_decoder_reset, cxl_port_commit_reap).
 *
 * Programming goes through MMIO exactly as hdm.c does it (CXL 3.1 §8.2.4.20.7–.12): read the
 * control register, set IG/IW/Commit and the target type; write Base High, Base Low, Size High,
 * Size Low; then the Target List (High, Low) of a switch decoder or the DPA Skip (High, Low) of
 * an endpoint decoder; write the control register last; poll for Committed or Error Not
 * Committed. Decoders commit in id order per port (`commit_end`); a reset clears Commit and
 * zeroes base/size, and reaps `commit_end` down past already-disabled decoders (Debian's 6.1
 * carries that fix too: the captures show its "reap:" lines). Passthrough decoders have no
 * registers and are never passed here.
 */
import type { Errno } from '../../../kernel/errno.ts';
import { env } from '../../env.ts';
import {
  CTRL_COMMIT,
  CTRL_COMMIT_ERROR,
  CTRL_COMMITTED,
  CTRL_HOSTONLY,
  CTRL_IG_MASK,
  CTRL_IW_MASK,
  CTRL_IW_SHIFT,
  CXL_DECODER_F_ENABLE,
  granularityToEig,
  hdmBaseHigh,
  hdmBaseLow,
  hdmCtrl,
  hdmSizeHigh,
  hdmSizeLow,
  hdmSkipHigh,
  hdmSkipLow,
  hdmTlHigh,
  hdmTlLow,
  waysToEiw,
} from '../cxl.ts';
import { CXL_KVER } from '../kver.ts';
import { type CxlDecoder, CxlEndpointDecoder, CxlSwitchDecoder } from './decoder.ts';
import type { CxlPort } from './port.ts';

/** COMMIT_TIMEOUT_MS: polls of the control register (1 ms apart in the kernel). */
export const COMMIT_TIMEOUT_MS = 20;

const lo32 = (v: bigint) => Number(BigInt.asUintN(32, v));
const hi32 = (v: bigint) => Number(BigInt.asUintN(32, v >> 32n));

/** HPA of register `off` of the port's HDM capability. @throws Error when the port has none (a bug) */
function reg(port: CxlPort, off: number): bigint {
  if (!port.hdm) throw new Error(`${port.name}: no HDM capability mapped`);
  return port.hdm.base + BigInt(off);
}

/** cxlsd_set_targets(): port ids of targets[0..ways-1], one byte each. */
export function cxlsdTargets(cxlsd: CxlSwitchDecoder): bigint {
  let tgt = 0n;
  for (let i = 0; i < cxlsd.interleaveWays && i < 8; i++) {
    const t = cxlsd.targets[i];
    tgt |= BigInt((t?.portId ?? 0) & 0xff) << BigInt(8 * i);
  }
  return tgt;
}

/** setup_hw_decoder(): program one decoder, control register last. */
function setupHwDecoder(cxld: CxlSwitchDecoder | CxlEndpointDecoder): void {
  const port = cxld.port;
  const mmio = env(port).hw.mmio;
  const id = cxld.id;
  let ctrl = mmio.read32(reg(port, hdmCtrl(id))) >>> 0;
  const eig = granularityToEig(cxld.interleaveGranularity);
  const eiw = waysToEiw(cxld.interleaveWays);
  ctrl = (ctrl & ~CTRL_IG_MASK) | eig;
  ctrl = (ctrl & ~CTRL_IW_MASK) | (eiw << CTRL_IW_SHIFT);
  ctrl |= CTRL_COMMIT;
  if (cxld.targetType === 'expander') ctrl |= CTRL_HOSTONLY;
  else ctrl &= ~CTRL_HOSTONLY;
  const base = cxld.hpaRange.start;
  const size = cxld.hpaRange.end - cxld.hpaRange.start + 1n;
  mmio.write32(reg(port, hdmBaseHigh(id)), hi32(base));
  mmio.write32(reg(port, hdmBaseLow(id)), lo32(base));
  mmio.write32(reg(port, hdmSizeHigh(id)), hi32(size));
  mmio.write32(reg(port, hdmSizeLow(id)), lo32(size));
  if (cxld instanceof CxlSwitchDecoder) {
    const targets = cxlsdTargets(cxld);
    mmio.write32(reg(port, hdmTlHigh(id)), hi32(targets));
    mmio.write32(reg(port, hdmTlLow(id)), lo32(targets));
  } else {
    mmio.write32(reg(port, hdmSkipHigh(id)), hi32(cxld.skip));
    mmio.write32(reg(port, hdmSkipLow(id)), lo32(cxld.skip));
  }
  mmio.write32(reg(port, hdmCtrl(id)), ctrl >>> 0);
}

/** cxld_await_commit(): 'EIO' on Error Not Committed (Commit cleared), 'ETIMEDOUT', or undefined. */
function awaitCommit(port: CxlPort, id: number): 'EIO' | 'ETIMEDOUT' | undefined {
  const mmio = env(port).hw.mmio;
  for (let i = 0; i < COMMIT_TIMEOUT_MS; i++) {
    const ctrl = mmio.read32(reg(port, hdmCtrl(id))) >>> 0;
    if (ctrl & CTRL_COMMIT_ERROR) {
      mmio.write32(reg(port, hdmCtrl(id)), (ctrl & ~CTRL_COMMIT) >>> 0);
      return 'EIO';
    }
    if (ctrl & CTRL_COMMITTED) return undefined;
  }
  return 'ETIMEDOUT';
}

/**
 * cxl_decoder_commit(): commit one HDM decoder through MMIO. Already enabled decoders are left
 * alone. `commit_end` is advanced before the poll, as hdm.c does (and stays advanced on failure:
 * the reset that follows returns early for a decoder that never got ENABLE).
 * @throws EBUSY "%s: out of order commit, expected decoder%d.%d" (dbg on the port)
 * @throws EIO the hardware answered Error Not Committed; ETIMEDOUT no answer in 20 polls
 */
export function cxlDecoderCommit(cxld: CxlSwitchDecoder | CxlEndpointDecoder): void {
  const port = cxld.port;
  if (cxld.flags & CXL_DECODER_F_ENABLE) return;
  if (port.commitEnd + 1 !== cxld.id) {
    throw port.dbgErr(
      'EBUSY',
      `${cxld.name}: out of order commit, expected decoder${port.id}.${port.commitEnd + 1}`,
    );
  }
  setupHwDecoder(cxld);
  port.commitEnd++;
  const rc = awaitCommit(port, cxld.id);
  if (rc) {
    const e: Errno = port.dbgErr(
      rc,
      `${cxld.name}: error ${rc === 'EIO' ? -5 : -110} committing decoder`,
    );
    cxlDecoderReset(cxld);
    throw e;
  }
  cxld.flags |= CXL_DECODER_F_ENABLE;
}

/**
 * cxl_port_commit_reap(): `commit_end` drops below `cxld`, then below every lower decoder that
 * is already disabled ("reap: %s commit_end: %d" on the port for each).
 */
export function cxlPortCommitReap(cxld: CxlDecoder): void {
  const port = cxld.port;
  port.commitEnd--;
  port.dbg(`reap: ${cxld.name} commit_end: ${port.commitEnd}`);
  const lower = port
    .decoders()
    .filter(
      (d) => d.id < cxld.id && (d instanceof CxlSwitchDecoder || d instanceof CxlEndpointDecoder),
    )
    .sort((a, b) => b.id - a.id);
  for (const d of lower) {
    if (port.commitEnd === d.id && (d.flags & CXL_DECODER_F_ENABLE) === 0) {
      port.commitEnd--;
      port.dbg(`reap: ${d.name} commit_end: ${port.commitEnd}`);
    }
  }
}

/**
 * cxl_decoder_reset(): de-commit one HDM decoder through MMIO (clear Commit, zero Size and
 * Base), clear ENABLE; endpoint decoders go back to MANUAL. Disabled decoders are skipped, and
 * so are locked ones on kernels that honour CXL_DECODER_F_LOCK here.
 */
export function cxlDecoderReset(cxld: CxlSwitchDecoder | CxlEndpointDecoder): void {
  const port = cxld.port;
  if ((cxld.flags & CXL_DECODER_F_ENABLE) === 0) return;
  if (cxld.locked && env(port).since(CXL_KVER.lockedDecoderNoReset)) return;
  if (port.commitEnd === cxld.id) cxlPortCommitReap(cxld);
  else port.dbg(`${cxld.name}: out of order reset, expected decoder${port.id}.${port.commitEnd}`);
  const mmio = env(port).hw.mmio;
  const id = cxld.id;
  const ctrl = mmio.read32(reg(port, hdmCtrl(id))) >>> 0;
  mmio.write32(reg(port, hdmCtrl(id)), (ctrl & ~CTRL_COMMIT) >>> 0);
  mmio.write32(reg(port, hdmSizeHigh(id)), 0);
  mmio.write32(reg(port, hdmSizeLow(id)), 0);
  mmio.write32(reg(port, hdmBaseHigh(id)), 0);
  mmio.write32(reg(port, hdmBaseLow(id)), 0);
  cxld.flags &= ~CXL_DECODER_F_ENABLE;
  if (cxld instanceof CxlEndpointDecoder) cxld.state = 'manual';
}

/** Whether the decoder has commit/reset callbacks (HDM registers behind it). */
export function hasHdmRegisters(cxld: CxlDecoder): cxld is CxlSwitchDecoder | CxlEndpointDecoder {
  return (
    (cxld instanceof CxlSwitchDecoder || cxld instanceof CxlEndpointDecoder) &&
    !cxld.passthrough &&
    cxld.port.hdm !== undefined
  );
}
