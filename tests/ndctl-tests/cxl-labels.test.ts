/**
 * ndctl test/cxl-labels.sh (v85) on the cxl_test preset: the label storage area (LSA) through
 * the memdev mailbox (GET_LSA / SET_LSA).
 *
 * 1. test_label_ops_cxl: `cxl read-labels -o F memN` succeeds for every memdev of
 *    `cxl list -b cxl_test -Mi`.
 * 2. test_label_ops on every nmem of `ndctl list -b cxl_test -Di`: read the LSA to learn its size,
 *    write random bytes (`write-labels -i`), read back equal, `zero-labels`, read back all zero.
 *    ndctl's util_bus_filter() matches an nvdimm bus by id, `ndbusN` or provider name, and
 *    cxl_pmem registers its bus with provider "CXL" (drivers/cxl/pmem.c), so `-b cxl_test` selects
 *    no bus and the script's loop runs zero times on a real kernel. The same operations are run
 *    here through the cxl tool's label commands on each memdev instead — the mailbox commands the
 *    nmem ones end up as (cxl_pmem_ctl → GET_LSA / SET_LSA). libcxl refuses label writes while
 *    the memdev's pmemN is bound ("has active nvdimm bridge"). Linux 6.1's cxl_nvdimm driver
 *    has bind/unbind files, so there pmemN is unbound from cxl_nvdimm around the writes and
 *    bound again afterwards; from 6.2 on the cxl_pmem drivers suppress their bind attributes
 *    (the latest kernel has no such file) and the write is refused while pmemN is bound.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { items, Sh } from './harness.ts';

describe('cxl-labels.sh', () => {
  const sh = new Sh();
  const mems: string[] = items(sh.json('list', '-b', 'cxl_test', '-Mi')).map((m) => m.memdev);

  it('lists the cxl_test memdevs', () => {
    expect(mems.length).toBe(10);
  });

  it('test_label_ops_cxl: cxl read-labels succeeds on every memdev', () => {
    for (const mem of mems) {
      const f = `/tmp/lsa-read-${mem}`;
      sh.cxl('read-labels', '-o', f, mem);
      expect(sh.files.read(f).length).toBe(128 * 1024);
    }
  });

  it('has one nvdimm bridge (its bus, provider "CXL", is not selected by -b cxl_test)', () => {
    // the one nvdimm bus a cxl_test root registers is "CXL"'s (nvdimm-bridge0 → ndbusN)
    const bridges = sh.m.sysfs
      .readdir('bus/cxl/devices')
      .filter((n) => n.startsWith('nvdimm-bridge'));
    expect(bridges).toEqual(['nvdimm-bridge0']);
  });

  it('latest kernel: no cxl_nvdimm unbind file, label writes refused while pmemN is bound', () => {
    expect(sh.m.sysfs.lstat('bus/cxl/drivers/cxl_nvdimm/unbind')).toBeUndefined();
    const r = sh.tryCxl('zero-labels', mems[0] ?? 'mem0');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('has active nvdimm bridge, abort label write');
  });

  it('test_label_ops (Linux 6.1 kernel): write random labels, read back, zero (per memdev)', () => {
    const sh = new Sh('cxl_test', '6.1');
    for (const mem of mems) {
      const lsa = `/tmp/lsa-${mem}`;
      const read = `/tmp/lsa-read-${mem}`;
      sh.cxl('read-labels', '-o', read, mem);
      const size = sh.files.read(read).length;
      expect(size).toBe(128 * 1024);
      const pmem = `pmem${mem.slice(3)}`;
      expect(sh.echo(pmem, 'bus/cxl/drivers/cxl_nvdimm/unbind')).toBe(true);
      sh.files.write(lsa, randomBytes(size));
      sh.cxl('write-labels', '-i', lsa, mem);
      sh.cxl('read-labels', '-o', read, mem);
      expect(Buffer.from(sh.files.read(read)).equals(Buffer.from(sh.files.read(lsa)))).toBe(true);
      sh.cxl('zero-labels', mem);
      sh.files.write(lsa, new Uint8Array(size));
      sh.cxl('read-labels', '-o', read, mem);
      expect(Buffer.from(sh.files.read(read)).equals(Buffer.from(sh.files.read(lsa)))).toBe(true);
      expect(sh.echo(pmem, 'bus/cxl/drivers/cxl_nvdimm/bind')).toBe(true);
    }
    expect(sh.dmesgHasCallTrace()).toBe(false);
  });
});
