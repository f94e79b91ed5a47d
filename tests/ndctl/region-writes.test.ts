/**
 * What create-region and destroy-region write, in order (cxl/region.c create_region() and
 * destroy_region(), libcxl's setters and util_bind()): every value as the bytes write_attr()
 * sends, C string NUL included. Replayed on the interleave capture (76.1), plus 85's differences.
 */
import { describe, expect, it } from 'vitest';
import { cxlCommand } from '../../src/ndctl/index.ts';
import { FakeSysfs } from './fake-sysfs.ts';
import { snapshot } from './fixtures.ts';
import { regionKernel } from './region-model.ts';

const UUID = '4d3a8d23-9b1c-4c55-8f36-0a7e0d6f1e22';

function fake(base: string, after?: string): FakeSysfs {
  const f = new FakeSysfs(snapshot(base));
  regionKernel(f, after ? { after: snapshot(after) } : {});
  return f;
}

describe('create-region writes', () => {
  it('2-way across host bridges: region attributes, each position, commit, bind', () => {
    const f = fake('interleave/00-boot', 'interleave/01-region-2way-hb');
    const r = cxlCommand(
      f,
      undefined,
      ['create-region', '-m', '-d', 'decoder0.1', '-w', '2', '-g', '4096', 'mem4', 'mem0'],
      {
        ndctl: '76.1',
        uuid: () => UUID,
      },
    );
    expect(r.code).toBe(0);
    expect(f.trace()).toEqual([
      'decoder0.1/create_pmem_region=region1\\0',
      'region1/interleave_granularity=4096\\n\\0',
      'region1/interleave_ways=2\\n\\0',
      `region1/uuid=${UUID}\\0`,
      'region1/size=0x20000000\\n\\0',
      'decoder8.0/dpa_size=0\\n\\0',
      'decoder8.0/mode=pmem\\0',
      'decoder8.0/dpa_size=0x10000000\\n\\0',
      'region1/target0=decoder8.0\\0',
      'decoder3.0/dpa_size=0\\n\\0',
      'decoder3.0/mode=pmem\\0',
      'decoder3.0/dpa_size=0x10000000\\n\\0',
      'region1/target1=decoder3.0\\0',
      'region1/commit=1\\n\\0',
      // util_bind(): every driver of the bus in readdir order until one takes the region
      'cxl_port/bind=region1\\0 !ENODEV',
      'cxl_mem/bind=region1\\0 !ENODEV',
      'cxl_nvdimm/bind=region1\\0 !ENODEV',
      'cxl_pmem_region/bind=region1\\0 !ENODEV',
      'cxl_nvdimm_bridge/bind=region1\\0 !ENODEV',
      'cxl_region/bind=region1\\0',
    ]);
  });

  it('a refused store deletes the region again and reports "created 0 regions" (76.1 exit 0)', () => {
    const f = new FakeSysfs(snapshot('failures/00-boot'));
    regionKernel(f, { fail: [{ re: /region0\/size$/, errno: 'ENOSPC' }] });
    const r = cxlCommand(
      f,
      undefined,
      ['create-region', '-m', '-d', 'decoder0.0', '-s', '256M', 'mem3'],
      { ndctl: '76.1', uuid: () => UUID },
    );
    expect(f.trace()).toEqual([
      'decoder0.0/create_pmem_region=region0\\0',
      'region0/interleave_granularity=256\\n\\0',
      'region0/interleave_ways=1\\n\\0',
      `region0/uuid=${UUID}\\0`,
      'region0/size=0x10000000\\n\\0 !ENOSPC',
      'decoder0.0/delete_region=region0\\0',
    ]);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'cxl region: create_region: region0: set_size failed: No space left on device\ncxl region: cmd_create_region: created 0 regions\n',
    });
  });

  it('85 returns the creation error (exit 1) and prints the window space', () => {
    const r = cxlCommand(
      fake('failures/00-boot'),
      undefined,
      ['create-region', '-m', '-d', 'decoder0.0', '-w', '1', '-s', '8G', 'mem3'],
      {
        ndctl: '85',
      },
    );
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'cxl region: create_region: decoder0.0: region size 0x200000000 exceeds max available space (0x100000000)\ncxl region: cmd_create_region: created 0 regions\n',
    });
  });

  it('76.1 runs the region loop after creating: a memdev argument that is also a region id fails it', () => {
    // "1" selects mem1 and then, as a region filter of do_region_xable(ACTION_CREATE), region1
    const args = ['create-region', '-d', 'decoder0.1', '-w', '2', '-g', '4096', '-m', '1', 'mem2'];
    const r = cxlCommand(fake('failures/00-boot'), undefined, args, {
      ndctl: '76.1',
      uuid: () => UUID,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('"region":"region1"');
    expect(r.stderr).toBe(
      [
        'cxl region: decoder_region_action: region1: failed: Invalid argument',
        'cxl region: region_action: one or more failures, last failure: Invalid argument',
        'cxl region: cmd_create_region: created 1 region',
        '',
      ].join('\n'),
    );
    const r85 = cxlCommand(fake('failures/00-boot'), undefined, args, {
      ndctl: '85',
      uuid: () => UUID,
    });
    expect(r85.code).toBe(0);
    expect(r85.stderr).toBe('cxl region: cmd_create_region: created 1 region\n');
  });

  it('option checks before any write', () => {
    const v = fake('failures/00-boot');
    const run = (...a: string[]) =>
      cxlCommand(v, undefined, ['create-region', ...a], { ndctl: '76.1' });
    expect(run('-d', 'decoder0.0', 'mem3').stderr).toBe(
      'cxl region: parse_create_options: must specify option for target object types (-m)\ncxl region: cmd_create_region: created 0 regions\n',
    );
    expect(run('-d', 'decoder0.0', '-t', 'foo').stderr).toBe(
      'cxl region: parse_create_options: unsupported type: foo\ncxl region: cmd_create_region: created 0 regions\n',
    );
    expect(run('-d', 'decoder0.0', '-s', '1Q').stderr).toBe(
      'cxl region: parse_create_options: Invalid size: 1Q\ncxl region: cmd_create_region: created 0 regions\n',
    );
    expect(run('-d', 'decoder0.0', '-w', '0').stderr).toBe(
      'cxl region: parse_create_options: Invalid interleave ways: 0\ncxl region: cmd_create_region: created 0 regions\n',
    );
    expect(run('-d', 'decoder0.0', '-g', '-1', '-m', 'mem3').stderr).toBe(
      'cxl region: parse_create_options: Invalid interleave granularity: -1\ncxl region: cmd_create_region: created 0 regions\n',
    );
    expect(run('-d', 'decoder0.0', '-s', '255', '-w', '2', '-m', 'mem1', 'mem3').stderr).toBe(
      'cxl region: parse_create_options: size (255) is not an integral multiple of interleave-ways (2)\ncxl region: cmd_create_region: created 0 regions\n',
    );
    expect(run('-d', 'decoder0.0', '-t', 'ram', '-m', 'mem3').stderr).toBe(
      "cxl region: create_region: region type 'ram' not supported yet\ncxl region: cmd_create_region: created 0 regions\n",
    );
    expect(run('-d', 'decoder0.9', '-m', 'mem3').stderr).toBe(
      'cxl region: collect_memdevs: no active memdevs found: decoder: decoder0.9 filter: mem3\ncxl region: cmd_create_region: created 0 regions\n',
    );
    expect(run('-d', 'decoder0.1', '-g', '256', '-m', 'mem2', 'mem3').stderr).toBe(
      'cxl region: cxl_region_determine_granularity: region1: For an x2 root, only root decoder granularity (4096) permitted\ncxl region: cmd_create_region: created 0 regions\n',
    );
    expect(v.trace().filter((w) => !w.startsWith('decoder0.1/'))).toEqual([]);
  });
});

describe('create-region: 85 options, human output', () => {
  it('-U: refused for ram, parsed for pmem (written lower-case)', () => {
    const run = (...a: string[]) => {
      const f = fake('failures/00-boot');
      return {
        f,
        r: cxlCommand(f, undefined, ['create-region', '-d', 'decoder0.0', '-m', 'mem3', ...a], {
          ndctl: '85',
        }),
      };
    };
    expect(run('-t', 'ram', '-U', UUID).r).toEqual({
      code: 1,
      stdout: '',
      // the message has no newline in ndctl 85
      stderr:
        "cxl region: parse_create_options: can't set UUID for ram / volatile regionscxl region: cmd_create_region: created 0 regions\n",
    });
    expect(run('-U', 'not-a-uuid').r.stderr).toBe(
      "  Error: failed to parse uuid: 'not-a-uuid'\n\ncxl region: cmd_create_region: created 0 regions\n",
    );
    const { f, r } = run('--uuid', UUID.toUpperCase());
    expect(r.code).toBe(0);
    expect(f.trace()).toContain(`region0/uuid=${UUID}\\0`);
  });

  it('a terminal gets human sizes and hex strings', () => {
    const f = fake('failures/00-boot');
    const r = cxlCommand(f, undefined, ['create-region', '-d', 'decoder0.0', '-m', 'mem3'], {
      ndctl: '76.1',
      isTty: true,
    });
    expect(JSON.parse(r.stdout)).toMatchObject({
      region: 'region0',
      resource: '0x110000000',
      size: '256.00 MiB (268.44 MB)',
    });
  });
});

describe('destroy-region and friends', () => {
  it('destroy -f: unbind, reset, clear each target and free its DPA, delete', () => {
    const f = fake('interleave/01-region-2way-hb');
    const r = cxlCommand(f, undefined, ['destroy-region', '-f', 'region1'], { ndctl: '76.1' });
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: 'cxl region: cmd_destroy_region: destroyed 1 region\n',
    });
    expect(f.trace()).toEqual([
      'cxl_region/unbind=region1\\0',
      'region1/commit=0\\n\\0',
      'region1/target0=\\0',
      'decoder8.0/dpa_size=0\\n\\0',
      'region1/target1=\\0',
      'decoder3.0/dpa_size=0\\n\\0',
      'decoder0.1/delete_region=region1\\0',
    ]);
  });

  it('disable-region then enable-region, by id and by -d filter', () => {
    const f = fake('interleave/01-region-2way-hb');
    expect(cxlCommand(f, undefined, ['disable-region', '1'], { ndctl: '76.1' }).stderr).toBe(
      'cxl region: cmd_disable_region: disabled 1 region\n',
    );
    expect(
      cxlCommand(f, undefined, ['enable-region', '-d', 'decoder0.0', 'all'], { ndctl: '76.1' })
        .stderr,
    ).toBe('cxl region: cmd_enable_region: enabled 0 regions\n');
    expect(cxlCommand(f, undefined, ['enable-region', 'all'], { ndctl: '76.1' }).stderr).toBe(
      'cxl region: cmd_enable_region: enabled 1 region\n',
    );
    expect(f.trace()).toEqual([
      'cxl_region/unbind=region1\\0',
      'cxl_port/bind=region1\\0 !ENODEV',
      'cxl_mem/bind=region1\\0 !ENODEV',
      'cxl_nvdimm/bind=region1\\0 !ENODEV',
      'cxl_pmem_region/bind=region1\\0 !ENODEV',
      'cxl_nvdimm_bridge/bind=region1\\0 !ENODEV',
      'cxl_region/bind=region1\\0',
    ]);
  });

  it('85 destroy checks the decoder order first', () => {
    const f = fake('interleave/01-region-2way-hb');
    const r = cxlCommand(f, undefined, ['destroy-region', 'region1'], { ndctl: '85' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [
        'cxl region: destroy_region: region1 active. Disable it or use --force',
        'cxl region: decoder_region_action: region1: failed: Device or resource busy',
        'cxl region: region_action: one or more failures, last failure: Device or resource busy',
        'cxl region: cmd_destroy_region: destroyed 0 regions',
        '',
      ].join('\n'),
    );
  });
});
