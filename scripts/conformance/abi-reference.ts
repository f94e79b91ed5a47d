/**
 * DOC: the /sys/bus/cxl ABI reference (sysfs-fixtures/reference/sysfs-abi.json, a copy of
 * shared/reference/sysfs-abi.json: one record per attribute of Documentation/ABI/testing/
 * sysfs-bus-cxl plus the code-only ones) turned into checks: the object kinds an attribute
 * applies to, the kernel version it appeared in, the mode a file must have and a checker for
 * the value format the record gives.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One record of sysfs-abi.json (the fields used here). */
export interface AbiRecord {
  name: string;
  path: string;
  objects: string[];
  mode: string;
  format: string;
  since: string;
  kind: 'attribute' | 'symlink' | 'directory' | 'standard' | 'bin_attribute';
  visible_when?: string;
  permissions?: string;
}

/** Object kinds cxlsim can show (the record's `objects` names; 'nmem' for libnvdimm's nmemY). */
export type ObjKind =
  | 'bus'
  | 'root'
  | 'port'
  | 'endpoint'
  | 'root_decoder'
  | 'switch_decoder'
  | 'endpoint_decoder'
  | 'memdev'
  | 'region'
  | 'pmem_region'
  | 'dax_region'
  | 'nvdimm_bridge'
  | 'nvdimm'
  | 'nmem'
  | 'pmu';

/** The reference JSON shipped with the repository. */
export const ABI_JSON = join(
  import.meta.dirname,
  '..',
  '..',
  'sysfs-fixtures',
  'reference',
  'sysfs-abi.json',
);

/**
 * Visibility conditions the kernel applies but the reference records leave out (no
 * `visible_when`), with the function that applies them.
 */
export const CODE_VISIBILITY: Readonly<Record<string, string>> = {
  'security/sanitize':
    'Sanitize (0x4400) enabled in the CEL (memdev.c cxl_memdev_security_visible(); not in the reference record)',
  'security/erase':
    'Secure Erase (0x4401) enabled in the CEL (memdev.c cxl_memdev_security_visible(); not in the reference record)',
};

/** Loads the attribute records (with {@link CODE_VISIBILITY} filled in). */
export function loadAbi(file = ABI_JSON): AbiRecord[] {
  const rs = (JSON.parse(readFileSync(file, 'utf8')) as { attributes: AbiRecord[] }).attributes;
  for (const r of rs) {
    const v = CODE_VISIBILITY[r.name];
    if (v && !r.visible_when) r.visible_when = v;
  }
  return rs;
}

/** The record's object names as kinds ("nvdimm (libnvdimm nmem)" is libnvdimm's nmem). */
export function recordKinds(r: AbiRecord): ObjKind[] {
  return r.objects.map((o) => (o.startsWith('nvdimm (libnvdimm') ? 'nmem' : (o as ObjKind)));
}

/** "v6.8" / "v7.0 (code; …)" → [6, 8]. */
export function sinceVersion(r: AbiRecord): [number, number] {
  const m = /v(\d+)\.(\d+)/.exec(r.since);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/** True when the attribute exists in kernel `kernel` ("6.1", "7.0"). */
export function inKernel(r: AbiRecord, kernel: string): boolean {
  const [a, b] = sinceVersion(r);
  const [x = 0, y = 0] = kernel.split('.').map(Number);
  return a < x || (a === x && b <= y);
}

/**
 * The permission bits a file must have on an object of `kind` (`regionMode` is the region's
 * `mode` file: uuid is 0644 on pmem regions, 0444 on ram regions). Undefined for links and
 * directories.
 */
export function expectedMode(r: AbiRecord, regionMode?: string): number | undefined {
  if (r.kind === 'symlink' || r.kind === 'directory') return undefined;
  if (r.permissions) return Number.parseInt(r.permissions, 8);
  if (r.mode.startsWith('RW (pmem)')) return regionMode === 'pmem' ? 0o644 : 0o444;
  if (r.mode.includes('0400')) return 0o400;
  if (r.mode === 'RW') return 0o644;
  if (r.mode === 'WO') return 0o200;
  return 0o444;
}

const HEX = /^0x[0-9a-f]+\n$/;
const DEC = /^-?\d+\n$/;
const UNS = /^\d+\n$/;
const BOOL = /^[01]\n$/;
const DEVTYPES = new Set([
  'cxl_port',
  'cxl_decoder_root',
  'cxl_decoder_switch',
  'cxl_decoder_endpoint',
  'cxl_memdev',
  'cxl_region',
  'cxl_pmem_region',
  'cxl_dax_region',
  'cxl_nvdimm_bridge',
  'cxl_nvdimm',
  'cxl_pmu',
]);

/** A value checker: true when `v` (the file's content) has the record's format. */
export type FormatCheck = (v: string | Uint8Array, kind: ObjKind) => boolean;

const text =
  (f: (s: string, kind: ObjKind) => boolean): FormatCheck =>
  (v, kind) =>
    typeof v === 'string' && f(v, kind);
const re = (x: RegExp): FormatCheck => text((s) => x.test(s));

/** CDAT: a table whose header length matches and whose bytes sum to 0 (CDAT 1.04 §2). */
const cdat: FormatCheck = (v) => {
  if (typeof v === 'string' || v.length < 16) return false;
  const len = new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(0, true);
  return len === v.length && v.reduce((s, b) => (s + b) & 0xff, 0) === 0;
};

/** The modalias id of each devtype (CXL_DEVICE_*; decoders 0). */
const MODALIAS: Record<string, number> = {
  root: 4,
  port: 3,
  endpoint: 3,
  root_decoder: 0,
  switch_decoder: 0,
  endpoint_decoder: 0,
  memdev: 5,
  region: 6,
  pmem_region: 7,
  dax_region: 8,
  nvdimm_bridge: 1,
  nvdimm: 2,
  pmu: 9,
};

/**
 * Format checkers by attribute name (`kind:name` where one name has two formats). Attributes
 * without one (write-only files, links, directories) are reported as not format-checked.
 */
const FORMATS: Record<string, FormatCheck> = {
  devtype: text((s) => s.endsWith('\n') && DEVTYPES.has(s.slice(0, -1))),
  modalias: text((s, kind) => s === `cxl:t${MODALIAS[kind] ?? -1}\n`),
  firmware_version: text(
    (s) => s.endsWith('\n') && !s.slice(0, -1).includes('\n') && s.length <= 17,
  ),
  // "%zu\n", or an empty line on a memdev without a cxl_memdev_state (memdev.c)
  payload_max: re(/^\d*\n$/),
  label_storage_size: re(/^\d*\n$/),
  'ram/size': re(HEX),
  'pmem/size': re(HEX),
  'ram/qos_class': re(DEC),
  'pmem/qos_class': re(DEC),
  serial: re(HEX),
  numa_node: re(DEC),
  'security/state': re(/^(disabled|sanitize|locked|unlocked|frozen)\n$/),
  dev: re(/^\d+:\d+\n$/),
  dirty_shutdown: re(UNS),
  decoders_committed: re(DEC),
  CDAT: cdat,
  start: re(HEX),
  size: re(HEX),
  locked: re(BOOL),
  interleave_ways: re(DEC),
  interleave_granularity: re(DEC),
  target_list: re(/^(\d+(,\d+)*)?\n$/),
  cap_pmem: re(BOOL),
  cap_ram: re(BOOL),
  cap_type2: re(BOOL),
  cap_type3: re(BOOL),
  qos_class: re(DEC),
  target_type: re(/^(accelerator|expander)\n$/),
  region: re(/^(region\d+)?\n$/),
  'endpoint_decoder:mode': re(/^(ram|pmem|none|mixed)\n$/),
  dpa_resource: re(HEX),
  dpa_size: re(/^0x[0-9a-f]{16}\n$/),
  create_pmem_region: re(/^region\d+\n$/),
  create_ram_region: re(/^region\d+\n$/),
  uuid: re(/^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?\n$/),
  resource: re(HEX),
  'region:mode': re(/^(ram|pmem)?\n$/),
  extended_linear_cache_size: re(/^0x[0-9a-f]{16}\n$/),
  'target<N>': re(/^(decoder\d+\.\d+)?\n$/),
  commit: re(BOOL),
};
for (const a of ['access0', 'access1'])
  for (const b of ['read_bandwidth', 'write_bandwidth', 'read_latency', 'write_latency'])
    FORMATS[`${a}/${b}`] = re(UNS);

/** The format checker of `r` on an object of `kind`, if the format can be checked. */
export function formatCheck(r: AbiRecord, kind: ObjKind): FormatCheck | undefined {
  return FORMATS[`${kind}:${r.name}`] ?? FORMATS[r.name];
}
