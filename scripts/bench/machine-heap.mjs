/**
 * What a booted machine costs in V8's heap (issue 15: a snapshot's size and load time follow
 * its object count): boots the generated topology of `cxlsim gen --endpoints N` from a built
 * library (after a 4-endpoint boot that loads the modules), collects garbage, and prints the
 * growth of `heapUsed` and of `arrayBuffers` in MB and, with `count`, the node count of a heap
 * snapshot of the whole process (module code included, a constant).
 * Usage: node --expose-gc scripts/bench/machine-heap.mjs [DIST_DIR] [ENDPOINTS] [count]
 *   (defaults: ./dist, 1024)
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';

const dist = resolve(process.argv[2] ?? 'dist');
const n = Number(process.argv[3] ?? 1024);
if (typeof gc !== 'function') throw new Error('run with node --expose-gc');
const lib = (p) => import(pathToFileURL(`${dist}/${p}.js`).href);
const { bootSync } = await lib('api/boot');
const { generateTopology, shapeForEndpoints } = await lib('topology/generate');
const topo = generateTopology(shapeForEndpoints(n));
bootSync({ topology: generateTopology(shapeForEndpoints(4)) });
gc();
gc();
const h0 = process.memoryUsage();
const m = bootSync({ topology: topo });
gc();
gc();
const h1 = process.memoryUsage();
let nodes;
if (process.argv[4] === 'count') {
  const chunks = [];
  for await (const c of v8.getHeapSnapshot()) chunks.push(c);
  nodes = JSON.parse(Buffer.concat(chunks).toString()).snapshot.node_count;
}
const mb = (b) => Number((b / 1e6).toFixed(1));
console.log(
  JSON.stringify({
    dist,
    endpoints: n,
    heapMB: mb(h1.heapUsed - h0.heapUsed),
    arrayBuffersMB: mb(h1.arrayBuffers - h0.arrayBuffers),
    heapNodes: nodes,
    machine: typeof m,
  }),
);
