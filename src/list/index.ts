/**
 * DOC: `cxl list` — ndctl's cmd_list() (cxl/list.c) over a SysfsView.
 *
 * Everything the real tool reads comes from the view (readdir order, symlinks, attribute files),
 * plus the memdev ioctls for -I/-H/-A/-F/-vvv. The result is what the process would have written:
 * stdout, stderr and the exit code, byte for byte, for ndctl 76.1 (Debian 12), 81 (Debian 13) or
 * 85; what differs between them is named in versions.ts.
 */
import type { SysfsView } from '../sysfs/view.ts';
import { cxlFilterHas } from './filter.ts';
import type { CxlMemIoctl } from './ioctl.ts';
import { Segfault } from './json.ts';
import type { Ndctl } from './jsonc.ts';
import { exists } from './libcxl/sysfs.ts';
import type { CxlCtx } from './libcxl/types.ts';
import { parseListOptions, usageText } from './options.ts';
import { type FilterParams, filterToFlags } from './params.ts';
import { displayJsonArray, Output } from './print.ts';
import { type JsoncVersion, ndctlHas } from './versions.ts';
import { cxlFilterWalk } from './walk.ts';

export type { CxlMemIoctl } from './ioctl.ts';
export type { Ndctl } from './jsonc.ts';

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
