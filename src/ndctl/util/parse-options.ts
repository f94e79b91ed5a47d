/**
 * DOC: ndctl's util/parse-options.c (from git/perf): the one option parser of every `cxl` command
 * (list and the state-changing ones), each passing its own option table.
 *
 * parse_options(argc, argv, options, usage, 0): short options combine (-fv) and take their value
 * attached (-dfoo) or as the next argument; long options take `=value` or the next argument, may
 * be abbreviated to any unambiguous prefix and negated with --no-. Positional arguments are kept in
 * order; "--" ends option parsing. Errors print ndctl's exact texts on stderr and end the run with
 * exit 129: "  Error: unknown switch `x'" / "unknown option `xyz'" then the full usage;
 * "requires a value", "takes no value", "expects a numerical value" then the usage line and that
 * option's help; -h/--help print the usage. --list-opts prints the long names (exit 130).
 */
import { strtol, toI32, toU32 } from './cstr.ts';
import type { Output } from './print.ts';

/**
 * OPTION_BOOLEAN, OPTION_INCR (a counter: each use adds one, --no- resets it), OPTION_STRING,
 * OPTION_INTEGER (int) and OPTION_UINTEGER (unsigned int).
 */
export type OptKind = 'boolean' | 'incr' | 'string' | 'integer' | 'uinteger';

/** One `struct option`: `key` names the field of the command's parameter record it sets. */
export interface OptSpec<K extends string = string> {
  short: string;
  long: string;
  kind: OptKind;
  /** argument name shown in the help (`<argh>`), strings only */
  argh?: string;
  help: string;
  key: K;
}

/** Values the options write: booleans, strings (undefined when unset) and numbers. */
export type OptValue = boolean | string | number | undefined;

/** OPT_BOOLEAN(short, long, &key, help) */
export function optBool<K extends string>(
  short: string,
  long: string,
  key: K,
  help: string,
): OptSpec<K> {
  return { short, long, kind: 'boolean', help, key };
}

/** OPT_INCR(short, long, &key, help) */
export function optIncr<K extends string>(
  short: string,
  long: string,
  key: K,
  help: string,
): OptSpec<K> {
  return { short, long, kind: 'incr', help, key };
}

/** OPT_STRING(short, long, &key, argh, help) */
export function optString<K extends string>(
  short: string,
  long: string,
  key: K,
  argh: string,
  help: string,
): OptSpec<K> {
  return { short, long, kind: 'string', argh, help, key };
}

/** OPT_INTEGER(short, long, &key, help) */
export function optInt<K extends string>(
  short: string,
  long: string,
  key: K,
  help: string,
): OptSpec<K> {
  return { short, long, kind: 'integer', help, key };
}

/** OPT_UINTEGER(short, long, &key, help) */
export function optUint<K extends string>(
  short: string,
  long: string,
  key: K,
  help: string,
): OptSpec<K> {
  return { short, long, kind: 'uinteger', help, key };
}

const USAGE_OPTS_WIDTH = 24;
const USAGE_GAP = 2;

/** print_option_help() */
export function optionHelp(o: OptSpec): string {
  let s = '    ';
  s += o.short ? `-${o.short}` : '    ';
  if (o.long && o.short) s += ', ';
  if (o.long) s += `--${o.long}`;
  if (o.kind === 'integer' || o.kind === 'uinteger') s += ' <n>';
  else if (o.kind === 'string') s += o.argh ? ` <${o.argh}>` : ' ...';
  let pad: number;
  if (s.length <= USAGE_OPTS_WIDTH) pad = USAGE_OPTS_WIDTH - s.length;
  else {
    s += '\n';
    pad = USAGE_OPTS_WIDTH;
  }
  return `${s}${' '.repeat(pad + USAGE_GAP)}${o.help}\n`;
}

/** usage_with_options_internal(): the usage line and every option's help (on stderr). */
export function usageText(usage: string, opts: readonly OptSpec[]): string {
  let s = `\n usage: ${usage}\n\n`;
  for (const o of opts) s += optionHelp(o);
  return `${s}\n`;
}

/** The parsed positional arguments, or the exit code parse_options() ended the process with. */
export type ParseResult = { args: string[] } | { exit: number };

/** Thrown inside the parser to end the run (output already written). */
class Exit {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

/** Where the parser keeps the option being parsed (struct parse_opt_ctx_t). */
interface Ctx {
  argv: readonly string[];
  i: number;
  /** ctx->opt: the rest of an aggregated short option or the text after '=' */
  opt: string | null;
}

/**
 * parse_options() over `argv` (the arguments after the command name). Option values are written
 * into `params` by key; the positional arguments are returned in order.
 */
export function parseOptions(
  argv: readonly string[],
  opts: readonly OptSpec[],
  usage: string,
  params: Record<string, OptValue>,
  out: Output,
): ParseResult {
  const c: Ctx = { argv, i: 0, opt: null };
  const positional: string[] = [];
  try {
    for (; c.i < argv.length; c.i++) {
      c.opt = null;
      const arg = argv[c.i] as string;
      if (arg[0] !== '-' || arg.length === 1) {
        positional.push(arg);
        continue;
      }
      if (arg[1] !== '-') {
        parseShortGroup(c, arg, opts, usage, params, out);
        continue;
      }
      if (arg.length === 2) {
        positional.push(...argv.slice(c.i + 1));
        break;
      }
      const body = arg.slice(2);
      if (body === 'help-all' || body === 'help') help(usage, opts, out);
      if (body === 'list-opts') {
        for (const o of opts) out.stdout += `--${o.long} `;
        throw new Exit(130);
      }
      if (body === 'list-cmds') throw new Exit(130);
      const r = parseLong(c, body, opts, params, out);
      if (r === -1) usageFor(usage, opts, body, false, out);
      if (r === -2) unknown(c, arg, usage, opts, out);
    }
  } catch (e) {
    if (e instanceof Exit) return { exit: e.code };
    throw e;
  }
  return { args: positional };
}

/** usage_with_options(): the full usage, exit 129. */
function help(usage: string, opts: readonly OptSpec[], out: Output): never {
  out.stderr += usageText(usage, opts);
  throw new Exit(129);
}

/** parse_options_usage(): usage line, then the help of the option named by `optstr`. */
function usageFor(
  usage: string,
  opts: readonly OptSpec[],
  optstr: string,
  short: boolean,
  out: Output,
): never {
  out.stderr += `\n usage: ${usage}\n\n`;
  const o = opts.find((x) =>
    short
      ? x.short !== '' && x.short === optstr[0]
      : optstr.startsWith(x.long) ||
        (optstr.startsWith('no-') && optstr.slice(3).startsWith(x.long)),
  );
  if (o) out.stderr += optionHelp(o);
  throw new Exit(129);
}

/** The PARSE_OPT_UNKNOWN branch of parse_options_subcommand_prefix(). */
function unknown(c: Ctx, arg: string, usage: string, opts: readonly OptSpec[], out: Output): never {
  if (arg[1] === '-') out.error(`unknown option \`${arg.slice(2)}'`);
  else out.error(`unknown switch \`${(c.opt ?? '')[0] ?? ''}'`);
  help(usage, opts, out);
}

/** One argument of aggregated short options ("-fv", "-dfoo"). */
function parseShortGroup(
  c: Ctx,
  arg: string,
  opts: readonly OptSpec[],
  usage: string,
  params: Record<string, OptValue>,
  out: Output,
): void {
  c.opt = arg.slice(1);
  if (c.opt[0] === 'h') help(usage, opts, out);
  const r = parseShort(c, opts, params, out);
  if (r === -1) usageFor(usage, opts, arg.slice(1), true, out);
  if (r === -2) unknown(c, arg, usage, opts, out);
  if (c.opt !== null) checkTypos(arg.slice(1), opts, out);
  while (c.opt !== null) {
    if (c.opt[0] === 'h') help(usage, opts, out);
    const sub = c.opt;
    const r2 = parseShort(c, opts, params, out);
    if (r2 === -1) usageFor(usage, opts, sub, true, out);
    if (r2 === -2) unknown(c, `-${sub}`, usage, opts, out);
  }
}

/** check_typos(): "-memdevs" was probably meant as "--memdevs". */
function checkTypos(arg: string, opts: readonly OptSpec[], out: Output): void {
  if (arg.length < 3) return;
  if (arg.startsWith('no-') || opts.some((o) => o.long.startsWith(arg))) {
    out.error(`did you mean \`--${arg}\` (with two dashes ?)`);
    throw new Exit(129);
  }
}

/** opterror() */
function optError(o: OptSpec, reason: string, short: boolean, unset: boolean, out: Output): -1 {
  if (short) out.error(`switch \`${o.short}' ${reason}`);
  else if (unset) out.error(`option \`no-${o.long}' ${reason}`);
  else out.error(`option \`${o.long}' ${reason}`);
  return -1;
}

/** get_arg(): the attached value or the next argument. */
function getArg(c: Ctx, o: OptSpec, short: boolean, out: Output): string | -1 {
  if (c.opt !== null) {
    const v = c.opt;
    c.opt = null;
    return v;
  }
  if (c.i + 1 < c.argv.length) return c.argv[++c.i] as string;
  return optError(o, 'requires a value', short, false, out);
}

/** get_value(): 0 on success, -1 after printing the error. */
function getValue(
  c: Ctx,
  o: OptSpec,
  short: boolean,
  unset: boolean,
  params: Record<string, OptValue>,
  out: Output,
): number {
  if (unset && c.opt !== null) return optError(o, 'takes no value', short, unset, out);
  if (!short && c.opt !== null && (o.kind === 'boolean' || o.kind === 'incr'))
    return optError(o, 'takes no value', short, unset, out);
  switch (o.kind) {
    case 'boolean':
      params[o.key] = !unset;
      return 0;
    case 'incr':
      params[o.key] = unset ? 0 : (params[o.key] as number) + 1;
      return 0;
    case 'string': {
      if (unset) {
        params[o.key] = undefined;
        return 0;
      }
      const v = getArg(c, o, short, out);
      if (v === -1) return -1;
      params[o.key] = v;
      return 0;
    }
    case 'integer':
    case 'uinteger': {
      if (unset) {
        params[o.key] = 0;
        return 0;
      }
      const v = getArg(c, o, short, out);
      if (v === -1) return -1;
      const n = strtolEnd10(v);
      params[o.key] = o.kind === 'integer' ? toI32(n.value) : toU32(n.value);
      if (!n.whole) return optError(o, 'expects a numerical value', short, unset, out);
      return 0;
    }
  }
}

/** strtol(arg, &end, 10) and whether `*end` is the terminating NUL. */
function strtolEnd10(s: string): { value: bigint; whole: boolean } {
  const m = /^[ \t\n\v\f\r]*[+-]?[0-9]+/.exec(s);
  if (!m) return { value: 0n, whole: s === '' };
  return { value: strtol(m[0], 10), whole: m[0].length === s.length };
}

/** parse_short_opt(): -2 for an unknown switch. */
function parseShort(
  c: Ctx,
  opts: readonly OptSpec[],
  params: Record<string, OptValue>,
  out: Output,
): number {
  const ch = (c.opt as string)[0];
  const o = opts.find((x) => x.short !== '' && x.short === ch);
  if (!o) return -2;
  c.opt = (c.opt as string).length > 1 ? (c.opt as string).slice(1) : null;
  return getValue(c, o, true, false, params, out);
}

/** parse_long_opt(): exact, "=value", negated (--no-x) and abbreviated forms; -2 if unknown. */
function parseLong(
  c: Ctx,
  arg: string,
  opts: readonly OptSpec[],
  params: Record<string, OptValue>,
  out: Output,
): number {
  const eq = arg.indexOf('=');
  const key = eq < 0 ? arg : arg.slice(0, eq);
  let abbrev: OptSpec | undefined;
  let abbrevUnset = false;
  let ambiguous: OptSpec | undefined;
  let ambiguousUnset = false;
  const abbreviated = (o: OptSpec, unset: boolean): void => {
    if (abbrev) {
      ambiguous = abbrev;
      ambiguousUnset = abbrevUnset;
    }
    if (!unset && eq >= 0) c.opt = arg.slice(eq + 1);
    abbrev = o;
    abbrevUnset = unset;
  };
  for (const o of opts) {
    let unset = false;
    let rest: string | null = arg.startsWith(o.long) ? arg.slice(o.long.length) : null;
    if (rest === null) {
      if (o.long.startsWith(key)) {
        abbreviated(o, false);
        continue;
      }
      if ('no-'.startsWith(arg)) {
        abbreviated(o, true);
        continue;
      }
      if (!arg.startsWith('no-')) continue;
      unset = true;
      rest = arg.slice(3).startsWith(o.long) ? arg.slice(3 + o.long.length) : null;
      if (rest === null && o.long.startsWith(arg.slice(3))) {
        abbreviated(o, true);
        continue;
      }
      if (rest === null) continue;
    }
    if (rest !== '') {
      if (rest[0] !== '=') continue;
      c.opt = rest.slice(1);
    }
    return getValue(c, o, false, unset, params, out);
  }
  if (ambiguous && abbrev) {
    out.error(
      `Ambiguous option: ${arg} (could be --${ambiguousUnset ? 'no-' : ''}${ambiguous.long} or --${abbrevUnset ? 'no-' : ''}${abbrev.long})`,
    );
    return -1;
  }
  if (abbrev) return getValue(c, abbrev, false, abbrevUnset, params, out);
  return -2;
}
