/**
 * DOC: the options of the memdev commands (cxl/memdev.c `struct parameters`, BASE_OPTIONS,
 * READ/WRITE/LABEL/DISABLE/SET_PARTITION/RESERVE_DPA/DPA_OPTIONS, the option tables and the
 * usage strings). v78 adds -b/--bus to the base options (NDCTL_SINCE.memdevBusFilter).
 */
import type { Ndctl } from '../util/jsonc.ts';
import { type OptSpec, optBool, optInt, optString, optUint } from '../util/parse-options.ts';
import { ndctlHas } from '../versions.ts';

/** static struct parameters param */
export interface MemdevParams {
  bus: string | undefined;
  outfile: string | undefined;
  infile: string | undefined;
  len: number;
  offset: number;
  verbose: boolean;
  serial: boolean;
  force: boolean;
  align: boolean;
  type: string | undefined;
  size: string | undefined;
  decoderFilter: string | undefined;
  /** wait-sanitize -t: milliseconds, -1 = infinite. */
  timeout: number;
  /** update-firmware -F/--firmware-file, -c/--cancel, -w/--wait. */
  fwFile: string | undefined;
  cancel: boolean;
  wait: boolean;
  [k: string]: string | number | boolean | undefined;
}

/** All options unset. */
export function defaultMemdevParams(): MemdevParams {
  return {
    bus: undefined,
    outfile: undefined,
    infile: undefined,
    len: 0,
    offset: 0,
    verbose: false,
    serial: false,
    force: false,
    align: false,
    type: undefined,
    size: undefined,
    decoderFilter: undefined,
    timeout: -1,
    fwFile: undefined,
    cancel: false,
    wait: false,
  };
}

/** The memdev commands this module implements. */
export type MemdevCommand =
  | 'read-labels'
  | 'write-labels'
  | 'zero-labels'
  | 'disable-memdev'
  | 'enable-memdev'
  | 'set-partition'
  | 'reserve-dpa'
  | 'free-dpa'
  | 'wait-sanitize'
  | 'update-firmware'
  | 'set-alert-config';

function baseOptions(ndctl: Ndctl): OptSpec[] {
  const base = [
    optBool('v', 'verbose', 'verbose', 'turn on debug'),
    optBool('S', 'serial', 'serial', 'use serial numbers to id memdevs'),
  ];
  return ndctlHas(ndctl, 'memdevBusFilter')
    ? [optString('b', 'bus', 'bus', 'bus name', 'Limit operation to the specified bus'), ...base]
    : base;
}

const labelOptions = (): OptSpec[] => [
  optUint('s', 'size', 'len', 'number of label bytes to operate'),
  optUint('O', 'offset', 'offset', 'offset into the label area to start operation'),
];

const dpaOptions = (): OptSpec[] => [
  optString(
    'd',
    'decoder',
    'decoderFilter',
    'decoder instance id',
    'override the automatic decoder selection',
  ),
  optString('t', 'type', 'type', 'type', "'pmem' or 'ram' (volatile) (Default: 'pmem')"),
  optBool('f', 'force', 'force', "Attempt 'expected to fail' operations"),
];

/** The option table of a memdev command. */
export function memdevOptions(cmd: MemdevCommand, ndctl: Ndctl): OptSpec[] {
  const base = baseOptions(ndctl);
  switch (cmd) {
    case 'read-labels':
      return [
        ...base,
        ...labelOptions(),
        optString('o', 'output', 'outfile', 'output-file', 'filename to write label area contents'),
      ];
    case 'write-labels':
      return [
        ...base,
        ...labelOptions(),
        optString('i', 'input', 'infile', 'input-file', 'filename to read label area data'),
      ];
    case 'zero-labels':
      return [...base, ...labelOptions()];
    case 'disable-memdev':
      return [
        ...base,
        optBool('f', 'force', 'force', 'DANGEROUS: override active memdev safety checks'),
      ];
    case 'enable-memdev':
      return base;
    case 'set-partition':
      return [
        ...base,
        optString('t', 'type', 'type', 'type', "'pmem' or 'ram' (volatile) (Default: 'pmem')"),
        optString('s', 'size', 'size', 'size', 'size in bytes (Default: all available capacity)'),
        optBool('a', 'align', 'align', "auto-align --size per device's requirement"),
      ];
    case 'reserve-dpa':
      return [
        ...base,
        optString('s', 'size', 'size', 'size', 'size in bytes (Default: all available capacity)'),
        ...dpaOptions(),
      ];
    case 'free-dpa':
      return [...base, ...dpaOptions()];
    case 'set-alert-config':
      return [...base, ...alertOptions()];
    case 'update-firmware':
      return [
        ...base,
        optString(
          'F',
          'firmware-file',
          'fwFile',
          'firmware-file',
          'firmware image file to use for the update',
        ),
        optBool('c', 'cancel', 'cancel', 'attempt to abort an in-progress firmware update'),
        optBool('w', 'wait', 'wait', 'wait for firmware update to complete before returning'),
      ];
    case 'wait-sanitize':
      return [
        ...base,
        optInt(
          't',
          'timeout',
          'timeout',
          'time in milliseconds to wait for overwrite completion (default: infinite)',
        ),
      ];
  }
}

/** The usage string of a memdev command. */
export const MEMDEV_USAGE: Record<MemdevCommand, string> = {
  'read-labels': 'cxl read-labels <mem0> [<mem1>..<memN>] [-o <filename>]',
  'write-labels': 'cxl write-labels <memdev> [-i <filename>]',
  'zero-labels': 'cxl zero-labels <mem0> [<mem1>..<memN>] [<options>]',
  'disable-memdev': 'cxl disable-memdev <mem0> [<mem1>..<memN>] [<options>]',
  'enable-memdev': 'cxl enable-memdev <mem0> [<mem1>..<memN>] [<options>]',
  'set-partition': 'cxl set-partition <mem0> [<mem1>..<memN>] [<options>]',
  'reserve-dpa': 'cxl reserve-dpa <mem0> [<mem1>..<memn>] [<options>]',
  'free-dpa': 'cxl free-dpa <mem0> [<mem1>..<memn>] [<options>]',
  'wait-sanitize': 'cxl wait-sanitize <mem0> [<mem1>..<memn>] [<options>]',
  'update-firmware': 'cxl update-firmware <mem0> [<mem1>..<memn>] [<options>]',
  'set-alert-config': 'cxl set-alert-config <mem0> [<mem1>..<memN>] [<options>]',
};

/** SET_ALERT_OPTIONS() (ndctl ≥ 81). */
function alertOptions(): OptSpec[] {
  const pair = (short: string, long: string, key: string, what: string): OptSpec[] => [
    optString(
      short,
      `${long}-threshold`,
      `${key}Threshold`,
      'threshold',
      `threshold value for ${what} warning alert`,
    ),
    optString(
      '',
      `${long}-alert`,
      `${key}Alert`,
      "'on' or 'off'",
      `enable or disable ${what} warning alert`,
    ),
  ];
  return [
    ...pair('L', 'life-used', 'lifeUsed', 'life used'),
    ...pair('O', 'over-temperature', 'overTemperature', 'device over temperature'),
    ...pair('U', 'under-temperature', 'underTemperature', 'device under temperature'),
    ...pair('V', 'volatile-mem-err', 'volatileMemErr', 'corrected volatile mem error'),
    ...pair('P', 'pmem-err', 'pmemErr', 'corrected pmem error'),
  ];
}
