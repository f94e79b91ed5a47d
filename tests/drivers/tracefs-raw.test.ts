/**
 * Raw tracefs (kernel/trace/trace_events.c f_show(), ring_buffer.c): the format files of the
 * cxl events per kernel (offsets, sizes and signedness computed from each TP_STRUCT__entry),
 * events/header_page and header_event as a 6.18 tracefs prints them (the layout this host's
 * kernel shows; no guest capture has tracefs), and per_cpu/cpu0/trace_pipe_raw pages parsed
 * back byte by byte with a parser written here from ring_buffer.c's description (not the
 * one cxlsim's monitor uses): page header, event headers (type_len 0 with array[0] for records
 * over 112 bytes, 1…28 below, TIME_EXTEND for long deltas), the records' common header and
 * fields at the offsets their format file gives.
 */
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { cxlQmp } from '../../src/hw/qmp/cxl.ts';
import { Errno } from '../../src/kernel/errno.ts';
import { kernelTrace } from '../../src/kernel/trace.ts';
import { ringBufferPages } from '../../src/kernel/trace-ring.ts';
import { resolveProfile } from '../../src/profile.ts';
import { getPreset } from '../../src/topology/presets/index.ts';

const PMEM1 = '/machine/peripheral/cxl-pmem1';
const T = 'kernel/tracing';

function boot(name: string) {
  const profile = resolveProfile(name);
  const m = bootMachine(getPreset('default', profile.qemu), { profile });
  const fns = [...(m.platform?.functions().values() ?? [])];
  const qmp = (cmd: string, args: object) =>
    cxlQmp(fns, cmd, { path: PMEM1, ...args }, profile.qemu);
  const read = (p: string) => m.sysfs.read(`${T}/${p}`) as string;
  return { m, qmp, read };
}

/** One field line of a format file: [decl, offset, size, signed]. */
function fieldsOf(
  format: string,
): Map<string, { decl: string; offset: number; size: number; signed: number }> {
  const out = new Map<string, { decl: string; offset: number; size: number; signed: number }>();
  for (const m of format.matchAll(
    /\tfield:([^;]+);\toffset:(\d+);\tsize:(\d+);\tsigned:(\d);\n/g,
  )) {
    const decl = m[1] as string;
    const name = (decl.split(' ').at(-1) as string).replace(/\[\d+\]$/, '');
    out.set(name, { decl, offset: Number(m[2]), size: Number(m[3]), signed: Number(m[4]) });
  }
  return out;
}

/** An event read off a page by this test's parser. */
interface Parsed {
  typeLen: number;
  ts: bigint;
  data: Uint8Array;
}

/** ring_buffer.c's page and event layout, parsed independently of src/. */
function parsePage(page: Uint8Array): { ts: bigint; commit: number; events: Parsed[] } {
  const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const ts0 = dv.getBigUint64(0, true);
  const commit = Number(dv.getBigInt64(8, true));
  const events: Parsed[] = [];
  let ts = ts0;
  let o = 16;
  while (o < 16 + commit) {
    const w = dv.getUint32(o, true);
    const typeLen = w & 31;
    const delta = BigInt(w >>> 5);
    if (typeLen === 30) {
      ts += (BigInt(dv.getUint32(o + 4, true)) << 27n) + delta;
      o += 8;
      continue;
    }
    ts += delta;
    if (typeLen === 0) {
      const len = dv.getUint32(o + 4, true) - 4;
      events.push({ typeLen, ts, data: page.slice(o + 8, o + 8 + len) });
      o += 8 + len;
    } else {
      events.push({ typeLen, ts, data: page.slice(o + 4, o + 4 + typeLen * 4) });
      o += 4 + typeLen * 4;
    }
  }
  return { ts: ts0, commit, events };
}

const le = (b: Uint8Array, off: number, n: number) => {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
  return v;
};
const dataLoc = (b: Uint8Array, off: number) => {
  const loc = Number(le(b, off, 4));
  return new TextDecoder().decode(b.slice(loc & 0xffff, (loc & 0xffff) + (loc >>> 16) - 1));
};

describe('tracefs format files', () => {
  it("cxl_poison's layout on 6.12 (debian-13) and 7.3 (latest) is trace.h's TP_STRUCT__entry", () => {
    for (const prof of ['debian-13', 'latest']) {
      const { read } = boot(prof);
      const f = read('events/cxl/cxl_poison/format');
      expect(f).toMatch(/^name: cxl_poison\nID: \d+\nformat:\n/);
      expect(f).toContain(
        '\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n' +
          '\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n' +
          '\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n' +
          '\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n' +
          '\tfield:__data_loc char[] memdev;\toffset:8;\tsize:4;\tsigned:0;\n' +
          '\tfield:__data_loc char[] host;\toffset:12;\tsize:4;\tsigned:0;\n' +
          '\tfield:u64 serial;\toffset:16;\tsize:8;\tsigned:0;\n' +
          '\tfield:u8 trace_type;\toffset:24;\tsize:1;\tsigned:0;\n' +
          '\tfield:__data_loc char[] region;\toffset:28;\tsize:4;\tsigned:0;\n' +
          '\tfield:u64 overflow_ts;\toffset:32;\tsize:8;\tsigned:0;\n' +
          '\tfield:u64 hpa;\toffset:40;\tsize:8;\tsigned:0;\n' +
          '\tfield:u64 dpa;\toffset:48;\tsize:8;\tsigned:0;\n' +
          '\tfield:u32 dpa_length;\toffset:56;\tsize:4;\tsigned:0;\n' +
          '\tfield:char uuid[16];\toffset:60;\tsize:16;\tsigned:0;\n' +
          '\tfield:u8 source;\toffset:76;\tsize:1;\tsigned:0;\n' +
          '\tfield:u8 flags;\toffset:77;\tsize:1;\tsigned:0;\n\n' +
          'print fmt: "memdev=%s host=%s serial=%lld trace_type=%s region=%s region_uuid=%pU ',
      );
      expect(read('events/cxl/cxl_poison/id')).toMatch(/^\d+\n$/);
    }
  });

  it('the CXL event header gains hdr_maint_op_sub_class and the media events their 3.1 fields from 6.15', () => {
    const old = fieldsOf(boot('debian-13').read('events/cxl/cxl_general_media/format'));
    const cur = fieldsOf(boot('latest').read('events/cxl/cxl_general_media/format'));
    // CXL_EVT_TP_entry: memdev, host, log, hdr_uuid (uuid_t, 16, align 1), serial at 8-alignment
    expect(old.get('log')).toEqual({ decl: 'int log', offset: 16, size: 4, signed: 1 });
    expect(old.get('hdr_uuid')).toEqual({
      decl: 'uuid_t hdr_uuid',
      offset: 20,
      size: 16,
      signed: 0,
    });
    expect(old.get('serial')).toEqual({ decl: 'u64 serial', offset: 40, size: 8, signed: 0 });
    expect(old.has('hdr_maint_op_sub_class')).toBe(false);
    expect(cur.has('hdr_maint_op_sub_class')).toBe(true);
    expect(old.has('cme_count')).toBe(false);
    expect(cur.get('cme_count')?.decl).toBe('u32 cme_count');
    expect(cur.get('comp_id')?.decl).toBe('u8 comp_id[16]');
    expect(old.get('region_name')?.decl).toBe('__data_loc char[] region_name');
    const mm = fieldsOf(boot('latest').read('events/cxl/cxl_memory_module/format'));
    expect(mm.get('device_temp')).toMatchObject({ decl: 's16 device_temp', size: 2, signed: 1 });
  });

  it('header_page and header_event are the ring buffer’s (64-bit, 4 KiB pages)', () => {
    const { read } = boot('latest');
    expect(read('events/header_page')).toBe(
      '\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n' +
        '\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n' +
        '\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n' +
        '\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n',
    );
    expect(read('events/header_event')).toBe(
      '# compressed entry header\n\ttype_len    :    5 bits\n\ttime_delta  :   27 bits\n' +
        '\tarray       :   32 bits\n\n\tpadding     : type == 29\n\ttime_extend : type == 30\n' +
        '\ttime_stamp : type == 31\n\tdata max type_len  == 28\n',
    );
  });
});

describe('trace_pipe_raw', () => {
  it('gives the enabled events of an instance as ring-buffer pages, then EAGAIN', () => {
    const { m, qmp, read } = boot('debian-13');
    const inst = 'instances/rawtest';
    m.sysfs.write(`${T}/${inst}/events/cxl/cxl_poison/enable`, '1');
    const addrs = [0x1000, 0x2000, 0x3000];
    for (const a of addrs) expect(qmp('cxl-inject-poison', { start: a, length: 64 })).toEqual({});
    // QEMU's injection is silent; the trigger lists the records (cxl-pmem1 has serial 1)
    expect(kernelTrace(m.kernel).history).toHaveLength(0);
    const memdev = m.sysfs
      .readdir('bus/cxl/devices')
      .find((n) => n.startsWith('mem') && m.sysfs.read(`bus/cxl/devices/${n}/serial`) === '0x1\n');
    expect(memdev).toMatch(/^mem\d$/);
    m.sysfs.write(`bus/cxl/devices/${memdev}/trigger_poison_list`, '1');
    expect(kernelTrace(m.kernel).history).toHaveLength(addrs.length);
    const fmt = fieldsOf(read('events/cxl/cxl_poison/format'));
    const id = Number(read('events/cxl/cxl_poison/id'));

    const raw = m.sysfs.read(`${T}/${inst}/per_cpu/cpu0/trace_pipe_raw`);
    const page = Uint8Array.from(Buffer.from(raw as string, 'latin1'));
    expect(page.length).toBe(4096);
    const p = parsePage(page);
    expect(p.events).toHaveLength(addrs.length);
    expect(p.commit).toBe(p.events.reduce((n, e) => n + (e.typeLen ? 4 : 8) + e.data.length, 0));
    const dpas: bigint[] = [];
    for (const e of p.events) {
      const d = e.data;
      expect(e.typeLen).toBe(d.length / 4); // poison records are under 112 bytes
      expect(Number(le(d, 0, 2))).toBe(id);
      expect(Number(le(d, 4, 4))).toBe(1);
      expect(dataLoc(d, (fmt.get('memdev') as { offset: number }).offset)).toBe(memdev);
      expect(dataLoc(d, (fmt.get('region') as { offset: number }).offset)).toBe('');
      dpas.push(le(d, (fmt.get('dpa') as { offset: number }).offset, 8));
      expect(le(d, (fmt.get('hpa') as { offset: number }).offset, 8)).toBe((1n << 64n) - 1n);
      expect(Number(le(d, (fmt.get('dpa_length') as { offset: number }).offset, 4))).toBe(64);
      expect(d[(fmt.get('trace_type') as { offset: number }).offset]).toBe(0); // List
    }
    // QEMU lists the records newest first
    expect(dpas).toEqual(addrs.map(BigInt).reverse());
    expect(p.events.map((e) => e.ts)).toEqual([...p.events.map((e) => e.ts)].sort());
    // consumed: the next read has nothing, and the other CPU never has anything
    expect(() => m.sysfs.read(`${T}/${inst}/per_cpu/cpu0/trace_pipe_raw`)).toThrow(Errno);
    expect(() => m.sysfs.read(`${T}/${inst}/per_cpu/cpu1/trace_pipe_raw`)).toThrow(
      /Resource temporarily unavailable/,
    );
    expect(m.sysfs.readdir(`${T}/${inst}/per_cpu`).sort()).toEqual(['cpu0', 'cpu1']);
  });

  it('packs events into pages with TIME_EXTEND for deltas over 27 bits', () => {
    const rec = (n: number, fill: number) => new Uint8Array(n).fill(fill);
    const events = [
      { ts: 1000n, record: rec(100, 1) },
      { ts: 2000n, record: rec(300, 2) },
      { ts: 2000n + (1n << 30n), record: rec(40, 3) },
      ...Array.from({ length: 20 }, (_, i) => ({
        ts: 5_000_000_000n + BigInt(i),
        record: rec(300, 4),
      })),
    ];
    const pages = ringBufferPages(events);
    const parsed = pages.map((p) => parsePage(p.page));
    expect(pages.map((p) => p.count).reduce((a, b) => a + b, 0)).toBe(events.length);
    expect(pages.length).toBeGreaterThan(1);
    const all = parsed.flatMap((p) => p.events);
    expect(all).toHaveLength(events.length);
    expect(all.map((e) => e.ts)).toEqual(events.map((e) => e.ts));
    expect(all.map((e) => e.data.length)).toEqual(
      events.map((e) => Math.ceil(e.record.length / 4) * 4),
    );
    expect(all.map((e) => e.typeLen)).toEqual(
      events.map((e) => (e.record.length > 112 ? 0 : e.record.length / 4)),
    );
    for (const p of parsed) expect(p.commit).toBeLessThanOrEqual(4080);
  });
});
