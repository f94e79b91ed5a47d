/**
 * Issue 15's figures at scale: a generated topology of 4096 type-3 devices (`cxlsim gen
 * --endpoints 4096`) through the `cxlsim` command of dist/ (the shell launcher, machine
 * snapshots on), whole process, as users pay them: CPU seconds (user + system), wall seconds
 * and peak RSS (/usr/bin/time), the median of `runs` runs each.
 *
 * - `boot --topology big.yaml` into a fresh state directory; a boot this large starts a
 *   detached snapshot builder, and the time until its snapshot is installed is recorded
 *   ("snapshot ready after boot") — each next measurement waits for it, so that it does not
 *   compete for the CPU;
 * - `list -M`, `sysfs write …/decoder0.0/create_pmem_region region0` (journaled; each run on a
 *   copy of the booted state directory) and `sysfs dump`, from the snapshot (what a command
 *   after the boot runs once the snapshot is there) and booting (`CXLSIM_SNAPSHOT=0`: what it
 *   runs before, or without snapshots).
 *
 * - the same `list -M` and `sysfs write` (create_pmem_region, then delete_region, on the booted
 *   state itself) while a `cxlsim serve` of the state runs: they are forwarded to it
 *   (src/cli/live/forward.ts) and run on its live machine (needs root and FUSE; left out
 *   otherwise).
 *
 * `npm run bench` runs it unless `--quick` (a full run takes 3–5 minutes on the 2-core VM);
 * alone: `node --import tsx scripts/bench/big.ts [--runs N] [--endpoints N] [--wait S]
 * [--root DIR]` (`--root`: another build's tree, e.g. an older commit's, `--wait 0` when it has
 * no background snapshots).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One figure: CPU seconds, wall seconds, peak RSS (KiB, when measured). */
export interface BigFigure {
  cpuS: number;
  wallS: number;
  rssKiB?: number;
  /** Size in MB (10^6 bytes) of what the figure is about (the snapshot blob), when it is one. */
  sizeMB?: number;
}

/** A target of the issue and whether it is met. */
export interface BigTarget {
  name: string;
  value: number;
  ok: boolean;
}

const TIME = '/usr/bin/time';

/** One whole-process run of `cxlsim ARGS` (CPU from /usr/bin/time when it is there). */
function once(bin: string, args: string[], env: Record<string, string> = {}): BigFigure {
  const e = { ...process.env, CXLSIM_STATE: '', ...env };
  const t0 = performance.now();
  if (!existsSync(TIME)) {
    const r = spawnSync(bin, args, { env: e, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`cxlsim ${args.join(' ')}: exit ${r.status}`);
    return { cpuS: Number.NaN, wallS: (performance.now() - t0) / 1000 };
  }
  // stdout to /dev/null: a 150 MB dump is not this script's to hold
  const r = spawnSync(TIME, ['-f', 'cxlsim-bench %U %S %M', bin, ...args], {
    env: e,
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const wallS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`cxlsim ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  const m = /cxlsim-bench ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) return { cpuS: Number.NaN, wallS };
  return { cpuS: Number(m[1]) + Number(m[2]), wallS, rssKiB: Number(m[3]) };
}

/** Median of each field (of the runs that have it: a snapshot that never came is NaN). */
function median(fs: BigFigure[]): BigFigure {
  const med = (xs: number[]) => {
    const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    const n = s.length;
    if (n === 0) return Number.NaN;
    return n % 2 ? (s[n >> 1] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
  };
  const out: BigFigure = { cpuS: med(fs.map((f) => f.cpuS)), wallS: med(fs.map((f) => f.wallS)) };
  const rss = fs.map((f) => f.rssKiB).filter((x): x is number => x !== undefined);
  if (rss.length) out.rssKiB = med(rss);
  return out;
}

/** Waits until `state` has a snapshot; seconds waited, or NaN after `limitS`. */
function waitSnapshot(state: string, limitS = 180): number {
  const t0 = performance.now();
  const meta = join(state, 'snapshot', 'meta');
  while (!existsSync(meta)) {
    if ((performance.now() - t0) / 1000 > limitS) return Number.NaN;
    spawnSync('sleep', ['0.2']);
  }
  return (performance.now() - t0) / 1000;
}

/** The figures and targets (see the DOC block). */
export function benchBig(
  root: string,
  runs: number,
  endpoints = 4096,
  waitS = 180,
): { figures: Record<string, BigFigure>; targets: BigTarget[] } {
  const bin = join(root, 'dist/cli/cxlsim');
  const dir = mkdtempSync(join(tmpdir(), 'cxlsim-bench-big-'));
  const figures: Record<string, BigFigure> = {};
  const targets: BigTarget[] = [];
  const k = (what: string) => `${endpoints} endpoints: ${what}`;
  const noSnap = { CXLSIM_SNAPSHOT: '0' };
  try {
    const topo = join(dir, 'big.yaml');
    const g = spawnSync(bin, ['gen', '--endpoints', String(endpoints)], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    writeFileSync(topo, g.stdout);
    const boots: BigFigure[] = [];
    const ready: BigFigure[] = [];
    let state = '';
    for (let i = 0; i < runs; i++) {
      state = join(dir, `boot${i}`);
      boots.push(once(bin, ['--state', state, 'boot', '--topology', topo]));
      ready.push({ cpuS: Number.NaN, wallS: waitSnapshot(state, waitS) });
    }
    figures[k('boot')] = median(boots);
    // the machine snapshot the commands below start from (what each of them deserializes)
    const blob = existsSync(join(state, 'snapshot'))
      ? readdirSync(join(state, 'snapshot')).find((n) => n.endsWith('.blob'))
      : undefined;
    if (blob)
      figures[k('snapshot blob')] = {
        cpuS: Number.NaN,
        wallS: Number.NaN,
        sizeMB: statSync(join(state, 'snapshot', blob)).size / 1e6,
      };
    const late = ready.filter((f) => !Number.isFinite(f.wallS)).length;
    figures[
      k(
        `snapshot ready after boot (background build, wall; ${late} of ${runs} not within ${waitS} s)`,
      )
    ] = median(ready);
    const rep = (args: string[], env: Record<string, string> = {}, copy = false): BigFigure => {
      const fs: BigFigure[] = [];
      for (let i = 0; i < runs; i++) {
        let st = state;
        if (copy) {
          st = join(dir, `copy${i}`);
          cpSync(state, st, { recursive: true });
        }
        fs.push(once(bin, ['--state', st, ...args], env));
        if (copy) rmSync(st, { recursive: true, force: true });
      }
      return median(fs);
    };
    const write = [
      'sysfs',
      'write',
      '/sys/bus/cxl/devices/decoder0.0/create_pmem_region',
      'region0',
    ];
    figures[k('list -M')] = rep(['list', '-M']);
    figures[k('list -M, booting (no snapshot)')] = rep(['list', '-M'], noSnap);
    figures[k('sysfs write')] = rep(write, {}, true);
    figures[k('sysfs write, booting (no snapshot)')] = rep(write, noSnap, true);
    figures[k('sysfs dump')] = rep(['sysfs', 'dump']);
    figures[k('sysfs dump, booting (no snapshot)')] = rep(['sysfs', 'dump'], noSnap);
    // with `cxlsim serve` of the state running: the commands are forwarded to it
    const mount = join(dir, 'sys');
    const serve = spawn(bin, ['--state', state, 'serve', '--mount', mount], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 600 && !existsSync(join(state, 'serve.json')); i++)
        spawnSync('sleep', ['0.2']);
      if (existsSync(join(state, 'serve.json'))) {
        once(bin, ['--state', state, 'list', '-M']); // the server's first answer pays its JIT
        figures[k('list -M, cxlsim serve running')] = rep(['list', '-M']);
        const creates: BigFigure[] = [];
        for (let i = 0; i < runs; i++) {
          creates.push(once(bin, ['--state', state, ...write]));
          once(bin, [
            '--state',
            state,
            'sysfs',
            'write',
            '/sys/bus/cxl/devices/decoder0.0/delete_region',
            'region0',
          ]);
        }
        figures[k('sysfs write, cxlsim serve running')] = median(creates);
      }
    } finally {
      serve.kill('SIGTERM');
      // the event loop is blocked here (spawnSync): wait for the pid itself
      spawnSync('sh', ['-c', `while kill -0 ${serve.pid} 2>/dev/null; do sleep 0.1; done`], {
        timeout: 10_000,
      });
    }
    const f = (w: string) => figures[k(w)] ?? { cpuS: Number.NaN, wallS: Number.NaN };
    const wall = (name: string, w: string, limit: number) =>
      targets.push({ name, value: f(w).wallS, ok: f(w).wallS < limit });
    wall(`${endpoints}: boot < 3 s`, 'boot', 3);
    wall(`${endpoints}: list -M < 1 s`, 'list -M', 1);
    wall(`${endpoints}: sysfs write < 1 s`, 'sysfs write', 1);
    wall(`${endpoints}: sysfs dump < 5 s`, 'sysfs dump', 5);
    const rss = f('sysfs dump').rssKiB ?? Number.NaN;
    targets.push({
      name: `${endpoints}: sysfs dump < 500 MB`,
      value: (rss * 1024) / 1e6,
      ok: rss * 1024 < 500e6,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { figures, targets };
}

if (import.meta.filename === process.argv[1]) {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const i = process.argv.indexOf('--root');
  const root = i > 0 ? (process.argv[i + 1] as string) : join(import.meta.dirname, '../..');
  const r = benchBig(root, arg('--runs', 3), arg('--endpoints', 4096), arg('--wait', 180));
  for (const [name, fig] of Object.entries(r.figures))
    console.log(
      fig.sizeMB !== undefined
        ? `${name}: ${fig.sizeMB.toFixed(1)} MB`
        : `${name}: CPU ${fig.cpuS.toFixed(2)} s, wall ${fig.wallS.toFixed(2)} s${fig.rssKiB === undefined ? '' : `, peak RSS ${(fig.rssKiB / 1024).toFixed(0)} MiB`}`,
    );
  for (const t of r.targets)
    console.log(`${t.ok ? 'MET   ' : 'MISSED'} ${t.name} (${t.value.toFixed(2)})`);
  console.log(JSON.stringify(readFileSync('/proc/loadavg', 'utf8').trim()));
}
