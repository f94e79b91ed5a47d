/**
 * DOC: the one-screen summary `cxlsim boot` prints, read from the guest's /sys the way a
 * user would look (bus/cxl/devices, uport/dport links, decoder attributes), so it shows
 * what the guest kernel made of the topology rather than the topology itself.
 */
import { Errno } from '../../kernel/errno.ts';
import type { Machine } from '../../machine.ts';
import type { SysfsView } from '../../sysfs/view.ts';

/** At most this many rows per section; the rest is counted. */
const MAX_ROWS = 12;

function text(v: SysfsView, p: string): string | undefined {
  try {
    const c = v.read(p);
    return typeof c === 'string' ? c.trim() : undefined;
  } catch (e) {
    if (e instanceof Errno) return undefined;
    throw e;
  }
}

function base(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** "4 GiB", "256 MiB", "0" from a %#llx string. */
export function humanSize(hex: string | undefined): string {
  if (hex === undefined) return '?';
  let n: bigint;
  try {
    n = BigInt(hex);
  } catch {
    return hex;
  }
  if (n === 0n) return '0';
  for (const [unit, shift] of [
    ['TiB', 40n],
    ['GiB', 30n],
    ['MiB', 20n],
    ['KiB', 10n],
  ] as const)
    if (n >= 1n << shift && n % (1n << shift) === 0n) return `${n >> shift} ${unit}`;
  return `${n} B`;
}

/**
 * Name order with numbers compared as numbers (port2 < port10, decoder0.2 < decoder0.10):
 * `a.localeCompare(b, 'en', { numeric: true })`, through one collator (localeCompare with
 * options makes one per call: 0.45 s of a 4096-endpoint boot's summary).
 */
const natural: (a: string, b: string) => number = new Intl.Collator('en', { numeric: true })
  .compare;

/** A section: its count, then its first MAX_ROWS rows (a row may be made when printed). */
function section(title: string, rows: (string | (() => string))[]): string[] {
  const out = [`${title}: ${rows.length}`];
  for (const r of rows.slice(0, MAX_ROWS)) out.push(`  ${typeof r === 'function' ? r() : r}`);
  if (rows.length > MAX_ROWS) out.push(`  … ${rows.length - MAX_ROWS} more`);
  return out;
}

/** Summary lines (no trailing newline). */
export function bootSummary(m: Machine, verbose: boolean): string[] {
  const v = m.sysfs;
  const p = m.profile;
  const src = m.topology.source;
  const from =
    src.kind === 'preset'
      ? `preset '${src.name}'`
      : src.path
        ? `${src.kind === 'qemu' ? 'QEMU command line' : 'topology file'} ${src.path}`
        : src.kind;
  const lines = [
    `booted ${from}: profile ${p.name} (Linux ${p.kernel}, QEMU ${p.qemu}, ndctl ${p.ndctl})`,
  ];
  const devs = v.lstat('bus/cxl/devices') ? v.readdir('bus/cxl/devices') : [];
  const byName = (re: RegExp) => devs.filter((n) => re.test(n)).sort(natural);
  const real = (n: string) => v.realpath(`bus/cxl/devices/${n}`);
  const roots = byName(/^root\d+$/);
  const rootPaths = new Set(roots.map(real));

  // A row is made only when printed (section() counts the rest): 4,096 endpoints have ~600
  // ports, whose uport link and dport entries are not read for a count.
  const hbRows: (() => string)[] = [];
  const portRows: (() => string)[] = [];
  for (const n of byName(/^port\d+$/)) {
    const path = real(n);
    const row = () => {
      const uport = v.lstat(`${path}/uport`) ? base(v.realpath(`${path}/uport`)) : '?';
      const dports = v
        .readdir(path)
        .filter((e) => /^dport\d+$/.test(e))
        .sort(natural)
        .map((e) => e.slice(5));
      return `${n}  ${uport}  dports ${dports.join(',') || '-'}`;
    };
    if (rootPaths.has(path.slice(0, path.lastIndexOf('/')))) hbRows.push(row);
    else portRows.push(row);
  }
  lines.push(...section('host bridges', hbRows));
  lines.push(...section('switch ports', portRows));

  let disabled = 0;
  const memRows = byName(/^mem\d+$/).map((n, i) => {
    const path = real(n);
    // cxl list -M shows only memdevs cxl_mem is bound to; the others are "disabled" (-i)
    const state = v.lstat(`${path}/driver`) ? '' : '  disabled';
    if (state) disabled++;
    // rows past MAX_ROWS are only counted (section() prints "… N more"): their attributes
    // are not read (4,096 memdevs: 12 k attribute reads of a large boot's summary)
    if (i >= MAX_ROWS) return state;
    const host = base(path.slice(0, path.lastIndexOf('/')));
    const serial = text(v, `${path}/serial`) ?? '?';
    return `${n}  ${host}  serial ${serial}  ram ${humanSize(text(v, `${path}/ram/size`))}  pmem ${humanSize(text(v, `${path}/pmem/size`))}${state}`;
  });
  lines.push(...section('memdevs', memRows));
  if (disabled > 0)
    lines.push(
      `  ${disabled} disabled (no CXL port topology): cxl list -M shows ${memRows.length - disabled}, cxl list -M -i shows ${memRows.length}`,
    );

  const winRows: string[] = [];
  for (const r of roots) {
    const rp = real(r);
    for (const d of v
      .readdir(rp)
      .filter((e) => /^decoder\d+\.\d+$/.test(e))
      .sort(natural)) {
      const dp = `${rp}/${d}`;
      const caps = ['ram', 'pmem'].filter((c) => text(v, `${dp}/cap_${c}`) === '1').join('+');
      winRows.push(
        `${d}  start ${text(v, `${dp}/start`) ?? '?'}  size ${humanSize(text(v, `${dp}/size`))}  ` +
          `${text(v, `${dp}/interleave_ways`) ?? '?'}-way  ${text(v, `${dp}/interleave_granularity`) ?? '?'} B  ` +
          `targets ${text(v, `${dp}/target_list`) || '-'}  ${caps || '-'}`,
      );
    }
  }
  lines.push(...section('windows', winRows));
  lines.push(`endpoints: ${byName(/^endpoint\d+$/).length}`);
  if (verbose) {
    const ign = m.topology.ignored;
    lines.push(`ignored QEMU arguments: ${ign.length}`);
    for (const a of ign) lines.push(`  ${a}`);
    const out = m.topology.outsideCxl ?? [];
    if (out.length > 0) {
      lines.push(
        `cxlsim: CXL devices outside any CXL host bridge (accepted, not built): ${out.length}`,
      );
      for (const a of out) lines.push(`  ${a}`);
    }
  }
  return lines;
}
