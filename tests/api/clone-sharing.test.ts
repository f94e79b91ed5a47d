/**
 * A structural copy of a booted machine (src/kernel/graph-copy.ts, `Machine.clone()`) shares no
 * mutable object and no per-instance closure with its original: two machines are booted
 * independently (A and B), A is copied (C), and C's graph is walked side by side with A's and B's.
 * An object C shares with A must be frozen or registered as module-level data; a function C shares
 * with A must be the same function in B (a module-level function or prototype method — a closure
 * made per instance differs between A and B); a function made again for C (`rebuildable`) has its
 * arguments walked too. Every module-level WeakMap of the simulation is one whose entries follow
 * its keys into copies (`copiedWeakMap`) or a cache keyed by shared data (listed below).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootSync } from '../../src/api/boot.ts';
import type { Machine } from '../../src/api/machine.ts';
import { copyGraph, isSharedWithCopies, rebuiltFrom } from '../../src/kernel/graph-copy.ts';

/** One thing a copy shares with its original that it must not, as `kind @ path`. */
function sharedState(a: unknown, b: unknown, c: unknown): { walked: number; found: string[] } {
  const seen = new Set<unknown>();
  const found = new Set<string>();
  const tail = (path: string) =>
    path
      .replace(/\[\d+\]/g, '[]')
      .split('.')
      .slice(-3)
      .join('.');
  const own = (x: unknown, k: PropertyKey) =>
    x !== null && (typeof x === 'object' || typeof x === 'function')
      ? Object.getOwnPropertyDescriptor(x, k)
      : undefined;
  const walk = (xa: unknown, xb: unknown, xc: unknown, path: string): void => {
    if (xc === null || (typeof xc !== 'object' && typeof xc !== 'function')) return;
    if (seen.has(xc)) return;
    seen.add(xc);
    if (typeof xc === 'function') {
      const args = rebuiltFrom(xc);
      if (args) {
        const aa = typeof xa === 'function' ? rebuiltFrom(xa) : undefined;
        const ab = typeof xb === 'function' ? rebuiltFrom(xb) : undefined;
        args.forEach((v, i) => {
          walk(aa?.[i], ab?.[i], v, `${path}(${i})`);
        });
      } else if (xc === xa && xc !== xb)
        found.add(`closure ${xc.name || '<anon>'} @ ${tail(path)}`);
      return;
    }
    if (xa === xb && xa !== undefined && xc !== xa) {
      found.add(
        `copied module-level ${(xa as object).constructor?.name ?? 'Object'} @ ${tail(path)}`,
      );
      return;
    }
    if (xc === xa) {
      if (!Object.isFrozen(xc) && !isSharedWithCopies(xc))
        found.add(`${xc.constructor?.name ?? 'Object'} @ ${tail(path)}`);
      return;
    }
    // the copy has its original's own properties, each as (non-)enumerable as there (the
    // copier's fast path copies enumerable string-keyed properties only)
    if (xa !== null && typeof xa === 'object' && !ArrayBuffer.isView(xa)) {
      const ka = Reflect.ownKeys(xa);
      const kc = Reflect.ownKeys(xc);
      const missing = ka.filter((k) => !kc.includes(k)).map(String);
      if (missing.length || ka.length !== kc.length)
        found.add(`own properties differ (${missing.join(',')}) @ ${tail(path)}`);
      for (const k of ka)
        if (
          kc.includes(k) &&
          Object.prototype.propertyIsEnumerable.call(xa, k) !==
            Object.prototype.propertyIsEnumerable.call(xc, k)
        )
          found.add(`enumerability of ${String(k)} differs @ ${tail(path)}`);
    }
    const args = rebuiltFrom(xc);
    if (args) {
      const aa = xa && typeof xa === 'object' ? rebuiltFrom(xa) : undefined;
      const ab = xb && typeof xb === 'object' ? rebuiltFrom(xb) : undefined;
      args.forEach((v, i) => {
        walk(aa?.[i], ab?.[i], v, `${path}(${i})`);
      });
    }
    if (ArrayBuffer.isView(xc)) {
      // bytes of one buffer (config-space slabs hold several machines' spaces: disjoint is fine)
      if (
        xa &&
        ArrayBuffer.isView(xa) &&
        xa.buffer === xc.buffer &&
        xa.byteOffset < xc.byteOffset + xc.byteLength &&
        xc.byteOffset < xa.byteOffset + xa.byteLength
      )
        found.add(`${xc.constructor.name} buffer @ ${tail(path)}`);
      return;
    }
    if (xc instanceof Map) {
      const ea = xa instanceof Map ? [...xa] : [];
      const eb = xb instanceof Map ? [...xb] : [];
      [...xc].forEach(([k, v], i) => {
        walk(ea[i]?.[0], eb[i]?.[0], k, `${path}<${i}>`);
        walk(ea[i]?.[1], eb[i]?.[1], v, `${path}.${typeof k === 'string' ? k : `[${i}]`}`);
      });
    } else if (xc instanceof Set) {
      const ea = xa instanceof Set ? [...xa] : [];
      const eb = xb instanceof Set ? [...xb] : [];
      [...xc].forEach((v, i) => {
        walk(ea[i], eb[i], v, `${path}[${i}]`);
      });
    }
    for (const k of Reflect.ownKeys(xc)) {
      const d = Object.getOwnPropertyDescriptor(xc, k) as PropertyDescriptor;
      const da = own(xa, k);
      const db = own(xb, k);
      const p =
        Array.isArray(xc) && /^\d+$/.test(String(k))
          ? `${path}[${String(k)}]`
          : `${path}.${String(k)}`;
      if ('value' in d) walk(da?.value, db?.value, d.value, p);
      else {
        // the copier reads enumerable own properties as values (its fast path)
        if (d.enumerable) found.add(`enumerable accessor @ ${tail(p)}`);
        walk(da?.get, db?.get, d.get, `${p}(get)`);
        walk(da?.set, db?.set, d.set, `${p}(set)`);
      }
    }
  };
  walk(a, b, c, 'm');
  return { walked: seen.size, found: [...found].sort() };
}

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * WeakMaps no entry of which has to follow a copy: keyed by module-level data (shared by
 * copies), caches inside the /sys view a copy makes again over its own kernel, or keyed by
 * journal operations (the state store's, never part of a machine).
 */
const SHARED_KEYED = [
  'src/state/blobs.ts: hashed',
  'src/sysfs/tree-device.ts: byFirstGroup',
  'src/sysfs/tree-device.ts: groupIndexes',
];

/**
 * What copies of a machine with passed-through type-2 functions (hw/vmm vfio-cxl, hw/dev/type2)
 * still share with the original: per-instance closures of the vfio host device, its config
 * hooks and DVSEC actions, and the type-2 component wrapper. Left to convert (they live in
 * another session's files); the list may only shrink.
 */
const VFIO_REMAINING: Record<string, string[]> = {
  'armvirt-vfio-4gpu': [
    'closure <anon> @ config.hooks[].read',
    'closure <anon> @ config.hooks[].write',
    'closure <anon> @ region.dev.listeners[]',
    'closure <anon> @ state.comp.readHw',
    'closure barLength @ dev.host.barLength',
    'closure barRead32 @ dev.host.barRead32',
    'closure barWrite32 @ dev.host.barWrite32',
    'closure cfgRead @ dev.host.cfgRead',
    'closure cfgWrite @ dev.host.cfgWrite',
    'closure cxlReset @ dvsec.actions.cxlReset',
    'closure memRead @ dev.host.memRead',
    'closure memWrite @ dev.host.memWrite',
    'closure read32 @ device.component.read32',
    'closure reset @ dev.host.reset',
    'closure reset @ device.component.reset',
    'closure resetCapable @ dvsec.actions.resetCapable',
    'closure write32 @ device.component.write32',
  ],
};

describe('structural copy of a booted machine', () => {
  const boot = (preset: string, profile: string): Machine => bootSync({ preset }, { profile });

  for (const [preset, profile] of [
    ['default', 'latest'],
    ['default', 'debian-12'],
    ['threeway', 'debian-13'],
    ['cxl_test', 'latest'],
    ['armvirt-2hb-switches', 'latest'],
    ['armvirt-vfio-4gpu', 'latest'],
  ] as const)
    it(`shares no mutable object or per-instance closure with the original (${preset}, ${profile})`, () => {
      const a = boot(preset, profile);
      const b = boot(preset, profile);
      for (const m of [a, b])
        try {
          m.sysfs.write('/sys/bus/cxl/devices/decoder0.0/create_pmem_region', 'region0');
        } catch {
          // no pmem-capable root decoder: the booted machine alone
        }
      const left = VFIO_REMAINING[preset] ?? [];
      const r = sharedState(a.raw, b.raw, copyGraph(a.raw));
      expect(r.walked).toBeGreaterThan(300);
      expect(r.found).toEqual(left);
      // Machine.clone() copies those machines by a boot + replay instead: nothing shared
      const m = sharedState(a, b, a.clone());
      expect(m.walked).toBeGreaterThan(300);
      expect(m.found).toEqual([]);
    });

  it('every module-level WeakMap of src/ follows its keys into copies or is keyed by shared data', () => {
    const plain: string[] = [];
    let copied = 0;
    for (const f of sources('src')) {
      if (f.startsWith('src/cli/') || f === 'src/kernel/graph-copy.ts') continue;
      const text = readFileSync(f, 'utf8');
      copied += (text.match(/copiedWeakMap</g) ?? []).length;
      for (const m of text.matchAll(/(\w+)\s*=\s*new Weak(?:Map|Set)\b/g))
        plain.push(`${f}: ${m[1]}`);
    }
    expect(copied).toBeGreaterThan(10);
    expect(plain.sort()).toEqual(SHARED_KEYED);
  });
});
