/**
 * parse_options() (util/parse-options.c) as the cxl commands see it: option forms, errors with
 * ndctl's texts and exit codes, and the usage layout of print_option_help() (24-column option
 * field, two-space gap, long specs wrapped onto their own line).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cxlCommand } from '../../src/ndctl/index.ts';
import {
  type OptValue,
  optBool,
  optInt,
  optString,
  optUint,
  parseOptions,
  usageText,
} from '../../src/ndctl/util/parse-options.ts';
import { Output } from '../../src/ndctl/util/print.ts';
import { snapshot } from './fixtures.ts';

const OPTS = [
  optString(
    'd',
    'decoder',
    'decoder',
    'root decoder name',
    'Limit to / use the specified root decoder',
  ),
  optInt('w', 'ways', 'ways', 'number of memdevs participating in the regions interleave set'),
  optUint('s', 'size', 'size', 'number of label bytes to operate'),
  optBool('m', 'memdevs', 'memdevs', 'non-option arguments are memdevs'),
  optBool('f', 'force', 'force', 'destroy region even if currently active'),
  optBool('', 'debug', 'debug', 'turn on debug'),
];

function run(argv: string[]): {
  params: Record<string, OptValue>;
  args?: string[];
  exit?: number;
  out: Output;
} {
  const params: Record<string, OptValue> = {
    ways: 0x7fffffff,
    size: 0,
    memdevs: false,
    force: false,
    debug: false,
  };
  const out = new Output();
  const r = parseOptions(argv, OPTS, 'cxl test <arg> [<options>]', params, out);
  return 'exit' in r ? { params, exit: r.exit, out } : { params, args: r.args, out };
}

describe('parse_options forms', () => {
  it('short, attached, long, =value and abbreviated forms set the same values', () => {
    for (const argv of [
      ['-d', 'decoder0.1', '-w', '2', '-m', 'mem0'],
      ['-ddecoder0.1', '-w2', '-m', 'mem0'],
      ['--decoder=decoder0.1', '--ways', '2', '--memdevs', 'mem0'],
      ['--dec=decoder0.1', '--wa=2', '--mem', 'mem0'],
      ['mem0', '-mw', '2', '-d', 'decoder0.1'],
    ]) {
      const r = run(argv);
      expect(r.exit).toBeUndefined();
      expect(r.args).toEqual(['mem0']);
      expect(r.params).toMatchObject({ decoder: 'decoder0.1', ways: 2, memdevs: true });
    }
  });

  it('keeps positional arguments in order and stops at --', () => {
    const r = run(['a', '-f', 'b', '--', '-m', 'c']);
    expect(r.args).toEqual(['a', 'b', '-m', 'c']);
    expect(r.params.memdevs).toBe(false);
    expect(r.params.force).toBe(true);
  });

  it('--no-<option> unsets', () => {
    expect(run(['-f', '--no-force']).params.force).toBe(false);
    expect(run(['-d', 'x', '--no-decoder']).params.decoder).toBeUndefined();
  });

  it('integers parse like strtol(…, 10) and wrap to 32 bits', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
        expect(run(['-w', String(n)]).params.ways).toBe(n);
        expect(run([`--ways=${n}`]).params.ways).toBe(n);
      }),
    );
    expect(run(['-w', '4294967298']).params.ways).toBe(2);
    expect(run(['-s', '-1']).params.size).toBe(0xffffffff);
  });
});

describe('parse_options errors (exit 129)', () => {
  const usageLine = '\n usage: cxl test <arg> [<options>]\n\n';
  it('a non-numeric integer: the error, the usage line and that option only', () => {
    const r = run(['-w', '2x']);
    expect(r.exit).toBe(129);
    expect(r.out.stderr).toBe(
      `  Error: switch \`w' expects a numerical value\n${usageLine}    -w, --ways <n>        number of memdevs participating in the regions interleave set\n`,
    );
    expect(
      run(['--ways=x']).out.stderr.startsWith("  Error: option `ways' expects a numerical value\n"),
    ).toBe(true);
  });

  it('a missing value, a value given to a flag', () => {
    expect(run(['-d']).out.stderr.startsWith("  Error: switch `d' requires a value\n")).toBe(true);
    expect(
      run(['--force=1']).out.stderr.startsWith("  Error: option `force' takes no value\n"),
    ).toBe(true);
  });

  it('unknown switches and options print the whole usage', () => {
    const full = usageText('cxl test <arg> [<options>]', OPTS);
    expect(run(['-x']).out.stderr).toBe(`  Error: unknown switch \`x'\n${full}`);
    expect(run(['-fx']).out.stderr).toBe(`  Error: unknown switch \`x'\n${full}`);
    expect(run(['--bogus']).out.stderr).toBe(`  Error: unknown option \`bogus'\n${full}`);
    expect(run(['--bogus']).exit).toBe(129);
  });

  it('an ambiguous abbreviation, a long option with one dash', () => {
    const twoD = [optBool('', 'debug', 'debug', 'a'), optBool('', 'decoder', 'decoder', 'b')];
    const out = new Output();
    const r = parseOptions(['--de'], twoD, 'u', {}, out);
    expect(r).toEqual({ exit: 129 });
    expect(
      out.stderr.startsWith('  Error: Ambiguous option: de (could be --debug or --decoder)\n'),
    ).toBe(true);
    expect(run(['-memdevs']).out.stderr).toBe(
      '  Error: did you mean `--memdevs` (with two dashes ?)\n',
    );
  });

  it('-h and --help print the usage; --list-opts lists the long names (exit 130)', () => {
    expect(run(['-h']).exit).toBe(129);
    expect(run(['--help']).out.stderr).toBe(usageText('cxl test <arg> [<options>]', OPTS));
    const l = run(['--list-opts']);
    expect(l.exit).toBe(130);
    expect(l.out.stdout).toBe('--decoder --ways --size --memdevs --force --debug ');
  });
});

describe('usage text of the commands', () => {
  it('destroy-region (ndctl 76.1): print_option_help layout', () => {
    const r = cxlCommand(snapshot('minimal/00-boot'), undefined, ['destroy-region', '-h'], {
      ndctl: '76.1',
    });
    expect(r.code).toBe(129);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        '',
        ' usage: cxl destroy-region <region0> ... [<options>]',
        '',
        '    -b, --bus <bus name>  Limit operation to the specified bus',
        '    -d, --decoder <root decoder name>',
        '                          Limit to / use the specified root decoder',
        '        --debug           turn on debug',
        '    -f, --force           destroy region even if currently active',
        '',
        '',
      ].join('\n'),
    );
  });

  it('memdev commands without arguments print their usage', () => {
    const r = cxlCommand(snapshot('minimal/00-boot'), undefined, ['enable-memdev'], {
      ndctl: '76.1',
    });
    expect(r.code).toBe(129);
    expect(r.stderr).toBe(
      '\n usage: cxl enable-memdev <mem0> [<mem1>..<memN>] [<options>]\n\n    -v, --verbose         turn on debug\n    -S, --serial          use serial numbers to id memdevs\n\n',
    );
  });

  it('the cxl front end: no command, unknown command, unknown option, version', () => {
    const v = snapshot('minimal/00-boot');
    expect(cxlCommand(v, undefined, [], { ndctl: '76.1' })).toEqual({
      stdout:
        "\n usage: cxl [--version] [--help] COMMAND [ARGS]\n\n\n See 'cxl help COMMAND' for more information on a specific command.\n cxl --list-cmds to see all available commands\n\n",
      stderr: '',
      code: 1,
    });
    expect(cxlCommand(v, undefined, ['frobnicate'], { ndctl: '76.1' })).toEqual({
      stdout: '',
      stderr: "Unknown command: 'frobnicate'\n",
      code: 1,
    });
    expect(cxlCommand(v, undefined, ['-x'], { ndctl: '76.1' }).code).toBe(129);
    expect(cxlCommand(v, undefined, ['--version'], { ndctl: '85' }).stdout).toBe('85\n');
  });
});
