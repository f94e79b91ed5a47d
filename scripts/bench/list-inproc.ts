/**
 * cxlsim-only helper (h-list): `cxl list FLAGS` run several times in one process on a booted
 * generated topology, each run timed (CPU ms of the process): the first run pays cold code and
 * empty caches, the later ones show the listing's own cost. With `--prof FILE`, runs after the
 * first are profiled (a .cpuprofile). `node --import tsx scripts/bench/list-inproc.ts
 * TOPOLOGY.yaml [RUNS] [--prof FILE] [FLAGS…]`
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { bootSync } from '../../src/api/boot.ts';

const argv = process.argv.slice(2);
const pi = argv.indexOf('--prof');
const prof = pi >= 0 ? argv.splice(pi, 2)[1] : undefined;
const [file, runsArg, ...flags] = argv;
if (!file) throw new Error('usage: list-inproc.ts TOPOLOGY.yaml [RUNS] [--prof FILE] [FLAGS…]');
const m = bootSync({ topology: readFileSync(file, 'utf8'), path: file });
const runs = Number(runsArg ?? 3);
const f = flags.length ? flags : ['-M'];
const session = new Session();
session.connect();
const post = (method: string, params?: object): Promise<unknown> =>
  new Promise((res, rej) => session.post(method, params, (e, r) => (e ? rej(e) : res(r))));
for (let i = 0; i < runs; i++) {
  if (prof && i === 1) {
    await post('Profiler.enable');
    await post('Profiler.start');
  }
  const c0 = process.cpuUsage();
  const r = m.ndctl(['list', ...f]);
  const c = process.cpuUsage(c0);
  console.log(
    `run ${i}: ${((c.user + c.system) / 1000).toFixed(0)} ms CPU, ${r.stdout.length} chars`,
  );
}
if (prof && runs > 1) {
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  writeFileSync(prof, JSON.stringify(profile));
}
