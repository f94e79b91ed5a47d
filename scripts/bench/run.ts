/**
 * `npm run bench` (issue 6): builds dist/, then measures
 * - per case (every preset; generated topologies of 1, 64, 256, 1024 and 4096 type-3 devices):
 *   boot (buildPlatform + the guest's enumeration), `cxl list -vvv`, sysfs export and peak RSS,
 *   each case in its own process (scripts/bench/case.ts), figures the median of several runs;
 * - CLI cold start from dist/ (whole process): `cxlsim --version`, `cxlsim list` (default preset);
 * - issue 15 (scripts/bench/cli-state.ts): `list` and a create/destroy cycle fresh and after
 *   ~1,000 journaled operations, CPU seconds of the whole `cxlsim` process; 4096 endpoints'
 *   boot, `list -M`, `sysfs write`, `sysfs dump` (not with --quick);
 * - the capture topologies against their QEMU TCG runs (sysfs-fixtures/<capture>/host/
 *   run-info.txt wall_seconds): the CLI's `boot` + `list -vvv`, two whole processes;
 * - the region driver's figures (scripts/bench/region.ts: create+commit 2/8/16 ways, translate
 *   HPA/s, property-test cases per minute);
 * - property testing (scripts/bench/prop.ts: Machine.clone() vs a fresh boot, `cxlsim prop`
 *   cases per minute on the default preset and with a fresh topology per case);
 * - the real ndctl through `cxlsim serve`'s FUSE mount (scripts/bench/live.ts: one `cxl list
 *   -vvv` and one `create-region`; skipped without root, ndctl or FUSE).
 * Prints the tables and every target (MET/MISSED), writes bench-results/latest.json, and exits
 * non-zero when a target is missed and BENCH_STRICT=1. `--quick` runs fewer repetitions.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { table } from 'table';
import { PRESET_NAMES } from '../../src/topology/presets/index.ts';
import { benchCliState } from './cli-state.ts';

const root = join(import.meta.dirname, '../..');
const quick = process.argv.includes('--quick');
const started = performance.now();
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0
    ? Number.NaN
    : n % 2
      ? (s[(n - 1) / 2] ?? 0)
      : ((s[n / 2 - 1] ?? 0) + (s[n / 2] ?? 0)) / 2;
};
const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '-');

interface CaseResult {
  case: string;
  memdevs: number;
  runs: number;
  boot_ms: number[];
  list_ms: number[];
  export_ms: number[];
  exportDir: string;
  exportEntries: number;
  listBytes: number;
  maxRssMiB: number;
  from: string;
}

/** One case in its own process (see case.ts). */
function runCase(
  kind: string,
  arg: string,
  runs: number,
  exports: number,
  profile = 'latest',
): CaseResult {
  const args = ['--expose-gc', '--import', 'tsx', join(root, 'scripts/bench/case.ts')];
  const out = execFileSync(
    process.execPath,
    [...args, kind, arg, String(runs), String(exports), profile],
    {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  );
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as CaseResult;
}

/** Median wall time of `runs` whole `cxlsim` processes from dist/ (after one warm-up). */
function cli(args: string[], runs: number): number {
  const bin = join(root, 'dist/cli/main.js');
  const ts: number[] = [];
  for (let i = -1; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, ...args], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    if (r.status !== 0) throw new Error(`cxlsim ${args.join(' ')}: ${r.stderr.trim()}`);
    if (i >= 0) ts.push(performance.now() - t0);
  }
  return median(ts);
}

// 1. dist/ for the CLI and for the cases (case.ts loads the compiled library).
const tb = performance.now();
execFileSync('npm', ['run', '--silent', 'build'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
console.log(`build: ${f0(performance.now() - tb)} ms`);

// 2. In-process cases.
const cases: CaseResult[] = [];
for (const p of PRESET_NAMES) {
  try {
    cases.push(runCase('preset', p, quick ? 3 : 7, 1));
  } catch (e) {
    console.error(`preset ${p}: ${(e as Error).message.split('\n')[0]}`);
  }
}
const SIZES = [1, 64, 256, 1024, 4096];
for (const n of SIZES) {
  const runs = quick ? 2 : 5;
  cases.push(runCase('gen', String(n), runs, n >= 1024 ? 1 : Math.min(3, runs)));
}
const t = (name: string) => {
  const c = cases.find((x) => x.case === name);
  return c ? median(c.boot_ms) + median(c.list_ms) : Number.NaN;
};
const t256 = t('generated 256 endpoints');
const rows = [
  [
    'case',
    'memdevs',
    'boot ms',
    'list -vvv ms',
    'boot+list ms',
    '÷ t(256)',
    'export ms',
    'entries',
    'peak RSS MiB',
  ],
];
for (const c of cases) {
  const b = median(c.boot_ms);
  const l = median(c.list_ms);
  const gen = c.case.startsWith('generated');
  rows.push([
    c.case,
    String(c.memdevs),
    f1(b),
    f1(l),
    f1(b + l),
    gen ? ((b + l) / t256).toFixed(2) : '',
    f1(median(c.export_ms)),
    String(c.exportEntries),
    f0(c.maxRssMiB),
  ]);
}
console.log(
  `in-process, library from ${cases[0]?.from ?? 'dist'}/, medians; export into ${cases[0]?.exportDir ?? tmpdir()}`,
);
console.log(table(rows));

// 3. CLI cold start (whole process, dist/).
const state = mkdtempSync(join(tmpdir(), 'cxlsim-bench-state-'));
const cold: Record<string, number> = {};
cold['cxlsim --version'] = cli(['--version'], quick ? 3 : 7);
cli(['--state', state, 'boot', '--preset', 'default'], 0);
cold['cxlsim list (default preset)'] = cli(['--state', state, 'list'], quick ? 3 : 7);
for (const [k, v] of Object.entries(cold)) console.log(`${k}: ${f0(v)} ms (median, whole process)`);

// 3b. Issue 15: what a command costs with history and at scale (whole process, CPU seconds).
const cliState = benchCliState(root, quick);
console.log(
  table([
    ['issue 15, whole process (`cxlsim`)', 'CPU s', 'wall s', 'peak RSS MiB'],
    ...Object.entries(cliState.figures).map(([k, f]) => [
      f.sizeMB === undefined ? k : `${k}: ${f.sizeMB.toFixed(0)} MB`,
      f.cpuS.toFixed(3),
      f.wallS.toFixed(2),
      f.rssKiB === undefined ? '-' : f0(f.rssKiB / 1024),
    ]),
  ]),
);

// 4. The capture topologies: QEMU TCG (one try, from the capture's run-info.txt) vs cxlsim.
const CAPTURES: { capture: string; preset: string; dyndbg: boolean }[] = [
  { capture: 'minimal', preset: 'minimal', dyndbg: false },
  { capture: 'interleave', preset: 'default', dyndbg: false },
  { capture: 'interleave-dyndbg', preset: 'default', dyndbg: true },
  { capture: 'threeway', preset: 'threeway', dyndbg: false },
  { capture: 'failures', preset: 'default', dyndbg: true },
];
const qemu: {
  capture: string;
  preset: string;
  qemuS: number;
  inProcessMs: number;
  cliMs: number;
  ratio: number;
}[] = [];
for (const c of CAPTURES) {
  let qemuS = Number.NaN;
  try {
    const info = readFileSync(join(root, 'sysfs-fixtures', c.capture, 'host/run-info.txt'), 'utf8');
    qemuS = Number(/^wall_seconds=([\d.]+)$/m.exec(info)?.[1]);
  } catch {
    // no run-info for this capture
  }
  const inproc = runCase('preset', c.preset, quick ? 3 : 7, 0, 'debian-12');
  const boot = [
    '--state',
    state,
    'boot',
    '--preset',
    c.preset,
    '--profile',
    'debian-12',
    ...(c.dyndbg ? ['--dyndbg'] : []),
  ];
  const cliMs = cli(boot, quick ? 2 : 5) + cli(['--state', state, 'list', '-vvv'], quick ? 2 : 5);
  qemu.push({
    capture: c.capture,
    preset: c.preset,
    qemuS,
    inProcessMs: median(inproc.boot_ms) + median(inproc.list_ms),
    cliMs,
    ratio: (qemuS * 1000) / cliMs,
  });
}
rmSync(state, { recursive: true, force: true });
console.log(
  'capture topologies (debian-12: Linux 6.1, QEMU 7.2, ndctl 76.1): QEMU TCG run vs cxlsim',
);
console.log(
  table([
    [
      'capture',
      'preset',
      'QEMU TCG s',
      'cxlsim boot+list in-process ms',
      'cxlsim CLI boot + list -vvv ms',
      'QEMU ÷ CLI',
    ],
    ...qemu.map((q) => [
      q.capture,
      q.preset,
      f1(q.qemuS),
      f1(q.inProcessMs),
      f0(q.cliMs),
      `${f0(q.ratio)}×`,
    ]),
  ]),
);

// 5. Targets of this issue.
const t4096 = t('generated 4096 endpoints');
const targets: { name: string; value: number; ok: boolean }[] = [];
for (const p of ['default', 'minimal', 'threeway']) {
  const v = t(`preset ${p}`);
  targets.push({ name: `preset ${p} boot+list < 50 ms`, value: v, ok: v < 50 });
}
targets.push({ name: '4096 endpoints boot+list < 2000 ms', value: t4096, ok: t4096 < 2000 });
targets.push({ name: 't(4096)/t(256) <= 20', value: t4096 / t256, ok: t4096 / t256 <= 20 });
targets.push(...cliState.targets);
const v = cold['cxlsim --version'] ?? Number.NaN;
targets.push({ name: 'CLI cold start (--version) < 300 ms', value: v, ok: v < 300 });

// 6. The region driver's figures and targets (issue 3), in their own process.
let region: { targets?: typeof targets } = {};
try {
  const regionOut = execFileSync(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      join(root, 'scripts/bench/region.ts'),
      ...(quick ? ['--quick'] : []),
    ],
    { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 },
  )
    .trim()
    .split('\n');
  region = JSON.parse(regionOut.pop() ?? '{}') as typeof region;
  console.log(regionOut.join('\n'));
  targets.push(...(region.targets ?? []));
} catch (e) {
  console.error(`region bench: ${(e as Error).message.split('\n')[0]}`);
  targets.push({ name: 'region bench ran', value: Number.NaN, ok: false });
}

// 7. Property testing (issue 12): clone vs boot, prop cases per minute, in their own process.
let prop: { targets?: typeof targets } = {};
try {
  const propOut = execFileSync(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      join(root, 'scripts/bench/prop.ts'),
      ...(quick ? ['--quick'] : []),
    ],
    { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 },
  )
    .trim()
    .split('\n');
  prop = JSON.parse(propOut.pop() ?? '{}') as typeof prop;
  console.log(propOut.join('\n'));
  targets.push(...(prop.targets ?? []));
} catch (e) {
  console.error(`prop bench: ${(e as Error).message.split('\n')[0]}`);
  targets.push({ name: 'prop bench ran', value: Number.NaN, ok: false });
}

// 8. The real ndctl through `cxlsim serve`'s FUSE mount (issue 11), in its own process.
let live: Record<string, unknown> = {};
try {
  const liveOut = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'scripts/bench/live.ts'), ...(quick ? ['--quick'] : [])],
    { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 },
  )
    .trim()
    .split('\n');
  live = (JSON.parse(liveOut.pop() ?? '{}') as { live?: Record<string, unknown> }).live ?? {};
  console.log(liveOut.join('\n'));
} catch (e) {
  console.error(`live bench: ${(e as Error).message.split('\n')[0]}`);
}

for (const x of targets)
  console.log(`${x.ok ? 'MET   ' : 'MISSED'} ${x.name}: ${x.value.toFixed(2)}`);
const totalS = (performance.now() - started) / 1000;
console.log(`bench: ${totalS.toFixed(0)} s`);
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(
  join(root, 'bench-results/latest.json'),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, quick, totalS, cases, cold, cliState: cliState.figures, qemu, region, prop, live, targets }, null, 2)}\n`,
);
if (process.env.BENCH_STRICT === '1' && targets.some((x) => !x.ok)) process.exit(1);
