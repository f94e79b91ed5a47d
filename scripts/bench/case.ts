/**
 * One benchmark case, run by scripts/bench/run.ts in its own process so that its peak RSS is
 * its own. usage:
 *   node --expose-gc --import tsx scripts/bench/case.ts <kind> <arg> <runs> [exports] [profile]
 *   kind = preset NAME | gen ENDPOINTS; exports = how many of the runs also export /sys
 *   (default 1); profile = stack profile (default latest)
 *
 * Each run boots a fresh machine (buildPlatform + the guest's enumeration: bootMachine()),
 * then runs `cxl list -vvv` on it, then (for the first `exports` runs) writes its /sys out with
 * exportSysfs(). The library is loaded from the built dist/ (what the `cxlsim` executable runs)
 * unless CXLSIM_BENCH_FROM=src, which loads src/ through tsx's on-the-fly transform instead.
 * Exports go to tmpfs (/dev/shm) when there is one — the cost measured is cxlsim's (walk the
 * tree, one open/write/close per file), not the disk's — else to the OS temp directory.
 *
 * Prints one JSON line: { case, memdevs, runs, boot_ms[], list_ms[], export_ms[], exportDir,
 * exportEntries, listBytes, maxRssMiB, from }.
 */
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

type Boot = typeof import('../../src/boot.ts');
type List = typeof import('../../src/ndctl/cxl/list.ts');
type Profiles = typeof import('../../src/profile.ts');
type Export = typeof import('../../src/sysfs/export.ts');
type Gen = typeof import('../../src/topology/generate.ts');
type Presets = typeof import('../../src/topology/presets/index.ts');

const root = join(import.meta.dirname, '../..');
const from = process.env.CXLSIM_BENCH_FROM === 'src' ? 'src' : 'dist';

/** A library module from dist/ (compiled JS) or src/ (TypeScript through tsx). */
async function lib<T>(path: string): Promise<T> {
  const file = from === 'src' ? join(root, 'src', `${path}.ts`) : join(root, 'dist', `${path}.js`);
  return (await import(pathToFileURL(file).href)) as T;
}

/** Where exports go: tmpfs when writable, else the OS temp directory. */
function exportBase(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

const [kind = 'preset', arg = 'default', runsArg = '5', exportsArg = '1', profileName = 'latest'] =
  process.argv.slice(2);
const runs = Number(runsArg);
const exports = Number(exportsArg);

const { bootMachine } = await lib<Boot>('boot');
const { cxlList } = await lib<List>('ndctl/cxl/list');
const { resolveProfile } = await lib<Profiles>('profile');
const { exportSysfs } = await lib<Export>('sysfs/export');
const { generateTopology, shapeForEndpoints } = await lib<Gen>('topology/generate');
const { getPreset } = await lib<Presets>('topology/presets/index');

const profile = resolveProfile(profileName);
const topo =
  kind === 'gen'
    ? generateTopology({ ...shapeForEndpoints(Number(arg)), name: `gen${arg}` })
    : getPreset(arg, profile.qemu);
const base = exportBase();
const gc = (globalThis as { gc?: () => void }).gc;

const boot: number[] = [];
const list: number[] = [];
const exp: number[] = [];
let memdevs = 0;
let listBytes = 0;
let exportEntries = 0;
for (let i = 0; i < runs; i++) {
  gc?.(); // each run starts from the same heap, not from the previous run's garbage
  const t0 = performance.now();
  const m = bootMachine(topo, { profile });
  const t1 = performance.now();
  const r = cxlList(m.sysfs, ['-vvv'], { ioctl: m.ioctl, ndctl: profile.ndctl });
  const t2 = performance.now();
  if (r.code !== 0) throw new Error(`list failed: ${r.stderr}`);
  boot.push(t1 - t0);
  list.push(t2 - t1);
  listBytes = r.stdout.length;
  memdevs = m.sysfs.readdir('bus/cxl/devices').filter((n) => /^mem\d+$/.test(n)).length;
  if (i < exports) {
    const dir = mkdtempSync(join(base, 'cxlsim-bench-'));
    try {
      const t3 = performance.now();
      const s = exportSysfs(m.sysfs, dir, { force: true });
      exp.push(performance.now() - t3);
      exportEntries = s.dirs + s.files + s.links;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
console.log(
  JSON.stringify({
    case: kind === 'gen' ? `generated ${arg} endpoints` : `preset ${arg}`,
    memdevs,
    runs,
    boot_ms: boot,
    list_ms: list,
    export_ms: exp,
    exportDir: base,
    exportEntries,
    listBytes,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    from,
  }),
);
