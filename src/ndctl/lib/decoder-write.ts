/**
 * DOC: libcxl's endpoint-decoder setters (cxl/lib/libcxl.c cxl_decoder_set_dpa_size(),
 * cxl_decoder_set_mode()), as create-region, destroy-region, reserve-dpa and free-dpa use them.
 * Both refuse non-endpoint decoders and update the cached field after a successful write.
 */
import { hexAlt } from '../util/cstr.ts';
import { negErrno, writeAttr } from './sysfs-write.ts';
import { type CxlDecoder, DECODER_MODE, type DecoderMode, devname } from './types.ts';

/** cxl_decoder_set_dpa_size(): "%#llx\n" to dpa_size. */
export function decoderSetDpaSize(d: CxlDecoder, size: bigint): number {
  if (d.port.type !== 'endpoint') {
    d.ctx.out.log(
      'libcxl',
      'cxl_decoder_set_dpa_size',
      `${devname(d.devPath)}: not an endpoint decoder\n`,
    );
    return negErrno('EINVAL');
  }
  const rc = writeAttr(d.ctx, `${d.devPath}/dpa_size`, `${hexAlt(size)}\n`);
  if (rc < 0) return rc;
  d.dpaSize = size;
  return 0;
}

/** cxl_decoder_set_mode(): "pmem" or "ram" (no newline) to mode. */
export function decoderSetMode(d: CxlDecoder, mode: DecoderMode): number {
  const name = devname(d.devPath);
  if (d.port.type !== 'endpoint') {
    d.ctx.out.log('libcxl', 'cxl_decoder_set_mode', `${name}: not an endpoint decoder\n`);
    return negErrno('EINVAL');
  }
  let buf: string;
  if (mode === DECODER_MODE.PMEM) buf = 'pmem';
  else if (mode === DECODER_MODE.RAM) buf = 'ram';
  else {
    d.ctx.out.log('libcxl', 'cxl_decoder_set_mode', `${name}: unsupported mode: ${mode}\n`);
    return negErrno('EINVAL');
  }
  const rc = writeAttr(d.ctx, `${d.devPath}/mode`, buf);
  if (rc < 0) return rc;
  d.mode = mode;
  return 0;
}
