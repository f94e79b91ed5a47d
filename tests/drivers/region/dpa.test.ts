/**
 * Endpoint decoder DPA allocation (mode / dpa_size) on a 1 GiB ram + 1 GiB pmem device with
 * four endpoint decoders, for both kernels: the skip rule of region-driver.md §3.6 (pmem
 * allocated first reserves the whole unallocated ram as skip, after which ram is full), the
 * increasing-id allocation and decreasing-id free order, the mode errors, and the messages.
 */
import { describe, expect, it } from 'vitest';
import { B, bootReshaped, epDecoder, logSince, sysw } from './helpers.ts';

const GiB = 1n << 30n;
const hex = (v: bigint) => `0x${v.toString(16)}`;

for (const profile of ['debian-12', 'latest'] as const) {
  describe(`DPA allocation rules (${profile})`, () => {
    const m = bootReshaped(profile, { volatileSize: GiB, persistentSize: GiB, decoders: 4 });
    const md = 'mem0';
    const d0 = epDecoder(m, md, 0);
    const d1 = epDecoder(m, md, 1);
    const d2 = epDecoder(m, md, 2);
    const port = `endpoint${d0.slice('decoder'.length).split('.')[0]}`;
    const read = (d: string, a: string) => (m.sysfs.read(`${B}/${d}/${a}`) as string).trim();
    const v7 = profile === 'latest';

    it('a pmem allocation first skips the free ram: DPA 1 GiB, then ram has no room', () => {
      expect(sysw(m, `${B}/${d0}/mode`, 'pmem')).toBe('ok');
      expect(sysw(m, `${B}/${d0}/dpa_size`, '0x10000000')).toBe('ok');
      expect(read(d0, 'dpa_resource')).toBe(hex(GiB));
      expect(read(d0, 'dpa_size')).toBe('0x0000000010000000');
      expect(sysw(m, `${B}/${d1}/mode`, 'ram')).toBe('ok');
      const mark = m.kernel.log.mark();
      expect(sysw(m, `${B}/${d1}/dpa_size`, '0x10000000')).toBe('ENOSPC');
      const msg = v7
        ? '268435456 exceeds available ram capacity: 0'
        : '0x0000000010000000 exceeds available ram capacity: 0x0000000000000000';
      expect(logSince(m, mark)).toEqual([`<7>cxl ${d1}: ${msg}`]);
      expect(read(d1, 'dpa_resource')).toBe('0xffffffffffffffff');
    });

    it('a second pmem allocation follows the first without skip', () => {
      expect(sysw(m, `${B}/${d1}/mode`, 'pmem')).toBe('ok');
      expect(sysw(m, `${B}/${d1}/dpa_size`, '0x20000000')).toBe('ok');
      expect(read(d1, 'dpa_resource')).toBe(hex(GiB + 0x10000000n));
    });

    it('allocations go in increasing decoder id, frees in decreasing id', () => {
      const d3 = epDecoder(m, md, 3);
      expect(sysw(m, `${B}/${d3}/mode`, 'pmem')).toBe('ok');
      let mark = m.kernel.log.mark();
      expect(sysw(m, `${B}/${d3}/dpa_size`, '0x10000000')).toBe('EBUSY');
      const id = port.slice('endpoint'.length);
      expect(logSince(m, mark)).toEqual([
        `<7>cxl_port ${port}: decoder${id}.3: expected decoder${id}.2`,
      ]);
      mark = m.kernel.log.mark();
      expect(sysw(m, `${B}/${d0}/dpa_size`, '0')).toBe('EBUSY');
      expect(logSince(m, mark)).toEqual([`<7>cxl ${d0}: expected decoder${id}.1`]);
      expect(sysw(m, `${B}/${d2}/dpa_size`, '0')).toBe('ok');
      expect(sysw(m, `${B}/${d1}/dpa_size`, '0')).toBe('ok');
      expect(sysw(m, `${B}/${d0}/dpa_size`, '0')).toBe('ok');
      expect(read(d0, 'dpa_resource')).toBe('0xffffffffffffffff');
    });

    it('ram then pmem: the pmem allocation starts at the pmem partition with the ram tail as skip', () => {
      expect(sysw(m, `${B}/${d0}/mode`, 'ram')).toBe('ok');
      expect(sysw(m, `${B}/${d0}/dpa_size`, '0x10000000')).toBe('ok');
      expect(read(d0, 'dpa_resource')).toBe('0x0');
      expect(sysw(m, `${B}/${d1}/mode`, 'pmem')).toBe('ok');
      expect(sysw(m, `${B}/${d1}/dpa_size`, '0x10000000')).toBe('ok');
      expect(read(d1, 'dpa_resource')).toBe(hex(GiB));
      expect(sysw(m, `${B}/${d1}/dpa_size`, '0x50000000')).toBe('ENOSPC');
      expect(read(d1, 'dpa_resource')).toBe('0xffffffffffffffff');
      expect(sysw(m, `${B}/${d0}/dpa_size`, '0')).toBe('ok');
    });

    it('mode and size input errors', () => {
      expect(sysw(m, `${B}/${d0}/mode`, 'mixed')).toBe('EINVAL');
      expect(sysw(m, `${B}/${d0}/dpa_size`, '0x1000')).toBe('EINVAL');
      expect(sysw(m, `${B}/${d0}/dpa_size`, 'junk')).toBe('EINVAL');
    });

    it('a pmem-only device has no ram: EINVAL "unsupported mode" (later kernels) or ENXIO (6.1)', () => {
      const pm = bootReshaped(profile, { volatileSize: 0n, persistentSize: GiB });
      const d = epDecoder(pm, 'mem0', 0);
      const mark = pm.kernel.log.mark();
      expect(sysw(pm, `${B}/${d}/mode`, 'ram')).toBe(v7 ? 'EINVAL' : 'ENXIO');
      expect(logSince(pm, mark)).toEqual([
        v7 ? `<7>cxl ${d}: unsupported mode: 0` : `<7>cxl ${d}: no available ram capacity`,
      ]);
      expect(sysw(pm, `${B}/${d}/mode`, 'pmem')).toBe('ok');
      expect(sysw(pm, `${B}/${d}/dpa_size`, '0x10000000')).toBe('ok');
      expect((pm.sysfs.read(`${B}/${d}/dpa_resource`) as string).trim()).toBe('0x0');
    });
  });
}
