/**
 * `npm run bench`, live part (issue 11): the REAL ndctl through `cxlsim serve`'s FUSE mount.
 * Boots the default preset (debian-12 profile) in a scratch state directory, starts `cxlsim
 * serve`, and inside one `cxlsim run` times, per repetition, one real `cxl list -vvv` and one
 * real `cxl create-region -m -d decoder0.1 -w 2 -g 4096 mem2 mem0` (then destroys it, untimed).
 * Prints a table and, last, one JSON line {live} for run.ts. Skips (live: {skipped: reason})
 * where the real tool cannot run: not root, no `cxl`, no FUSE, no cc.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFuse } from '../../src/cli/live/serving.ts';

const root = join(import.meta.dirname, '../..');
const quick = process.argv.includes('--quick');
const runs = quick ? 3 : 7;
const main = join(root, 'src/cli/main.ts');

async function missing(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root';
  if (spawnSync('cxl', ['version']).status !== 0) return 'no real cxl tool';
  if (spawnSync('cc', ['--version']).status !== 0) return 'no C compiler';
  try {
    await loadFuse();
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] ?? Number.NaN) : Number.NaN;
};

const reason = await missing();
if (reason) {
  console.log(`live bench: skipped (${reason})`);
  console.log(JSON.stringify({ live: { skipped: reason } }));
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'cxlsim-bench-live-'));
const env = { ...process.env, CXLSIM_STATE: join(dir, 'st') };
const cxlsim = (...a: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', main, ...a], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
cxlsim('boot', '--preset', 'default', '--profile', 'debian-12');
const serve = spawn(
  process.execPath,
  ['--import', 'tsx', main, 'serve', '--mount', join(dir, 'sys')],
  {
    cwd: root,
    env,
    stdio: 'ignore',
  },
);
try {
  for (let i = 0; i < 300 && !existsSync(join(dir, 'st', 'serve.json')); i++)
    await new Promise((r) => setTimeout(r, 100));
  // one namespace for all repetitions (its setup is not what is measured); the first pass warms up
  const script = `
ns() { date +%s%N; }
for i in $(seq 0 ${runs}); do
  a=$(ns); cxl list -vvv >/dev/null 2>&1; b=$(ns)
  cxl create-region -m -d decoder0.1 -w 2 -g 4096 mem2 mem0 >/dev/null 2>&1; c=$(ns)
  cxl destroy-region -f all >/dev/null 2>&1
  [ "$i" = 0 ] || echo "$(( (b - a) / 1000 )) $(( (c - b) / 1000 ))"
done`;
  const r = cxlsim('run', '--', 'bash', '-c', script);
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => l.split(' ').map(Number) as [number, number]);
  const list = rows.map((x) => x[0] / 1000);
  const create = rows.map((x) => x[1] / 1000);
  const live = {
    runs: rows.length,
    cxl_list_vvv_ms: median(list),
    create_region_ms: median(create),
    list_ms: list,
    create_ms: create,
  };
  console.log(
    `live (real ndctl ${spawnSync('cxl', ['version'], { encoding: 'utf8' }).stdout.trim()} through the FUSE mount, default preset, median of ${rows.length}): cxl list -vvv ${live.cxl_list_vvv_ms.toFixed(0)} ms, create-region (2-way, commit) ${live.create_region_ms.toFixed(0)} ms`,
  );
  console.log(JSON.stringify({ live }));
} finally {
  const done = new Promise((r) => serve.once('exit', r));
  serve.kill('SIGTERM');
  await done;
  rmSync(dir, { recursive: true, force: true });
}
