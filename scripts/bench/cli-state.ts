/**
 * `npm run bench`'s whole-process figures of issue 15, as users pay them: the `cxlsim`
 * command of dist/ (the shell launcher, machine snapshots on), CPU seconds (user + system of
 * the child processes, from /proc/self/stat), mean of several runs; RSS from /usr/bin/time
 * where it is installed.
 * - the floor (`cxlsim --version`), `list` on a fresh default state, the same after ~1,000
 *   journaled operations (with the state's snapshot, and with CXLSIM_SNAPSHOT=0), a
 *   create-region + destroy-region cycle fresh and after that history;
 * - unless --quick: 4096 generated endpoints (scripts/bench/big.ts, median of 3): boot, the
 *   background snapshot, `list -M`, a `sysfs write`, `sysfs dump`, from the snapshot and
 *   booting.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchBig } from './big.ts';

/** One figure: CPU seconds, wall seconds, peak RSS (KiB, when measured). */
export interface Figure {
  cpuS: number;
  wallS: number;
  rssKiB?: number;
  /** A size in MB (the 4096-endpoint snapshot blob: scripts/bench/big.ts). */
  sizeMB?: number;
}

const TICK = 100; // USER_HZ on Linux
/** CPU seconds of this process's waited-for children so far. */
function childCpu(): number {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[13]) + Number(rest[14])) / TICK; // cutime, cstime (fields 16, 17)
}

/** Runs `cxlsim ARGS` `runs` times (after `warm` unmeasured runs); mean CPU and wall. */
function measure(
  bin: string,
  args: string[],
  runs: number,
  opts: { env?: Record<string, string>; warm?: number; ok?: number[] } = {},
): Figure {
  const env = { ...process.env, CXLSIM_STATE: '', ...opts.env };
  const run = () => {
    const r = spawnSync(bin, args, { env, encoding: 'utf8', maxBuffer: 1 << 30 });
    if (!(opts.ok ?? [0]).includes(r.status ?? -1))
      throw new Error(`cxlsim ${args.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`);
  };
  for (let i = 0; i < (opts.warm ?? 1); i++) run();
  const c0 = childCpu();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) run();
  return { cpuS: (childCpu() - c0) / runs, wallS: (performance.now() - t0) / 1000 / runs };
}

/** The figures and the targets. */
export function benchCliState(
  root: string,
  quick: boolean,
): {
  figures: Record<string, Figure>;
  targets: { name: string; value: number; ok: boolean }[];
} {
  const bin = join(root, 'dist/cli/cxlsim');
  const runs = quick ? 3 : 7;
  const dir = mkdtempSync(join(tmpdir(), 'cxlsim-bench-15-'));
  const figures: Record<string, Figure> = {};
  const targets: { name: string; value: number; ok: boolean }[] = [];
  try {
    const fresh = join(dir, 'fresh');
    const hist = join(dir, 'history');
    const cycle = (st: string) => [
      ['--state', st, 'create-region', '-m', '-d', 'decoder0.0', '-w', '1', 'mem2'],
      ['--state', st, 'destroy-region', 'all', '-f'],
    ];
    figures['--version (the floor)'] = measure(bin, ['--version'], runs);
    measure(bin, ['--state', fresh, 'boot', '--preset', 'default'], 0);
    figures['list, fresh default state'] = measure(bin, ['--state', fresh, 'list'], runs);
    // ~1,000 journaled operations: one create/destroy cycle's operations, repeated (each
    // cycle leaves the machine as it found it, so the journal replays)
    measure(bin, ['--state', hist, 'boot', '--preset', 'default'], 0);
    for (const a of cycle(hist)) measure(bin, a, 0, { env: { CXLSIM_SNAPSHOT: '0' } });
    const file = join(hist, 'state.json');
    const st = JSON.parse(readFileSync(file, 'utf8')) as { ops: unknown[] };
    const one = st.ops;
    while (st.ops.length < 1000) st.ops = [...st.ops, ...one];
    writeFileSync(file, `${JSON.stringify(st)}\n`);
    const nOps = st.ops.length;
    figures[`list after ${nOps} operations, no snapshot`] = measure(
      bin,
      ['--state', hist, 'list'],
      runs,
      { env: { CXLSIM_SNAPSHOT: '0' } },
    );
    // the first run builds the state's snapshot (not measured)
    figures[`list after ${nOps} operations`] = measure(bin, ['--state', hist, 'list'], runs);
    const cyc = (st: string): Figure => {
      const n = quick ? 2 : 5;
      const c0 = childCpu();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) for (const a of cycle(st)) measure(bin, a, 1, { warm: 0 });
      return { cpuS: (childCpu() - c0) / n, wallS: (performance.now() - t0) / 1000 / n };
    };
    figures['create+destroy cycle, fresh state'] = cyc(fresh);
    figures[`create+destroy cycle after ${nOps} operations`] = cyc(hist);

    const floor = figures['--version (the floor)']?.cpuS ?? Number.NaN;
    const l0 = figures['list, fresh default state']?.cpuS ?? Number.NaN;
    const l1 = figures[`list after ${nOps} operations`]?.cpuS ?? Number.NaN;
    const c0 = figures['create+destroy cycle, fresh state']?.cpuS ?? Number.NaN;
    const c1 = figures[`create+destroy cycle after ${nOps} operations`]?.cpuS ?? Number.NaN;
    targets.push({
      name: 'list CPU above the floor <= 0.100 s',
      value: l0 - floor,
      ok: l0 - floor <= 0.1,
    });
    targets.push({
      name: `list after ${nOps} ops / fresh <= 1.10`,
      value: l1 / l0,
      ok: l1 / l0 <= 1.1,
    });
    targets.push({
      name: `cycle after ${nOps} ops / fresh <= 1.10`,
      value: c1 / c0,
      ok: c1 / c0 <= 1.1,
    });

    if (!quick) {
      const big = benchBig(root, 3);
      Object.assign(figures, big.figures);
      targets.push(...big.targets);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { figures, targets };
}
