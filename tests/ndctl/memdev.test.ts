/**
 * The memdev commands over capture trees: enable/disable-memdev (bind/unbind through the driver
 * core), reserve-dpa / free-dpa (endpoint decoder writes and the memdev JSON with its decoder),
 * set-partition (IDENTIFY checks, the SET_PARTITION_INFO payload), argument validation.
 * Memdev JSON is checked against the capture's `cxl list -M` of the same tree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cxlCommand } from '../../src/ndctl/index.ts';
import { CXL_MEM_COMMAND_ID, leField } from '../../src/ndctl/lib/ioctl.ts';
import { mboxShim } from '../helpers/mbox-shim.ts';
import { driverCore } from './driver-model.ts';
import { fakeDev, fakeMbox, type Sent } from './fake-mbox.ts';
import { FakeSysfs } from './fake-sysfs.ts';
import { FIXTURES, snapshot } from './fixtures.ts';

function tree(snap: string): FakeSysfs {
  const f = new FakeSysfs(snapshot(snap));
  driverCore(f);
  return f;
}

/** The capture's `cxl list -M` objects of a snapshot, by memdev name. */
function listM(snap: string): Map<string, Record<string, unknown>> {
  const arr = JSON.parse(readFileSync(join(FIXTURES, snap, 'cxl-list', 'M.json'), 'utf8')) as Array<
    Record<string, unknown>
  >;
  return new Map(arr.map((o) => [o.memdev as string, o]));
}

describe('enable-memdev / disable-memdev', () => {
  it('76.1 refuses an enabled memdev without --force', () => {
    const v = tree('interleave/00-boot');
    expect(cxlCommand(v, undefined, ['disable-memdev', 'mem0'], { ndctl: '76.1' })).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'cxl memdev: action_disable: mem0 is part of an active region\ncxl memdev: cmd_disable_memdev: disabled 0 mem\n',
    });
    expect(v.trace()).toEqual([]);
  });

  it('--force unbinds; enable binds through the first driver that takes it', () => {
    const v = tree('interleave/00-boot');
    expect(
      cxlCommand(v, undefined, ['disable-memdev', '-f', 'mem0', '2'], { ndctl: '76.1' }).stderr,
    ).toBe('cxl memdev: cmd_disable_memdev: disabled 2 mems\n');
    expect(v.lstat('bus/cxl/devices/mem0/driver')).toBeUndefined();
    const e = cxlCommand(v, undefined, ['enable-memdev', 'mem0', 'mem9'], { ndctl: '76.1' });
    expect(e).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'cxl memdev: memdev_action: no memdev matches mem9\ncxl memdev: cmd_enable_memdev: enabled 1 mem\n',
    });
    expect(v.trace()).toEqual([
      'cxl_mem/unbind=mem0\\0',
      'cxl_mem/unbind=mem2\\0',
      'cxl_port/bind=mem0\\0 !ENODEV',
      'cxl_mem/bind=mem0\\0',
    ]);
  });

  it('85 asks the endpoint for committed decoders instead (6.1 has no decoders_committed)', () => {
    const v = tree('interleave/01-region-2way-hb');
    expect(cxlCommand(v, undefined, ['disable-memdev', 'mem4'], { ndctl: '85' }).stderr).toBe(
      'cxl memdev: cmd_disable_memdev: disabled 1 mem\n',
    );
  });

  it('argument checks: names, serials, "all" ends the list', () => {
    const v = tree('interleave/00-boot');
    const bad = cxlCommand(v, undefined, ['enable-memdev', 'foo'], { ndctl: '76.1' });
    expect(bad.code).toBe(129);
    expect(
      bad.stderr.startsWith(
        "cxl memdev: memdev_action: 'foo' is not a valid memdev name\n\n usage: cxl enable-memdev",
      ),
    ).toBe(true);
    expect(
      cxlCommand(v, undefined, ['enable-memdev', 'foo', 'mem1'], { ndctl: '76.1' }).stderr,
    ).toBe(
      // an invalid name is still tried as a filter
      "cxl memdev: memdev_action: 'foo' is not a valid memdev name\ncxl memdev: memdev_action: no memdev matches foo\ncxl memdev: cmd_enable_memdev: enabled 1 mem\n",
    );
    expect(
      cxlCommand(v, undefined, ['enable-memdev', 'mem9', 'all'], { ndctl: '76.1' }).stderr,
    ).toBe(
      'cxl memdev: memdev_action: no memdev matches mem9\ncxl memdev: cmd_enable_memdev: enabled 0 mem\n',
    );
    expect(
      cxlCommand(v, undefined, ['enable-memdev', '-S', '0x4', '5'], { ndctl: '76.1' }).stderr,
    ).toBe('cxl memdev: cmd_enable_memdev: enabled 2 mems\n');
    expect(
      cxlCommand(v, undefined, ['enable-memdev', '-S', 'mem0'], { ndctl: '76.1' }).stderr.split(
        '\n',
      )[0],
    ).toBe("cxl memdev: memdev_action: 'mem0' is not a valid memdev serial number");
  });
});

describe('reserve-dpa / free-dpa', () => {
  const decoder = (over: Record<string, unknown>) => ({
    decoder: 'decoder2.0',
    interleave_ways: 1,
    state: 'disabled',
    ...over,
  });

  it('reserves all pmem on the first free decoder, then frees it (free-dpa defaults to ram)', () => {
    const v = tree('minimal/00-boot');
    const mem0 = listM('minimal/00-boot').get('mem0');
    const r = cxlCommand(v, undefined, ['reserve-dpa', '-t', 'pmem', 'mem0'], { ndctl: '76.1' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('cxl memdev: cmd_reserve_dpa: reservation completed on 1 mem device\n');
    // dpa_resource stays libcxl's cached ULLONG_MAX from before the reservation: not printed
    expect(JSON.parse(r.stdout)).toEqual([
      { ...mem0, decoder: decoder({ dpa_size: 268435456, mode: 'pmem' }) },
    ]);
    const f = cxlCommand(v, undefined, ['free-dpa', 'mem0'], { ndctl: '76.1' });
    expect(f.stderr).toBe(
      'cxl memdev: cmd_free_dpa: reservation release completed on 1 mem device\n',
    );
    expect(JSON.parse(f.stdout)).toEqual([{ ...mem0, decoder: decoder({ mode: 'ram' }) }]);
    expect(v.trace()).toEqual([
      'decoder2.0/dpa_size=0\\n\\0',
      'decoder2.0/mode=pmem\\0',
      'decoder2.0/dpa_size=0x10000000\\n\\0',
      'decoder2.0/dpa_size=0\\n\\0',
      'decoder2.0/mode=ram\\0',
      'decoder2.0/dpa_size=0\\n\\0',
    ]);
  });

  it('refusals: no ram capacity, too large, out of sequence, no match', () => {
    const v = tree('minimal/00-boot');
    const run = (...a: string[]) =>
      cxlCommand(v, undefined, ['reserve-dpa', ...a, 'mem0'], { ndctl: '76.1' });
    expect(run()).toEqual({
      code: 1,
      stdout: '[\n]\n',
      stderr:
        'cxl memdev: __reserve_dpa: mem0: no available capacity\n  Warning: no matching devices found\n\ncxl memdev: cmd_reserve_dpa: reservation completed on 0 mem device\n',
    });
    expect(run('-t', 'pmem', '-s', '512M').stderr.split('\n')[0]).toBe(
      "cxl memdev: __reserve_dpa: mem0: '512M' exceeds available capacity",
    );
    expect(run('-t', 'pmem', '-d', '1').stderr.split('\n')[0]).toBe(
      "cxl memdev: __reserve_dpa: mem0: no match for decoder: '1'",
    );
    expect(run('-t', 'bogus').stderr.split('\n')[0]).toBe(
      'cxl memdev: __reserve_dpa: mem0: unsupported type: bogus',
    );
    expect(run('-t', 'pmem', '-s', '1x').stderr.split('\n')[0]).toBe(
      "cxl memdev: __reserve_dpa: mem0: failed to parse size option '1x'",
    );
    expect(v.trace()).toEqual([]);
    expect(run('-t', 'pmem', '-s', '128M', '-d', 'decoder2.0').code).toBe(0);
  });
});

describe('set-partition', () => {
  it('QEMU 7.2 type-3 reports no partition alignment: nothing to partition', () => {
    const v = snapshot('minimal/00-boot');
    expect(cxlCommand(v, mboxShim(v), ['set-partition', 'mem0'], { ndctl: '76.1' })).toEqual({
      code: 1,
      stdout: '[\n]\n',
      stderr:
        'cxl memdev: validate_partition: mem0: no available capacity\n  Warning: no matching devices found\n\ncxl memdev: cmd_set_partition: set_partition 0 mem\n',
    });
  });

  it('sends the volatile size in 256 MiB units, aligning with -a', () => {
    const v = snapshot('minimal/00-boot');
    const dev = fakeDev(1024, 1024n << 20n);
    const sent: Sent[] = [];
    const io = fakeMbox(new Map([['mem0', dev]]), sent);
    const run = (...a: string[]) =>
      cxlCommand(v, io, ['set-partition', 'mem0', ...a], { ndctl: '76.1' });
    expect(run('-t', 'ram', '-s', '100M').stderr).toBe(
      'cxl memdev: partition_align: mem0: size 104857600 is not partition aligned 268435456\n  Warning: no matching devices found\n\ncxl memdev: cmd_set_partition: set_partition 0 mem\n',
    );
    const ok = run('-t', 'ram', '-s', '100M', '-a');
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe('cxl memdev: cmd_set_partition: set_partition 1 mem\n');
    const sets = sent.filter((c) => c.id === CXL_MEM_COMMAND_ID.SET_PARTITION_INFO);
    expect(sets.map((c) => [leField(c.payload, 0, 8), c.payload[8]])).toEqual([[1n, 0]]);
    expect(JSON.parse(ok.stdout)[0].partition_info).toMatchObject({
      total_size: 1073741824,
      partition_alignment_size: 268435456,
      next_volatile_size: 268435456,
    });
    // pmem: -s is the persistent size, the rest volatile (rounded down with -a)
    run('-s', '300M', '-a');
    const last = sent.filter((c) => c.id === CXL_MEM_COMMAND_ID.SET_PARTITION_INFO).at(-1) as Sent;
    expect(leField(last.payload, 0, 8)).toBe(2n); // 1024M − 300M = 724M volatile, down to 512M
    expect(run('-s', '2G').stderr.split('\n')[0]).toBe(
      'cxl memdev: param_size_to_volatile_size: mem0: 2147483648 exceeds available capacity 1073741824',
    );
  });
});
