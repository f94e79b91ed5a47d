/**
 * `npm run bench`: boot (platform + enumeration), `cxl list -vvv` and sysfs export times and
 * peak RSS for every preset and for generated topologies of 1 … 4096 endpoints, plus CLI cold
 * start, and the region driver's figures (scripts/bench/region.ts: create+commit for 2/8/16 ways,
 * translate HPA/s, property-test cases per minute). Each case runs in its own process; figures are
 * medians of several runs. Prints a table
 * and writes bench-results/latest.json. Targets (issue 6) are checked and reported, and the
 * exit code is non-zero when one is missed and BENCH_STRICT=1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { table } from 'table';
import { PRESET_NAMES } from '../../src/topology/presets/index.ts';

const root = join(import.meta.dirname, '../..');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? Number.NaN : n % 2 ? (s[(n - 1) / 2] ?? 0) : ((s[n / 2 - 1] ?? 0) + (s[n / 2] ?? 0)) / 2;
};

interface CaseResult {
  case: string;
  memdevs: number;
  runs: number;
  boot_ms: number[];
  list_ms: number[];
  export_ms: number[];
  maxRssMiB: number;
}

function runCase(kind: string, arg: string, runs: number): CaseResult {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(root, 'scripts/bench/case.ts'), kind, arg, String(runs)], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const line = out.trim().split('\n').pop() ?? '{}';
  return JSON.parse(line) as CaseResult;
}

const cases: CaseResult[] = [];
for (const p of PRESET_NAMES.filter((n) => !n.startsWith('armvirt-vfio'))) {
  try {
    cases.push(runCase('preset', p, 7));
  } catch (e) {
    console.error(`preset ${p}: ${(e as Error).message.split('\n')[0]}`);
  }
}
for (const n of [1, 64, 256, 1024, 4096]) cases.push(runCase('gen', String(n), n >= 4096 ? 3 : 5));

// CLI cold start from dist/ (whole process).
const cold: Record<string, number> = {};
const bin = join(root, 'dist/cli/main.js');
if (existsSync(bin)) {
  const state = join(root, 'bench-results/state');
  mkdirSync(state, { recursive: true });
  for (const [label, args] of [
    ['cxlsim --version', ['--version']],
    ['cxlsim list (default preset)', ['--state', state, 'list']],
  ] as const) {
    const ts: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
      ts.push(performance.now() - t0);
    }
    cold[label] = median(ts);
  }
}

const rows = [['case', 'memdevs', 'boot ms', 'list -vvv ms', 'boot+list ms', 'export ms', 'peak RSS MiB']];
for (const c of cases) {
  const b = median(c.boot_ms);
  const l = median(c.list_ms);
  rows.push([c.case, String(c.memdevs), b.toFixed(1), l.toFixed(1), (b + l).toFixed(1), median(c.export_ms).toFixed(1), c.maxRssMiB.toFixed(0)]);
}
console.log(table(rows));
for (const [k, v] of Object.entries(cold)) console.log(`${k}: ${v.toFixed(0)} ms (median of 7, whole process)`);

const t = (name: string) => {
  const c = cases.find((x) => x.case === name);
  return c ? median(c.boot_ms) + median(c.list_ms) : Number.NaN;
};
const targets = [
  { name: 'default preset boot+list < 50 ms', value: t('preset default'), ok: t('preset default') < 50 },
  { name: '4096 endpoints boot+list < 2000 ms', value: t('generated 4096 endpoints'), ok: t('generated 4096 endpoints') < 2000 },
  {
    name: 't(4096)/t(256) <= 20',
    value: t('generated 4096 endpoints') / t('generated 256 endpoints'),
    ok: t('generated 4096 endpoints') / t('generated 256 endpoints') <= 20,
  },
  { name: 'CLI cold start (--version) < 300 ms', value: cold['cxlsim --version'] ?? Number.NaN, ok: (cold['cxlsim --version'] ?? 1e9) < 300 },
];
// Region driver (issue 3): scripts/bench/region.ts in its own process; its table, then its targets.
const regionOut = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(root, 'scripts/bench/region.ts')], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n');
const region = JSON.parse(regionOut.pop() ?? '{}') as { targets?: typeof targets };
console.log(regionOut.join('\n'));
targets.push(...(region.targets ?? []));
for (const x of targets) console.log(`${x.ok ? 'MET   ' : 'MISSED'} ${x.name}: ${x.value.toFixed(2)}`);
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results/latest.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cases, cold, region, targets }, null, 2)}\n`);
if (process.env.BENCH_STRICT === '1' && targets.some((x) => !x.ok)) process.exit(1);
