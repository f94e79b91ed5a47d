/**
 * DOC: `npm run fuzz` — bad input, counted (issue 15). Seeded and bounded:
 *
 *   npm run fuzz                      # seed 1, the full counts below (a few minutes)
 *   npm run fuzz -- --seed 7 --scale 0.1 --only cedt,kill9
 *   npm run fuzz -- --no-build        # use dist/ as it is
 *
 * Sections and default counts: `cedt` 100,000 mutated CEDTs in-process, `qemu` 10,000 mutated
 * QEMU lines, `topology` 10,000 mutated topology files, `sysfs` 10,000 random sysfs write
 * sequences with invariants, `state` 2,000 mutated state files through read, boot and replay
 * (sections.ts), `kill9` 50 SIGKILLed state-changing commands with a
 * consistency check, `concurrent` 10 rounds of 10 concurrent writers (cli.ts; on the built CLI,
 * so `npm run build` runs first). Each in-process section runs in its own process: a case
 * stuck for 30 s is a hang and is named by its seed. Prints the counts and the crashes, hangs
 * and losses with the seeds that reproduce them; exits 1 if there is any.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, fuzzConcurrent, fuzzKill9 } from './cli.ts';
import type { SectionResult } from './sections.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const seed = Number(opt('seed') ?? 1);
const scale = Number(opt('scale') ?? 1);
const only = opt('only')?.split(',');
const want = (s: string) => !only || only.includes(s);
const n = (x: number) => Math.max(1, Math.round(x * scale));
/** A case stuck this long is a hang, ms. */
const STUCK_MS = 30_000;

interface Row {
  section: string;
  what: string;
  cases: number;
  crashes: string[];
  hangs: string[];
  losses: string[];
  seconds: number;
}
const rows: Row[] = [];

/** Runs an in-process section in its own process, watching for a stuck case. */
function inProcess(section: string, count: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'cxlsim-fuzz-'));
  const progress = join(dir, 'progress');
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'scripts/fuzz/section-main.ts'),
        section,
        String(seed),
        String(count),
        progress,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.stderr.on('data', (d) => {
      err += d;
    });
    let last = '';
    let since = Date.now();
    let stuck: string | undefined;
    const watch = setInterval(() => {
      let cur = '';
      try {
        cur = readFileSync(progress, 'utf8').trim();
      } catch {
        /* not yet */
      }
      if (cur !== last) {
        last = cur;
        since = Date.now();
      } else if (Date.now() - since > STUCK_MS && cur) {
        stuck = cur;
        p.kill('SIGKILL');
      }
    }, 1000);
    p.on('close', (code) => {
      clearInterval(watch);
      rmSync(dir, { recursive: true, force: true });
      const row: Row = {
        section,
        what: '',
        cases: 0,
        crashes: [],
        hangs: [],
        losses: [],
        seconds: (Date.now() - t0) / 1000,
      };
      if (stuck) row.hangs.push(`case seed ${stuck} stuck for ${STUCK_MS / 1000} s`);
      try {
        const r = JSON.parse(out.trim().split('\n').pop() ?? '') as SectionResult;
        row.cases = r.cases;
        row.what = `${r.refused} refused as bad input, slowest case ${r.slowestMs.toFixed(0)} ms`;
        row.crashes = r.crashes.map((c) => `case seed ${c.seed}: ${c.message}`);
      } catch {
        if (!stuck)
          row.crashes.push(
            `section process died (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`,
          );
      }
      resolve(row);
    });
  });
}

/** Runs a CLI section in a scratch directory. */
async function cliSection(
  section: string,
  what: string,
  f: (cwd: string) => Promise<CliResult>,
): Promise<Row> {
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-fuzz-cli-'));
  const t0 = Date.now();
  try {
    const r = await f(cwd);
    return {
      section,
      what: `${what}${r.killed ? `, ${r.killed} killed mid-command` : ''}${r.completed !== undefined ? `, ${r.completed} finished first` : ''}`,
      cases: r.cases,
      crashes: [],
      hangs: r.hangs,
      losses: r.losses,
      seconds: (Date.now() - t0) / 1000,
    };
  } catch (e) {
    return {
      section,
      what,
      cases: 0,
      crashes: [(e as Error).message],
      hangs: [],
      losses: [],
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

console.log(`cxlsim fuzz: seed ${seed}, scale ${scale}`);
if ((want('kill9') || want('concurrent')) && !args.includes('--no-build')) {
  const b = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (b.status !== 0) process.exit(2);
}
for (const [s, count] of [
  ['cedt', n(100_000)],
  ['qemu', n(10_000)],
  ['topology', n(10_000)],
  ['sysfs', n(10_000)],
  ['state', n(2_000)],
] as const) {
  if (!want(s)) continue;
  const row = await inProcess(s, count);
  rows.push(row);
  console.log(`  ${s}: ${row.cases} cases in ${row.seconds.toFixed(0)} s`);
}
if (want('kill9')) {
  const row = await cliSection('kill9', 'mem write killed with SIGKILL at a random moment', (cwd) =>
    fuzzKill9(cwd, seed, n(50)),
  );
  rows.push(row);
  console.log(`  kill9: ${row.cases} commands in ${row.seconds.toFixed(0)} s`);
}
if (want('concurrent')) {
  const rounds = n(10);
  const row = await cliSection(
    'concurrent',
    `${rounds} rounds of 10 concurrent mem writes`,
    (cwd) => fuzzConcurrent(cwd, seed, rounds, 10),
  );
  rows.push(row);
  console.log(`  concurrent: ${row.cases} commands in ${row.seconds.toFixed(0)} s`);
}

console.log('\n| section | cases | crashes | hangs | losses | seconds | notes |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of rows)
  console.log(
    `| ${r.section} | ${r.cases} | ${r.crashes.length} | ${r.hangs.length} | ${r.losses.length} | ${r.seconds.toFixed(0)} | ${r.what} |`,
  );
const bad = rows.flatMap((r) =>
  [...r.crashes, ...r.hangs, ...r.losses].map((x) => `${r.section}: ${x}`),
);
const total = (k: 'crashes' | 'hangs' | 'losses') => rows.reduce((s, r) => s + r[k].length, 0);
console.log(
  `\ntotal: ${rows.reduce((s, r) => s + r.cases, 0)} cases, ${total('crashes')} crashes, ${total('hangs')} hangs, ${total('losses')} lost operations (seed ${seed})`,
);
for (const b of bad.slice(0, 50)) console.log(`  ${b}`);
process.exitCode = bad.length ? 1 : 0;
