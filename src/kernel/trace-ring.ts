/**
 * DOC: the ring buffer's sub-buffer pages as trace_pipe_raw gives them (kernel/trace/
 * ring_buffer.c, 64-bit, 4 KiB pages), and the events/header_page and events/header_event
 * files that describe them (ring_buffer_print_page_header(), ring_buffer_print_entry_header()).
 *
 * A page: u64 time_stamp (ns, the first event's time), local_t commit (8 bytes: the data
 * length; bit 31 RB_MISSED_EVENTS, never set here), then the events from byte 16, up to
 * 4080 bytes. An event: a u32 header (type_len:5 low bits, time_delta:27 — ns since the
 * previous event or the page time_stamp), then for type_len 1…28 the data of type_len × 4
 * bytes, or for type_len 0 (data over 112 bytes) array[0] = data length + 4 and the data;
 * the data length is the record rounded up to 4 (rb_calculate_event_length(),
 * rb_update_event()). A delta that does not fit 27 bits is written as a TIME_EXTEND event
 * (type_len 30, delta low 27 bits, array[0] the rest) before the event.
 */

/** Bytes of a ring buffer page (the host's PAGE_SIZE; 4 KiB on x86-64 and Debian arm64). */
export const RB_PAGE_SIZE = 4096;
/** struct buffer_data_page header: time_stamp and commit. */
const BUF_PAGE_HDR_SIZE = 16;
/** Largest data length a type_len can hold (RB_MAX_SMALL_DATA: 28 × 4). */
const RB_MAX_SMALL_DATA = 28 * 4;
const RINGBUF_TYPE_TIME_EXTEND = 30;
const TS_SHIFT = 27;
const TS_MASK = (1 << TS_SHIFT) - 1;

/** ring_buffer_print_page_header(): the events/header_page file. */
export function headerPageText(): string {
  const data = RB_PAGE_SIZE - BUF_PAGE_HDR_SIZE;
  return (
    '\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n' +
    '\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n' +
    '\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n' +
    `\tfield: char data;\toffset:16;\tsize:${data};\tsigned:0;\n`
  );
}

/** ring_buffer_print_entry_header(): the events/header_event file. */
export function headerEventText(): string {
  return (
    '# compressed entry header\n' +
    '\ttype_len    :    5 bits\n' +
    '\ttime_delta  :   27 bits\n' +
    '\tarray       :   32 bits\n' +
    '\n' +
    '\tpadding     : type == 29\n' +
    '\ttime_extend : type == 30\n' +
    '\ttime_stamp : type == 31\n' +
    '\tdata max type_len  == 28\n'
  );
}

/** One recorded event: its time (ns since boot) and its record (trace_event_raw_*). */
export interface RawTraceEvent {
  ts: bigint;
  record: Uint8Array;
}

/** The bytes of one event (with a TIME_EXTEND before it when `delta` needs one). */
function eventBytes(record: Uint8Array, delta: bigint): Uint8Array {
  const len = Math.ceil(Math.max(record.length, 1) / 4) * 4;
  const big = len > RB_MAX_SMALL_DATA;
  const ext = delta > BigInt(TS_MASK);
  const out = new Uint8Array((ext ? 8 : 0) + 4 + (big ? 4 : 0) + len);
  const dv = new DataView(out.buffer);
  let o = 0;
  let d = Number(delta & BigInt(TS_MASK));
  if (ext) {
    dv.setUint32(0, RINGBUF_TYPE_TIME_EXTEND | (d << 5), true);
    dv.setUint32(4, Number(delta >> BigInt(TS_SHIFT)) >>> 0, true);
    o = 8;
    d = 0;
  }
  dv.setUint32(o, ((big ? 0 : len / 4) | (d << 5)) >>> 0, true);
  o += 4;
  if (big) {
    dv.setUint32(o, len + 4, true);
    o += 4;
  }
  out.set(record, o);
  return out;
}

/** One page of the ring buffer and how many of the events it holds. */
export interface RingBufferPage {
  page: Uint8Array;
  count: number;
}

/**
 * The pages trace_pipe_raw reads for `events` (oldest first), each RB_PAGE_SIZE bytes with
 * its unused tail zero; as many events per page as fit (ring_buffer_read_page()).
 */
export function ringBufferPages(events: readonly RawTraceEvent[]): RingBufferPage[] {
  const pages: RingBufferPage[] = [];
  let page: Uint8Array | undefined;
  let used = 0;
  let count = 0;
  let last = 0n;
  const close = () => {
    if (!page) return;
    new DataView(page.buffer).setBigUint64(8, BigInt(used), true);
    pages.push({ page, count });
    page = undefined;
  };
  for (const ev of events) {
    let bytes = page ? eventBytes(ev.record, ev.ts - last) : undefined;
    if (!page || !bytes || used + bytes.length > RB_PAGE_SIZE - BUF_PAGE_HDR_SIZE) {
      close();
      page = new Uint8Array(RB_PAGE_SIZE);
      new DataView(page.buffer).setBigUint64(0, ev.ts, true);
      used = 0;
      count = 0;
      bytes = eventBytes(ev.record, 0n);
    }
    page.set(bytes, BUF_PAGE_HDR_SIZE + used);
    used += bytes.length;
    count += 1;
    last = ev.ts;
  }
  close();
  return pages;
}
