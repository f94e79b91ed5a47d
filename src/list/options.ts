/**
 * DOC: `cxl list` option parsing — ndctl's util/parse-options.c (from git/perf) over the option
 * table of cxl/list.c.
 *
 * Short options combine (-BMu) and take their value attached or as the next argument (-m mem0,
 * -mmem0); long options take `=value` or the next argument, may be abbreviated to any unambiguous
 * prefix and negated with --no-. Errors print ndctl's exact texts: "  Error: unknown switch `x'"
 * or "unknown option `xyz'" then the full usage (exit 129); "requires a value" / "takes no value"
 * then the usage line and that option's help (exit 129); -h/--help print the usage (exit 129);
 * --list-opts prints the long names on stdout (exit 130). -X (77), -F (78) and -L (80) come later.
 */
import type { Ndctl } from './jsonc.ts';
import { defaultParams, type FilterParams } from './params.ts';
import type { Output } from './print.ts';
import { ndctlHas } from './versions.ts';

type OptType = 'string' | 'boolean' | 'incr';

interface OptDef {
  short: string;
  long: string;
  type: OptType;
  argh?: string;
  help: string;
  key: keyof FilterParams;
}

const S = (
  short: string,
  long: string,
  key: keyof FilterParams,
  argh: string,
  help: string,
): OptDef => ({
  short,
  long,
  type: 'string',
  argh,
  help,
  key,
});
const B = (short: string, long: string, key: keyof FilterParams, help: string): OptDef => ({
  short,
  long,
  type: 'boolean',
  help,
  key,
});

/** cxl/list.c options[] for the given ndctl version, as built with ENABLE_DEBUG (Debian). */
export function listOptions(ndctl: Ndctl): OptDef[] {
  const opts: Array<OptDef | false> = [
    S(
      'm',
      'memdev',
      'memdevFilter',
      'memory device name(s)',
      'filter by CXL memory device name(s)',
    ),
    S(
      's',
      'serial',
      'serialFilter',
      'memory device serial(s)',
      'filter by CXL memory device serial number(s)',
    ),
    B('M', 'memdevs', 'memdevs', 'include CXL memory device info'),
    S('b', 'bus', 'busFilter', 'bus device name', 'filter by CXL bus device name(s)'),
    B('B', 'buses', 'buses', 'include CXL bus info'),
    S('p', 'port', 'portFilter', 'port device name', 'filter by CXL port device name(s)'),
    B('P', 'ports', 'ports', 'include CXL port info'),
    B('S', 'single', 'single', 'skip listing descendant objects'),
    S(
      'e',
      'endpoint',
      'endpointFilter',
      'endpoint device name',
      'filter by CXL endpoint device name(s)',
    ),
    B('E', 'endpoints', 'endpoints', 'include CXL endpoint info'),
    S(
      'd',
      'decoder',
      'decoderFilter',
      'decoder device name',
      'filter by CXL decoder device name(s) / class',
    ),
    B('D', 'decoders', 'decoders', 'include CXL decoder info'),
    B('T', 'targets', 'targets', 'include CXL target data with decoders, ports, or regions'),
    S('r', 'region', 'regionFilter', 'region name', 'filter by CXL region name(s)'),
    B('R', 'regions', 'regions', 'include CXL regions'),
    ndctlHas(ndctl, 'daxOption') && B('X', 'dax', 'dax', 'include CXL DAX region enumeration'),
    B('i', 'idle', 'idle', 'include disabled devices'),
    B('u', 'human', 'human', 'use human friendly number formats'),
    B('H', 'health', 'health', 'include memory device health information'),
    B('I', 'partition', 'partition', 'include memory device partition information'),
    ndctlHas(ndctl, 'firmware') &&
      B('F', 'firmware', 'fw', 'include memory device firmware information'),
    B('A', 'alert-config', 'alertConfig', 'include alert configuration information'),
    ndctlHas(ndctl, 'mediaErrors') &&
      B('L', 'media-errors', 'mediaErrors', 'include media-error information '),
    { short: 'v', long: 'verbose', type: 'incr', help: 'increase output detail', key: 'verbose' },
    // Debian builds ndctl with ENABLE_DEBUG: --debug exists (its debug trail is not emulated)
    { short: '', long: 'debug', type: 'boolean', help: 'debug list walk', key: 'debug' },
  ];
  return opts.filter((o): o is OptDef => o !== false);
}

/** The usage strings of cmd_list(). */
const USAGE = ['cxl list [<options>]'];

const USAGE_OPTS_WIDTH = 24;
const USAGE_GAP = 2;

/** print_option_help() */
function optionHelp(o: OptDef): string {
  let s = '    ';
  s += o.short ? `-${o.short}` : '    ';
  if (o.long && o.short) s += ', ';
  if (o.long) s += `--${o.long}`;
  if (o.type === 'string') s += o.argh ? ` <${o.argh}>` : ' ...';
  let pad: number;
  if (s.length <= USAGE_OPTS_WIDTH) pad = USAGE_OPTS_WIDTH - s.length;
  else {
    s += '\n';
    pad = USAGE_OPTS_WIDTH;
  }
  return `${s}${' '.repeat(pad + USAGE_GAP)}${o.help}\n`;
}

/** usage_with_options_internal(): the usage line and every option's help. */
export function usageText(ndctl: Ndctl): string {
  let s = `\n usage: ${USAGE[0]}\n\n`;
  for (const o of listOptions(ndctl)) s += optionHelp(o);
  return `${s}\n`;
}

/** Outcome of parsing: the parameters and positional arguments, or an exit. */
export type ParseResult = { params: FilterParams; args: string[] } | { exit: number };

/** Thrown inside the parser to end the run with an exit code (output already written). */
class Exit {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

/** prefixcmp(str, prefix) == 0 */
const starts = (s: string, prefix: string): boolean => s.startsWith(prefix);

/**
 * parse_options() for `cxl list`: argv excludes the command name.
 * Writes errors, usage and --list-opts output to `out`.
 */
export function parseListOptions(argv: string[], ndctl: Ndctl, out: Output): ParseResult {
  const opts = listOptions(ndctl);
  const params = defaultParams();
  const positional: string[] = [];
  let i = 0;
  let optRest: string | null = null; // ctx->opt

  const set = (o: OptDef, unset: boolean, value?: string | null): void => {
    const p = params as unknown as Record<string, unknown>;
    if (o.type === 'boolean') p[o.key] = !unset;
    else if (o.type === 'incr') p[o.key] = unset ? 0 : (p[o.key] as number) + 1;
    else p[o.key] = unset ? undefined : value;
  };
  const opterror = (o: OptDef, reason: string, short: boolean, unset: boolean): void => {
    if (short) out.error(`switch \`${o.short}' ${reason}`);
    else if (unset) out.error(`option \`no-${o.long}' ${reason}`);
    else out.error(`option \`${o.long}' ${reason}`);
  };
  /** get_value(); false when it failed (error already printed) */
  const getValue = (o: OptDef, short: boolean, unset: boolean): boolean => {
    if ((unset || !short) && optRest !== null && (unset || o.type !== 'string')) {
      opterror(o, 'takes no value', short, unset);
      return false;
    }
    if (o.type !== 'string' || unset) {
      set(o, unset);
      return true;
    }
    if (optRest !== null) {
      set(o, false, optRest);
      optRest = null;
    } else if (i + 1 < argv.length) set(o, false, argv[++i]);
    else {
      opterror(o, 'requires a value', short, unset);
      return false;
    }
    return true;
  };
  /** parse_options_usage(): usage line, then the help of the option named by `optstr`. */
  const usageFor = (optstr: string, short: boolean): never => {
    out.stderr += `\n usage: ${USAGE[0]}\n\n`;
    const o = opts.find((x) =>
      short
        ? x.short === optstr[0]
        : starts(optstr, x.long) || (starts(optstr, 'no-') && starts(optstr.slice(3), x.long)),
    );
    if (o) out.stderr += optionHelp(o);
    throw new Exit(129);
  };
  const help = (): never => {
    out.stderr += usageText(ndctl);
    throw new Exit(129);
  };
  /** parse_short_opt(): -2 for an unknown switch */
  const parseShort = (): number => {
    const c = (optRest as string)[0];
    const o = opts.find((x) => x.short === c);
    if (!o) return -2;
    optRest = (optRest as string).length > 1 ? (optRest as string).slice(1) : null;
    return getValue(o, true, false) ? 0 : -1;
  };
  /** check_typos() */
  const checkTypos = (arg: string): void => {
    if (arg.length < 3) return;
    if (starts(arg, 'no-') || opts.some((o) => starts(o.long, arg))) {
      out.error(`did you mean \`--${arg}\` (with two dashes ?)`);
      throw new Exit(129);
    }
  };
  /** parse_long_opt(): -2 for an unknown option */
  const parseLong = (arg: string): number => {
    const eq = arg.indexOf('=');
    const key = eq < 0 ? arg : arg.slice(0, eq);
    let abbrev: OptDef | undefined;
    let abbrevUnset = false;
    let ambiguous: OptDef | undefined;
    let ambiguousUnset = false;
    let abbrevOpt: string | null = null;
    const abbreviated = (o: OptDef, unset: boolean): void => {
      if (abbrev) {
        ambiguous = abbrev;
        ambiguousUnset = abbrevUnset;
      }
      if (!unset && eq >= 0) abbrevOpt = arg.slice(eq + 1);
      abbrev = o;
      abbrevUnset = unset;
    };
    for (const o of opts) {
      let unset = false;
      let rest: string | null = starts(arg, o.long) ? arg.slice(o.long.length) : null;
      if (rest === null) {
        if (starts(o.long, key)) {
          abbreviated(o, false);
          continue;
        }
        if (starts('no-', arg)) {
          abbreviated(o, true);
          continue;
        }
        if (!starts(arg, 'no-')) continue;
        unset = true;
        rest = starts(arg.slice(3), o.long) ? arg.slice(3 + o.long.length) : null;
        if (rest === null && starts(o.long, arg.slice(3))) {
          abbreviated(o, true);
          continue;
        }
        if (rest === null) continue;
      }
      if (rest !== '') {
        if (rest[0] !== '=') continue;
        optRest = rest.slice(1);
      }
      return getValue(o, false, unset) ? 0 : -1;
    }
    if (ambiguous && abbrev) {
      out.error(
        `Ambiguous option: ${arg} (could be --${ambiguousUnset ? 'no-' : ''}${ambiguous.long} or --${abbrevUnset ? 'no-' : ''}${abbrev.long})`,
      );
      return -1;
    }
    if (abbrev) {
      optRest = abbrevOpt;
      return getValue(abbrev, false, abbrevUnset) ? 0 : -1;
    }
    return -2;
  };
  const unknown = (arg: string): never => {
    if (arg[1] === '-') out.error(`unknown option \`${arg.slice(2)}'`);
    else out.error(`unknown switch \`${(optRest as string)[0]}'`);
    out.stderr += usageText(ndctl);
    throw new Exit(129);
  };

  try {
    for (; i < argv.length; i++) {
      optRest = null;
      const arg = argv[i] as string;
      if (arg[0] !== '-' || arg.length === 1) {
        positional.push(arg);
        continue;
      }
      if (arg[1] !== '-') {
        optRest = arg.slice(1);
        if (optRest[0] === 'h') help();
        const r = parseShort();
        if (r === -1) usageFor(arg.slice(1), true);
        if (r === -2) unknown(arg);
        if (optRest !== null) checkTypos(arg.slice(1));
        while (optRest !== null) {
          if ((optRest as string)[0] === 'h') help();
          const sub = optRest as string;
          const r2 = parseShort();
          if (r2 === -1) usageFor(sub, true);
          if (r2 === -2) unknown(`-${sub}`);
        }
        continue;
      }
      if (arg.length === 2) {
        positional.push(...argv.slice(i + 1));
        break;
      }
      const body = arg.slice(2);
      if (body === 'help-all' || body === 'help') help();
      if (body === 'list-opts') {
        for (const o of opts) out.stdout += `--${o.long} `;
        throw new Exit(130);
      }
      if (body === 'list-cmds') throw new Exit(130);
      const r = parseLong(body);
      if (r === -1) usageFor(body, false);
      if (r === -2) unknown(arg);
    }
  } catch (e) {
    if (e instanceof Exit) return { exit: e.code };
    throw e;
  }
  return { params, args: positional };
}
