/**
 * DOC: the options of the region commands (cxl/region.c region_params, BASE_OPTIONS,
 * CREATE_OPTIONS, the per-command option tables and usage strings), for 76.1 and 85.
 */
import type { Ndctl } from '../util/jsonc.ts';
import { type OptSpec, optBool, optInt, optString } from '../util/parse-options.ts';
import { ndctlHas } from '../versions.ts';

/** INT_MAX: the "not given" value of -w and -g. */
export const INT_MAX = 0x7fffffff;

/** static struct region_params param */
export interface RegionParams {
  bus: string | undefined;
  size: string | undefined;
  type: string | undefined;
  rootDecoder: string | undefined;
  uuid: string | undefined;
  ways: number;
  granularity: number;
  memdevs: boolean;
  force: boolean;
  human: boolean;
  debug: boolean;
  enforceQos: boolean;
  [k: string]: string | number | boolean | undefined;
}

/** The initial values (ways and granularity INT_MAX). */
export function defaultRegionParams(): RegionParams {
  return {
    bus: undefined,
    size: undefined,
    type: undefined,
    rootDecoder: undefined,
    uuid: undefined,
    ways: INT_MAX,
    granularity: INT_MAX,
    memdevs: false,
    force: false,
    human: false,
    debug: false,
    enforceQos: false,
  };
}

/** The region commands. */
export type RegionAction = 'create' | 'enable' | 'disable' | 'destroy';

/** BASE_OPTIONS() */
function baseOptions(): OptSpec[] {
  return [
    optString('b', 'bus', 'bus', 'bus name', 'Limit operation to the specified bus'),
    optString(
      'd',
      'decoder',
      'rootDecoder',
      'root decoder name',
      'Limit to / use the specified root decoder',
    ),
    optBool('', 'debug', 'debug', 'turn on debug'),
  ];
}

/** CREATE_OPTIONS() */
function createOptions(ndctl: Ndctl): OptSpec[] {
  const withUuid = ndctlHas(ndctl, 'regionUuidOption');
  const opts: Array<OptSpec | false> = [
    optString(
      's',
      'size',
      'size',
      'size in bytes or with a K/M/G etc. suffix',
      'total size desired for the resulting region.',
    ),
    optInt('w', 'ways', 'ways', 'number of memdevs participating in the regions interleave set'),
    optInt('g', 'granularity', 'granularity', 'granularity of the interleave set'),
    optString('t', 'type', 'type', 'region type', "region type - 'pmem' or 'ram'"),
    withUuid &&
      optString(
        'U',
        'uuid',
        'uuid',
        'region uuid',
        'uuid for the new region (default: autogenerate)',
      ),
    optBool('m', 'memdevs', 'memdevs', 'non-option arguments are memdevs'),
    optBool('u', 'human', 'human', 'use human friendly number formats'),
    ndctlHas(ndctl, 'regionEnforceQos') &&
      optBool('Q', 'enforce-qos', 'enforceQos', 'enforce qos_class match'),
  ];
  return opts.filter((o): o is OptSpec => o !== false);
}

/** The option table of a region command. */
export function regionOptions(action: RegionAction, ndctl: Ndctl): OptSpec[] {
  const base = baseOptions();
  switch (action) {
    case 'create':
      return [...base, ...createOptions(ndctl)];
    case 'enable':
      return base;
    case 'disable':
      return ndctlHas(ndctl, 'disableRegionForce')
        ? [
            ...base,
            optBool('f', 'force', 'force', 'attempt to offline memory before disabling the region'),
          ]
        : base;
    case 'destroy':
      return [...base, optBool('f', 'force', 'force', 'destroy region even if currently active')];
  }
}

/** The usage string of a region command. */
export function regionUsage(action: RegionAction): string {
  return action === 'create'
    ? 'cxl create-region <target0> ... [<options>]'
    : `cxl ${action}-region <region0> ... [<options>]`;
}
