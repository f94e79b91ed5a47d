/**
 * DOC: what changed in ndctl's `cxl` tool between the modelled ndctl releases (76.1 … 81, 85).
 *
 * THE one ndctl version table: every behaviour of src/ndctl, src/daxctl or the CLI that differs
 * between ndctl releases is a named entry here with the first release that has it, and code asks
 * {@link ndctlHas}(ctx.ndctl, 'name') — no other file compares ndctl version strings
 * (tests/architecture/version-literals.test.ts). Releases up to v81 are dated from ndctl's git
 * history (pmem/ndctl: `git log -S` for the code, `git tag --contains` for the first tag); each
 * entry's comment names the commit. Behaviours absent from v81's source and present in ndctl 85's
 * output carry '85': pmem/ndctl's history available here ends at v81, so the exact release
 * between v82 and v85 is not pinned down. docs/profiles.md lists each entry with its evidence.
 */
import type { NdctlVersion } from '../profile.ts';

/** Behaviour name → first ndctl release that has it. */
export const NDCTL_SINCE = {
  // ---- cxl list (cxl/list.c, cxl/json.c, cxl/filter.c) ----
  /** cxl/list.c `-v` also lists regions (cf1e22a "cxl/list: Include regions in the verbose listing"). */
  verboseListsRegions: '77',
  /** cxl/list.c -X/--dax, and -vvv turns it on (45d3590 "cxl/list: Enumerate device-dax properties for regions"). */
  daxOption: '77',
  /** add_cxl_region() reads `mode`; util_cxl_region_to_json() prints "type" (fb781d5 "cxl: add a type attribute to region listings"). */
  regionType: '77',
  /**
   * add_cxl_port() reads `parent_dport`; __util_cxl_port_to_json() prints "parent_dport"
   * (c2218f8 "cxl/list: Add parent_dport attribute to port listings"; first landed in v75 as
   * 6df696a and reverted before the release, b9ecc50).
   */
  portParentDport: '77',
  /** cxl_port_find_endpoint(): the port's own endpoints are searched before its children (3590019 "cxl/list: Fix filtering RCDs"). */
  endpointSearchOwnFirst: '77',
  /** util_cxl_decoder_filter_by_region(): a root decoder passes through its child regions (228cbe0 "cxl/list: Filter root decoders by region"). */
  rootDecoderFiltersByChildRegions: '77',
  /** cxl/list.c -F/--firmware, util_cxl_memdev_fw_to_json() and the fw loader status (e13d8f4 "cxl/list: print firmware info in memdev listings"). */
  firmware: '78',
  /** "decoders_committed" of ports and endpoints (7f36477 "cxl: Save the number of decoders committed to a port"). */
  decodersCommitted: '79',
  /**
   * memdev pmem_qos_class/ram_qos_class, root decoder qos_class, region qos_class_mismatch
   * (4bad241 "cxl/lib: Add APIs to retrieve QoS class for memory devices", 177dc35 "cxl/lib: Add
   * API to retrieve QoS class for root decoders", 8e46bb8 "cxl: Add QoS class checks for region creation").
   */
  qosClass: '79',
  /**
   * add_cxl_memdev(): pmem/size, ram/size, payload_max, label_storage_size, firmware_version
   * optional (804ba86 "ndctl: cxl: Remove dependency for attributes derived from IDENTIFY command").
   */
  memdevOptionalAttrs: '79',
  /** cxl_decoder_calc_max_available_extent(): ULLONG_MAX for a decoder without a start (a025e7a "libcxl: don't calculate max_available_extent when start == ULLONG_MAX"). */
  maxExtentNeedsStart: '79',
  /** util_json_new_u64()/util_json_get_u64(): hex values are json-c uint64 objects (731ca1f "util/json: Use json_object_get_uint64() with uint64 support"). */
  jsonU64: '79',
  /** util_cxl_memdev_to_json() prints "firmware_version" (f1dc47e "cxl/list: add firmware_version to default memdev listings"). */
  memdevFirmwareVersion: '80',
  /** cxl/list.c -L/--media-errors, trigger_poison_list + the cxl_poison trace event (d7532bb "cxl/list: add --media-errors option to cxl list"). */
  mediaErrors: '80',
  /**
   * cxl monitor: the daemon's default log /var/log/cxl-monitor.log and the "relative path or
   * 'standard' are not compatible with daemon mode" check (023706a "cxl/monitor: Enable
   * default_log and refactor sanity checks"); before, --daemon without -l logged to stdio.
   */
  monitorDefaultLog: '78',
  /**
   * event_to_json() prints a fixed char/u8 array as numbers, only a __data_loc string as a
   * string (ffbbb0b "cxl/event_trace: parse arrays separately from strings"); before, every
   * TEP_FIELD_IS_STRING field was a string. Same release: "trace_event_enable() failed" (was
   * "cxl_trace_event_enable() failed", 9d234d8 "util/trace: move trace helpers from ndctl/cxl/
   * to ndctl/util/").
   */
  eventArraysAsNumbers: '80',
  /** <debugfs>/cxl: poison_injectable, dport protocol_injectable, bus injectable_protocol_errors (absent from v81). */
  debugfsInjection: '85',
  /** region "locked" (add_cxl_region() reads `locked`; absent from v81). */
  regionLocked: '85',
  /** region "extended_linear_cache_size" (absent from v81). */
  regionExtendedLinearCache: '85',
  /** the walk's disabled ("anon") memdevs also pass the decoder, bus and port filters (absent from v81's cxl/filter.c). */
  anonMemdevFilters: '85',
  /** __memdev_filter_by_port() by port ancestry, cxl_memdev_is_port_ancestor() (absent from v81). */
  memdevPortAncestry: '85',
  /** util_cxl_memdev_filter_by_port(): only buses matching -b are searched (absent from v81). */
  memdevPortFilterBusFirst: '85',
  /** __sysfs_read_attr()/write_attr() log EACCES/EPERM with a "try running as root" hint (v81's util/sysfs.c has none). */
  sysfsAccessHint: '85',
  /** __sysfs_read_attr(): an attribute of SYSFS_ATTR_SIZE bytes or more reads as "" (not -errno) (absent from v81). */
  sysfsLongAttrEmpty: '85',

  // ---- the command table (cxl/cxl.c commands[]) ----
  /** `update-firmware`, after free-dpa in commands[] (64ad46b "cxl: add an update-firmware command"). */
  updateFirmwareCommand: '78',
  /** `set-alert-config` (6c4cdf9 "cxl: add 'set-alert-config' command to cxl tool"). */
  setAlertConfigCommand: '79',
  /** `wait-sanitize` (7b6954d "cxl/memdev: Add a wait-sanitize command"). */
  waitSanitizeCommand: '79',
  /** `inject-protocol-error`, `inject-media-poison`, `clear-media-poison` (absent from v81's cxl.c). */
  injectCommands: '85',

  // ---- regions (cxl/region.c) ----
  /**
   * cxl/region.c CREATE_OPTIONS -U/--uuid; parse_create_options() parses it ("failed to parse
   * uuid") and refuses it for ram ("can't set UUID for ram / volatile regions"); create_region()
   * generates a uuid only for a pmem region without -U (76.1: uuid_generate() for every region)
   * (a3054cd "cxl/region: accept user-supplied UUIDs for pmem regions").
   */
  regionUuidOption: '77',
  /**
   * cxl_decoder_create_ram_region(): create-region -t ram creates a ram region; the region size
   * defaults from the memdevs' ram or pmem size by mode; an unsupported type reads "region type
   * '%s' is not supported" (76.1: "… not supported yet"); libcxl's creation helper is
   * cxl_decoder_create_region() (76.1: cxl_decoder_create_pmem_region())
   * (aa8ae06 "cxl: add core plumbing for creation of ram regions").
   */
  ramRegions: '77',
  /**
   * validate_config(): without -t the type follows the root decoder, ram if volatile capable,
   * pmem if pmem capable (64c39f0 "cxl/region: determine region type based on root decoder capability").
   */
  regionTypeFromRootDecoder: '77',
  /** cmd_create_region returns the creation's result: a refused creation exits 1
   *  (8260c9e "cxl/region: skip region_actions for region creation"; 76.1 exits 0). */
  createRegionReturnsRc: '77',
  /** create_region(): "unable to determine region size" without the "create_region: " prefix (37773b7 "cxl: region: remove redundant func name from error"). */
  regionSizeErrNoFuncName: '78',
  /** cxl/region.c CREATE_OPTIONS -Q/--enforce-qos, create_region_validate_qos_class() (8e46bb8 "cxl: Add QoS class checks for region creation"). */
  regionEnforceQos: '79',
  /** destroy_region() disables through disable_region() (8c12519 "cxl/region: Move cxl destroy_region() to new disable_region() helper"). */
  destroyRegionDisableHelper: '79',
  /**
   * disable-region -f/--force ("attempt to offline memory before disabling the region") and
   * do_region_xable()'s disable through disable_region() (6cf914f "cxl/region: Add -f option for disable-region").
   */
  disableRegionForce: '79',
  /** create_region(): "region size %#lx exceeds max available space (%#lx)" names the maximum (7225fd2 "cxl/region: report max size for region creation"). */
  regionMaxSizeReported: '81',
  /** destroy_region() refuses a locked region (EPERM) and checks the decoder order first (absent from v81's cxl/region.c). */
  destroyRegionChecks: '85',

  // ---- memdevs, ports, buses (cxl/memdev.c, cxl/port.c, cxl/bus.c, libcxl) ----
  /** cxl/memdev.c BASE_OPTIONS -b/--bus, memdev_action()'s util_cxl_memdev_filter_by_bus() (3e8fa8b "cxl/memdev.c: allow filtering memdevs by bus"). */
  memdevBusFilter: '78',
  /**
   * action_read/write/zero(): a label area of unknown size (SIZE_MAX) is EINVAL, and lsa_op()
   * refuses a memdev without payload_max (EINVAL) — the reads 804ba86 made optional ("ndctl: cxl:
   * Remove dependency for attributes derived from IDENTIFY command").
   */
  labelSizeUnknownChecks: '79',
  /**
   * action_disable(): disable-memdev refuses only a memdev whose endpoint has decoders committed,
   * "Forcing %s disable with an active region!" with -f (76.1: every enabled memdev without -f)
   * (d39b151 "cxl: Add check for regions before disabling memdev").
   */
  memdevDisableChecksCommitted: '79',
  /** disable-port: a memdev is below the port by cxl_memdev_is_port_ancestor() (v81: cxl_port_get_dport_by_memdev()). */
  portMemdevAncestry: '85',
  /** bus_action(): "is not a valid bus identifier" (v81: "identifer"; the codespell fix 3c4b4a2 "Fix common misspellings from codespell project" is not in v81). */
  busIdentifierSpelling: '85',
} as const satisfies Record<string, NdctlVersion>;

/** A named ndctl behaviour of {@link NDCTL_SINCE}. */
export type NdctlBehaviour = keyof typeof NDCTL_SINCE;

/** "76.1" → 76.1: ndctl releases compare as decimal numbers. */
const num = (v: string): number => Number(v);

/** Each release string's number (libcxl's walks ask ~10 times per object: no parse each time). */
const RELEASE_NUM = new Map<string, number>();

/** {@link num} through {@link RELEASE_NUM}. */
function releaseNum(v: string): number {
  let n = RELEASE_NUM.get(v);
  if (n === undefined) {
    n = num(v);
    RELEASE_NUM.set(v, n);
  }
  return n;
}

/** True when ndctl release `v` has behaviour `b` (its first release is `v` or older). */
export function ndctlHas(v: NdctlVersion, b: NdctlBehaviour): boolean {
  return releaseNum(v) >= releaseNum(NDCTL_SINCE[b]);
}

/**
 * json-c releases whose printing differs: 0.16 (Debian 12) and 0.18 (Debian 13 / trixie).
 * ndctl prints through json_object_to_json_string_ext(JSON_C_TO_STRING_PRETTY).
 */
export type JsoncVersion = '0.16' | '0.18';

/**
 * The json-c each modelled ndctl build links: Debian 12's 76.1, Debian 13's 81, trixie-backports'
 * 85 (captures). 77 … 80 have no distribution build here: each is paired with the json-c release
 * current at its tag (77, 78: 0.16; 79: 0.17, which prints like 0.18; 80: 0.18) — an assumption.
 */
export const JSONC_OF_NDCTL: Record<NdctlVersion, JsoncVersion> = {
  '76.1': '0.16',
  '77': '0.16',
  '78': '0.16',
  '79': '0.18',
  '80': '0.18',
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
