/**
 * What `Machine.clone()` copies (issue 12): walks a booted machine the way copyGraph()
 * (src/kernel/graph-copy.ts) does — shared and frozen objects and plain functions are not
 * copied, rebuildable values are made again from their copied arguments — and counts the objects
 * it would copy by class (plain objects by their first keys), by holder (`Class.key -> Class`),
 * the rebuilt thunks by target function, and the bytes of the typed arrays.
 * Usage: node scripts/bench/clone-census.mjs [DIST_DIR] [default|ep64] [TOP]
 *   (defaults: ./dist, ep64 — the 64-endpoint machine of scripts/bench/prop.ts —, 25)
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EP64_SHAPE } from './shapes.mjs';

const dist = resolve(process.argv[2] ?? 'dist');
const which = process.argv[3] ?? 'ep64';
const TOP = Number(process.argv[4] ?? 25);
const lib = (p) => import(pathToFileURL(`${dist}/${p}.js`).href);
const { bootSync } = await lib('api/boot');
const { generateTopology } = await lib('topology/generate');
const { isSharedWithCopies, rebuiltFrom, fieldsResetInCopies } = await lib('kernel/graph-copy');
const m =
  which === 'default'
    ? bootSync({ preset: 'default' })
    : bootSync({
        topology: generateTopology(EP64_SHAPE),
      });

/** A class name, or `{k1,k2,k3}` for a plain object. */
const nameOf = (o) => {
  if (Array.isArray(o)) return 'Array';
  const p = Object.getPrototypeOf(o);
  const n = p === null ? 'null' : (p.constructor?.name ?? '?');
  return n === 'Object' ? `{${Object.keys(o).slice(0, 3).join(',')}}` : n;
};
const count = (map, k) => map.set(k, (map.get(k) ?? 0) + 1);
const byClass = new Map();
const byHolder = new Map();
const thunks = new Map();
const seen = new Set();
let bytes = 0;
const stack = [[m.raw, 'machine', 'root']];
while (stack.length) {
  const [x, holder, key] = stack.pop();
  if (x === null || (typeof x !== 'object' && typeof x !== 'function') || seen.has(x)) continue;
  seen.add(x);
  const args = rebuiltFrom(x);
  if (args) {
    count(byClass, 'rebuilt value');
    if (typeof x === 'function' && typeof args[0] === 'function') count(thunks, args[0].name);
    for (const a of args) stack.push([a, 'rebuilt value', 'arg']);
    continue;
  }
  if (typeof x === 'function' || isSharedWithCopies(x) || Object.isFrozen(x)) continue;
  const n = nameOf(x);
  count(byClass, n);
  count(byHolder, `${holder}.${key} -> ${n}`);
  if (ArrayBuffer.isView(x)) {
    bytes += x.byteLength;
    continue;
  }
  if (x instanceof ArrayBuffer || x instanceof WeakMap || x instanceof WeakSet) continue;
  if (x instanceof Map)
    for (const [k, v] of x) {
      stack.push([k, n, 'key']);
      stack.push([v, n, 'value']);
    }
  else if (x instanceof Set) for (const v of x) stack.push([v, n, 'item']);
  else if (Array.isArray(x)) for (const v of x) stack.push([v, n, '[]']);
  else {
    // fields a copy starts without (caches: resetInCopies()) are not copied
    const resets = fieldsResetInCopies?.(x);
    for (const k of Object.keys(x)) if (!resets?.has(k)) stack.push([x[k], n, k]);
  }
}
const top = (map) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([k, v]) => `${String(v).padStart(6)}  ${k}`)
    .join('\n');
const total = [...byClass.values()].reduce((a, b) => a + b, 0);
console.log(`${which}: ${total} objects copied, ${bytes} bytes of typed arrays\n`);
console.log(`by class:\n${top(byClass)}\n\nby holder:\n${top(byHolder)}\n`);
console.log(`rebuilt thunks by target:\n${top(thunks)}`);
