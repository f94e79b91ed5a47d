/**
 * DOC: checks exported /sys trees (`cxlsim sysfs export`) against the ABI reference: finds the
 * CXL objects of each tree (the entries of bus/cxl/devices, classified by name and parent, plus
 * /sys/bus/cxl itself and libnvdimm's nmemY below an nvdimm bridge), then for every record and
 * every object of a kind it applies to: is the entry there, does the file have the mode the
 * record gives, does its value have the record's format.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import {
  type AbiRecord,
  expectedMode,
  formatCheck,
  inKernel,
  type ObjKind,
  recordKinds,
} from './abi-reference.ts';

/** One CXL object of a tree: its kind and its directory (absolute). */
export interface ObjInstance {
  kind: ObjKind;
  dir: string;
  /**
   * A memdev without a cxl_memdev_state (a type-2 accelerator's): memdev.c shows an empty
   * firmware_version for it and hides the groups that need the state.
   */
  accel?: boolean;
}

/**
 * Memdev attributes that need a cxl_memdev_state (memdev.c: cxl_memdev_security_visible(),
 * cxl_ram_visible(), cxl_pmem_visible() return 0 when `!mds`; the fw_upload and poison
 * machinery are class-memory only): not expected on an accelerator's memdev.
 */
const MDS_ONLY = new Set([
  'security/state',
  'security/sanitize',
  'security/erase',
  'ram/qos_class',
  'pmem/qos_class',
  'firmware/',
  'trigger_poison_list',
]);

/** The kind of a device directory, from its name and its parent's name. */
function classify(dir: string): ObjKind | undefined {
  const name = basename(dir);
  const parent = basename(dirname(dir));
  if (/^root\d+$/.test(name)) return 'root';
  if (/^port\d+$/.test(name)) return 'port';
  if (/^endpoint\d+$/.test(name)) return 'endpoint';
  if (/^decoder\d+\.\d+$/.test(name)) {
    if (/^root\d+$/.test(parent)) return 'root_decoder';
    return /^endpoint\d+$/.test(parent) ? 'endpoint_decoder' : 'switch_decoder';
  }
  if (/^mem\d+$/.test(name)) return 'memdev';
  if (/^region\d+$/.test(name)) return 'region';
  if (/^pmem_region\d+$/.test(name)) return 'pmem_region';
  if (/^dax_region\d+$/.test(name)) return 'dax_region';
  if (/^nvdimm-bridge\d+$/.test(name)) return 'nvdimm_bridge';
  if (/^pmem\d+$/.test(name)) return 'nvdimm';
  return undefined;
}

/** The CXL objects of the tree exported at `root`. */
export function findObjects(root: string): ObjInstance[] {
  const out: ObjInstance[] = [{ kind: 'bus', dir: join(root, 'bus', 'cxl') }];
  const devices = join(root, 'bus', 'cxl', 'devices');
  if (!existsSync(devices)) return out;
  for (const name of readdirSync(devices).sort()) {
    const dir = realpathSync(join(devices, name));
    const kind = classify(dir);
    if (kind === 'memdev')
      out.push({ kind, dir, accel: readText(join(dir, 'firmware_version')) === '\n' });
    else if (kind) out.push({ kind, dir });
    if (kind === 'nvdimm_bridge') {
      for (const bus of readdirSync(dir).filter((n) => /^ndbus\d+$/.test(n)))
        for (const nmem of readdirSync(join(dir, bus)).filter((n) => /^nmem\d+$/.test(n)))
          out.push({ kind: 'nmem', dir: join(dir, bus, nmem) });
    }
  }
  return out;
}

/** What was seen of one record on the objects of one kind. */
export interface KindTally {
  instances: number;
  present: number;
  modeOk: number;
  formatChecked: number;
  formatBad: number;
  /** A wrong mode or value seen: "<path>: <what>". */
  example?: string;
}

const emptyTally = (): KindTally => ({
  instances: 0,
  present: 0,
  modeOk: 0,
  formatChecked: 0,
  formatBad: 0,
});

/** A file of the tree (`lstat` + content). */
function entry(path: string): { mode: number; link: boolean; dir: boolean } | undefined {
  try {
    const st = lstatSync(path);
    return { mode: st.mode & 0o777, link: st.isSymbolicLink(), dir: st.isDirectory() };
  } catch {
    return undefined;
  }
}

const readText = (p: string): string => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
};

/** The entries (paths) the record names on one object; [] when the object lacks them. */
function entriesOf(r: AbiRecord, o: ObjInstance): { want: string[]; absent: string[] } {
  if (r.name === 'flush') return { want: [join(o.dir, 'flush')], absent: [] };
  if (r.name === 'dirty_shutdown')
    return { want: [join(o.dir, 'cxl', 'dirty_shutdown')], absent: [] };
  if (r.name === 'firmware/') return { want: [join(o.dir, 'firmware')], absent: [] };
  if (r.name === 'dportY') {
    const d = readdirSync(o.dir).filter((n) => /^dport\d+$/.test(n));
    return {
      want: d.length ? d.map((n) => join(o.dir, n)) : [join(o.dir, 'dport<none>')],
      absent: [],
    };
  }
  if (r.name === 'target<N>') {
    const ways = Number(readText(join(o.dir, 'interleave_ways')).trim()) || 0;
    const all = Array.from({ length: 16 }, (_, n) => join(o.dir, `target${n}`));
    return { want: all.slice(0, ways), absent: all.slice(ways) };
  }
  return { want: [join(o.dir, r.name)], absent: [] };
}

/** Checks one record on one object, adding to `t`. */
function checkOne(r: AbiRecord, o: ObjInstance, t: KindTally, root: string): void {
  if (o.accel && MDS_ONLY.has(r.name)) return;
  t.instances++;
  const { want, absent } = entriesOf(r, o);
  const seen = want.map(entry);
  const extra = absent.filter((p) => entry(p) !== undefined);
  const note = (p: string, what: string) => {
    t.example ??= `${relative(root, p)}: ${what}`;
  };
  if (seen.some((e) => e === undefined) || extra.length > 0) {
    if (extra[0]) note(extra[0], 'present beyond interleave_ways');
    return;
  }
  t.present++;
  // a region's mode file is 6.3+; before it every region was a pmem region (no create_ram_region)
  const regionMode =
    o.kind === 'region'
      ? existsSync(join(o.dir, 'mode'))
        ? readText(join(o.dir, 'mode')).trim()
        : 'pmem'
      : undefined;
  const mode = expectedMode(r, regionMode);
  let modeOk = true;
  want.forEach((p, i) => {
    const e = seen[i];
    if (!e) return;
    const kindOk =
      r.kind === 'symlink' ? e.link : r.kind === 'directory' ? e.dir : !e.link && !e.dir;
    if (!kindOk || (mode !== undefined && e.mode !== mode)) {
      modeOk = false;
      note(p, kindOk ? `mode ${e.mode.toString(8)}, want ${mode?.toString(8)}` : 'wrong file type');
    }
  });
  if (modeOk) t.modeOk++;
  const check = formatCheck(r, o.kind);
  if (!check || (mode !== undefined && (mode & 0o444) === 0)) return;
  t.formatChecked++;
  for (const p of want) {
    const v = r.kind === 'bin_attribute' ? new Uint8Array(readFileSync(p)) : readText(p);
    if (!check(v, o.kind)) {
      t.formatBad++;
      note(p, `value ${JSON.stringify(typeof v === 'string' ? v : `<${v.length} bytes>`)}`);
      return;
    }
  }
}

/** Per record and kind, the tallies over several trees. */
export type Tallies = Map<AbiRecord, Map<ObjKind, KindTally>>;

/** Adds the tree exported at `root` to `into`. */
export function tallyTree(records: AbiRecord[], root: string, into: Tallies): void {
  const objs = findObjects(root);
  for (const r of records) {
    const byKind = into.get(r) ?? new Map<ObjKind, KindTally>();
    into.set(r, byKind);
    for (const kind of recordKinds(r)) {
      const t = byKind.get(kind) ?? emptyTally();
      byKind.set(kind, t);
      for (const o of objs.filter((x) => x.kind === kind)) checkOne(r, o, t, root);
    }
  }
}

/** The verdict on one record for one kernel. */
export type Verdict =
  | 'covered'
  | 'missing'
  | 'wrong mode'
  | 'wrong format'
  | 'never visible'
  | 'not modelled'
  | 'not in kernel'
  | 'visible too early';

/** A record's verdict from its tallies (kernel "6.1" / "7.0"). */
export function verdict(r: AbiRecord, byKind: Map<ObjKind, KindTally>, kernel: string): Verdict {
  const ts = [...byKind.values()].filter((t) => t.instances > 0);
  if (ts.length === 0) return 'not modelled';
  const present = ts.reduce((n, t) => n + t.present, 0);
  if (!inKernel(r, kernel)) return present > 0 ? 'visible too early' : 'not in kernel';
  if (r.visible_when) {
    if (present === 0) return 'never visible';
  } else if (ts.some((t) => t.present < t.instances)) return 'missing';
  if (ts.some((t) => t.modeOk < t.present)) return 'wrong mode';
  if (ts.some((t) => t.formatBad > 0)) return 'wrong format';
  return 'covered';
}
