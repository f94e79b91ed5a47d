/**
 * cxlsim-only helper (h-list): `cxl list FLAGS` run several times in one process on a booted
 * generated topology, each run timed (CPU ms of the process): the first run pays cold code and
 * empty caches, the later ones show the listing's own cost. With `--prof FILE`, runs after the
 * first are profiled (a .cpuprofile); with `--heap FILE`, the allocations of the last run (a
 * .heapprofile, collected objects included). With `--warm SMALL.yaml`, the same listing runs
 * 30 times on that (small) topology first: the code is then compiled and optimized, and the
 * first run on TOPOLOGY shows what cold caches alone cost (and `--prof` profiles it too). `node --import tsx
 * scripts/bench/list-inproc.ts TOPOLOGY.yaml [RUNS] [--prof FILE] [--heap FILE] [--warm FILE]
 * [FLAGS…]`
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { bootSync } from '../../src/api/boot.ts';

const argv = process.argv.slice(2);
const pi = argv.indexOf('--prof');
const prof = pi >= 0 ? argv.splice(pi, 2)[1] : undefined;
const hi = argv.indexOf('--heap');
const heap = hi >= 0 ? argv.splice(hi, 2)[1] : undefined;
const wi = argv.indexOf('--warm');
const warm = wi >= 0 ? argv.splice(wi, 2)[1] : undefined;
const [file, runsArg, ...flags] = argv;
if (!file) throw new Error('usage: list-inproc.ts TOPOLOGY.yaml [RUNS] [--prof FILE] [FLAGS…]');
const runs = Number(runsArg ?? 3);
const f = flags.length ? flags : ['-M'];
if (warm) {
  const small = bootSync({ topology: readFileSync(warm, 'utf8'), path: warm });
  for (let i = 0; i < 30; i++) small.ndctl(['list', ...f]);
}
const m = bootSync({ topology: readFileSync(file, 'utf8'), path: file });
const session = new Session();
session.connect();
const post = (method: string, params?: object): Promise<unknown> =>
  new Promise((res, rej) => session.post(method, params, (e, r) => (e ? rej(e) : res(r))));
for (let i = 0; i < runs; i++) {
  if (prof && i === (warm ? 0 : 1)) {
    await post('Profiler.enable');
    await post('Profiler.start');
  }
  if (heap && i === runs - 1) {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  const c0 = process.cpuUsage();
  const r = m.ndctl(['list', ...f]);
  const c = process.cpuUsage(c0);
  console.log(
    `run ${i}: ${((c.user + c.system) / 1000).toFixed(0)} ms CPU, ${r.stdout.length} chars`,
  );
}
if (heap) {
  const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
  writeFileSync(heap, JSON.stringify(profile));
}
if (prof && (runs > 1 || warm)) {
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  writeFileSync(prof, JSON.stringify(profile));
}
