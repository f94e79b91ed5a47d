/**
 * DOC: `cxl list` — ndctl's cmd_list() (cxl/list.c) over a SysfsView.
 *
 * Everything the real tool reads comes from the view (readdir order, symlinks, attribute files),
 * plus the memdev ioctls for -I/-H/-A/-F/-vvv. The result is what the process would have written:
 * stdout, stderr and the exit code, byte for byte, for ndctl 76.1 (Debian 12), 81 (Debian 13) or
 * 85; what differs between them is named in versions.ts.
 */
import type { SysfsView } from '../../sysfs/view.ts';
import type { CxlMemIoctl } from '../lib/ioctl.ts';
import { exists } from '../lib/sysfs.ts';
import type { CxlCtx } from '../lib/types.ts';
import type { Ndctl } from '../util/jsonc.ts';
import {
  type OptSpec,
  type OptValue,
  optBool,
  optIncr,
  usageText as optionsUsage,
  optString,
  parseOptions,
} from '../util/parse-options.ts';
import { displayJsonArray, Output } from '../util/print.ts';
import { type JsoncVersion, ndctlHas } from '../versions.ts';
import { cxlFilterHas } from './filter.ts';
import { defaultParams, type FilterParams, filterToFlags } from './filter-params.ts';
import { cxlFilterWalk } from './filter-walk.ts';
import { Segfault } from './json.ts';

export type { CxlMemIoctl } from '../lib/ioctl.ts';
export type { Ndctl } from '../util/jsonc.ts';

/** What a `cxl list` run printed and returned. */
export interface CxlListResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Options of {@link cxlList}. */
export interface CxlListOptions {
  /** memdev ioctls; without one every mailbox query fails with ENOTTY */
  ioctl?: CxlMemIoctl;
  /** the ndctl release to behave as */
  ndctl: Ndctl;
  /** the json-c that ndctl build links (default: its distribution's, JSONC_OF_NDCTL) */
  jsonc?: JsoncVersion;
}

/**
 * cxl/list.c options[] for the given ndctl version, as built with ENABLE_DEBUG (Debian): -X (77),
 * -F (78) and -L (80) come later.
 */
export function listOptions(ndctl: Ndctl): OptSpec<keyof FilterParams>[] {
  const opts: Array<OptSpec<keyof FilterParams> | false> = [
    optString(
      'm',
      'memdev',
      'memdevFilter',
      'memory device name(s)',
      'filter by CXL memory device name(s)',
    ),
    optString(
      's',
      'serial',
      'serialFilter',
      'memory device serial(s)',
      'filter by CXL memory device serial number(s)',
    ),
    optBool('M', 'memdevs', 'memdevs', 'include CXL memory device info'),
    optString('b', 'bus', 'busFilter', 'bus device name', 'filter by CXL bus device name(s)'),
    optBool('B', 'buses', 'buses', 'include CXL bus info'),
    optString('p', 'port', 'portFilter', 'port device name', 'filter by CXL port device name(s)'),
    optBool('P', 'ports', 'ports', 'include CXL port info'),
    optBool('S', 'single', 'single', 'skip listing descendant objects'),
    optString(
      'e',
      'endpoint',
      'endpointFilter',
      'endpoint device name',
      'filter by CXL endpoint device name(s)',
    ),
    optBool('E', 'endpoints', 'endpoints', 'include CXL endpoint info'),
    optString(
      'd',
      'decoder',
      'decoderFilter',
      'decoder device name',
      'filter by CXL decoder device name(s) / class',
    ),
    optBool('D', 'decoders', 'decoders', 'include CXL decoder info'),
    optBool('T', 'targets', 'targets', 'include CXL target data with decoders, ports, or regions'),
    optString('r', 'region', 'regionFilter', 'region name', 'filter by CXL region name(s)'),
    optBool('R', 'regions', 'regions', 'include CXL regions'),
    ndctlHas(ndctl, 'daxOption') &&
      optBool('X', 'dax', 'dax', 'include CXL DAX region enumeration'),
    optBool('i', 'idle', 'idle', 'include disabled devices'),
    optBool('u', 'human', 'human', 'use human friendly number formats'),
    optBool('H', 'health', 'health', 'include memory device health information'),
    optBool('I', 'partition', 'partition', 'include memory device partition information'),
    ndctlHas(ndctl, 'firmware') &&
      optBool('F', 'firmware', 'fw', 'include memory device firmware information'),
    optBool('A', 'alert-config', 'alertConfig', 'include alert configuration information'),
    ndctlHas(ndctl, 'mediaErrors') &&
      optBool('L', 'media-errors', 'mediaErrors', 'include media-error information '),
    optIncr('v', 'verbose', 'verbose', 'increase output detail'),
    // Debian builds ndctl with ENABLE_DEBUG: --debug exists (its debug trail is not emulated)
    optBool('', 'debug', 'debug', 'debug list walk'),
  ];
  return opts.filter((o) => o !== false);
}

/** The usage string of cmd_list(). */
const LIST_USAGE = 'cxl list [<options>]';

/** usage_with_options() of `cxl list`: the usage line and every option's help. */
export function usageText(ndctl: Ndctl): string {
  return optionsUsage(LIST_USAGE, listOptions(ndctl));
}

/** Outcome of parsing: the parameters and positional arguments, or an exit. */
export type ParseResult = { params: FilterParams; args: string[] } | { exit: number };

/**
 * parse_options() of cmd_list() over cxl/list.c's options[]: argv excludes the command name.
 * Writes errors, usage and --list-opts output to `out` (exit 129 / 130 as ndctl).
 */
export function parseListOptions(argv: string[], ndctl: Ndctl, out: Output): ParseResult {
  const params = defaultParams();
  const r = parseOptions(
    argv,
    listOptions(ndctl),
    LIST_USAGE,
    params as unknown as Record<string, OptValue>,
    out,
  );
  return 'exit' in r ? r : { params, args: r.args };
}

const numListFlags = (p: FilterParams): number =>
  [p.memdevs, p.buses, p.ports, p.endpoints, p.decoders, p.regions].filter(Boolean).length;

/** cmd_list()'s handling of the parsed options: implied object types and verbosity. */
function finishParams(p: FilterParams, ndctl: Ndctl): void {
  if (numListFlags(p) === 0) {
    if (p.memdevFilter !== undefined || p.serialFilter !== undefined) p.memdevs = true;
    if (p.busFilter !== undefined) p.buses = true;
    if (p.portFilter !== undefined) p.ports = true;
    if (p.endpointFilter !== undefined) p.endpoints = true;
    if (p.decoderFilter !== undefined) p.decoders = true;
    p.single = true;
    if (p.regionFilter !== undefined) p.regions = true;
  }
  if (numListFlags(p) === 0) {
    p.regions = true;
    p.memdevs = true;
  }
  const v = p.verbose;
  if (v >= 3 || v < 0) {
    p.health = p.partition = p.alertConfig = true;
    if (ndctlHas(ndctl, 'firmware')) p.fw = true;
    if (ndctlHas(ndctl, 'daxOption')) p.dax = true;
    if (ndctlHas(ndctl, 'mediaErrors')) p.mediaErrors = true;
  }
  if (v >= 2 || v < 0) p.idle = true;
  if (v >= 1 || v < 0) {
    p.buses = p.ports = p.endpoints = p.decoders = p.targets = true;
    if (ndctlHas(ndctl, 'verboseListsRegions')) p.regions = true;
  }
  if (cxlFilterHas(p.portFilter, 'root') && p.ports) p.buses = true;
  if (cxlFilterHas(p.portFilter, 'endpoint') && p.ports) p.endpoints = true;
}

/**
 * Runs `cxl list <args>` over `view`. `args` excludes "cxl" and "list".
 * Never throws for bad input: errors are ndctl's texts on stderr with its exit codes.
 */
export function cxlList(view: SysfsView, args: string[], opts: CxlListOptions): CxlListResult {
  const out = new Output();
  const ndctl = opts.ndctl;
  const done = (code: number): CxlListResult => ({ stdout: out.stdout, stderr: out.stderr, code });

  // util/main.c: "cxl list --help" becomes "cxl help list" (the man page); shown as the usage here
  if (args[0] === '--help') {
    out.stderr += usageText(ndctl);
    return done(129);
  }
  const parsed = parseListOptions(args, ndctl, out);
  if ('exit' in parsed) return done(parsed.exit);
  const p = parsed.params;
  for (const a of parsed.args) out.error(`unknown parameter "${a}"\n`);
  if (parsed.args.length > 0) {
    out.stderr += usageText(ndctl);
    return done(129);
  }
  if (p.single && p.portFilter === undefined) {
    out.error('-S/--single expects a port filter: -p/--port=\n');
    out.stderr += usageText(ndctl);
    return done(129);
  }
  finishParams(p, ndctl);

  const ctx: CxlCtx = {
    view,
    ioctl: opts.ioctl,
    ndctl,
    out,
    debugfs: undefined,
    memdevs: undefined,
    buses: undefined,
  };
  if (ndctlHas(ndctl, 'debugfsInjection') && exists(ctx, '/sys/kernel/debug/cxl'))
    ctx.debugfs = '/sys/kernel/debug/cxl';
  try {
    const top = cxlFilterWalk(ctx, p);
    displayJsonArray(out, top, filterToFlags(p), ndctl, opts.jsonc);
  } catch (e) {
    if (e instanceof Segfault) return { stdout: '', stderr: out.stderr, code: 139 };
    throw e;
  }
  return done(0);
}
