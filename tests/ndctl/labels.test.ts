/**
 * read-labels, write-labels and zero-labels through GET_LSA / SET_LSA: the capture's read-labels
 * step (minimal/03, ndctl 76.1: the 1 MiB label area after `ndctl create-namespace`, shown as
 * xxd) replayed over a device holding those bytes, and write → read round trips at any offset and
 * length (chunked at payload_max − 8 bytes).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/kernel/errno.ts';
import { cxlCommand, type FileIo } from '../../src/ndctl/index.ts';
import { CXL_MEM_COMMAND_ID } from '../../src/ndctl/lib/ioctl.ts';
import { driverCore } from './driver-model.ts';
import { fakeDev, fakeMbox, type Sent } from './fake-mbox.ts';
import { FakeSysfs } from './fake-sysfs.ts';
import { snapshot, step } from './fixtures.ts';

/** The label area the capture printed: `xxd` lines, all-zero lines left out. */
function lsaFromXxd(stdout: string, size: number): Uint8Array {
  const lsa = new Uint8Array(size);
  for (const line of stdout.split('\n')) {
    const m = /^([0-9a-f]{8}): ((?:[0-9a-f]{4} ?){8})/.exec(line);
    if (!m) continue;
    lsa.set(
      Buffer.from((m[2] as string).replace(/ /g, ''), 'hex'),
      Number.parseInt(m[1] as string, 16),
    );
  }
  return lsa;
}

function memFiles(
  init: Record<string, Uint8Array> = {},
): FileIo & { files: Map<string, Uint8Array> } {
  const files = new Map(Object.entries(init));
  return {
    files,
    read(path) {
      const f = files.get(path);
      if (!f) throw new Errno('ENOENT');
      return f;
    },
    write(path, data) {
      if (path.startsWith('/nonexistent/')) throw new Errno('ENOENT');
      files.set(path, data);
    },
  };
}

/** minimal/<snap> with mem0's nvdimm unbound unless `nvdimm` (libnvdimm then owns the labels). */
function tree(snap: string, nvdimm = false): FakeSysfs {
  const f = new FakeSysfs(snapshot(snap));
  driverCore(f);
  if (!nvdimm) f.remove(`${f.realpath('bus/cxl/devices/mem0')}/pmem0/driver`);
  return f;
}

describe('read-labels (capture minimal/03-read-labels)', () => {
  const s = step('minimal/03-read-labels');
  const size = Number(/ (\d+) \w+ +\d+ [\d:]+ \/scratch\/labels\.bin/.exec(s.stdout)?.[1]);
  const lsa = lsaFromXxd(s.stdout, size);

  it('writes the whole label area to -o and reports "read 1 mem"', () => {
    const dev = fakeDev(size);
    dev.lsa.set(lsa);
    const sent: Sent[] = [];
    const files = memFiles();
    const r = cxlCommand(
      tree('minimal/02-create-namespace', true),
      fakeMbox(new Map([['mem0', dev]]), sent),
      ['read-labels', '-o', '/scratch/labels.bin', 'mem0'],
      {
        ndctl: '76.1',
        files,
      },
    );
    expect(size).toBe(1048576);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: s.rc,
      stdout: '',
      stderr: s.stderr,
    });
    const got = files.files.get('/scratch/labels.bin') ?? new Uint8Array();
    expect(Buffer.compare(Buffer.from(got), Buffer.from(lsa))).toBe(0);
    // payload_max 2048: 2040-byte GET_LSA chunks
    const gets = sent.filter((c) => c.id === CXL_MEM_COMMAND_ID.GET_LSA);
    expect(gets.length).toBe(Math.ceil(size / 2040));
    expect(gets.every((c) => c.sizeOut <= 2040)).toBe(true);
  });

  it('without -o the bytes go to stdout', () => {
    const dev = fakeDev(size);
    dev.lsa.set(lsa);
    const r = cxlCommand(
      tree('minimal/02-create-namespace', true),
      fakeMbox(new Map([['mem0', dev]])),
      ['read-labels', 'mem0', '-s', '64'],
      {
        ndctl: '76.1',
      },
    );
    expect(Buffer.from(r.stdout, 'latin1')).toEqual(Buffer.from(lsa.subarray(0, 64)));
    expect(r.stdout.startsWith('NAMESPACE_INDEX\0')).toBe(true);
  });
});

describe('write-labels / zero-labels', () => {
  it('write then read at any offset and length returns the same bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8192 }),
        fc.uint8Array({ minLength: 1, maxLength: 5000 }),
        (offset, data) => {
          const dev = fakeDev(16384);
          const io = fakeMbox(new Map([['mem0', dev]]));
          const files = memFiles({ '/in.bin': data });
          const v = tree('minimal/00-boot');
          const w = cxlCommand(
            v,
            io,
            [
              'write-labels',
              '-i',
              '/in.bin',
              '-O',
              String(offset),
              '-s',
              String(data.length),
              'mem0',
            ],
            {
              ndctl: '76.1',
              files,
            },
          );
          expect(w.stderr).toBe('cxl memdev: cmd_write_labels: wrote 1 mem\n');
          const r = cxlCommand(
            v,
            io,
            [
              'read-labels',
              '-o',
              '/out.bin',
              '-O',
              String(offset),
              '-s',
              String(data.length),
              'mem0',
            ],
            {
              ndctl: '76.1',
              files,
            },
          );
          expect(r.code).toBe(0);
          expect(files.files.get('/out.bin')).toEqual(data);
          expect(dev.lsa.subarray(offset, offset + data.length)).toEqual(data);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('zero-labels clears the whole area', () => {
    const dev = fakeDev(1048576);
    dev.lsa.fill(0xa5);
    const r = cxlCommand(
      tree('minimal/00-boot'),
      fakeMbox(new Map([['mem0', dev]])),
      ['zero-labels', 'all'],
      { ndctl: '76.1' },
    );
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: 'cxl memdev: cmd_zero_labels: zeroed 1 mem\n',
    });
    expect(dev.lsa.every((b) => b === 0)).toBe(true);
  });

  it('refuses while the nvdimm is bound (boot state of the capture)', () => {
    const dev = fakeDev(4096);
    dev.lsa.fill(1);
    const r = cxlCommand(
      tree('minimal/00-boot', true),
      fakeMbox(new Map([['mem0', dev]])),
      ['zero-labels', 'mem0'],
      { ndctl: '76.1' },
    );
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'cxl memdev: action_zero: mem0: has active nvdimm bridge, abort label write\ncxl memdev: cmd_zero_labels: zeroed 0 mem\n',
    });
    expect(dev.lsa.every((b) => b === 1)).toBe(true);
  });

  it('a file larger than the label area, a short file, stdin', () => {
    const v = tree('minimal/00-boot');
    const io = fakeMbox(new Map([['mem0', fakeDev(1048576)]]));
    const files = memFiles({ '/big': new Uint8Array(1048577), '/short': new Uint8Array(10) });
    const run = (...a: string[]) =>
      cxlCommand(v, io, ['write-labels', ...a], { ndctl: '76.1', files });
    expect(run('-i', '/big', 'mem0').stderr).toBe(
      'cxl memdev: action_write: File size (1048577) greater than label area size (1048576), aborting\ncxl memdev: cmd_write_labels: wrote 0 mem\n',
    );
    expect(run('-i', '/short', '-s', '20', 'mem0')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'cxl memdev: cmd_write_labels: wrote 0 mem\n',
    });
    expect(run('mem0').stderr).toBe(
      'cxl memdev: action_write: File size (18446744073709551615) greater than label area size (1048576), aborting\ncxl memdev: cmd_write_labels: wrote 0 mem\n',
    );
    expect(run('-i', '/missing', 'mem0')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'cxl memdev: memdev_action: failed to open: /missing: (No such file or directory)\n',
    });
  });

  it('stdin redirected from a file is sized like -i', () => {
    const dev = fakeDev(1048576);
    const data = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
    const r = cxlCommand(
      tree('minimal/00-boot'),
      fakeMbox(new Map([['mem0', dev]])),
      ['write-labels', 'mem0'],
      {
        ndctl: '85',
        stdin: data,
      },
    );
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: 'cxl memdev: cmd_write_labels: wrote 1 mem\n',
    });
    expect(Buffer.from(dev.lsa.subarray(0, 3000))).toEqual(Buffer.from(data));
  });

  it('write-labels takes one memdev; a failing device reports the mailbox status', () => {
    const v = new FakeSysfs(snapshot('interleave/00-boot'));
    driverCore(v);
    const devs = new Map([
      ['mem0', fakeDev(64)],
      ['mem1', fakeDev(64)],
    ]);
    const files = memFiles({ '/in': new Uint8Array(32) });
    const two = cxlCommand(v, fakeMbox(devs), ['write-labels', '-i', '/in', 'mem0', 'mem1'], {
      ndctl: '76.1',
      files,
    });
    expect(two.code).toBe(129);
    expect(
      two.stderr.startsWith(
        '  Error: write-labels only supports writing a single memdev\n\n\n usage: cxl write-labels <memdev> [-i <filename>]\n',
      ),
    ).toBe(true);
    const r = cxlCommand(v, fakeMbox(devs), ['read-labels', '-O', '60', '-s', '8', 'mem0'], {
      ndctl: '76.1',
    });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'libcxl: __lsa_op: mem0: firmware status: 2\ncxl memdev: action_read: mem0: label read failed: No such device or address\ncxl memdev: cmd_read_labels: read 0 mem\n',
    });
  });
});
