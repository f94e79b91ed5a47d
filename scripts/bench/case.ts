/**
 * One benchmark case, run in its own process so that its peak RSS is its own.
 * usage: node --expose-gc --import tsx scripts/bench/case.ts <kind> <arg> <runs>
 *   kind = preset NAME | gen ENDPOINTS
 * Prints one JSON line: { case, runs, boot_ms[], list_ms[], export_ms[], maxRssMiB }.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootMachine } from '../../src/boot.ts';
import { cxlList } from '../../src/list/index.ts';
import { resolveProfile } from '../../src/profile.ts';
import { exportSysfs } from '../../src/sysfs/export.ts';
import { generateTopology, shapeForEndpoints } from '../../src/topology/generate.ts';
import type { Topology } from '../../src/topology/model.ts';
import { getPreset } from '../../src/topology/presets/index.ts';

const [kind = 'preset', arg = 'default', runsArg = '5'] = process.argv.slice(2);
const runs = Number(runsArg);
const profile = resolveProfile(process.env.CXLSIM_BENCH_PROFILE ?? 'latest');
const topo: Topology =
  kind === 'gen' ? generateTopology({ ...shapeForEndpoints(Number(arg)), name: `gen${arg}` }) : getPreset(arg, profile.qemu);

const boot: number[] = [];
const list: number[] = [];
const exp: number[] = [];
let memdevs = 0;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const m = bootMachine(topo, { profile });
  const t1 = performance.now();
  const r = cxlList(m.sysfs, ['-vvv'], { ioctl: m.ioctl, ndctl: profile.ndctl });
  const t2 = performance.now();
  if (r.code !== 0) throw new Error(`list failed: ${r.stderr}`);
  memdevs = m.sysfs.readdir('bus/cxl/devices').filter((n) => /^mem\d+$/.test(n)).length;
  if (i === 0 || Number(arg) <= 1024) {
    const dir = mkdtempSync(join(tmpdir(), 'cxlsim-bench-'));
    const t3 = performance.now();
    exportSysfs(m.sysfs, dir, { force: true });
    exp.push(performance.now() - t3);
    rmSync(dir, { recursive: true, force: true });
  }
  boot.push(t1 - t0);
  list.push(t2 - t1);
}
console.log(
  JSON.stringify({
    case: kind === 'gen' ? `generated ${arg} endpoints` : `preset ${arg}`,
    memdevs,
    runs,
    boot_ms: boot,
    list_ms: list,
    export_ms: exp,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
);
