/**
 * Region driver benchmarks (issue 3 / issue 6 targets), run by scripts/bench/run.ts in its own
 * process (usage: node --expose-gc --import tsx scripts/bench/region.ts [--quick]):
 *
 * - region create + commit: ndctl's `create-region` (every sysfs write, the HDM commits through
 *   MMIO, the region driver bind, and ndctl's own /sys walks) for 2, 8 and 16 ways on the 4 host
 *   bridges × 4 root ports topology (tests/scenarios/topologies/hb4_rp4_16way.yaml), median of
 *   several fresh boots after warm-up runs; also the same sysfs writes alone (the kernel's part);
 * - translate throughput (HPA/s) for a modulo (16-way) and an XOR (12-way, CXIMS) region: the
 *   `number` fast path (fast-translate.ts), the bigint driver translation
 *   (cxlRegionHpaToDpa) and the hardware route (platform decode), over random HPAs;
 * - property-test cases per minute: tests/drivers/region/property.test.ts run by vitest with
 *   CXLSIM_PROP_RUNS cases per profile, from vitest's own per-test durations.
 * Prints a table, then one JSON line: { create, translate, property, targets }.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { table } from 'table';
import { type BootedMachine, bootMachine } from '../../src/boot.ts';
import { recordingSysfs } from '../../src/cli/recording.ts';
import {
  compileRegionTranslator,
  type FastDpa,
} from '../../src/drivers/cxl/core/region/fast-translate.ts';
import {
  type CxlRegion,
  cxlRegionHpaToDpa,
  isCxlRegion,
} from '../../src/drivers/cxl/core/region/index.ts';
import { cxlCommand } from '../../src/ndctl/index.ts';
import { resolveProfile } from '../../src/profile.ts';
import type { Topology } from '../../src/topology/model.ts';
import { parseTopologyFile } from '../../src/topology/schema.ts';

const root = join(import.meta.dirname, '../..');
const quick = process.argv.includes('--quick');
const profile = resolveProfile('latest');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0
    ? Number.NaN
    : n % 2
      ? (s[(n - 1) / 2] ?? 0)
      : ((s[n / 2 - 1] ?? 0) + (s[n / 2] ?? 0)) / 2;
};

function topology(name: string): Topology {
  const path = join(root, 'tests/scenarios/topologies', `${name}.yaml`);
  return parseTopologyFile(readFileSync(path, 'utf8'), path);
}

/** hb4_rp4_16way plus a 1-way window on host bridge cxl.0 (for the 2-way region). */
function sixteen(): Topology {
  const t = topology('hb4_rp4_16way');
  t.windows.push({
    index: 1,
    targets: ['cxl.0'],
    size: 4n << 30n,
    granularity: 256,
    base: 0x1400000000n,
  });
  return t;
}

const cxl = (m: BootedMachine, args: string[]) =>
  cxlCommand(m.sysfs, m.ioctl, args, { ndctl: profile.ndctl, isTty: false });

function bySerial(m: BootedMachine): Map<number, string> {
  const l = JSON.parse(cxl(m, ['list', '-M']).stdout) as { memdev: string; serial: number }[];
  return new Map(l.map((x) => [x.serial, x.memdev]));
}

/** ndctl create-region arguments for `ways` on the 16-endpoint topology. */
function request(m: BootedMachine, ways: number): string[] {
  const s = bySerial(m);
  const mem = (hb: number, rp: number) => s.get((hb << 4) | rp) as string;
  if (ways === 2) return ['-d', 'decoder0.1', '-w', '2', '-g', '256', mem(0, 0), mem(0, 1)];
  // root level least significant: position p = HB (p % 4) + 4 × root port (p / 4)
  const order = [...Array(ways).keys()].map((p) => mem(p % 4, p >> 2));
  return ['-d', 'decoder0.0', '-w', String(ways), '-g', '256', ...order];
}

/** A recorded sysfs write: path, value, and whether the kernel refused it. */
type Write = [string, string, boolean];

/** The sysfs writes a command makes (recorded on `m`), in order. */
function recordWrites(m: BootedMachine, args: string[]): Write[] {
  const writes: Write[] = [];
  const view = recordingSysfs(
    m.sysfs,
    (op) =>
      void (op.kind === 'sysfs-write' && writes.push([op.path, op.value, op.fails !== undefined])),
  );
  const r = cxlCommand(view, m.ioctl, args, { ndctl: profile.ndctl, isTty: false });
  if (!r.stderr.includes('created 1 region')) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return writes;
}

/**
 * ms of ndctl create-region, and of the same sysfs writes alone (the kernel's part), on fresh
 * boots (boot not timed), after `warm` unmeasured runs.
 */
function createCommit(ways: number, runs: number, warm = 3): { ms: number[]; sysfsMs: number[] } {
  const t = sixteen();
  const ms: number[] = [];
  const sysfsMs: number[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  let writes: Write[] = [];
  for (let i = 0; i < warm + runs; i++) {
    const m = bootMachine(t, { profile });
    const args = ['create-region', '-m', '-t', 'ram', ...request(m, ways)];
    gc?.();
    const t0 = performance.now();
    if (i === 0) writes = recordWrites(m, args);
    else if (!cxl(m, args).stderr.includes('created 1 region'))
      throw new Error(`${ways}-way failed`);
    if (i >= warm) ms.push(performance.now() - t0);
    const m2 = bootMachine(t, { profile });
    gc?.();
    const t1 = performance.now();
    for (const [p, v, fails] of writes) {
      try {
        m2.sysfs.write(p, v);
      } catch (e) {
        if (!fails) throw e;
      }
    }
    if (i >= warm) sysfsMs.push(performance.now() - t1);
  }
  return { ms, sysfsMs };
}

/** The committed region of a machine after create-region. */
function regionOf(m: BootedMachine): CxlRegion {
  const r = (m.kernel.buses.get('cxl')?.devices ?? []).find(isCxlRegion);
  if (!r) throw new Error('no region');
  return r;
}

interface Throughput {
  region: string;
  fast: number;
  bigint: number;
  hardware: number;
}

/** HPA/s of the three translations over random HPAs of the region. */
function throughput(label: string, m: BootedMachine): Throughput {
  const r = regionOf(m);
  const res = r.params.res as { start: bigint; end: bigint };
  const f = compileRegionTranslator(r);
  if (!f) throw new Error(`${label}: no fast translator`);
  const n = quick ? 200_000 : 2_000_000;
  const span = Number(res.end - res.start + 1n);
  const hpas = new Float64Array(n);
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    hpas[i] = f.start + Math.floor((seed / 4294967296) * span);
  }
  const out: FastDpa = { pos: 0, dpa: 0 };
  let sink = 0;
  const time = (count: number, fn: (i: number) => void) => {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) fn(i);
    return count / ((performance.now() - t0) / 1000);
  };
  time(n, (i) => void f.translate(hpas[i] as number, out)); // warm-up
  const runs = [1, 2, 3].map(() =>
    time(n, (i) => {
      f.translate(hpas[i] as number, out);
      sink += out.dpa;
    }),
  );
  const nb = Math.min(n, quick ? 20_000 : 200_000);
  const big = Array.from(hpas.subarray(0, nb), (h) => BigInt(h));
  const bigint = time(nb, (i) => void cxlRegionHpaToDpa(r, big[i] as bigint));
  const hardware = time(nb, (i) => void m.platform.routeHpa(big[i] as bigint));
  if (sink < 0) console.log(sink);
  return { region: label, fast: median(runs), bigint, hardware };
}

// --- region create + commit ---
const runs = quick ? 3 : 15;
const create = [2, 8, 16].map((ways) => ({ ways, ...createCommit(ways, runs) }));

// --- translate throughput ---
const mod = bootMachine(sixteen(), { profile });
cxl(mod, ['create-region', '-m', '-t', 'ram', ...request(mod, 16)]);
const xt = topology('hb12_xor_12way');
const xor = bootMachine(xt, { profile });
const xs = bySerial(xor);
cxl(xor, [
  'create-region',
  '-m',
  '-t',
  'ram',
  '-d',
  'decoder0.0',
  '-w',
  '12',
  '-g',
  '256',
  ...[...Array(12).keys()].map((p) => xs.get(p + 1) as string),
]);
const translate = [throughput('16-way modulo', mod), throughput('12-way XOR', xor)];

// --- property-test cases per minute ---
function propertyRate(n: number): { runs: number; ms: Record<string, number>; perMinute: number } {
  const dir = mkdtempSync(join(tmpdir(), 'cxlsim-bench-prop-'));
  const file = join(dir, 'r.json');
  try {
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules/vitest/vitest.mjs'),
        'run',
        'tests/drivers/region/property.test.ts',
        '--reporter=json',
        `--outputFile=${file}`,
      ],
      {
        cwd: root,
        env: { ...process.env, CXLSIM_PROP_RUNS: String(n) },
        stdio: 'ignore',
      },
    );
  } catch {
    // failures are the test's business; durations are still written
  }
  const j = JSON.parse(readFileSync(file, 'utf8')) as {
    testResults: {
      assertionResults: { title: string; ancestorTitles: string[]; duration: number }[];
    }[];
  };
  rmSync(dir, { recursive: true, force: true });
  const ms: Record<string, number> = {};
  for (const t of j.testResults.flatMap((x) => x.assertionResults))
    ms[t.ancestorTitles.join(' ')] = t.duration;
  const total = Object.values(ms).reduce((a, b) => a + b, 0);
  const cases = n * Object.keys(ms).length;
  return { runs: n, ms, perMinute: (cases / total) * 60000 };
}
const property = propertyRate(quick ? 8 : 40);

const rows = [['measure', 'value']];
for (const c of create) {
  rows.push([
    `create+commit ${c.ways}-way, ndctl create-region (median of ${runs}), ms`,
    median(c.ms).toFixed(2),
  ]);
  rows.push([
    `create+commit ${c.ways}-way, its sysfs writes only, ms`,
    median(c.sysfsMs).toFixed(2),
  ]);
}
for (const t of translate) {
  rows.push([`translate ${t.region}, fast path, M HPA/s`, (t.fast / 1e6).toFixed(1)]);
  rows.push([`translate ${t.region}, bigint driver, M HPA/s`, (t.bigint / 1e6).toFixed(2)]);
  rows.push([`translate ${t.region}, hardware route, M HPA/s`, (t.hardware / 1e6).toFixed(2)]);
}
rows.push([
  `property test cases/min (${property.runs} per profile)`,
  property.perMinute.toFixed(0),
]);
console.log(table(rows));

const c16 = median(create.find((c) => c.ways === 16)?.ms ?? []);
const minFast = Math.min(...translate.map((t) => t.fast));
const targets = [
  { name: '16-way region create+commit < 20 ms', value: c16, ok: c16 < 20 },
  {
    name: 'translate >= 10 M HPA/s (modulo and XOR, fast path)',
    value: minFast / 1e6,
    ok: minFast >= 10e6,
  },
];
console.log(JSON.stringify({ create, translate, property, targets }));
