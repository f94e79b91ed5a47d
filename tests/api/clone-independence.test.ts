/**
 * Copies stay independent under any writes (the property companion of clone-sharing.test.ts,
 * which checks sharing by inspection): random sequences of guest-visible writes — PCI
 * configuration writes, 32-bit MMIO stores into every mapped region (component registers,
 * mailboxes, MSI-X tables), /sys stores and ndctl create-region — are made on one copy of a
 * booted machine, and a digest of everything the original and a sibling copy hold (every own
 * data property, Map and Set entry, typed-array byte and rebuilt closure's arguments, reached
 * from the booted machine) must not move. The same holds one generation down (a copy of the
 * written copy, written again, leaves the first copy as it was).
 */
import { createHash, type Hash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootSync } from '../../src/api/boot.ts';
import type { Machine } from '../../src/api/machine.ts';
import { rebuiltFrom } from '../../src/kernel/graph-copy.ts';

/** SHA-256 over everything reachable from `root` (data properties only: no getter is run). */
function stateDigest(root: unknown): string {
  const h: Hash = createHash('sha256');
  const ids = new Map<object, number>();
  const walk = (x: unknown): void => {
    if (x === null || (typeof x !== 'object' && typeof x !== 'function')) {
      h.update(`${typeof x}:${String(x)};`);
      return;
    }
    const o = x as object;
    const id = ids.get(o);
    if (id !== undefined) {
      h.update(`#${id};`);
      return;
    }
    ids.set(o, ids.size);
    const args = rebuiltFrom(o);
    if (typeof o === 'function') {
      h.update(`fn ${o.name};`);
      if (args) for (const a of args) walk(a);
      return;
    }
    if (args) for (const a of args) walk(a);
    if (ArrayBuffer.isView(o)) {
      h.update(`${o.constructor.name}[`);
      h.update(new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
      h.update('];');
      return;
    }
    if (o instanceof ArrayBuffer) {
      h.update(new Uint8Array(o));
      return;
    }
    if (o instanceof Map)
      for (const [k, v] of o) {
        walk(k);
        walk(v);
      }
    else if (o instanceof Set) for (const v of o) walk(v);
    for (const k of Reflect.ownKeys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, k) as PropertyDescriptor;
      h.update(`${String(k)}=`);
      if ('value' in d) walk(d.value);
      else h.update('accessor;');
    }
  };
  walk(root);
  return h.digest('hex');
}

/** One write a guest (or ndctl) can make. */
type Op =
  | { kind: 'config'; fn: number; offset: number; size: 1 | 2 | 4; value: number }
  | { kind: 'mmio'; region: number; offset: number; value: number }
  | { kind: 'sysfs'; attr: number; value: string }
  | { kind: 'create-region'; ways: 1 | 2 };

const VALUES = ['0\n', '1\n', '4096\n', '268435456\n', 'ram\n', 'pmem\n', 'region0\n', 'x\n', '\n'];

/** The writable attributes under /sys/bus/cxl/devices of `m`. */
function writableAttrs(m: Machine): string[] {
  const out: string[] = [];
  for (const d of m.sysfs.ls('/sys/bus/cxl/devices'))
    for (const a of m.sysfs.ls(`/sys/bus/cxl/devices/${d}`)) {
      const p = `/sys/bus/cxl/devices/${d}/${a}`;
      const st = m.sysfs.stat(p);
      if (st && st.kind === 'file' && (st.mode & 0o222) !== 0) out.push(p);
    }
  return out.sort();
}

/** Applies `op` to `m`, ignoring what the guest would be refused. */
function apply(m: Machine, op: Op, attrs: readonly string[]): void {
  const p = m.raw.platform;
  try {
    if (op.kind === 'config') {
      const fns = [...p.functions().values()];
      const f = fns[op.fn % fns.length];
      if (!f) return;
      const off = op.offset - (op.offset % op.size);
      p.bus.pci.write(f.segment, f.bus, f.devfn, off, op.size, op.value);
    } else if (op.kind === 'mmio') {
      const maps = p.mmio.mappings();
      const r = maps[op.region % maps.length];
      if (!r) return;
      const off = BigInt(op.offset) % r.size;
      p.bus.mmio.write32(r.base + off - (off % 4n), op.value);
    } else if (op.kind === 'sysfs') {
      const a = attrs[op.attr % attrs.length];
      if (a) m.sysfs.write(a, op.value);
    } else {
      const mems = m.sysfs.ls('/sys/bus/cxl/devices').filter((d) => d.startsWith('mem'));
      m.ndctl([
        'create-region',
        '-d',
        'decoder0.0',
        '-w',
        String(op.ways),
        ...mems.slice(0, op.ways),
      ]);
    }
  } catch {
    // refused: the kernel's (or the device's) answer, not this test's concern
  }
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('config' as const),
    fn: fc.nat(),
    offset: fc.integer({ min: 0, max: 4095 }),
    size: fc.constantFrom(1 as const, 2 as const, 4 as const),
    value: fc.nat({ max: 0xffffffff }),
  }),
  fc.record({
    kind: fc.constant('mmio' as const),
    region: fc.nat(),
    offset: fc.nat({ max: 0x1_0000 }),
    value: fc.nat({ max: 0xffffffff }),
  }),
  fc.record({
    kind: fc.constant('sysfs' as const),
    attr: fc.nat(),
    value: fc.constantFrom(...VALUES),
  }),
  fc.record({
    kind: fc.constant('create-region' as const),
    ways: fc.constantFrom(1 as const, 2 as const),
  }),
);

describe('copies of a booted machine stay independent under random writes', () => {
  const a = bootSync({ preset: 'default' }, { profile: 'latest' });
  const attrs = writableAttrs(a);
  // caches the original fills when it is copied or read are filled before its digest is taken
  a.clone();
  const digestA = stateDigest(a.raw);

  it('finds writable attributes; a copy lists and logs as its original', () => {
    expect(attrs.length).toBeGreaterThan(20);
    // another machine: listing sends mailbox commands, which change the registers it reads
    const b = bootSync({ preset: 'default' }, { profile: 'latest' });
    const c = b.clone();
    expect(c.list(['-vvv'])).toEqual(b.list(['-vvv']));
    expect(c.dmesg({ raw: true })).toEqual(b.dmesg({ raw: true }));
  });

  it('a copy keeps bus state held in side tables (drivers_autoprobe)', () => {
    const b = bootSync({ preset: 'default' }, { profile: 'latest' });
    b.sysfs.write('/sys/bus/cxl/drivers_autoprobe', '0');
    const c = b.clone();
    expect(c.sysfs.read('/sys/bus/cxl/drivers_autoprobe')).toBe('0\n');
    c.sysfs.write('/sys/bus/cxl/drivers_autoprobe', '1');
    expect(b.sysfs.read('/sys/bus/cxl/drivers_autoprobe')).toBe('0\n');
    expect(c.sysfs.read('/sys/bus/cxl/drivers_autoprobe')).toBe('1\n');
  });

  it('a write to a copy never shows in the original, a sibling, or the copy it was made from', () => {
    let runs = 0;
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 1, maxLength: 24 }),
        fc.array(opArb, { minLength: 1, maxLength: 8 }),
        (ops, more) => {
          runs++;
          const c1 = a.clone();
          const c2 = a.clone();
          const d2 = stateDigest(c2.raw);
          for (const op of ops) apply(c1, op, attrs);
          expect(stateDigest(a.raw)).toBe(digestA);
          expect(stateDigest(c2.raw)).toBe(d2);
          const c3 = c1.clone();
          const d1 = stateDigest(c1.raw);
          for (const op of more) apply(c3, op, attrs);
          expect(stateDigest(c1.raw)).toBe(d1);
          expect(stateDigest(a.raw)).toBe(digestA);
        },
      ),
      { numRuns: 40, seed: 12 },
    );
    expect(runs).toBe(40);
  });
});
