/**
 * DOC: device physical address allocation for endpoint decoders (core/hdm.c
 * __cxl_dpa_reserve, cxl_dpa_alloc, cxl_dpa_free). DPA values are bytes.
 */
import { type CxlEndpointDecoder, frozenRange } from './decoder.ts';
import { memdevOfEndpoint } from './memdev.ts';

/**
 * __cxl_dpa_reserve(): records [base, base+len) for `cxled` with `skip` bytes before it and sets
 * the decoder mode from the partition that holds `base`.
 * @throws EBUSY when the range overlaps an existing reservation
 */
export function cxlDpaReserve(
  cxled: CxlEndpointDecoder,
  base: bigint,
  len: bigint,
  skip: bigint,
): void {
  const cxlmd = memdevOfEndpoint(cxled.port);
  const end = base + len - 1n;
  if (cxlmd) {
    for (const r of cxlmd.dpaReservations()) {
      if (r.dec !== cxled && base <= r.end && end >= r.start) {
        throw cxled.port.err(
          'EBUSY',
          `decoder${cxled.port.id}.${cxled.id}: Failed to reserve DPA range 0x${base.toString(16)} - 0x${end.toString(16)}: -16`,
        );
      }
    }
  }
  cxled.dpaRes = frozenRange(base, end);
  cxled.skip = skip;
  if (cxlmd) {
    const st = cxlmd.cxlds;
    if (st.pmem.size > 0n && base >= st.pmem.start && base < st.pmem.start + st.pmem.size)
      cxled.mode = 'pmem';
    else if (st.ram.size > 0n && base >= st.ram.start && base < st.ram.start + st.ram.size)
      cxled.mode = 'ram';
    else cxled.mode = 'mixed';
  }
  cxled.port.hdmEnd = Math.max(cxled.port.hdmEnd, cxled.id);
}
