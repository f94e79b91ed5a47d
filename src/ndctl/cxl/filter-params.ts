/**
 * DOC: struct cxl_filter_params (cxl/filter.h) and cxl_filter_to_flags().
 */
import { UTIL_JSON } from '../util/print.ts';

/** The parsed `cxl list` options. Filters are undefined when not given. */
export interface FilterParams {
  memdevFilter: string | undefined;
  serialFilter: string | undefined;
  busFilter: string | undefined;
  portFilter: string | undefined;
  endpointFilter: string | undefined;
  decoderFilter: string | undefined;
  regionFilter: string | undefined;
  single: boolean;
  endpoints: boolean;
  decoders: boolean;
  regions: boolean;
  targets: boolean;
  memdevs: boolean;
  ports: boolean;
  buses: boolean;
  idle: boolean;
  human: boolean;
  health: boolean;
  partition: boolean;
  fw: boolean;
  alertConfig: boolean;
  dax: boolean;
  mediaErrors: boolean;
  verbose: number;
  /** --debug (ENABLE_DEBUG builds): libcxl and cxl list log at LOG_DEBUG */
  debug: boolean;
}

/** All options unset. */
export function defaultParams(): FilterParams {
  return {
    memdevFilter: undefined,
    serialFilter: undefined,
    busFilter: undefined,
    portFilter: undefined,
    endpointFilter: undefined,
    decoderFilter: undefined,
    regionFilter: undefined,
    single: false,
    endpoints: false,
    decoders: false,
    regions: false,
    targets: false,
    memdevs: false,
    ports: false,
    buses: false,
    idle: false,
    human: false,
    health: false,
    partition: false,
    fw: false,
    alertConfig: false,
    dax: false,
    mediaErrors: false,
    verbose: 0,
    debug: false,
  };
}

/** cxl_filter_to_flags() */
export function filterToFlags(p: FilterParams): number {
  let f = 0;
  if (p.idle) f |= UTIL_JSON.IDLE;
  if (p.human) f |= UTIL_JSON.HUMAN;
  if (p.health) f |= UTIL_JSON.HEALTH;
  if (p.targets) f |= UTIL_JSON.TARGETS;
  if (p.partition) f |= UTIL_JSON.PARTITION;
  if (p.fw) f |= UTIL_JSON.FIRMWARE;
  if (p.alertConfig) f |= UTIL_JSON.ALERT_CONFIG;
  if (p.dax) f |= UTIL_JSON.DAX | UTIL_JSON.DAX_DEVS;
  if (p.mediaErrors) f |= UTIL_JSON.MEDIA_ERRORS;
  return f;
}
