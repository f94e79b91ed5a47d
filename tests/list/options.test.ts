/**
 * `cxl list` option parsing: ndctl's util/parse-options.c behaviour and texts (usage from
 * cxl/list.c's option table as printed by Debian 12's ndctl 76.1, which is built with
 * ENABLE_DEBUG and so has --debug). The real tool's outputs for many more cases are in
 * real-ndctl.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { cxlList, parseListOptions, usageText } from '../../src/ndctl/cxl/list.ts';
import { Output } from '../../src/ndctl/util/print.ts';
import { goldenView } from './golden.ts';

const USAGE_76 = `
 usage: cxl list [<options>]

    -m, --memdev <memory device name(s)>
                          filter by CXL memory device name(s)
    -s, --serial <memory device serial(s)>
                          filter by CXL memory device serial number(s)
    -M, --memdevs         include CXL memory device info
    -b, --bus <bus device name>
                          filter by CXL bus device name(s)
    -B, --buses           include CXL bus info
    -p, --port <port device name>
                          filter by CXL port device name(s)
    -P, --ports           include CXL port info
    -S, --single          skip listing descendant objects
    -e, --endpoint <endpoint device name>
                          filter by CXL endpoint device name(s)
    -E, --endpoints       include CXL endpoint info
    -d, --decoder <decoder device name>
                          filter by CXL decoder device name(s) / class
    -D, --decoders        include CXL decoder info
    -T, --targets         include CXL target data with decoders, ports, or regions
    -r, --region <region name>
                          filter by CXL region name(s)
    -R, --regions         include CXL regions
    -i, --idle            include disabled devices
    -u, --human           use human friendly number formats
    -H, --health          include memory device health information
    -I, --partition       include memory device partition information
    -A, --alert-config    include alert configuration information
    -v, --verbose         increase output detail
        --debug           debug list walk

`;

const view = goldenView('minimal/01-create-region', null, {});
const run = (args: string[], ndctl: '76.1' | '85' = '76.1') => cxlList(view, args, { ndctl });

/** Parsed parameters (or the exit) of an argument list. */
function parse(args: string[]) {
  const out = new Output();
  return { r: parseListOptions(args, '76.1', out), out };
}

describe('usage', () => {
  it('prints the 76.1 option table', () => {
    expect(usageText('76.1')).toBe(USAGE_76);
  });

  it('adds -X, -F and -L in 85, where cxl/list.c declares them', () => {
    const u = usageText('85');
    const lines = u
      .split('\n')
      .filter((l) => /^ {4}-/.test(l))
      .map((l) => l.trim().slice(0, 2));
    expect(lines).toEqual([
      '-m',
      '-s',
      '-M',
      '-b',
      '-B',
      '-p',
      '-P',
      '-S',
      '-e',
      '-E',
      '-d',
      '-D',
      '-T',
      '-r',
      '-R',
      '-X',
      '-i',
      '-u',
      '-H',
      '-I',
      '-F',
      '-A',
      '-L',
      '-v',
    ]);
    expect(u).toContain('    -L, --media-errors    include media-error information \n');
  });

  it('-h, --help-all and a combined -Mh print it and exit 129', () => {
    for (const a of [['-h'], ['--help-all'], ['-Mh']]) {
      expect(run(a)).toEqual({ stdout: '', stderr: USAGE_76, code: 129 });
    }
  });
});

describe('accepted forms', () => {
  it('combined short flags, long names, unique prefixes and = values mean the same', () => {
    const want = parse(['-B', '-M', '-u', '-m', 'mem0', '-s', '1']).r;
    for (const a of [
      ['-BMu', '-mmem0', '-s1'],
      ['--buses', '--memdevs', '--human', '--memdev=mem0', '--serial', '1'],
      ['--buses', '--memdevs', '--hu', '--memdev', 'mem0', '--ser=1'],
      ['-MBu', '--no-human', '-u', '-m', 'x', '--memdev=mem0', '--serial=1'],
    ]) {
      expect(parse(a).r).toEqual(want);
    }
  });

  it('counts -v, resets it with --no-verbose, and keeps arguments after --', () => {
    const p = parse(['-vv', '--verbose', '--', '-M']).r;
    expect('params' in p && p.params.verbose).toBe(3);
    expect('args' in p && p.args).toEqual(['-M']);
    const q = parse(['-vvv', '--no-verbose']).r;
    expect('params' in q && q.params.verbose).toBe(0);
  });
});

describe('errors', () => {
  it('unknown switches and options print the error and the usage, exit 129', () => {
    expect(run(['-Mx'])).toEqual({
      stdout: '',
      stderr: `  Error: unknown switch \`x'\n${USAGE_76}`,
      code: 129,
    });
    expect(run(['--bogus=1'])).toEqual({
      stdout: '',
      stderr: `  Error: unknown option \`bogus=1'\n${USAGE_76}`,
      code: 129,
    });
    expect(run(['-F'])).toEqual({
      stdout: '',
      stderr: `  Error: unknown switch \`F'\n${USAGE_76}`,
      code: 129,
    });
  });

  it('a missing or unwanted value prints the usage line and that option only', () => {
    const head = '\n usage: cxl list [<options>]\n\n';
    const m =
      '    -m, --memdev <memory device name(s)>\n                          filter by CXL memory device name(s)\n';
    expect(run(['-m']).stderr).toBe(`  Error: switch \`m' requires a value\n${head}${m}`);
    expect(run(['--memdev']).stderr).toBe(
      `  Error: option \`memdev' requires a value\n${head}${m}`,
    );
    expect(run(['--idle=1']).stderr).toBe(
      `  Error: option \`idle' takes no value\n${head}    -i, --idle            include disabled devices\n`,
    );
    expect(run(['--no-idle=1']).stderr).toBe(
      `  Error: option \`no-idle' takes no value\n${head}    -i, --idle            include disabled devices\n`,
    );
    expect(run(['-m']).code).toBe(129);
  });

  it('an ambiguous prefix names two candidates', () => {
    expect(run(['--memd'])).toEqual({
      stdout: '',
      stderr:
        '  Error: Ambiguous option: memd (could be --memdev or --memdevs)\n\n usage: cxl list [<options>]\n\n',
      code: 129,
    });
  });

  it('a long name after one dash is caught as a typo', () => {
    expect(run(['-idle'])).toEqual({
      stdout: '',
      stderr: '  Error: did you mean `--idle` (with two dashes ?)\n',
      code: 129,
    });
  });

  it('positional arguments are unknown parameters', () => {
    expect(run(['foo', 'bar'])).toEqual({
      stdout: '',
      stderr: `  Error: unknown parameter "foo"\n\n  Error: unknown parameter "bar"\n\n${USAGE_76}`,
      code: 129,
    });
  });

  it('-S needs a port filter', () => {
    expect(run(['-S'])).toEqual({
      stdout: '',
      stderr: `  Error: -S/--single expects a port filter: -p/--port=\n\n${USAGE_76}`,
      code: 129,
    });
  });

  it('--list-opts prints the long names on stdout and exits 130', () => {
    const r = run(['--list-opts']);
    expect(r.code).toBe(130);
    expect(r.stdout).toBe(
      '--memdev --serial --memdevs --bus --buses --port --ports --single --endpoint --endpoints --decoder --decoders --targets --region --regions --idle --human --health --partition --alert-config --verbose --debug ',
    );
  });
});
