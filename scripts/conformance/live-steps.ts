/**
 * Conformance through writes (issue 11): every fixture scenario's `cxl …` region steps replayed
 * with the REAL ndctl through `cxlsim run`, compared with the capture.
 *
 * usage: node --import tsx scripts/conformance/live-steps.ts [-v] [--profile P] [FIXTURES_DIR]
 *
 * The real tool is the `cxl` on PATH, or $NDCTL_BIN_DIR/cxl (e.g. a root built by
 * scripts/ndctl81-root: trixie's ndctl 81 for `--profile debian-13 sysfs-fixtures/stacks/debian-13`,
 * sid's ndctl 85 for `--profile latest sysfs-fixtures/stacks/latest`).
 *
 * Per scenario (FIXTURES_DIR/<scenario>/host/qemu-cmdline.sh + scenario.guest): the topology is
 * booted with `--profile P` (default debian-12, the captures' Linux 6.1 / QEMU 7.2 / ndctl 76.1) in a
 * scratch state directory, `cxlsim serve` mounts it, and ONE `cxlsim run` executes every step
 * in order (capture device names translated to ours through canon identities, as
 * scripts/conformance/scenario.ts does), each followed by `cxl list -R` (the capture's
 * cxl-list/R.json) and, for steps marked `; cleanup`, `cxl destroy-region -f all`. stdout,
 * stderr and the exit code of the step, and the listing after it, are compared with the
 * capture after renaming ours back to the capture's names; region ids (regionN) and UUIDs are
 * masked on both sides (the id depends on every earlier attempt of the boot, the UUID is
 * random). The busybox `sysw` steps are not replayed here (they are not the cxl tool).
 * Prints one line per difference and "live-steps: N comparisons, D differences".
 * Exit: 0 equal, 1 differences, 77 when the real tool cannot run here (no root, cxl, FUSE, cc).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadFuse } from '../../src/cli/live/serving.ts';
import { canonEntries, identityMap, rename } from '../../tests/helpers/canon.ts';
import { Cli } from './cli.ts';
import { scenarioSteps } from './scenario.ts';

const args = process.argv.slice(2);
const verbose = args.includes('-v');
const pi = args.indexOf('--profile');
const profile = pi >= 0 ? (args[pi + 1] ?? 'debian-12') : 'debian-12';
const positional = args.filter((a, i) => a !== '-v' && i !== pi && i !== pi + 1);
const fixtures = resolve(positional[0] ?? join(import.meta.dirname, '..', '..', 'sysfs-fixtures'));
/** PATH with $NDCTL_BIN_DIR first, so its `cxl` is the real tool run. */
const PATH = process.env.NDCTL_BIN_DIR
  ? `${process.env.NDCTL_BIN_DIR}:${process.env.PATH}`
  : (process.env.PATH ?? '');
const root = join(import.meta.dirname, '..', '..');
const main = join(root, 'src', 'cli', 'main.ts');

async function missing(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root';
  if (spawnSync('cxl', ['version'], { env: { ...process.env, PATH } }).status !== 0)
    return "the real 'cxl' tool is not installed";
  if (spawnSync('cc', ['--version']).status !== 0) return 'no C compiler';
  try {
    await loadFuse();
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}
const why = await missing();
if (why) {
  process.stderr.write(`live-steps: SKIP: ${why}\n`);
  process.exit(77);
}

/** Masks what legitimately differs between two boots (see the file comment). */
const mask = (s: string) =>
  s
    .replace(/region\d+/g, 'regionN')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID');
const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

let comparisons = 0;
let differences = 0;
function compare(id: string, what: string, want: string, got: string): void {
  comparisons++;
  if (mask(want) === mask(got)) return;
  differences++;
  console.log(`live-steps: ${id}: ${what} differs`);
  if (verbose) console.log(`--- capture\n${want}\n+++ real cxl on cxlsim\n${got}`);
}

for (const scenario of readdirSync(fixtures).sort()) {
  const dir = join(fixtures, scenario);
  const qemu = join(dir, 'host', 'qemu-cmdline.sh');
  const steps = scenarioSteps(dir).filter((s) => s.cmd.startsWith('cxl '));
  if (!existsSync(qemu) || steps.length === 0) continue;
  const work = mkdtempSync(join(tmpdir(), 'cxlsim-live-steps-'));
  const state = join(work, 'st');
  const env = { ...process.env, PATH, CXLSIM_STATE: state };
  const cli = new Cli(state, root);
  let serve: ReturnType<typeof spawn> | undefined;
  try {
    await cli.must(['boot', '--qemu', qemu, '--profile', profile]);
    const cap = identityMap(canonEntries(read(join(dir, '00-boot', 'sysfs.txt'))));
    const ours = identityMap(canonEntries((await cli.must(['sysfs', 'dump'])).stdout));
    const byId = new Map([...ours].map(([name, id]) => [id, name]));
    const toOurs = new Map([...cap].map(([name, id]) => [name, byId.get(id) ?? id]));
    const toCapture = new Map([...toOurs].map(([c, o]) => [o, c]));
    serve = spawn(
      process.execPath,
      ['--import', 'tsx', main, 'serve', '--mount', join(work, 'sys')],
      {
        cwd: root,
        env,
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 300 && !existsSync(join(state, 'serve.json')); i++)
      await new Promise((r) => setTimeout(r, 100));
    // one namespace for the whole scenario: each step writes OUT/<n>.{out,err,rc,list}
    const lines = ['o=$1'];
    steps.forEach((s, n) => {
      const argv = s.cmd.split(/\s+/).map((w) => rename(w, toOurs));
      lines.push(
        `${argv.map(shq).join(' ')} >"$o/${n}.out" 2>"$o/${n}.err"; echo $? >"$o/${n}.rc"`,
      );
      lines.push(`cxl list -R >"$o/${n}.list" 2>/dev/null`);
      if (s.cleanup) lines.push('cxl destroy-region -f all >/dev/null 2>&1');
    });
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', main, 'run', '--', 'bash', '-c', lines.join('\n'), 'steps', work],
      { cwd: root, env, encoding: 'utf8', timeout: 600_000 },
    );
    if (r.status !== 0) {
      differences++;
      console.log(`live-steps: ${scenario}: cxlsim run exited ${r.status}: ${r.stderr.trim()}`);
      continue;
    }
    steps.forEach((s, n) => {
      const id = `${scenario}/${s.name}`;
      const back = (f: string) => rename(read(join(work, f)), toCapture);
      const step = join(dir, s.name, 'step');
      compare(id, 'exit code', read(join(step, 'rc.txt')).trim(), back(`${n}.rc`).trim());
      compare(id, 'stdout', read(join(step, 'stdout.txt')), back(`${n}.out`));
      compare(id, 'stderr', read(join(step, 'stderr.txt')), back(`${n}.err`));
      const listed = join(dir, s.name, 'cxl-list', 'R.json');
      if (existsSync(listed)) compare(id, 'cxl list -R after it', read(listed), back(`${n}.list`));
    });
  } finally {
    if (serve && serve.exitCode === null) {
      const done = new Promise((r) => serve?.once('exit', r));
      serve.kill('SIGTERM');
      await done;
    }
    rmSync(work, { recursive: true, force: true });
  }
}
console.log(`live-steps: ${comparisons} comparisons, ${differences} differences`);
process.exit(differences ? 1 : 0);
