/**
 * DOC: `cxlsim prop` — property runs of region assembly (src/prop/runner.ts) from the command
 * line, and `cxlsim prop --check` (the invariants on the persisted machine).
 *
 *   cxlsim prop --preset default --runs 10000 --seed 1
 *   cxlsim prop --gen --runs 1000 --invariant hw-committed --invariant data-roundtrip
 *   cxlsim prop --qemu my.qemu --shard 2/8 --json
 *   cxlsim prop --preset default --runs 10000 --seed 1 --jobs 2
 *   cxlsim prop --preset default --profile debian-12 --compare-profile latest
 *
 * `--jobs N` runs the run as N shards at once in worker threads (src/prop/parallel.ts): the
 * cases are those of the N shards, and a failure's reproducer names its shard (`--shard`).
 *
 * Prints cases/s and the outcome (a progress bar with cases/s on a terminal, cli-progress); on
 * a failure writes the shrunk case's reproducer bundle (src/prop/bundle.ts) to `--out` and
 * exits 1. The environment variable CXLSIM_TEST_BREAK_INVARIANT=NAME breaks one invariant on
 * purpose (a test hook: it then fails whenever a committed region exists).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { bootSync } from '../../api/boot.ts';
import { Errno } from '../../kernel/errno.ts';
import { resolveProfile } from '../../profile.ts';
import { buildBundle } from '../../prop/bundle.ts';
import {
  breakInvariantForTest,
  checkInvariants,
  INVARIANT_NAMES,
  type InvariantName,
} from '../../prop/invariants.ts';
import { type ParallelRunResult, runPropertyJobs } from '../../prop/parallel.ts';
import { type PropRunResult, type PropSource, runProperty } from '../../prop/runner.ts';
import { readText } from '../../topology/load.ts';
import type { CliIo } from '../io.ts';
import { packageUrl } from '../paths.ts';
import { type CliContext, withMachine } from '../session.ts';

/** Options of `cxlsim prop` as commander hands them over. */
export interface PropArgs {
  preset?: string;
  qemu?: string;
  topology?: string;
  gen?: boolean | string;
  runs?: string;
  seed?: string;
  profile?: string;
  invariant?: string[];
  shard?: string;
  jobs?: string;
  json?: boolean;
  out?: string;
  compareProfile?: string;
  check?: boolean;
}

const bad = (msg: string) => new Errno('EINVAL', msg);

function int(v: string | undefined, what: string, dflt: number, min = 0): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min) throw bad(`invalid ${what} '${v}'`);
  return Number(v);
}

function invariantsOf(names: string[] | undefined): InvariantName[] {
  if (!names?.length) return [...INVARIANT_NAMES];
  for (const n of names)
    if (!(INVARIANT_NAMES as readonly string[]).includes(n))
      throw bad(`unknown invariant '${n}' (known: ${INVARIANT_NAMES.join(', ')})`);
  return names as InvariantName[];
}

function sourceOf(o: PropArgs, cwd: string): PropSource {
  const given = [o.preset, o.qemu, o.topology, o.gen].filter((x) => x !== undefined && x !== false);
  if (given.length > 1) throw bad('give only one of --preset, --qemu, --topology and --gen');
  if (o.qemu !== undefined) return { qemu: readText(resolve(cwd, o.qemu)), path: o.qemu };
  if (o.topology !== undefined)
    return { topology: readText(resolve(cwd, o.topology)), path: o.topology };
  if (o.gen !== undefined && o.gen !== false) {
    if (o.gen !== true && o.gen !== 'qemu' && o.gen !== 'any')
      throw bad(
        `invalid --gen '${o.gen}' (qemu: QEMU-expressible topologies, any: also what QEMU cannot build)`,
      );
    return { gen: { any: o.gen === 'any' } };
  }
  return { preset: o.preset ?? 'default' };
}

/** The test hook of the DOC block. */
function applyTestHook(env: CliIo['env']): InvariantName | undefined {
  const b = env.CXLSIM_TEST_BREAK_INVARIANT;
  const name = b ? invariantsOf([b])[0] : undefined;
  breakInvariantForTest(name);
  return name;
}

/** A progress display: cli-progress on a terminal (when installed), else nothing until the end. */
async function progress(io: CliIo, json: boolean, total: number) {
  if (json || !process.stderr.isTTY) return { update() {}, stop() {} };
  try {
    const { default: cp } = (await import('cli-progress' as string)) as {
      default: {
        SingleBar: new (
          o: object,
        ) => {
          start(t: number, v: number, p: object): void;
          update(v: number, p: object): void;
          stop(): void;
        };
      };
    };
    const bar = new cp.SingleBar({
      format: 'prop |{bar}| {value}/{total} cases | {rate} cases/s',
      stream: process.stderr,
      hideCursor: true,
    });
    const t0 = performance.now();
    bar.start(total, 0, { rate: '0' });
    return {
      update(done: number) {
        if (done % 25 === 0 || done === total)
          bar.update(done, { rate: (done / ((performance.now() - t0) / 1000)).toFixed(0) });
      },
      stop: () => bar.stop(),
    };
  } catch {
    io.err('cxlsim: cli-progress is not installed; no progress bar\n');
    return { update() {}, stop() {} };
  }
}

/** Runs `cxlsim prop`; exit 1 on a failure, 0 otherwise. */
export async function propCommand(ctx: CliContext, o: PropArgs): Promise<number> {
  const io = ctx.io;
  const broken = applyTestHook(io.env);
  const invariants = invariantsOf(o.invariant);
  if (o.check) return checkCommand(ctx, invariants, o.json ?? false);
  const profile = resolveProfile(o.profile);
  if (o.compareProfile !== undefined) resolveProfile(o.compareProfile);
  const runs = int(o.runs, '--runs', 100, 1);
  const seed = int(o.seed, '--seed', Math.floor(Math.random() * 2 ** 31));
  let shard: { index: number; count: number } | undefined;
  if (o.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(o.shard);
    if (!m || Number(m[2]) < 1 || Number(m[1]) < 1 || Number(m[1]) > Number(m[2]))
      throw bad(`invalid --shard '${o.shard}' (I/N with 1 ≤ I ≤ N)`);
    shard = { index: Number(m[1]) - 1, count: Number(m[2]) };
  }
  const jobs = int(o.jobs, '--jobs', 1, 1);
  const source = sourceOf(o, io.cwd);
  const total =
    jobs > 1
      ? jobs * Math.ceil(runs / ((shard?.count ?? 1) * jobs))
      : Math.ceil(runs / (shard?.count ?? 1));
  const bar = await progress(io, o.json ?? false, total);
  let r: PropRunResult & Partial<ParallelRunResult>;
  try {
    const opts = {
      source,
      profile: profile.name === 'custom' ? (o.profile ?? 'latest') : profile.name,
      runs,
      seed,
      invariants,
      ...(shard ? { shard } : {}),
      ...(o.compareProfile ? { compareProfile: o.compareProfile } : {}),
      onCase: (d: number) => bar.update(d),
    };
    r =
      jobs > 1
        ? await runPropertyJobs({
            ...opts,
            jobs,
            ...(broken ? { breakInvariant: broken } : {}),
            // the worker next to the running CLI: dist/ when built, src/ (through tsx) in tests
            workerUrl: packageUrl(
              import.meta.url.endsWith('.ts') ? 'src/prop/worker.ts' : 'dist/prop/worker.js',
            ),
          })
        : runProperty(opts);
  } finally {
    bar.stop();
  }
  // the shard a failure replays alone as (a job's own shard under --jobs)
  const shardArg = r.failedShard ? `${r.failedShard.index + 1}/${r.failedShard.count}` : o.shard;
  let bundleDir: string | undefined;
  if (r.failure) {
    bundleDir = resolve(io.cwd, o.out ?? 'cxlsim-repro');
    const fresh = bootSync({ topology: r.failure.topology }, { profile });
    const files = buildBundle(r.failure, {
      profile,
      seed: r.seed,
      fresh,
      command: [
        'cxlsim prop',
        ...(o.preset !== undefined ? ['--preset', o.preset] : []),
        ...(o.qemu !== undefined ? ['--qemu', o.qemu] : []),
        ...(o.topology !== undefined ? ['--topology', o.topology] : []),
        ...(o.gen !== undefined && o.gen !== false
          ? [o.gen === true ? '--gen' : `--gen ${o.gen}`]
          : []),
        '--profile',
        profile.name,
        ...(o.compareProfile ? ['--compare-profile', o.compareProfile] : []),
        '--seed',
        String(seed),
        '--runs',
        String(runs),
        ...(shardArg ? ['--shard', shardArg] : []),
      ].join(' '),
    });
    for (const [name, text] of files) {
      const p = join(bundleDir, name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
    }
  }
  if (o.json) {
    io.out(
      `${JSON.stringify(
        {
          runs: r.runs,
          seed: r.seed,
          profile: r.profile,
          invariants: r.invariants,
          elapsedMs: Math.round(r.elapsedMs),
          casesPerSecond: Number(r.casesPerSecond.toFixed(1)),
          ok: !r.failure,
          ...(r.failure
            ? {
                failure: {
                  violations: r.failure.violations,
                  steps: r.failure.report.steps.length,
                  shrinks: r.failure.shrinks,
                  path: r.failure.path,
                  bundle: bundleDir,
                },
              }
            : {}),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    io.out(
      `${r.runs} cases in ${(r.elapsedMs / 1000).toFixed(1)} s (${r.casesPerSecond.toFixed(0)} cases/s), seed ${r.seed}, profile ${r.profile}${o.compareProfile ? ` vs ${o.compareProfile}` : ''}: ${r.failure ? 'FAILED' : 'passed'}\n`,
    );
    if (r.failure) {
      if (r.failure.other)
        io.out(`outcomes differ between ${r.profile} and ${r.failure.other.profile}\n`);
      for (const v of r.failure.violations)
        io.out(`${v.invariant}: ${v.device ? `${v.device}: ` : ''}${v.message}\n`);
      io.out(
        `shrunk in ${r.failure.shrinks} steps to ${r.failure.report.steps.length} steps; reproducer in ${bundleDir}\n`,
      );
    }
  }
  return r.failure ? 1 : 0;
}

/** `cxlsim prop --check`: the invariants on the persisted machine (teardown and refused-write excluded). */
async function checkCommand(
  ctx: CliContext,
  invariants: InvariantName[],
  json: boolean,
): Promise<number> {
  return withMachine(ctx, ({ machine }) => {
    const m = machine as Parameters<typeof checkInvariants>[0];
    const v = checkInvariants(
      m,
      invariants.filter((n) => n !== 'teardown' && n !== 'refused-write'),
    );
    if (json) ctx.io.out(`${JSON.stringify({ ok: v.length === 0, violations: v }, null, 2)}\n`);
    else if (v.length === 0) ctx.io.out('invariants hold\n');
    else
      for (const x of v)
        ctx.io.out(`${x.invariant}: ${x.device ? `${x.device}: ` : ''}${x.message}\n`);
    return v.length ? 1 : 0;
  });
}
