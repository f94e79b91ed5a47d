/**
 * A dropped copy of a machine dies in V8's young-generation collection, like any short-lived
 * object: nothing module-level reaches into a machine, not even through a WeakMap value or a
 * function V8 keeps in a hidden class (docs/performance.md, "Clone and collector work"). Before
 * that work every copy survived scavenges until the next full collection, which cost more CPU
 * than the copies themselves.
 *
 * In a child process (`node --expose-gc`, src/ through tsx): the heap a live copy of the default
 * preset adds after two minor collections (it is promoted), then the heap 30 dropped copies leave
 * after two minor collections. Measured with 20: 0.3–0.6 MB left (about one copy's worth: the
 * last allocations, caches), 1.8 MB once while the whole suite ran (compiled code and feedback
 * are heap too), against 4.0 MB (15 copies) before; the bound is 10 copies of 30. Memory, not
 * time: no timing is asserted.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const LOADER = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
const BOOT = join(ROOT, 'src/api/boot.ts');

const SCRIPT = `
const { bootSync } = await import(${JSON.stringify(`file://${BOOT}`)});
const a = bootSync({ preset: 'default' }, { profile: 'latest' });
// warm: the copier's code is compiled (code and feedback are heap too)
for (let i = 0; i < 30; i++) a.clone();
gc(); gc();
const h0 = process.memoryUsage().heapUsed;
let keep = a.clone();
gc({ type: 'minor' }); gc({ type: 'minor' });
const one = process.memoryUsage().heapUsed - h0;
keep = undefined;
gc(); gc();
const h1 = process.memoryUsage().heapUsed;
for (let i = 0; i < 30; i++) a.clone();
gc({ type: 'minor' }); gc({ type: 'minor' });
const dropped = process.memoryUsage().heapUsed - h1;
console.log(JSON.stringify({ one, dropped, keep: keep === undefined }));
`;

describe('dropped copies die young', () => {
  it('30 dropped copies of the default preset leave less than 10 copies of heap after two scavenges', () => {
    const r = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', LOADER, '--input-type=module', '-e', SCRIPT],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.stderr).toBe('');
    const { one, dropped } = JSON.parse(r.stdout.trim()) as { one: number; dropped: number };
    // a copy of the default preset is about 100 KB of heap (its objects allocated whole by the
    // copier's compiled constructors; 150-300 KB when they grew property arrays field by field)
    expect(one).toBeGreaterThan(50_000);
    expect(dropped).toBeLessThan(10 * one);
  });
});
