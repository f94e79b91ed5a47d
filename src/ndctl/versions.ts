/**
 * DOC: what changed in `cxl list` between the modelled ndctl releases (76.1, 81, 85).
 *
 * One named entry per behaviour, with the first ndctl release that has it. Releases up to v81 are
 * dated from ndctl's git history (pmem/ndctl tags v76.1 … v81: the tag where the code first
 * appears); behaviours absent from v81's source and present in v85's output carry '85' (the first
 * modelled release that shows them; the exact release between v82 and v85 is not pinned down).
 * Code asks {@link ndctlHas}(ctx.ndctl, 'name') instead of comparing version strings.
 * docs/profiles.md lists each entry with the capture or golden output that shows it.
 */
import type { NdctlVersion } from '../profile.ts';

/** Behaviour name → first ndctl release that has it. */
export const NDCTL_SINCE = {
  /** cxl/list.c `-v` also lists regions (param.regions in the verbosity switch). */
  verboseListsRegions: '77',
  /** cxl/list.c -X/--dax, and -vvv turns it on. */
  daxOption: '77',
  /** add_cxl_region() reads `mode`; util_cxl_region_to_json() prints "type". */
  regionType: '77',
  /** add_cxl_port() reads `parent_dport`; __util_cxl_port_to_json() prints "parent_dport". */
  portParentDport: '77',
  /** cxl_port_find_endpoint(): the port's own endpoints are searched before its children. */
  endpointSearchOwnFirst: '77',
  /** util_cxl_decoder_filter_by_region(): a root decoder passes through its child regions. */
  rootDecoderFiltersByChildRegions: '77',
  /** cxl/list.c -F/--firmware, util_cxl_memdev_fw_to_json() and the fw loader status (cxl_fwl_get_status). */
  firmware: '78',
  /** cxl/region.c CREATE_OPTIONS -U/--uuid (user-supplied pmem region UUIDs, a3054cd). */
  regionUuidOption: '77',
  /** cxl/region.c CREATE_OPTIONS -Q/--enforce-qos, create_region_validate_qos_class() (8e46bb8). */
  regionEnforceQos: '79',
  /** cxl/memdev.c BASE_OPTIONS -b/--bus, memdev_action()'s util_cxl_memdev_filter_by_bus(). */
  memdevBusFilter: '78',
  /** "decoders_committed" of ports and endpoints. */
  decodersCommitted: '79',
  /** memdev pmem_qos_class/ram_qos_class, root decoder qos_class, region qos_class_mismatch. */
  qosClass: '79',
  /** add_cxl_memdev(): pmem/size, ram/size, payload_max, label_storage_size, firmware_version optional. */
  memdevOptionalAttrs: '79',
  /** cxl_decoder_calc_max_available_extent(): ULLONG_MAX for a decoder without a start. */
  maxExtentNeedsStart: '79',
  /** util_json_new_u64()/util_json_get_u64(): hex values are json-c uint64 objects. */
  jsonU64: '79',
  /** util_cxl_memdev_to_json() prints "firmware_version". */
  memdevFirmwareVersion: '80',
  /** cxl/list.c -L/--media-errors (trigger_poison_list + the cxl_poison trace event). */
  mediaErrors: '80',
  /** <debugfs>/cxl: poison_injectable, dport protocol_injectable, bus injectable_protocol_errors. */
  debugfsInjection: '85',
  /** region "locked" (add_cxl_region() reads `locked`). */
  regionLocked: '85',
  /** region "extended_linear_cache_size". */
  regionExtendedLinearCache: '85',
  /** the walk's disabled ("anon") memdevs also pass the decoder, bus and port filters. */
  anonMemdevFilters: '85',
  /** __memdev_filter_by_port() by port ancestry (cxl_memdev_is_port_ancestor()). */
  memdevPortAncestry: '85',
  /** util_cxl_memdev_filter_by_port(): only buses matching -b are searched. */
  memdevPortFilterBusFirst: '85',
  /** __sysfs_read_attr()/write_attr() log EACCES/EPERM with a "try running as root" hint. */
  sysfsAccessHint: '85',
  /** __sysfs_read_attr(): an attribute of SYSFS_ATTR_SIZE bytes or more reads as "" (not -errno). */
  sysfsLongAttrEmpty: '85',
  /** cmd_create_region returns the creation's result: a refused creation exits 1
   *  (8260c9e "cxl/region: skip region_actions for region creation"; 76.1 exits 0). */
  createRegionReturnsRc: '77',
  /** destroy_region() disables through disable_region() (8c12519). */
  destroyRegionDisableHelper: '79',
  /** destroy_region() refuses a locked region (EPERM) and checks the decoder order first. */
  destroyRegionChecks: '85',
} as const satisfies Record<string, NdctlVersion | '77' | '78' | '79' | '80'>;

/** A named `cxl list` behaviour of {@link NDCTL_SINCE}. */
export type NdctlBehaviour = keyof typeof NDCTL_SINCE;

/** "76.1" → 76.1: ndctl releases compare as decimal numbers. */
const num = (v: string): number => Number(v);

/** True when ndctl release `v` has behaviour `b` (its first release is `v` or older). */
export function ndctlHas(v: NdctlVersion, b: NdctlBehaviour): boolean {
  return num(v) >= num(NDCTL_SINCE[b]);
}

/**
 * json-c releases whose printing differs: 0.16 (Debian 12) and 0.18 (Debian 13 / trixie).
 * ndctl prints through json_object_to_json_string_ext(JSON_C_TO_STRING_PRETTY).
 */
export type JsoncVersion = '0.16' | '0.18';

/** The json-c each modelled ndctl build links: Debian 12's 76.1, Debian 13's 81, trixie-backports' 85. */
export const JSONC_OF_NDCTL: Record<NdctlVersion, JsoncVersion> = {
  '76.1': '0.16',
  '81': '0.18',
  '85': '0.18',
};

/**
 * json-c 0.17 prints an empty array as `[]` (json-c issue #778); 0.16 as "[", newline, indent, "]".
 * Seen in the captures: debian-12's `cxl list -R` with no region prints "[\n]", debian-13's and
 * latest's print "[]".
 */
export function jsoncInlinesEmptyArray(j: JsoncVersion): boolean {
  return j !== '0.16';
}
